import type { ConnectEngineStats } from '../engines/connect/connect-engine.js';
import { TrawlError } from '../errors/index.js';
import { emptyCounters, type ScanCounters, type ScanRecord, type ScanSpec } from '../model/scan.js';
import type { WorkUnit } from '../model/work-unit.js';
import { createPermutation } from '../plan/keyed-permutation.js';
import { randomSeed } from '../plan/seed.js';
import { shardRange, type Shard } from '../plan/shard.js';
import { planUnits } from '../plan/unit-planner.js';
import { EgressGuard } from '../safety/egress-guard.js';
import { buildScope, type Scope } from '../scope/scope-builder.js';
import type { Store } from '../store/store.js';
import { discoverHosts, type DiscoveryReport } from './host-discovery.js';
import { hostLookup, runDiscoverUnits } from './discover-units.js';
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
  /** Run the identify stage on open ports after discovery (-sV). */
  readonly identify?: boolean;
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
  /**
   * Asked for each port that answered with a reset: true stores a 'closed' observation (evidence
   * 'reset') for it. Only open ports are stored otherwise; the inventory needs the reset as evidence
   * that a port it holds as open went away (src/inventory/closed-recorder.ts builds this predicate).
   */
  readonly recordClosed?: (ip: string, port: number) => boolean;
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
  /** The scan's egress guard, for later stages that send traffic (identify, checks). */
  readonly guard: EgressGuard;
  /** Whether the identify stage was asked for (on resume: by the original scan). */
  readonly identify: boolean;
  /** Wall time of host discovery and of the port scan, in milliseconds. */
  readonly timings: { readonly discoveryMs: number; readonly portScanMs: number };
}

/** Probe spaces beyond 2^52 (e.g. a whole IPv6 /64) are refused rather than silently truncated. */
const MAX_SPACE = 2n ** 52n;
/** Host discovery keeps a byte per address; above this the scan probes every address. */
export const MAX_DISCOVERY_HOSTS = 1 << 22;

export function specFromRequest(r: ScanRequest, scope: Scope, seed: bigint): ScanSpec {
  return {
    targets: [...r.targets],
    targetFiles: [...r.targetFiles],
    excludes: [...r.excludes],
    excludeFiles: [...r.excludeFiles],
    ports: [...r.ports],
    resolved: scope.resolved,
    seed: seed.toString(),
    shard: { index: r.shard.index, count: r.shard.count },
    options: { applyBlocklist: r.applyBlocklist, discovery: r.discovery, identify: r.identify === true },
  };
}

export function requestFromSpec(spec: ScanSpec): ScanRequest {
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
    identify: spec.options['identify'] === true,
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
  const tally = { done: alreadyDone, sent: 0, openFound: Number(scan.counters.openFound) };
  const progress = (): ScanProgress => ({ phase, done: tally.done, planned: Number(end - start), sent: tally.sent, openFound: tally.openFound });
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
    const r = await discoverHosts(hostCount, lookup, opts.tuning, guard.check, opts.signal, (n) => { tally.sent = n; });
    up = r.up;
    discovery = r.report;
    discoveryMs = performance.now() - discoveryStarted;
  }
  const portScanStarted = performance.now();

  // The port scan proper.
  phase = 'scan ports';
  const initialTimeoutMs = discovery && discovery.maxRttMs > 0
    ? Math.max(opts.tuning.minTimeoutMs, 4 * discovery.maxRttMs)
    : opts.tuning.initialTimeoutMs;
  const engineStats: ConnectEngineStats = await runDiscoverUnits({ scanId: scan.id, scope, ports, perm, hostCount, lookup }, trackers, {
    store,
    tuning: opts.tuning,
    guard: guard.check,
    initialTimeoutMs,
    discoveryProbes: tally.sent,
    tally,
    now,
    ...(up ? { up } : {}),
    ...(opts.signal ? { signal: opts.signal } : {}),
    ...(opts.worker !== undefined ? { worker: opts.worker } : {}),
    ...(opts.recordClosed ? { recordClosed: opts.recordClosed } : {}),
  });

  const interrupted = opts.signal?.aborted === true && trackers.some((t) => !t.done);
  await store.setScanStatus(scan.id, interrupted ? 'interrupted' : 'done', interrupted ? null : now().toISOString());
  const final = (await store.getScan(scan.id)) ?? scan;
  const portScanMs = performance.now() - portScanStarted;
  return { scan: final, interrupted, discovery, discoverySkippedReason, engine: engineStats, guard, identify: req.identify === true, timings: { discoveryMs, portScanMs } };
}

/** Discovery sends up to this many TCP probes per silent host; it pays only with more ports than that. */
export const TCP_PORTS_WORTH = 2;
