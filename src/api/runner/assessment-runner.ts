import type { AssessmentStatus } from '../../fleet/fleet-status.js';
import type { JobQueue } from '../../queue/job-queue.js';
import type { ScanRequest } from '../../scan/scan-runner.js';
import type { Scope } from '../../scope/scope-builder.js';
import type { LiveProgress } from './run-events.js';

/** One run of an assessment, with its scope already built and checked against the org's. */
export interface RunRequest {
  readonly orgId: string;
  readonly assessmentId: string;
  readonly origin: 'manual' | 'schedule';
  readonly request: ScanRequest;
  readonly scope: Scope;
  readonly zone: string | null;
  readonly tags: readonly string[];
  /** Optional engine overrides (probe rate, retries) from the assessment's options. */
  readonly tuning?: { readonly globalRate?: number; readonly retries?: number };
  /** The stages after the port scan the assessment asks for; unset: the runner's default. */
  readonly stages?: { readonly identify: boolean; readonly checks: string };
}

export interface LiveRun {
  readonly scanId: string;
  readonly assessmentId: string;
  readonly orgId: string;
  readonly startedAt: string;
  readonly progress: LiveProgress;
}

/**
 * Runs assessments: `FleetAssessmentRunner` as chained work units on a job queue (run by workers in
 * this process or others), `InProcessAssessmentRunner` as one scan in this process.
 * The caller has already claimed the assessment (idle → running); the runner releases it.
 */
export interface AssessmentRunner {
  /** Starts a run; resolves once its scan exists (so its id can be returned), rejects if it cannot start. */
  start(run: RunRequest): Promise<{ scanId: string }>;
  /** Asks the run of this assessment to stop; false when none is running here. */
  cancel(assessmentId: string): boolean;
  live(assessmentId: string): LiveRun | undefined;
  /** Resolves when no run is in progress (tests, graceful shutdown). */
  idle(): Promise<void>;
  /** Stops every run (they end `interrupted`) and waits for them. */
  close(): Promise<void>;
  /** The job queue runs are on (fleet runners): per-stage job states, dead letters, redrive. */
  readonly queue?: JobQueue;
  /** The latest per-stage reading of a running scan, kept by a runner that polls (its pace gives the ETAs). */
  recentStatus?(scanId: string): AssessmentStatus | undefined;
}
