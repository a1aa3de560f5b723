import { runConnectEngine, type ConnectProbe, type ConnectEngineStats } from '../engines/connect/connect-engine.js';
import { networkKeyV4 } from '../engines/connect/network-pacer.js';
import { TrawlError } from '../errors/index.js';
import type { PortObservation } from '../model/observation.js';
import { emptyCounters, type ScanCounters, type ScanRecord, type ScanSpec } from '../model/scan.js';
import type { WorkUnit } from '../model/work-unit.js';
import { createPermutation } from '../plan/keyed-permutation.js';
import { randomSeed } from '../plan/seed.js';
import { shardRange, type Shard } from '../plan/shard.js';
import { planUnits } from '../plan/unit-planner.js';
import { EgressGuard } from '../safety/egress-guard.js';
import { formatIp, ipv4, ipv4ToString, type IpAddress } from '../scope/ip-address.js';
import { buildScope, type Scope } from '../scope/scope-builder.js';
import type { Store } from '../store/store.js';
import { discoverHosts, type DiscoveryHost, type DiscoveryReport } from './host-discovery.js';
import type { DiscoveryMode, EngineTuning } from './scan-options.js';
import { newScanId } from './scan-id.js';
import { UnitTracker } from './unit-tracker.js';

export interface ScanRequest {
  readonly targets: readonly string[];
  readonly targetFiles: readonly string[];
  readonly excludes: readonly string[];
  readonly excludeFiles: readonly string[];
  readonly ports: readonly number[];
  readonly seed?: bigint;
  readonly shard: Shard;
  readonly applyBlocklist: boolean;
  readonly discovery: DiscoveryMode;
}

export interface ScanRunOptions {
  readonly store: Store;
  readonly tuning: EngineTuning;
  /** Resume this scan (its spec wins over `request`); undefined starts a new scan. */
  readonly resume?: ScanRecord;
  readonly signal?: AbortSignal;
  readonly resolve?: (name: string) => Promise<string[]>;
  /** A scope already built from `request` (the CLI builds it first, to fail before touching files). */
  readonly scope?: Scope;
  /** Called once the scan row exists, before any probe is sent. */
  readonly onStart?: (scan: ScanRecord, progress: () => ScanProgress) => void;
  readonly worker?: string;
  readonly now?: () => Date;
}

export interface ScanProgress {
  readonly phase: string;
  readonly done: number;
  readonly planned: number;
  readonly sent: number;
  readonly openFound: number;
}

export interface ScanOutcome {
  readonly scan: ScanRecord;
  readonly interrupted: boolean;
  readonly discovery: DiscoveryReport | undefined;
  readonly discoverySkippedReason: string | undefined;
  readonly engine: ConnectEngineStats;
  /** Wall time of host discovery and of the port scan, in milliseconds. */
  readonly timings: { readonly discoveryMs: number; readonly portScanMs: number };
}

/** Probe spaces beyond 2^52 (e.g. a whole IPv6 /64) are refused rather than silently truncated. */
const MAX_SPACE = 2n ** 52n;
/** Host discovery keeps a byte per address; above this the scan probes every address. */
const MAX_DISCOVERY_HOSTS = 1 << 22;
const COMMIT_INTERVAL_MS = 250;
const COMMIT_BATCH = 4000;

function specFromRequest(r: ScanRequest, scope: Scope, seed: bigint): ScanSpec {
  return {
    targets: [...r.targets],
    targetFiles: [...r.targetFiles],
    excludes: [...r.excludes],
    excludeFiles: [...r.excludeFiles],
    ports: [...r.ports],
    resolved: scope.resolved,
    seed: seed.toString(),
    shard: { index: r.shard.index, count: r.shard.count },
    options: { applyBlocklist: r.applyBlocklist, discovery: r.discovery },
  };
}

function requestFromSpec(spec: ScanSpec): ScanRequest {
  return {
    targets: spec.targets,
    targetFiles: spec.targetFiles,
    excludes: spec.excludes,
    excludeFiles: spec.excludeFiles,
    ports: spec.ports,
    seed: BigInt(spec.seed),
    shard: spec.shard,
    applyBlocklist: spec.options['applyBlocklist'] !== false,
    discovery: (spec.options['discovery'] as DiscoveryMode | undefined) ?? 'auto',
  };
}

/** Maps host indices to addresses without bigint work for IPv4 scopes. */
function hostLookup(scope: Scope): (i: number) => DiscoveryHost & { address: IpAddress } {
  const set = scope.targets;
  return (i) => {
    if (i < set.v4Count) {
      const n = set.atV4Number(i);
      return { ip: ipv4ToString(n), family: 4, netKey: networkKeyV4(n), get address() { return ipv4(n); } };
    }
    const address = set.at(BigInt(i));
    return { ip: formatIp(address), family: 6, netKey: (address.value >> 64n).toString(16), address };
  };
}

/** Builds the scope of a request; on resume, with the hostname resolutions recorded at plan time. */
export function scopeOf(req: ScanRequest, opts: { resolve?: (name: string) => Promise<string[]>; resume?: ScanRecord } = {}): Promise<Scope> {
  return buildScope({
    targets: req.targets,
    targetFiles: req.targetFiles,
    excludes: req.excludes,
    excludeFiles: req.excludeFiles,
    applyBlocklist: req.applyBlocklist,
    ...(opts.resolve ? { resolve: opts.resolve } : {}),
    ...(opts.resume ? { resolved: opts.resume.spec.resolved } : {}),
  });
}

/**
 * Refuses plans that cannot run, before anything is written: a probe space beyond the number fast
 * path, or a scope the egress allow-list forbids. Returns the guard the engines will use.
 */
export function checkPlan(scope: Scope, ports: readonly number[]): { guard: EgressGuard; space: bigint } {
  const guard = EgressGuard.forScope(scope.targets);
  const space = scope.targets.size * BigInt(ports.length);
  if (space >= MAX_SPACE) {
    throw new TrawlError('TRAWL_E_BAD_TARGET', `probe space of ${space} (addresses × ports) is too large for one scan; split the scope (e.g. --shard) or narrow the IPv6 prefixes`, { space: space.toString() });
  }
  return { guard, space };
}

/**
 * Runs (or resumes) the discover stage of one scan: scope → permuted (address × port) index space
 * → work units → optional host discovery → connect engine → idempotent commits. Progress is
 * committed with a low watermark per unit, so a kill -9 at any moment loses at most the probes in
 * flight, which a resume sends again (and the store's upserts keep each result once).
 */
export async function runScan(request: ScanRequest, opts: ScanRunOptions): Promise<ScanOutcome> {
  const { store } = opts;
  const now = opts.now ?? (() => new Date());
  const req = opts.resume ? requestFromSpec(opts.resume.spec) : request;
  if (req.ports.length === 0) throw new TrawlError('TRAWL_E_BAD_PORTS', 'no ports to scan');
  const scope = opts.scope && !opts.resume ? opts.scope : await scopeOf(req, opts);
  const { guard, space } = checkPlan(scope, req.ports);
  const hosts = scope.targets.size;
  const ports = req.ports;
  const seed = req.seed ?? randomSeed();
  const { start, end } = shardRange(space, req.shard);

  let scan: ScanRecord;
  let units: WorkUnit[];
  if (opts.resume) {
    scan = opts.resume;
    units = await store.listWorkUnits(scan.id, 'discover');
    await store.setScanStatus(scan.id, 'running', null);
  } else {
    const counters: ScanCounters = {
      ...emptyCounters(),
      probesPlanned: end - start,
      probesSkippedBlocklist: scope.blockedAddresses * BigInt(ports.length),
    };
    scan = await store.createScan({ id: newScanId(now().getTime()), spec: specFromRequest(req, scope, seed), counters, createdAt: now().toISOString() });
    units = planUnits(scan.id, 'discover', start, end);
    await store.putWorkUnits(units);
  }

  const hostCount = Number(hosts);
  const portCount = ports.length;
  const perm = createPermutation(space, seed);
  const lookup = hostLookup(scope);
  const trackers = units.filter((u) => u.state !== 'done' && u.checkpoint < u.end).map((u) => new UnitTracker(u));
  let remaining = 0;
  for (const t of trackers) remaining += t.end - t.cursor;
  const alreadyDone = Number(end - start) - remaining;

  let phase = 'discover hosts';
  let doneCount = alreadyDone;
  let sentCount = 0;
  let openFound = Number(scan.counters.openFound);
  const progress = (): ScanProgress => ({ phase, done: doneCount, planned: Number(end - start), sent: sentCount, openFound });
  opts.onStart?.(scan, progress);

  // Host discovery: worth it only when each host gets several probes and there are several hosts.
  let discovery: DiscoveryReport | undefined;
  let discoverySkippedReason: string | undefined;
  let up: Uint8Array | undefined;
  let discoveryMs = 0;
  const wantDiscovery = req.discovery === 'on' || (req.discovery === 'auto' && hostCount > 1 && portCount > TCP_PORTS_WORTH);
  if (remaining === 0) discoverySkippedReason = 'nothing left to scan';
  else if (!wantDiscovery) discoverySkippedReason = req.discovery === 'off' ? 'disabled (-Pn)' : 'not worth it for this scope (probing every address)';
  else if (hostCount > MAX_DISCOVERY_HOSTS) discoverySkippedReason = `scope has more than ${MAX_DISCOVERY_HOSTS} addresses; probing every address`;
  else {
    const discoveryStarted = performance.now();
    const r = await discoverHosts(hostCount, lookup, opts.tuning, guard.check, opts.signal, (n) => { sentCount = n; });
    up = r.up;
    discovery = r.report;
    discoveryMs = performance.now() - discoveryStarted;
  }
  const portScanStarted = performance.now();

  // The port scan proper.
  phase = 'scan ports';
  let trackerIdx = 0;
  let skippedDown = 0;
  type Tag = { tracker: UnitTracker; index: number };
  const source = {
    next(): ConnectProbe<Tag> | undefined {
      while (trackerIdx < trackers.length) {
        const t = trackers[trackerIdx]!;
        if (t.exhausted) {
          trackerIdx++;
          continue;
        }
        const index = t.cursor++;
        const p = perm.atNumber(index);
        const host = p % hostCount;
        if (up && !up[host]) {
          skippedDown++;
          t.finish(index);
          doneCount++;
          continue;
        }
        const h = lookup(host);
        return { ip: h.ip, family: h.family, port: ports[Math.floor(p / hostCount)]!, netKey: h.netKey, tag: { tracker: t, index } };
      }
      return undefined;
    },
  };

  let buffered: PortObservation[] = [];
  let bufferedFor = new Map<UnitTracker, PortObservation[]>();
  const flushed = { sent: 0, discovery: 0, answered: 0, timedOut: 0, retried: 0, skippedDown: 0 };
  let engineStats: ConnectEngineStats = { sent: 0, answered: 0, timedOut: 0, retried: 0, localErrors: 0 };
  let commitChain: Promise<void> = Promise.resolve();
  let commitError: unknown;
  let openSinceFlush = 0;
  const discoverySent = sentCount;

  const flush = (): Promise<void> => {
    const groups = bufferedFor;
    bufferedFor = new Map();
    buffered = [];
    const dirty = trackers.filter((t) => t.dirty || groups.has(t));
    const delta: Partial<ScanCounters> = {
      probesSent: BigInt(engineStats.sent - flushed.sent),
      discoveryProbesSent: BigInt(discoverySent - flushed.discovery),
      probesAnswered: BigInt(engineStats.answered - flushed.answered),
      probesTimedOut: BigInt(engineStats.timedOut - flushed.timedOut),
      probesRetried: BigInt(engineStats.retried - flushed.retried),
      probesSkippedDown: BigInt(skippedDown - flushed.skippedDown),
      openFound: BigInt(openSinceFlush),
    };
    flushed.sent = engineStats.sent;
    flushed.discovery = discoverySent;
    flushed.answered = engineStats.answered;
    flushed.timedOut = engineStats.timedOut;
    flushed.retried = engineStats.retried;
    flushed.skippedDown = skippedDown;
    openSinceFlush = 0;
    const commits = dirty.map((t, i) => ({ t, watermark: t.watermark, observations: groups.get(t) ?? [], counters: i === 0 ? delta : {} }));
    if (commits.length === 0 && Object.values(delta).some((v) => v !== 0n) && trackers[0]) {
      commits.push({ t: trackers[0], watermark: trackers[0].watermark, observations: [], counters: delta });
    }
    commitChain = commitChain.then(async () => {
      for (const c of commits) {
        await store.commitProgress({
          scanId: scan.id,
          stage: 'discover',
          unitIndex: c.t.unit.unitIndex,
          checkpoint: BigInt(c.watermark),
          unitDone: c.watermark >= c.t.end,
          observations: c.observations,
          counters: c.counters,
        });
        c.t.markCommitted(c.watermark);
      }
    }).catch((e: unknown) => {
      commitError ??= e;
    });
    return commitChain;
  };

  const timer = setInterval(() => { void flush(); }, COMMIT_INTERVAL_MS);
  timer.unref();
  const worker = opts.worker;
  try {
    if (remaining > 0 && !opts.signal?.aborted) {
      const initialTimeoutMs = discovery && discovery.maxRttMs > 0
        ? Math.max(opts.tuning.minTimeoutMs, 4 * discovery.maxRttMs)
        : opts.tuning.initialTimeoutMs;
      engineStats = await runConnectEngine(source, { ...opts.tuning, initialTimeoutMs, guard: guard.check, ...(opts.signal ? { signal: opts.signal } : {}) }, (r) => {
        const { tracker, index } = r.probe.tag;
        sentCount = discoverySent + engineStats.sent;
        if (r.state === 'open') {
          const address = lookup(Number(perm.atNumber(index) % hostCount)).address;
          const hostname = scope.hostnameOf(address);
          const o: PortObservation = {
            type: 'port', scanId: scan.id, ip: r.probe.ip, port: r.probe.port, proto: 'tcp', state: 'open',
            ts: now().toISOString(), evidence: r.evidence,
            ...(r.rttMs !== undefined ? { rttMs: Math.round(r.rttMs * 1000) / 1000 } : {}),
            ...(hostname ? { hostname } : {}),
            ...(worker ? { worker } : {}),
          };
          let list = bufferedFor.get(tracker);
          if (!list) bufferedFor.set(tracker, (list = []));
          list.push(o);
          buffered.push(o);
          openFound++;
          openSinceFlush++;
        }
        tracker.finish(index);
        doneCount++;
        if (buffered.length >= COMMIT_BATCH) void flush();
      });
      sentCount = discoverySent + engineStats.sent;
    }
  } finally {
    clearInterval(timer);
    await flush();
  }
  if (commitError) throw commitError instanceof TrawlError ? commitError : new TrawlError('TRAWL_E_DB', `could not record results: ${(commitError as Error).message}`, {}, { cause: commitError });

  const interrupted = opts.signal?.aborted === true && trackers.some((t) => !t.done);
  await store.setScanStatus(scan.id, interrupted ? 'interrupted' : 'done', interrupted ? null : now().toISOString());
  const final = (await store.getScan(scan.id)) ?? scan;
  const portScanMs = performance.now() - portScanStarted;
  return { scan: final, interrupted, discovery, discoverySkippedReason, engine: engineStats, timings: { discoveryMs, portScanMs } };
}

/** Discovery sends up to this many TCP probes per silent host; it pays only with more ports than that. */
const TCP_PORTS_WORTH = 2;
