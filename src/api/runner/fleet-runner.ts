import type { Kysely } from 'kysely';
import { TrawlError } from '../../errors/trawl-error.js';
import { enqueueAssessment, isFleetScan, jobPolicyOf, type FleetStage } from '../../fleet/assessment.js';
import type { EmbeddedWorkers } from '../../fleet/embedded-workers.js';
import { assessmentStatus, type AssessmentStatus } from '../../fleet/fleet-status.js';
import { reconcileAssessment } from '../../fleet/stage-advance.js';
import type { ScanRecord } from '../../model/scan.js';
import type { JobQueue } from '../../queue/job-queue.js';
import type { Database, OrgScanStatus } from '../../store/schema.js';
import type { Store } from '../../store/store.js';
import { nowIso } from '../ids.js';
import { getAssessment, releaseAssessment } from '../queries/assessment-queries.js';
import { finishOrgScan, recordOrgScan } from '../queries/scan-queries.js';
import type { AssessmentRunner, LiveRun, RunRequest } from './assessment-runner.js';
import { DEFAULT_RUN_STAGES, type FinishedRun, type RunStages } from './in-process-runner.js';
import type { LiveProgress, RunEvents } from './run-events.js';

export interface FleetRunnerOptions {
  readonly db: Kysely<Database>;
  readonly store: Store;
  readonly queue: JobQueue;
  readonly events: RunEvents;
  /** Stages after the port scan (default: identify, then the safe checks); null: ports only. */
  readonly stages?: RunStages | null;
  readonly afterRun?: (run: FinishedRun) => Promise<void>;
  readonly onError?: (error: unknown, context: string) => void;
  /** How often a run's progress is read from the store and published (default 250 ms, at least 50). */
  readonly progressIntervalMs?: number;
  /** How often a run's per-stage status (queue states included) is read (default 1 s). */
  readonly statusIntervalMs?: number;
  /** How often a run's jobs are reconciled from the store, putting back what a queue lost (default 30 s). */
  readonly reconcileIntervalMs?: number;
  /** Probes per discover unit (default: enqueueAssessment's 4096). */
  readonly unitSize?: number;
  /** Leases a job gets before it is dead-lettered (default: enqueueAssessment's 8). */
  readonly attempts?: number;
  /** Workers of this process: started with the first run, told at once of cancels and new work. */
  readonly workers?: EmbeddedWorkers;
  /** How long a cancel or close waits for leased jobs to stop (default 20 s). */
  readonly stopTimeoutMs?: number;
}

/** What a run needs to be finished: the request it started from, or what a restarted server reads back. */
interface RunInfo {
  readonly orgId: string;
  readonly assessmentId: string;
  readonly origin: 'manual' | 'schedule';
  readonly zone: string | null;
  readonly tags: readonly string[];
}

interface Active {
  readonly run: RunInfo;
  readonly startedAt: string;
  scanId: string | undefined;
  linked: boolean;
  progress: LiveProgress;
  status: AssessmentStatus | undefined;
  /** Set by cancel / close: the watch loop stops the run and finishes it so. */
  stopping: 'cancelled' | 'interrupted' | undefined;
  wake: () => void;
  done: Promise<void>;
}

function sleep(ms: number, a: Active): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    a.wake = () => {
      clearTimeout(t);
      resolve();
    };
  });
}

/** Stages of the fleet pipeline for a server's RunStages (checks read identities, so they bring identify). */
export function fleetStagesOf(stages: RunStages | null): FleetStage[] {
  if (stages === null) return ['discover'];
  const checks = stages.checks !== 'none';
  return ['discover', ...(stages.identify || checks ? ['identify' as const] : []), ...(checks ? ['check' as const] : [])];
}

/**
 * Runs assessments as chained work units on a job queue: `start` plans the scan into discover units
 * (enqueueAssessment, with the very scope launchAssessment checked against the org's), links it to
 * the org and queues its jobs; workers — embedded in this process, or `trawl worker` processes
 * anywhere sharing the store and queue — run discover → identify → check; this runner watches the
 * store (the record of work) and publishes run.started / run.progress, then on completion folds the
 * scan into the inventory (`afterRun`), records the end and releases the assessment: the same
 * contract as InProcessAssessmentRunner.
 *
 * Cancel marks the scan interrupted (no stage advances any more), cancels its queued jobs, stops its
 * in-flight ones (embedded workers at once, others at their next heartbeat) and ends the run
 * `cancelled`; close does the same for every run, which ends `interrupted`. A server that died with
 * runs in flight picks them up again on start (`recover`): their work lives on in the store and the
 * queue, and a reconcile puts back whatever the queue lost. Jobs dead-lettered leave a run running,
 * with `blocked` saying so, until they are redriven or the run is cancelled: a scan with a hole is not
 * folded into the inventory as if it were complete.
 */
export class FleetAssessmentRunner implements AssessmentRunner {
  readonly #opts: FleetRunnerOptions;
  readonly #active = new Map<string, Active>();
  #closing = false;

  constructor(opts: FleetRunnerOptions) {
    this.#opts = opts;
  }

  get queue(): JobQueue {
    return this.#opts.queue;
  }

  async start(run: RunRequest): Promise<{ scanId: string }> {
    const { db, store, queue, events } = this.#opts;
    if (this.#closing) {
      await releaseAssessment(db, run.assessmentId, null);
      throw new TrawlError('TRAWL_E_INTERRUPTED', 'the server is shutting down; no new runs');
    }
    if (this.#active.has(run.assessmentId)) throw new TrawlError('TRAWL_E_CONFLICT', `assessment ${run.assessmentId} is already running`, { id: run.assessmentId });
    const info: RunInfo = { orgId: run.orgId, assessmentId: run.assessmentId, origin: run.origin, zone: run.zone, tags: run.tags };
    const a = this.#newActive(info);
    // idle() and close() wait for a run still being planned too.
    let settle: () => void = () => {};
    a.done = new Promise<void>((resolve) => { settle = resolve; });
    this.#active.set(run.assessmentId, a);
    const stages = run.stages ?? (this.#opts.stages === undefined ? DEFAULT_RUN_STAGES : this.#opts.stages);
    const r = run.request;
    let queueError: unknown;
    try {
      await enqueueAssessment({
        store, queue,
        request: {
          targets: r.targets, targetFiles: r.targetFiles, excludes: r.excludes, excludeFiles: r.excludeFiles, ports: r.ports,
          ...(r.seed !== undefined ? { seed: r.seed } : {}),
          discovery: r.discovery, applyBlocklist: r.applyBlocklist, scope: run.scope,
          stages: fleetStagesOf(stages), ...(stages !== null && stages.checks !== 'none' ? { checks: stages.checks } : {}),
          ...(run.zone !== null ? { zone: run.zone } : {}), org: run.orgId,
          ...(run.tuning ? { tuning: run.tuning } : {}),
          ...(this.#opts.unitSize !== undefined ? { unitSize: this.#opts.unitSize } : {}),
          ...(this.#opts.attempts !== undefined ? { attempts: this.#opts.attempts } : {}),
        },
        onPlanned: async (scan) => {
          // Linked before any job is queued: a server dying after this finds the run on restart.
          await recordOrgScan(db, { scanId: scan.id, orgId: run.orgId, assessmentId: run.assessmentId, origin: run.origin, createdAt: scan.createdAt });
          a.scanId = scan.id;
          a.linked = true;
          a.progress = progressOf(scan, 'discover');
        },
      });
    } catch (e) {
      if (!a.linked) {
        // Nothing was queued and nobody can see a scan: the caller gets the error.
        this.#active.delete(run.assessmentId);
        await releaseAssessment(db, run.assessmentId, null).catch((err: unknown) => this.#opts.onError?.(err, 'release assessment'));
        settle();
        throw e;
      }
      // Planned and linked, but the queue refused the jobs (Redis down): the run exists; the watch
      // loop's reconcile queues them once the queue is back.
      queueError = e;
      this.#opts.onError?.(e, `queue the jobs of scan ${a.scanId!}`);
    }
    const scanId = a.scanId!;
    events.publish({ type: 'run.started', orgId: run.orgId, assessmentId: run.assessmentId, scanId, at: nowIso(), origin: run.origin });
    this.#opts.workers?.serveZone(run.zone);
    this.#opts.workers?.ensureRunning();
    this.#opts.workers?.control.wake();
    void this.#watch(a, queueError !== undefined).finally(settle);
    return { scanId };
  }

  /**
   * Picks up the runs a previous server left in flight (org scans still `running` whose fleet scan is
   * running, or done but not yet recorded as finished): their assessments stay running and are
   * watched to the end again, their jobs reconciled. Returns them: the caller must not mark them
   * interrupted nor release their assessments. Call once, on start, before anything else marks stale runs.
   */
  async recover(): Promise<{ scanId: string; assessmentId: string }[]> {
    const { db, store } = this.#opts;
    const rows = await db.selectFrom('org_scans').select(['scan_id', 'org_id', 'assessment_id', 'origin', 'created_at']).where('status', '=', 'running').execute();
    const adopted: { scanId: string; assessmentId: string }[] = [];
    for (const row of rows) {
      if (row.assessment_id === null || this.#active.has(row.assessment_id)) continue;
      const scan = await store.getScan(row.scan_id);
      if (scan === undefined || !isFleetScan(scan) || (scan.status !== 'running' && scan.status !== 'done')) continue;
      const assessment = await getAssessment(db, row.org_id, row.assessment_id);
      if (assessment === undefined) continue;
      await db.updateTable('assessments').set({ state: 'running', updated_at: nowIso() }).where('id', '=', assessment.id).execute();
      const a = this.#newActive({ orgId: row.org_id, assessmentId: assessment.id, origin: row.origin, zone: assessment.zone, tags: assessment.tags }, row.created_at);
      a.scanId = scan.id;
      a.linked = true;
      a.progress = progressOf(scan, 'discover');
      this.#active.set(assessment.id, a);
      this.#opts.workers?.serveZone(jobPolicyOf(scan).zone ?? null);
      a.done = this.#watch(a, true);
      adopted.push({ scanId: scan.id, assessmentId: assessment.id });
    }
    if (adopted.length > 0) {
      this.#opts.workers?.ensureRunning();
      this.#opts.workers?.control.wake();
    }
    return adopted;
  }

  cancel(assessmentId: string): boolean {
    const a = this.#active.get(assessmentId);
    if (!a || a.scanId === undefined) return false;
    a.stopping ??= 'cancelled';
    a.wake();
    return true;
  }

  live(assessmentId: string): LiveRun | undefined {
    const a = this.#active.get(assessmentId);
    if (!a || a.scanId === undefined) return undefined;
    return { scanId: a.scanId, assessmentId, orgId: a.run.orgId, startedAt: a.startedAt, progress: { ...a.progress } };
  }

  recentStatus(scanId: string): AssessmentStatus | undefined {
    for (const a of this.#active.values()) if (a.scanId === scanId) return a.status;
    return undefined;
  }

  async idle(): Promise<void> {
    while (this.#active.size > 0) await Promise.all([...this.#active.values()].map((a) => a.done));
  }

  async close(): Promise<void> {
    this.#closing = true;
    for (const a of this.#active.values()) {
      a.stopping ??= 'interrupted';
      a.wake();
    }
    await this.idle();
  }

  #newActive(run: RunInfo, startedAt = nowIso()): Active {
    return {
      run, startedAt, scanId: undefined, linked: false, progress: { phase: 'planning', done: 0, planned: 0, sent: 0, openFound: 0 },
      status: undefined, stopping: undefined, wake: () => {}, done: Promise.resolve(),
    };
  }

  /** Reads the run from the store until it ends, publishing progress; then finishes it. */
  async #watch(a: Active, reconcileFirst: boolean): Promise<void> {
    const { store, queue, events } = this.#opts;
    const scanId = a.scanId!;
    const interval = Math.max(50, this.#opts.progressIntervalMs ?? 250);
    const statusEvery = this.#opts.statusIntervalMs ?? 1000;
    const reconcileEvery = this.#opts.reconcileIntervalMs ?? 30_000;
    let lastStatus = 0;
    let lastReconcile = reconcileFirst ? 0 : Date.now();
    let outcome: { status: OrgScanStatus; error: string | null } | undefined;
    while (outcome === undefined) {
      try {
        if (a.stopping !== undefined) {
          outcome = { status: (await this.#stop(scanId)) ? 'done' : a.stopping, error: null };
          break;
        }
        const scan = await store.getScan(scanId);
        if (scan === undefined) {
          outcome = { status: 'failed', error: `scan ${scanId} is gone from the store` };
          break;
        }
        if (scan.status === 'running' && Date.now() - lastReconcile >= reconcileEvery) {
          lastReconcile = Date.now();
          await reconcileAssessment(store, queue, scanId).catch((e: unknown) => this.#opts.onError?.(e, `reconcile the jobs of scan ${scanId}`));
        }
        if (scan.status !== 'running' || Date.now() - lastStatus >= statusEvery) {
          lastStatus = Date.now();
          a.status = await assessmentStatus(store, scanId, queue, a.status);
        }
        a.progress = progressOf(scan, a.status?.phase ?? 'discover', a.status);
        if (scan.status === 'done') outcome = { status: 'done', error: null };
        else if (scan.status === 'failed') outcome = { status: 'failed', error: 'the scan failed' };
        else if (scan.status === 'interrupted') outcome = { status: 'interrupted', error: null };
        else {
          events.publish({ type: 'run.progress', orgId: a.run.orgId, assessmentId: a.run.assessmentId, scanId, at: nowIso(), progress: { ...a.progress } });
          await sleep(interval, a);
        }
      } catch (e) {
        // The store or the queue is briefly unreachable: keep watching (a close still ends the run).
        this.#opts.onError?.(e, `watch scan ${scanId}`);
        if (a.stopping !== undefined) outcome = { status: a.stopping, error: null };
        else await sleep(Math.max(interval, 1000), a);
      }
    }
    await this.#finish(a, outcome.status, outcome.error);
  }

  /**
   * Stops a scan's work: marked interrupted first (no stage advances, no job of it runs any more),
   * then its queued jobs cancelled and its leased ones stopped, waiting for them (bounded). True when
   * the scan had finished before the stop took effect (the run then ends done).
   */
  async #stop(scanId: string): Promise<boolean> {
    const { store, queue } = this.#opts;
    const scan = await store.getScan(scanId);
    if (scan?.status === 'done') return true;
    await store.setScanStatus(scanId, 'interrupted', nowIso());
    await queue.cancel({ group: scanId }).catch((e: unknown) => this.#opts.onError?.(e, `cancel the jobs of scan ${scanId}`));
    this.#opts.workers?.control.cancelGroup(scanId);
    const deadline = Date.now() + (this.#opts.stopTimeoutMs ?? 20_000);
    for (;;) {
      const c = await queue.counts({ group: scanId }).catch(() => undefined);
      if (c === undefined || c.leased === 0 || Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    // Jobs a stage queued while the stop was under way (it read the scan as running just before).
    await queue.cancel({ group: scanId }).catch(() => undefined);
    return false;
  }

  async #finish(a: Active, status: OrgScanStatus, error: string | null): Promise<void> {
    const { db, store, events } = this.#opts;
    const scanId = a.scanId!;
    const run = a.run;
    try {
      // The final reading: open ports counted from the store (counters count a redelivered unit's twice).
      const scan = await store.getScan(scanId).catch(() => undefined);
      a.status = await assessmentStatus(store, scanId, this.#opts.queue, a.status).catch(() => a.status);
      if (scan) a.progress = progressOf(scan, status === 'done' ? 'done' : 'stopped', a.status);
      events.publish({ type: 'run.progress', orgId: run.orgId, assessmentId: run.assessmentId, scanId, at: nowIso(), progress: { ...a.progress } });
      const openFound = a.status?.discover.openFound ?? a.progress.openFound;
      // Ingestion first: once the run reads as finished (org_scans, the idle assessment, the event),
      // its inventory changes are there to read.
      const finished: FinishedRun = { orgId: run.orgId, assessmentId: run.assessmentId, scanId, status, error, openFound, zone: run.zone, tags: run.tags };
      if (this.#opts.afterRun) await afterRunRetrying(this.#opts.afterRun, finished).catch((e: unknown) => this.#opts.onError?.(e, `after run of scan ${scanId}`));
      await finishOrgScan(db, scanId, status, error);
      await releaseAssessment(db, run.assessmentId, scanId);
      events.publish({ type: 'run.finished', ...finished, at: nowIso() });
    } catch (e) {
      this.#opts.onError?.(e, `record the end of scan ${scanId}`);
    } finally {
      this.#active.delete(run.assessmentId);
    }
  }
}

/**
 * A lock conflict with another process is worth waiting out: with `trawl worker` processes on the
 * same SQLite file, a fold that read before a worker's commit cannot upgrade to writing (SQLITE_BUSY),
 * and PostgreSQL may abort it as a serialization failure. The fold is one transaction and idempotent
 * (a folded scan is not folded twice), so it is simply run again.
 */
function transient(e: unknown): boolean {
  for (let x: unknown = e, depth = 0; x instanceof Error && depth < 4; x = (x as { cause?: unknown }).cause, depth++) {
    const code = (x as { code?: unknown }).code;
    if (typeof code === 'string' && (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED') || code === '40001' || code === '40P01')) return true;
    if (/database is locked/i.test(x.message)) return true;
  }
  return false;
}

async function afterRunRetrying(afterRun: (run: FinishedRun) => Promise<void>, run: FinishedRun): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await afterRun(run);
      return;
    } catch (e) {
      if (attempt >= 6 || !transient(e)) throw e;
      await new Promise((r) => setTimeout(r, 100 * 2 ** attempt));
    }
  }
}

/** Phases in the words of the in-process runner's ('scan ports'), which the dashboard shows as they are. */
const PHASE_WORDS: Readonly<Record<string, string>> = { discover: 'scan ports', identify: 'identify services', check: 'run checks' };

/** Live counters of a fleet scan, from its store counters (and its latest per-stage reading). */
function progressOf(scan: ScanRecord, phase: string, status?: AssessmentStatus): LiveProgress {
  const c = scan.counters;
  const finished = c.probesAnswered + c.probesTimedOut + c.probesSkippedDown;
  const done = scan.status === 'done' || finished > c.probesPlanned ? c.probesPlanned : finished;
  return {
    phase: status?.blocked != null && scan.status === 'running' ? 'blocked' : PHASE_WORDS[phase] ?? phase,
    done: Number(done),
    planned: Number(c.probesPlanned),
    sent: Number(c.probesSent),
    openFound: status?.scan.id === scan.id ? status.discover.openFound : Number(c.openFound),
  };
}
