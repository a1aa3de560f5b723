import { EventEmitter } from 'node:events';
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { identifyService, loadProbeDatabase } from '../engines/identify/index.js';
import { closeSharedMatchPool } from '../engines/identify/nmap/match-pool.js';
import type { IdentifyTarget } from '../engines/identify/service-identity.js';
import { TrawlError } from '../errors/trawl-error.js';
import type { Observation, ServiceObservation } from '../model/observation.js';
import type { ScanRecord } from '../model/scan.js';
import type { LeasedJob } from '../queue/job.js';
import type { JobQueue } from '../queue/job-queue.js';
import { runCheckStage } from '../scan/check-stage.js';
import type { TemplateSet } from '../checks/nuclei/index.js';
import { runDiscoverUnits } from '../scan/discover-units.js';
import { defaultEngineOptions, type EngineTuning } from '../scan/scan-options.js';
import { UnitTracker } from '../scan/unit-tracker.js';
import type { Store } from '../store/store.js';
import { checksOf, jobPolicyOf, tuningOf } from './assessment.js';
import { CHECK_KIND, DISCOVER_KIND, IDENTIFY_KIND, checkJob, parseCheckPayload, parseDiscoverPayload, parseIdentifyPayload } from './fleet-jobs.js';
import { ScanContextCache } from './scan-context-cache.js';
import { advanceAssessment, completeIfDone, openHosts } from './stage-advance.js';

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
  /** Zones served (read at every lease when a function); zone-less jobs are always taken too. */
  readonly zones: readonly string[] | (() => readonly string[]);
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
  /** Extra or replacing handlers by job kind. */
  readonly handlers?: Readonly<Record<string, JobHandler>>;
  /**
   * Which resets to record as closed ports for a scan (the org inventory's open ports, see
   * src/inventory/closed-recorder.ts); asked once per scan and process. Without it only open ports are stored.
   */
  readonly recordClosed?: (scan: ScanRecord) => Promise<((ip: string, port: number) => boolean) | undefined>;
  /** Lets the process running this worker stop a group's jobs at once and wake the lease loop. */
  readonly control?: WorkerControl;
  readonly log?: (line: string) => void;
  /** nuclei templates every check job runs beside its checks (`--templates`). */
  readonly templates?: TemplateSet;
}

/**
 * A handle on workers running in this process (the embedded workers of `trawl serve`): a cancelled
 * assessment's jobs stop now rather than at their next heartbeat, and new work is leased at once.
 * Workers in other processes learn of a cancel from their heartbeat.
 */
export class WorkerControl {
  readonly #events = new EventEmitter();

  constructor() {
    this.#events.setMaxListeners(0);
  }

  /** Stops the in-flight jobs of this group (they are failed as cancelled, with their progress committed). */
  cancelGroup(group: string): void {
    this.#events.emit('cancel', group);
  }

  /** Work was queued: lease now instead of at the next poll. */
  wake(): void {
    this.#events.emit('wake');
  }

  on(event: 'cancel', listener: (group: string) => void): () => void;
  on(event: 'wake', listener: () => void): () => void;
  on(event: 'cancel' | 'wake', listener: (group: string) => void): () => void {
    this.#events.on(event, listener);
    return () => this.#events.off(event, listener);
  }
}

/**
 * The store as a check job sees it: reads go through, the facts it records are collected instead, so
 * the job commits them together with its unit's completion, or not at all when it is stopped part way.
 * (A partial fact would win over the complete one of the redelivery: observations keep the first.)
 */
function collectingStore(store: Store, sink: Observation[]): Store {
  return new Proxy(store, {
    get(target, prop) {
      if (prop === 'recordObservations') {
        return async (_scanId: string, observations: readonly Observation[]): Promise<void> => {
          sink.push(...observations);
        };
      }
      const v: unknown = Reflect.get(target, prop, target);
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
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

/**
 * Whether a job failed because the store could not be reached (server restarting, network cut): the
 * adapter marks such errors `unreachable` (see src/store/postgres/postgres-errors.ts). Followed through
 * `cause`, since a handler may wrap the store's error in its own.
 */
export function isStoreUnreachable(error: unknown): boolean {
  for (let e = error, depth = 0; e instanceof Error && depth < 8; e = e.cause, depth++) {
    if (e instanceof TrawlError && e.code === 'TRAWL_E_DB' && e.detail['unreachable'] === true) return true;
  }
  return false;
}

/** A default worker id that tells hosts and processes apart in the store's `worker` fields. */
export function defaultWorkerId(): string {
  return `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
}

/**
 * The fleet worker loop: leases jobs of its zones, heartbeats while they run, runs each (a discover
 * unit from its checkpoint, the identification of one host's open ports, or one host's checks), and acks only after the
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
  /**
   * The worker's tuning with the assessment's own retries and probe rate. The rate is the scan's
   * whole budget in this process: split over the jobs of the scan it may run at once (its concurrency,
   * or fewer when the scan has fewer units), so N worker processes send at most N times the rate.
   */
  const tuningFor = (scan: ScanRecord): EngineTuning => {
    const t = tuningOf(scan);
    let rate = t.globalRate;
    if (rate !== undefined) {
      const unitSize = BigInt(typeof scan.spec.options['unitSize'] === 'number' ? scan.spec.options['unitSize'] : 4096);
      const units = Number((scan.counters.probesPlanned + unitSize - 1n) / unitSize);
      rate = Math.max(1, Math.floor(rate / Math.max(1, Math.min(concurrency, units))));
      if (tuning.globalRate > 0) rate = Math.min(tuning.globalRate, rate);
    }
    return { ...tuning, ...(rate !== undefined ? { globalRate: rate } : {}), ...(t.retries !== undefined ? { retries: t.retries } : {}) };
  };
  const closedWatch = new Map<string, Promise<((ip: string, port: number) => boolean) | undefined>>();
  const recordClosedFor = (scan: ScanRecord): Promise<((ip: string, port: number) => boolean) | undefined> => {
    if (opts.recordClosed === undefined) return Promise.resolve(undefined);
    let p = closedWatch.get(scan.id);
    if (p === undefined) {
      if (closedWatch.size >= 64) closedWatch.delete(closedWatch.keys().next().value as string);
      // Without the watch list the scan still finds every open port; only closing evidence is lost.
      p = opts.recordClosed(scan).catch((e: unknown) => {
        log(`worker ${id}: no closed-port watch list for scan ${scan.id}: ${(e as Error).message}`);
        return undefined;
      });
      closedWatch.set(scan.id, p);
    }
    return p;
  };
  /** A job of a scan that is no longer running (cancelled, interrupted, done) has nothing to do. */
  const stillRunning = async (scanId: string): Promise<boolean> => (await store.getScan(scanId))?.status === 'running';

  let probeDb: ReturnType<typeof loadProbeDatabase> | undefined;
  const handlers: Record<string, JobHandler> = {
    [DISCOVER_KIND]: async (job, ctx) => {
      const p = parseDiscoverPayload(job.payload);
      const sc = await contexts.get(p.scanId);
      const unit = (await store.listWorkUnits(p.scanId, 'discover')).find((u) => u.unitIndex === p.unit);
      if (unit === undefined) throw new TrawlError('TRAWL_E_INTERNAL', `scan ${p.scanId} has no discover unit ${p.unit}`, { scanId: p.scanId, unit: p.unit });
      if (!(await stillRunning(p.scanId))) return 'done';
      if (unit.state !== 'done' && unit.checkpoint < unit.end) {
        const tuning = tuningFor(sc.scan);
        const recordClosed = await recordClosedFor(sc.scan);
        const hosts = await sc.hostsUp(tuning);
        const tracker = new UnitTracker(unit);
        const probes = hosts?.probesToCount ?? 0;
        if (hosts) hosts.probesToCount = 0;
        const initialTimeoutMs = hosts && hosts.maxRttMs > 0 ? Math.max(tuning.minTimeoutMs, 4 * hosts.maxRttMs) : tuning.initialTimeoutMs;
        await runDiscoverUnits(sc.space, [tracker], {
          store, tuning, guard: sc.guard.check, initialTimeoutMs, discoveryProbes: probes, signal: ctx.signal, worker: id,
          ...(hosts ? { up: hosts.up } : {}),
          ...(recordClosed ? { recordClosed } : {}),
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
      if (!(await stillRunning(p.scanId))) return 'done';
      probeDb ??= loadProbeDatabase(opts.datadir);
      const db = probeDb.db;
      const family = p.ip.includes(':') ? 6 : 4;
      // A redelivered job (its worker died part way) identifies only what is still unidentified: each
      // port's fact was committed as it came, so progress survives any number of crashes.
      const host = (await openHosts(store, p.scanId)).hosts.find((h) => h.ip === p.ip);
      const queueOfPorts = p.ports.filter((port) => host === undefined || host.unidentified.includes(port));
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
      // The host is identified: its checks can run now, whatever other hosts are doing. Queued before
      // the ack, so a crash in between redelivers this job, which queues it again (deduplicated).
      if (p.checkUnit !== undefined && checksOf(sc.scan) !== undefined) {
        await queue.enqueue([checkJob({ scanId: p.scanId, unit: p.checkUnit, ip: p.ip }, jobPolicyOf(sc.scan))]);
      }
      await completeIfDone(store, sc.scan);
      return 'done';
    },
    [CHECK_KIND]: async (job, ctx) => {
      const p = parseCheckPayload(job.payload);
      const sc = await contexts.get(p.scanId);
      const selection = checksOf(sc.scan);
      if (selection === undefined) throw new TrawlError('TRAWL_E_INTERNAL', `scan ${p.scanId} runs no checks`, { scanId: p.scanId });
      const unit = (await store.listWorkUnits(p.scanId, 'check')).find((u) => u.unitIndex === p.unit);
      if (unit === undefined) throw new TrawlError('TRAWL_E_INTERNAL', `scan ${p.scanId} has no check unit ${p.unit}`, { scanId: p.scanId, unit: p.unit });
      if (!(await stillRunning(p.scanId))) return 'done';
      if (unit.state !== 'done') {
        const facts: Observation[] = [];
        await runCheckStage({ store: collectingStore(store, facts), scanId: p.scanId, host: p.ip, selection, guard: sc.guard.check, signal: ctx.signal, worker: id, ...(opts.templates ? { templates: opts.templates } : {}) });
        if (ctx.signal.aborted) return 'incomplete';
        // The host's findings and its unit's completion in one transaction: exactly once, whatever
        // the redeliveries (a rerun after the commit finds the unit done; observations are upserts).
        await store.commitProgress({ scanId: p.scanId, stage: 'check', unitIndex: p.unit, checkpoint: unit.end, unitDone: true, observations: facts, counters: {} });
      }
      await completeIfDone(store, sc.scan);
      return 'done';
    },
    ...opts.handlers,
  };

  /** Set when a job failed on an unreachable store; the lease loop probes the store before leasing again. */
  let storeDownSince: number | undefined;
  let storeProbeLogged = false;
  interface Entry { readonly job: LeasedJob; readonly abort: AbortController; cancelled: boolean; done?: Promise<void> }
  // The very entry runJob reads: a cancel flags it where the job's outcome is decided.
  const inFlight = new Map<string, Entry>();
  let wake: (() => void) | undefined;
  const nudge = (): void => {
    wake?.();
  };
  signal.addEventListener('abort', nudge, { once: true });
  const cancelEntry = (entry: Entry): void => {
    if (entry.cancelled) return;
    entry.cancelled = true;
    entry.abort.abort(new TrawlError('TRAWL_E_INTERRUPTED', `job ${entry.job.id} was cancelled`));
  };
  const unsubscribe = [
    opts.control?.on('cancel', (group) => {
      for (const e of inFlight.values()) if (e.job.group === group) cancelEntry(e);
    }),
    opts.control?.on('wake', nudge),
  ];

  const runJob = async (job: LeasedJob, entry: Entry): Promise<void> => {
    let lost = false;
    const beat = setInterval(() => {
      queue.heartbeat(job.id, job.leaseToken, visibilityMs).then((r) => {
        if (r.cancelled) cancelEntry(entry);
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
      } else if (entry.cancelled) {
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
      if (isStoreUnreachable(e)) storeDownSince ??= Date.now();
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
      // While the store is unreachable every job would fail at its first read, and each failure uses
      // an attempt (a lease is an attempt): leasing on would burn the attempts of the whole queue and
      // dead-letter work over a store restart or a short partition. So stop leasing until the store
      // answers a read again; the jobs that were in flight fail once each and retry after their backoff.
      if (storeDownSince !== undefined) {
        try {
          await store.getScan('store-probe');
          log(`worker ${id}: store reachable again after ${Date.now() - storeDownSince} ms`);
          storeDownSince = undefined;
        } catch (e) {
          if (!storeProbeLogged) log(`worker ${id}: store unreachable, not leasing until it answers: ${(e as Error).message}`);
          storeProbeLogged = true;
        }
      }
      if (storeDownSince === undefined) storeProbeLogged = false;
      const free = storeDownSince === undefined ? concurrency - inFlight.size : 0;
      let leased: LeasedJob[] = [];
      if (free > 0) {
        try {
          leased = await queue.lease({ id, zones: typeof opts.zones === 'function' ? opts.zones() : opts.zones }, { max: free, visibilityMs });
          if (queueDownSince !== undefined) log(`worker ${id}: queue reachable again`);
          queueDownSince = undefined;
        } catch (e) {
          if (queueDownSince === undefined) log(`worker ${id}: cannot lease: ${(e as Error).message}`);
          queueDownSince ??= Date.now();
        }
      }
      for (const job of leased) {
        stats.leased++;
        const entry: Entry = { job, abort: new AbortController(), cancelled: false };
        const done = runJob(job, entry).finally(() => {
          inFlight.delete(job.id + job.leaseToken);
          nudge();
        });
        entry.done = done;
        inFlight.set(job.id + job.leaseToken, entry);
      }
      if (signal.aborted) break;
      if (leased.length === 0 || inFlight.size >= concurrency) {
        // Wait for a free slot, the poll interval, or shutdown.
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, storeDownSince !== undefined || queueDownSince !== undefined ? 1000 : inFlight.size >= concurrency ? 60_000 : pollMs);
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
    for (const off of unsubscribe) off?.();
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
