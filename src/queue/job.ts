/** Data that crosses the queue: what a job carries and what the port returns. */

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** Delay before retry n (1-based) is `delayMs * 2^(n-1)`, less a random part of up to `jitter` of it. */
export interface BackoffOptions {
  readonly type: 'exponential';
  readonly delayMs: number;
  /** 0..1: the fraction of each delay that is randomised, so failed jobs do not retry in lockstep. */
  readonly jitter?: number;
}

export interface JobInput {
  /** What to run (`discover-unit`, `identify-service`…); the worker dispatches on it. */
  readonly kind: string;
  /** JSON, at most 256 KiB serialised (the SQS message limit, so every adapter can carry it). */
  readonly payload: JsonValue;
  /**
   * While a job with this key exists (waiting, retrying, leased, done within retention, or dead), enqueueing
   * the key again adds nothing. Jobs for the same key must use the same zone.
   */
  readonly dedupKey?: string;
  /** The unit of cancellation and progress counts, e.g. an assessment id. */
  readonly group?: string;
  /** 0..2_097_150, lower leases first (BullMQ's convention); default 1000. FIFO within a priority. */
  readonly priority?: number;
  /** Most leases the job gets, expired leases included, before it is dead-lettered; default 3. */
  readonly attempts?: number;
  /** Default: exponential from 1 s with 20 % jitter. */
  readonly backoff?: BackoffOptions;
  /** Rate-limit bucket (`net:192.0.2.0/24`, `api:shodan`); see `JobQueue.setRateLimit`. */
  readonly rateGroup?: string;
  /** Only workers serving this zone lease the job; no zone means any worker. */
  readonly zone?: string;
}

export interface LeasedJob {
  readonly id: string;
  readonly kind: string;
  readonly payload: JsonValue;
  /** Proof of this lease for heartbeat/ack/fail; a later lease of the same job gets another one. */
  readonly leaseToken: string;
  /** 1-based: which lease of the job this is. */
  readonly attempt: number;
  readonly maxAttempts: number;
  /** Epoch ms; without a heartbeat the job is leasable again after this. */
  readonly leaseExpiresAt: number;
  readonly dedupKey?: string;
  readonly group?: string;
  readonly rateGroup?: string;
  readonly zone?: string;
}

export interface DeadJob {
  readonly id: string;
  readonly kind: string;
  readonly payload: JsonValue;
  readonly attempts: number;
  /** The error of the last failed attempt ("lease expired …" when the worker vanished). */
  readonly error: string;
  /** Epoch ms. */
  readonly failedAt: number;
  readonly dedupKey?: string;
  readonly group?: string;
  readonly zone?: string;
}

export interface QueueCounts {
  /** Runnable jobs that have not failed yet. */
  readonly waiting: number;
  /** Leased and within their visibility. */
  readonly leased: number;
  readonly done: number;
  /** Failed at least once and waiting for a retry. */
  readonly failed: number;
  readonly dead: number;
  /** Of waiting + failed: jobs whose zone no live worker serves (nobody will take them as things stand). */
  readonly waitingNoWorker: number;
}

export interface WorkerIdentity {
  readonly id: string;
  /** Zones this worker may run jobs of; it also takes zone-less jobs. */
  readonly zones: readonly string[];
}

export interface LeaseOptions {
  /** Most jobs returned. */
  readonly max: number;
  /** How long the jobs stay invisible to other workers without a heartbeat. */
  readonly visibilityMs: number;
}

export interface RateLimit {
  /** No more than `max` leases of the group in any window of `perMs`, across all workers. */
  readonly max: number;
  readonly perMs: number;
}

export interface QueueFilter {
  readonly group?: string;
  readonly zone?: string;
  /** Only jobs of this kind (per-stage counts of an assessment). */
  readonly kind?: string;
}

export interface HeartbeatResult {
  readonly leaseExpiresAt: number;
  /** The job's group was cancelled: stop, then ack or fail it (a failed cancelled job is not retried). */
  readonly cancelled: boolean;
}

export type FailOutcome =
  | { readonly outcome: 'retry'; readonly retryAt: number }
  | { readonly outcome: 'dead' }
  | { readonly outcome: 'cancelled' };
