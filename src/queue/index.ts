export type { JobQueue } from './job-queue.js';
export type {
  BackoffOptions, DeadJob, FailOutcome, HeartbeatResult, JobInput, JsonValue, LeasedJob, LeaseOptions, QueueCounts, QueueFilter, RateLimit, WorkerIdentity,
} from './job.js';
export { DEFAULT_ATTEMPTS, DEFAULT_BACKOFF, DEFAULT_PRIORITY, LIMITS, retryDelayMs } from './job-input.js';
export { reconcile, workUnitKey, type ReconcileOptions } from './reconcile.js';
export { createSqliteQueue, openSqliteQueue, type SqliteQueueHandle, type SqliteQueueOptions } from './sqlite/sqlite-queue.js';
export { enqueueInTransaction, type KyselyHandle } from './sqlite/enqueue-in-transaction.js';
export type { JobsDatabase } from './sqlite/jobs-schema.js';
export { openBullmqQueue, type BullmqQueueOptions } from './bullmq/bullmq-queue.js';
export { deferredQueue } from './deferred-queue.js';
