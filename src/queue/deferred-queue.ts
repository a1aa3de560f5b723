import type { DeadJob, FailOutcome, HeartbeatResult, JobInput, JsonValue, LeasedJob, LeaseOptions, QueueCounts, QueueFilter, RateLimit, WorkerIdentity } from './job.js';
import type { JobQueue } from './job-queue.js';

/**
 * A queue whose adapter is still opening (an in-memory SQLite queue runs its migrations first): every
 * call waits for it, and fails with its opening error. Lets synchronous wiring (buildApi) hand out a
 * queue at once.
 */
export function deferredQueue(opening: Promise<JobQueue>): JobQueue {
  // An opening error surfaces at the first call, not as an unhandled rejection.
  opening.catch(() => undefined);
  return {
    enqueue: async (jobs: readonly JobInput[]): Promise<string[]> => (await opening).enqueue(jobs),
    lease: async (worker: WorkerIdentity, opts: LeaseOptions): Promise<LeasedJob[]> => (await opening).lease(worker, opts),
    heartbeat: async (jobId: string, leaseToken: string, visibilityMs?: number): Promise<HeartbeatResult> => (await opening).heartbeat(jobId, leaseToken, visibilityMs),
    ack: async (jobId: string, leaseToken: string, result?: JsonValue): Promise<void> => (await opening).ack(jobId, leaseToken, result),
    fail: async (jobId: string, leaseToken: string, error: string | Error): Promise<FailOutcome> => (await opening).fail(jobId, leaseToken, error),
    setRateLimit: async (group: string, limit: RateLimit | null): Promise<void> => (await opening).setRateLimit(group, limit),
    listDead: async (filter?: QueueFilter & { limit?: number }): Promise<DeadJob[]> => (await opening).listDead(filter),
    redrive: async (jobId: string): Promise<boolean> => (await opening).redrive(jobId),
    cancel: async (filter: { group?: string }): Promise<number> => (await opening).cancel(filter),
    counts: async (filter?: QueueFilter): Promise<QueueCounts> => (await opening).counts(filter),
    close: async (): Promise<void> => {
      const q = await opening.catch(() => undefined);
      await q?.close();
    },
  };
}
