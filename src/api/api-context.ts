import type { Kysely } from 'kysely';
import type { Notifier } from '../notify/notifier.js';
import type { Database } from '../store/schema.js';
import type { Store } from '../store/store.js';
import type { AssessmentRunner } from './runner/assessment-runner.js';
import type { RunEvents } from './runner/run-events.js';

/** What route plugins are given: the database both ways, the runner, and the event fan-out. */
export interface ApiContext extends Record<string, unknown> {
  readonly db: Kysely<Database>;
  readonly store: Store;
  readonly runner: AssessmentRunner;
  readonly events: RunEvents;
  readonly notifier: Notifier;
  /** Host name resolution for assessment targets (default: the system resolver). */
  readonly resolve?: (name: string) => Promise<string[]>;
  readonly now: () => Date;
  /** Comment lines keeping idle SSE streams open through proxies (default 15 s). */
  readonly sseHeartbeatMs: number;
}
