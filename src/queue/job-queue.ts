import type {
  DeadJob, FailOutcome, HeartbeatResult, JobInput, JsonValue, LeasedJob, LeaseOptions, QueueCounts, QueueFilter, RateLimit, WorkerIdentity,
} from './job.js';

/**
 * The work queue of a fleet: at-least-once delivery with leases (BullMQ/SQS style). A worker leases
 * jobs, heartbeats while it works, then acks or fails them. A lease nobody renews expires and the job
 * goes to another worker, counting as an attempt; after `attempts` the job is dead-lettered.
 *
 * Delivery is at least once, so handlers must be idempotent (store commits are). The store, not the
 * queue, is the source of truth for work: see `reconcile` (src/queue/reconcile.ts).
 *
 * Adapters: src/queue/sqlite (embedded, same file as the store), src/queue/bullmq (Redis);
 * src/queue/README.md maps the port onto SQS.
 */
export interface JobQueue {
  /** Returns each job's id in input order; a deduplicated job returns the id of the existing one. */
  enqueue(jobs: readonly JobInput[]): Promise<string[]>;
  /**
   * Up to `max` runnable jobs of the worker's zones (and zone-less ones), by priority then enqueue
   * order, skipping rate groups that are at their limit. Registers the worker as live for its zones.
   */
  lease(worker: WorkerIdentity, opts: LeaseOptions): Promise<LeasedJob[]>;
  /**
   * Extends the lease by `visibilityMs` (default: the lease's own). Throws TRAWL_E_LEASE_LOST when the
   * token is not the current lease's, or the lease already expired.
   */
  heartbeat(jobId: string, leaseToken: string, visibilityMs?: number): Promise<HeartbeatResult>;
  /** Marks the job done. Throws TRAWL_E_LEASE_LOST like `heartbeat`. */
  ack(jobId: string, leaseToken: string, result?: JsonValue): Promise<void>;
  /** Retries after the backoff, or dead-letters when attempts are used up. Throws TRAWL_E_LEASE_LOST like `heartbeat`. */
  fail(jobId: string, leaseToken: string, error: string | Error): Promise<FailOutcome>;
  /** Limits leases of `group` across all workers; `null` removes the limit. */
  setRateLimit(group: string, limit: RateLimit | null): Promise<void>;
  /** Dead-lettered jobs, most recent first (default limit 100). */
  listDead(filter?: QueueFilter & { limit?: number }): Promise<DeadJob[]>;
  /** Puts a dead job back to waiting with fresh attempts; false when it is not dead (or unknown). */
  redrive(jobId: string): Promise<boolean>;
  /**
   * Removes the waiting and retrying jobs of `group` (all groups when omitted) and flags its leased
   * ones, whose heartbeat then says `cancelled`. Returns how many jobs were cancelled.
   */
  cancel(filter: { group?: string }): Promise<number>;
  counts(filter?: QueueFilter): Promise<QueueCounts>;
  close(): Promise<void>;
}
