import type { Kysely } from 'kysely';
import { TrawlError } from '../../errors/trawl-error.js';
import type { TemplateSet } from '../../checks/nuclei/index.js';
import { runCheckStage } from '../../scan/check-stage.js';
import { identifyScan } from '../../scan/identify-scan.js';
import { runScan, type ScanOutcome, type ScanProgress } from '../../scan/scan-runner.js';
import { recordClosedPredicate } from '../../inventory/closed-recorder.js';
import { defaultEngineOptions, type EngineTuning } from '../../scan/scan-options.js';
import type { Database, OrgScanStatus } from '../../store/schema.js';
import type { Store } from '../../store/store.js';
import { nowIso } from '../ids.js';
import { releaseAssessment } from '../queries/assessment-queries.js';
import { finishOrgScan, recordOrgScan } from '../queries/scan-queries.js';
import type { AssessmentRunner, LiveRun, RunRequest } from './assessment-runner.js';
import type { RunEvents } from './run-events.js';

/** What a finished run hands to `afterRun` (inventory ingestion) before `run.finished` is published. */
export interface FinishedRun {
  readonly orgId: string;
  readonly assessmentId: string;
  readonly scanId: string;
  readonly status: OrgScanStatus;
  readonly error: string | null;
  readonly openFound: number;
  readonly zone: string | null;
  readonly tags: readonly string[];
}

export interface RunStages {
  readonly identify: boolean;
  /** A `--checks` selection; 'none' runs no check. */
  readonly checks: string;
  /** nuclei templates run in the check stage beside the checks (`trawl serve --templates`). */
  readonly templates?: TemplateSet;
}

export const DEFAULT_RUN_STAGES: RunStages = { identify: true, checks: 'safe' };

export interface InProcessRunnerOptions {
  readonly db: Kysely<Database>;
  readonly store: Store;
  readonly events: RunEvents;
  readonly tuning?: EngineTuning;
  /** How often live progress is published while a scan runs (default 250 ms). */
  readonly progressIntervalMs?: number;
  readonly afterRun?: (run: FinishedRun) => Promise<void>;
  /** Stages after the port scan (default: identify, then the safe checks); null: ports only. */
  readonly stages?: RunStages | null;
  /** Failures of bookkeeping that have no request to report to. */
  readonly onError?: (error: unknown, context: string) => void;
}

interface Active {
  readonly run: RunRequest;
  readonly controller: AbortController;
  readonly startedAt: string;
  scanId: string | undefined;
  progress: (() => ScanProgress) | undefined;
  cancelled: boolean;
  done: Promise<void>;
}

export class InProcessAssessmentRunner implements AssessmentRunner {
  readonly #opts: InProcessRunnerOptions;
  readonly #active = new Map<string, Active>();
  readonly #tuning: EngineTuning;
  #closing = false;

  constructor(opts: InProcessRunnerOptions) {
    this.#opts = opts;
    this.#tuning = opts.tuning ?? defaultEngineOptions();
  }

  start(run: RunRequest): Promise<{ scanId: string }> {
    if (this.#closing) {
      // The caller claimed the assessment for this run; give it back.
      return releaseAssessment(this.#opts.db, run.assessmentId, null).then(() => {
        throw new TrawlError('TRAWL_E_INTERRUPTED', 'the server is shutting down; no new runs');
      });
    }
    if (this.#active.has(run.assessmentId)) return Promise.reject(new TrawlError('TRAWL_E_CONFLICT', `assessment ${run.assessmentId} is already running`, { id: run.assessmentId }));
    const { db, store, events } = this.#opts;
    const active: Active = { run, controller: new AbortController(), startedAt: nowIso(), scanId: undefined, progress: undefined, cancelled: false, done: Promise.resolve() };
    this.#active.set(run.assessmentId, active);
    const tuning: EngineTuning = {
      ...this.#tuning,
      ...(run.tuning?.globalRate !== undefined ? { globalRate: run.tuning.globalRate } : {}),
      ...(run.tuning?.retries !== undefined ? { retries: run.tuning.retries } : {}),
    };

    // A reset on a port the inventory holds open is the evidence that closes it (not silence).
    const closedPredicate = recordClosedPredicate(db, run.orgId).catch(() => undefined);
    return new Promise<{ scanId: string }>((resolve, reject) => {
      let recorded: Promise<boolean> = Promise.resolve(false);
      let ticker: NodeJS.Timeout | undefined;
      const scanPromise = closedPredicate.then((recordClosed) => runScan(run.request, {
        store,
        tuning,
        ...(recordClosed ? { recordClosed } : {}),
        scope: run.scope,
        signal: active.controller.signal,
        onStart: (scan, progress) => {
          active.scanId = scan.id;
          active.progress = progress;
          recorded = recordOrgScan(db, { scanId: scan.id, orgId: run.orgId, assessmentId: run.assessmentId, origin: run.origin, createdAt: scan.createdAt }).then(
            () => {
              events.publish({ type: 'run.started', orgId: run.orgId, assessmentId: run.assessmentId, scanId: scan.id, at: nowIso(), origin: run.origin });
              ticker = setInterval(() => this.#publishProgress(active), this.#opts.progressIntervalMs ?? 250);
              ticker.unref();
              resolve({ scanId: scan.id });
              return true;
            },
            (e: unknown) => {
              // Without the org link nobody could see or cancel this scan: stop it.
              active.controller.abort();
              reject(e);
              return false;
            },
          );
        },
      })).then((outcome) => this.#laterStages(active, outcome));

      active.done = scanPromise.then(
        async (outcome) => {
          clearInterval(ticker);
          const linked = await recorded;
          // A cancel that lands after the port scan, while identify or the checks run, cuts those
          // stages short: the run is as incomplete as one stopped mid-scan, and must not be folded
          // into the inventory as done (unchecked findings would read as fixed).
          const cut = outcome.interrupted || active.controller.signal.aborted;
          const status: OrgScanStatus = cut ? (active.cancelled ? 'cancelled' : 'interrupted') : 'done';
          await this.#finish(active, linked, status, null, Number(outcome.scan.counters.openFound));
        },
        async (e: unknown) => {
          clearInterval(ticker);
          const linked = await recorded;
          if (active.scanId === undefined) {
            // Failed before the scan existed (bad plan, egress refusal): the caller gets the error.
            this.#active.delete(run.assessmentId);
            await releaseAssessment(db, run.assessmentId, null).catch((err: unknown) => this.#opts.onError?.(err, 'release assessment'));
            reject(e);
            return;
          }
          await store.setScanStatus(active.scanId, 'failed', nowIso()).catch(() => undefined);
          await this.#finish(active, linked, 'failed', e instanceof Error ? e.message : String(e), 0);
        },
      );
    });
  }

  /**
   * An assessment is more than a port scan: services are identified and the safe built-in checks
   * run, so the inventory gets identities, certificates and findings.
   */
  async #laterStages(active: Active, outcome: ScanOutcome): Promise<ScanOutcome> {
    const stages = active.run.stages ?? (this.#opts.stages === undefined ? DEFAULT_RUN_STAGES : this.#opts.stages);
    if (stages === null || outcome.interrupted || active.controller.signal.aborted) return outcome;
    const { store } = this.#opts;
    const signal = active.controller.signal;
    // Templates are the server's (loaded once at start), whatever stages a run asks for.
    const templates = this.#opts.stages?.templates;
    if (stages.identify || stages.checks !== 'none' || templates) await identifyScan(store, outcome.scan.id, { guard: outcome.guard.check, signal });
    if ((stages.checks !== 'none' || templates) && !signal.aborted) await runCheckStage({ store, scanId: outcome.scan.id, selection: stages.checks, guard: outcome.guard.check, signal, ...(templates ? { templates } : {}) });
    return outcome;
  }

  cancel(assessmentId: string): boolean {
    const a = this.#active.get(assessmentId);
    if (!a) return false;
    a.cancelled = true;
    a.controller.abort();
    return true;
  }

  live(assessmentId: string): LiveRun | undefined {
    const a = this.#active.get(assessmentId);
    if (!a || a.scanId === undefined || a.progress === undefined) return undefined;
    return { scanId: a.scanId, assessmentId, orgId: a.run.orgId, startedAt: a.startedAt, progress: { ...a.progress() } };
  }

  async idle(): Promise<void> {
    while (this.#active.size > 0) await Promise.all([...this.#active.values()].map((a) => a.done));
  }

  async close(): Promise<void> {
    this.#closing = true;
    for (const a of this.#active.values()) a.controller.abort();
    await this.idle();
  }

  #publishProgress(a: Active): void {
    if (a.scanId === undefined || a.progress === undefined) return;
    this.#opts.events.publish({ type: 'run.progress', orgId: a.run.orgId, assessmentId: a.run.assessmentId, scanId: a.scanId, at: nowIso(), progress: { ...a.progress() } });
  }

  async #finish(a: Active, linked: boolean, status: OrgScanStatus, error: string | null, openFound: number): Promise<void> {
    const { db, events } = this.#opts;
    const scanId = a.scanId!;
    const run = a.run;
    try {
      this.#publishProgress(a);
      // Ingestion first: once the run reads as finished (org_scans, the idle assessment, the event),
      // its inventory changes are there to read.
      const finished: FinishedRun = { orgId: run.orgId, assessmentId: run.assessmentId, scanId, status, error, openFound, zone: run.zone, tags: run.tags };
      if (linked && this.#opts.afterRun) await this.#opts.afterRun(finished).catch((e: unknown) => this.#opts.onError?.(e, `after run of scan ${scanId}`));
      if (linked) await finishOrgScan(db, scanId, status, error);
      await releaseAssessment(db, run.assessmentId, linked ? scanId : null);
      if (linked) events.publish({ type: 'run.finished', ...finished, at: nowIso() });
    } catch (e) {
      this.#opts.onError?.(e, `record the end of scan ${scanId}`);
    } finally {
      this.#active.delete(run.assessmentId);
    }
  }
}
