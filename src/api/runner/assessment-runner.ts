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
}

export interface LiveRun {
  readonly scanId: string;
  readonly assessmentId: string;
  readonly orgId: string;
  readonly startedAt: string;
  readonly progress: LiveProgress;
}

/**
 * Runs assessments. The API runs scans in its own process for now (`InProcessAssessmentRunner`); a
 * fleet runner that enqueues work units for remote workers implements the same interface.
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
}
