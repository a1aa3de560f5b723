import { runConnectEngine, type ConnectProbe, type ConnectEngineStats } from '../engines/connect/connect-engine.js';
import { networkKeyV4 } from '../engines/connect/network-pacer.js';
import { TrawlError } from '../errors/index.js';
import type { PortObservation } from '../model/observation.js';
import type { ScanCounters } from '../model/scan.js';
import type { Permutation } from '../plan/keyed-permutation.js';
import { formatIp, ipv4, ipv4ToString, type IpAddress } from '../scope/ip-address.js';
import type { Scope } from '../scope/scope-builder.js';
import type { Store } from '../store/store.js';
import type { DiscoveryHost } from './host-discovery.js';
import type { EngineTuning } from './scan-options.js';
import type { UnitTracker } from './unit-tracker.js';

/**
 * Executing discover work units: the part of a scan that the single-process runner (`runScan`) and a
 * fleet worker (src/fleet) share. Given the scan's permuted (address × port) space and some units,
 * it feeds their unfinished indices to the connect engine and commits progress in batches, each
 * commit carrying the unit's new low watermark, its observations and counter increments, so a kill -9
 * at any moment loses at most the probes in flight.
 */

const COMMIT_INTERVAL_MS = 250;
const COMMIT_BATCH = 4000;

/** What is needed to turn an index of the scan's space into a probe. */
export interface DiscoverSpace {
  readonly scanId: string;
  readonly scope: Scope;
  readonly ports: readonly number[];
  readonly perm: Permutation;
  readonly hostCount: number;
  readonly lookup: (i: number) => DiscoveryHost & { address: IpAddress };
}

/** Live tallies a caller reads for progress display; the function adds to them as it goes. */
export interface UnitRunTally {
  done: number;
  sent: number;
  openFound: number;
}

export interface UnitRunOptions {
  readonly store: Store;
  readonly tuning: EngineTuning;
  readonly guard: (ip: string, family: 4 | 6) => void;
  /** The probe timeout before RTT samples exist (the runner seeds it from host discovery). */
  readonly initialTimeoutMs: number;
  /** Host bitmap from host discovery: probes of hosts found down are skipped and counted. */
  readonly up?: Uint8Array;
  /** Host-discovery probes to add to the counters with the first commit. */
  readonly discoveryProbes?: number;
  readonly signal?: AbortSignal;
  readonly worker?: string;
  readonly now?: () => Date;
  /** See ScanRunOptions.recordClosed. */
  readonly recordClosed?: (ip: string, port: number) => boolean;
  readonly tally?: UnitRunTally;
}

/** Maps host indices to addresses without bigint work for IPv4 scopes. */
export function hostLookup(scope: Scope): (i: number) => DiscoveryHost & { address: IpAddress } {
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

/**
 * Runs the unfinished part of each tracker's unit, committing as it goes (and a last time before
 * returning, also when aborted or failing). Throws TRAWL_E_DB when a commit failed.
 */
export async function runDiscoverUnits(space: DiscoverSpace, trackers: readonly UnitTracker[], opts: UnitRunOptions): Promise<ConnectEngineStats> {
  const { perm, hostCount, lookup, ports, scope } = space;
  const { store } = opts;
  const now = opts.now ?? (() => new Date());
  const tally: UnitRunTally = opts.tally ?? { done: 0, sent: 0, openFound: 0 };
  const up = opts.up;
  const discoverySent = opts.discoveryProbes ?? 0;
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
          tally.done++;
          continue;
        }
        const h = lookup(host);
        return { ip: h.ip, family: h.family, port: ports[Math.floor(p / hostCount)]!, netKey: h.netKey, tag: { tracker: t, index } };
      }
      return undefined;
    },
  };

  let buffered = 0;
  let bufferedFor = new Map<UnitTracker, PortObservation[]>();
  const flushed = { sent: 0, discovery: 0, answered: 0, timedOut: 0, retried: 0, skippedDown: 0 };
  // The engine counts into this object as it goes: every batch commit below carries the probes sent
  // and answered since the previous one, so a unit's counters move while it runs, not only at its end.
  const engineStats: ConnectEngineStats = { sent: 0, answered: 0, timedOut: 0, retried: 0, localErrors: 0 };
  let commitChain: Promise<void> = Promise.resolve();
  let commitError: unknown;
  let openSinceFlush = 0;

  /**
   * The increment of one counter since the last commit. The engine takes a probe back out of `sent`
   * when a local error (EMFILE…) requeues it, so a live reading can drop below what was committed:
   * nothing is added then (the store's counters only grow) until the count has passed it again.
   */
  const advance = (key: keyof typeof flushed, now: number): bigint => {
    const d = now - flushed[key];
    if (d <= 0) return 0n;
    flushed[key] = now;
    return BigInt(d);
  };

  const flush = (): Promise<void> => {
    const groups = bufferedFor;
    bufferedFor = new Map();
    buffered = 0;
    const dirty = trackers.filter((t) => t.dirty || groups.has(t));
    const delta: Partial<ScanCounters> = {
      probesSent: advance('sent', engineStats.sent),
      discoveryProbesSent: advance('discovery', discoverySent),
      probesAnswered: advance('answered', engineStats.answered),
      probesTimedOut: advance('timedOut', engineStats.timedOut),
      probesRetried: advance('retried', engineStats.retried),
      probesSkippedDown: advance('skippedDown', skippedDown),
      openFound: BigInt(openSinceFlush),
    };
    openSinceFlush = 0;
    const commits = dirty.map((t, i) => ({ t, watermark: t.watermark, observations: groups.get(t) ?? [], counters: i === 0 ? delta : {} }));
    if (commits.length === 0 && Object.values(delta).some((v) => v !== 0n) && trackers[0]) {
      commits.push({ t: trackers[0], watermark: trackers[0].watermark, observations: [], counters: delta });
    }
    commitChain = commitChain.then(async () => {
      for (const c of commits) {
        await store.commitProgress({
          scanId: space.scanId,
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

  const push = (tracker: UnitTracker, o: PortObservation): void => {
    let list = bufferedFor.get(tracker);
    if (!list) bufferedFor.set(tracker, (list = []));
    list.push(o);
    buffered++;
  };

  const timer = setInterval(() => { void flush(); }, COMMIT_INTERVAL_MS);
  timer.unref();
  const worker = opts.worker;
  const recordClosed = opts.recordClosed;
  const sentBefore = tally.sent;
  try {
    if (trackers.some((t) => !t.exhausted) && !opts.signal?.aborted) {
      await runConnectEngine(source, { ...opts.tuning, initialTimeoutMs: opts.initialTimeoutMs, guard: opts.guard, stats: engineStats, ...(opts.signal ? { signal: opts.signal } : {}) }, (r) => {
        const { tracker, index } = r.probe.tag;
        tally.sent = sentBefore + engineStats.sent;
        if (r.state === 'open') {
          const address = lookup(Number(perm.atNumber(index) % hostCount)).address;
          const hostname = scope.hostnameOf(address);
          push(tracker, {
            type: 'port', scanId: space.scanId, ip: r.probe.ip, port: r.probe.port, proto: 'tcp', state: 'open',
            ts: now().toISOString(), evidence: r.evidence,
            ...(r.rttMs !== undefined ? { rttMs: Math.round(r.rttMs * 1000) / 1000 } : {}),
            ...(hostname ? { hostname } : {}),
            ...(worker ? { worker } : {}),
          });
          tally.openFound++;
          openSinceFlush++;
        } else if (r.state === 'closed' && recordClosed !== undefined && recordClosed(r.probe.ip, r.probe.port)) {
          push(tracker, {
            type: 'port', scanId: space.scanId, ip: r.probe.ip, port: r.probe.port, proto: 'tcp', state: 'closed',
            ts: now().toISOString(), evidence: r.evidence,
            ...(worker ? { worker } : {}),
          });
        }
        tracker.finish(index);
        tally.done++;
        if (buffered >= COMMIT_BATCH) void flush();
      });
      tally.sent = sentBefore + engineStats.sent;
    }
  } finally {
    clearInterval(timer);
    await flush();
  }
  if (commitError) throw commitError instanceof TrawlError ? commitError : new TrawlError('TRAWL_E_DB', `could not record results: ${(commitError as Error).message}`, {}, { cause: commitError });
  return engineStats;
}
