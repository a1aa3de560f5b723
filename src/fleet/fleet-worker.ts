import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { identifyService, loadProbeDatabase } from '../engines/identify/index.js';
import { closeSharedMatchPool } from '../engines/identify/nmap/match-pool.js';
import type { IdentifyTarget } from '../engines/identify/service-identity.js';
import { TrawlError } from '../errors/trawl-error.js';
import type { ServiceObservation } from '../model/observation.js';
import type { LeasedJob } from '../queue/job.js';
import type { JobQueue } from '../queue/job-queue.js';
import { runDiscoverUnits } from '../scan/discover-units.js';
import { defaultEngineOptions, type EngineTuning } from '../scan/scan-options.js';
import { UnitTracker } from '../scan/unit-tracker.js';
import type { Store } from '../store/store.js';
import { DISCOVER_KIND, IDENTIFY_KIND, parseDiscoverPayload, parseIdentifyPayload } from './fleet-jobs.js';
import { ScanContextCache } from './scan-context-cache.js';
import { advanceAssessment } from './stage-advance.js';

/** What a job handler reports: its work is committed in full, or it stopped early (abort) and must be resumed. */
export type JobOutcome = 'done' | 'incomplete';

export interface JobContext {
  readonly store: Store;
  readonly queue: JobQueue;
  /** Aborted when the lease is lost, the job's group is cancelled, or the worker shuts down. */
  readonly signal: AbortSignal;
  readonly workerId: string;
}

export type JobHandler = (job: LeasedJob, ctx: JobContext) => Promise<JobOutcome>;

export interface WorkerOptions {
  readonly store: Store;
  readonly queue: JobQueue;
  /** Zones served; zone-less jobs are always taken too. */
  readonly zones: readonly string[];
  /** Jobs run at once. */
  readonly concurrency: number;
  /** Aborting it stops leasing; in-flight jobs get `drainMs` to finish, then are stopped and released. */
  readonly signal: AbortSignal;
  readonly id?: string;
  /** Lease length; a heartbeat renews it every third of it. Default 30 s. */
  readonly visibilityMs?: number;
  /** Pause between empty lease polls. Default 250 ms. */
  readonly pollMs?: number;
  readonly drainMs?: number;
  /** Engine tuning for the whole worker; the connection budget is shared by the concurrent jobs. */
  readonly tuning?: EngineTuning;
  /** nmap probe rarity limit for identify jobs (default 7). */
  readonly intensity?: number;
  readonly datadir?: string;
  /** Extra or replacing handlers by job kind (later stages such as checks plug in here). */
  readonly handlers?: Readonly<Record<string, JobHandler>>;
  readonly log?: (line: string) => void;
}

export interface WorkerStats {
  leased: number;
  acked: number;
  failed: number;
  /** Stopped by shutdown and handed back (their progress committed). */
  released: number;
  /** Lost to expiry or to another lease holder; their work is redone by whoever holds the lease. */
  lost: number;
}

/** A default worker id that tells hosts and processes apart in the store's `worker` fields. */
export function defaultWorkerId(): string {
  return `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
}

/**
 * The fleet worker loop: leases jobs of its zones, heartbeats while they run, runs each (a discover
 * unit from its checkpoint, or the identification of one host's open ports), and acks only after the
 * job's results and the unit's completion are committed to the store, so an ack never gets ahead of
 * the record of work. A crash at any point leaves the lease to expire and the job to be redelivered;
 * its results are upserts and its checkpoint only moves forward, so nothing is duplicated. A job that
 * keeps failing (or crashing its workers) uses up its attempts and is dead-lettered with its error.
 */
export async function runWorker(opts: WorkerOptions): Promise<WorkerStats> {
  const { store, queue, signal } = opts;
  const id = opts.id ?? defaultWorkerId();
  const visibilityMs = opts.visibilityMs ?? 30_000;
  const pollMs = opts.pollMs ?? 250;
  const drainMs = opts.drainMs ?? 10_000;
  const concurrency = Math.max(1, Math.floor(opts.concurrency));
  const log = opts.log ?? (() => {});
  const base = opts.tuning ?? defaultEngineOptions();
  // Concurrent jobs share the process's connection budget.
  const perJob = Math.max(16, Math.floor(base.concurrency / concurrency));
  const tuning: EngineTuning = { ...base, concurrency: perJob, perNetworkInFlight: Math.min(base.perNetworkInFlight, perJob) };
  const contexts = new ScanContextCache(store);
  const stats: WorkerStats = { leased: 0, acked: 0, failed: 0, released: 0, lost: 0 };

  let probeDb: ReturnType<typeof loadProbeDatabase> | undefined;
  const handlers: Record<string, JobHandler> = {
    [DISCOVER_KIND]: async (job, ctx) => {
      const p = parseDiscoverPayload(job.payload);
      const sc = await contexts.get(p.scanId);
      const unit = (await store.listWorkUnits(p.scanId, 'discover')).find((u) => u.unitIndex === p.unit);
      if (unit === undefined) throw new TrawlError('TRAWL_E_INTERNAL', `scan ${p.scanId} has no discover unit ${p.unit}`, { scanId: p.scanId, unit: p.unit });
      if (unit.state !== 'done' && unit.checkpoint < unit.end) {
        const hosts = await sc.hostsUp(tuning);
        const tracker = new UnitTracker(unit);
        const probes = hosts?.probesToCount ?? 0;
        if (hosts) hosts.probesToCount = 0;
        const initialTimeoutMs = hosts && hosts.maxRttMs > 0 ? Math.max(tuning.minTimeoutMs, 4 * hosts.maxRttMs) : tuning.initialTimeoutMs;
        await runDiscoverUnits(sc.space, [tracker], {
          store, tuning, guard: sc.guard.check, initialTimeoutMs, discoveryProbes: probes, signal: ctx.signal, worker: id,
          ...(hosts ? { up: hosts.up } : {}),
        });
        if (!tracker.done) return 'incomplete';
      }
      // The unit is committed done: move the assessment on (also when a redelivery finds it done, since
      // the worker that finished it may have died before doing this).
      await advanceAssessment(store, queue, sc.scan);
      return 'done';
    },
    [IDENTIFY_KIND]: async (job, ctx) => {
      const p = parseIdentifyPayload(job.payload);
      const sc = await contexts.get(p.scanId);
      probeDb ??= loadProbeDatabase(opts.datadir);
      const db = probeDb.db;
      const family = p.ip.includes(':') ? 6 : 4;
      const queueOfPorts = [...p.ports];
      // A few ports of the host at once, as the embedded identify stage does per host.
      const lanes = Array.from({ length: Math.min(8, queueOfPorts.length) }, async () => {
        for (let port = queueOfPorts.shift(); port !== undefined && !ctx.signal.aborted; port = queueOfPorts.shift()) {
          const target: IdentifyTarget = { ip: p.ip, port, family };
          const service = await identifyService(target, { db, intensity: opts.intensity ?? 7, guard: sc.guard.check, signal: ctx.signal });
          if (ctx.signal.aborted) return;
          const fact: ServiceObservation = { type: 'service', scanId: p.scanId, ip: p.ip, port, proto: 'tcp', ts: new Date().toISOString(), service, worker: id };
          await store.recordObservations(p.scanId, [fact]);
        }
      });
      await Promise.all(lanes);
      if (ctx.signal.aborted) return 'incomplete';
      await advanceAssessment(store, queue, sc.scan);
      return 'done';
    },
    ...opts.handlers,
  };

  const inFlight = new Map<string, { done: Promise<void>; abort: AbortController; shutdown: boolean }>();
  let wake: (() => void) | undefined;
  const nudge = (): void => {
    wake?.();
  };
  signal.addEventListener('abort', nudge, { once: true });

  const runJob = async (job: LeasedJob, entry: { abort: AbortController; shutdown: boolean }): Promise<void> => {
    let lost = false;
    let cancelled = false;
    const beat = setInterval(() => {
      queue.heartbeat(job.id, job.leaseToken, visibilityMs).then((r) => {
        if (r.cancelled && !cancelled) {
          cancelled = true;
          entry.abort.abort(new TrawlError('TRAWL_E_INTERRUPTED', `job ${job.id} was cancelled`));
        }
      }, (e: unknown) => {
        if (e instanceof TrawlError && e.code === 'TRAWL_E_LEASE_LOST') {
          lost = true;
          entry.abort.abort(e);
        }
        // Other errors (Redis briefly down): try again at the next beat; the lease is still ours until it expires.
      });
    }, Math.max(50, Math.floor(visibilityMs / 3)));
    beat.unref();
    try {
      const handler = handlers[job.kind];
      if (handler === undefined) throw new TrawlError('TRAWL_E_INTERNAL', `no handler for job kind "${job.kind}"`, { kind: job.kind });
      const outcome = await handler(job, { store, queue, signal: entry.abort.signal, workerId: id });
      clearInterval(beat);
      if (lost) {
        stats.lost++;
      } else if (outcome === 'done') {
        await queue.ack(job.id, job.leaseToken).then(() => { stats.acked++; }, (e: unknown) => {
          // The store has the work; a lost ack only means the job runs again and finds it done.
          stats.lost++;
          log(`worker ${id}: ack of ${job.id} failed: ${(e as Error).message}`);
        });
      } else if (cancelled) {
        await queue.fail(job.id, job.leaseToken, 'cancelled').catch(() => {});
        stats.failed++;
      } else {
        // Stopped early with its progress committed: hand the lease back by letting it expire now.
        await queue.heartbeat(job.id, job.leaseToken, 1).catch(() => {});
        stats.released++;
      }
    } catch (e) {
      clearInterval(beat);
      if (lost) {
        stats.lost++;
        return;
      }
      stats.failed++;
      const err = e instanceof Error ? e : new Error(String(e));
      log(`worker ${id}: job ${job.id} (${job.kind}, attempt ${job.attempt}/${job.maxAttempts}) failed: ${err.message}`);
      await queue.fail(job.id, job.leaseToken, err).then((r) => {
        if (r.outcome === 'dead') log(`worker ${id}: job ${job.id} dead-lettered`);
      }, (fe: unknown) => log(`worker ${id}: could not fail ${job.id}: ${(fe as Error).message}`));
    }
  };

  let queueDownSince: number | undefined;
  try {
    while (!signal.aborted) {
      const free = concurrency - inFlight.size;
      let leased: LeasedJob[] = [];
      if (free > 0) {
        try {
          leased = await queue.lease({ id, zones: opts.zones }, { max: free, visibilityMs });
          if (queueDownSince !== undefined) log(`worker ${id}: queue reachable again`);
          queueDownSince = undefined;
        } catch (e) {
          if (queueDownSince === undefined) log(`worker ${id}: cannot lease: ${(e as Error).message}`);
          queueDownSince ??= Date.now();
        }
      }
      for (const job of leased) {
        stats.leased++;
        const entry = { abort: new AbortController(), shutdown: false };
        const done = runJob(job, entry).finally(() => {
          inFlight.delete(job.id + job.leaseToken);
          nudge();
        });
        inFlight.set(job.id + job.leaseToken, { ...entry, done });
      }
      if (signal.aborted) break;
      if (leased.length === 0 || inFlight.size >= concurrency) {
        // Wait for a free slot, the poll interval, or shutdown.
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, inFlight.size >= concurrency ? 60_000 : queueDownSince !== undefined ? 1000 : pollMs);
          wake = () => {
            clearTimeout(t);
            resolve();
          };
        });
        wake = undefined;
      }
    }
  } finally {
    signal.removeEventListener('abort', nudge);
    // Shutdown: no more leases; give in-flight jobs a grace period, then stop them (they commit what
    // they did) and release their leases.
    const all = [...inFlight.values()];
    if (all.length > 0) {
      const drained = Promise.all(all.map((e) => e.done)).then(() => true);
      const finished = await Promise.race([drained, sleep(drainMs).then(() => false)]);
      if (!finished) {
        for (const e of all) e.abort.abort(new TrawlError('TRAWL_E_INTERRUPTED', 'worker shutting down'));
        await drained;
      }
    }
    if (probeDb?.db) await closeSharedMatchPool(probeDb.db).catch(() => {});
  }
  return stats;
}
