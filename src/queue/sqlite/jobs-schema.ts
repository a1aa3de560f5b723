import type { Generated } from 'kysely';

/**
 * Row types of the job tables (migration src/store/migrations/0003-jobs.ts). Times are epoch ms;
 * bigint columns read back as numbers on SQLite and as strings on PostgreSQL, hence `number | string`
 * on what is read and `Number()` where it is used.
 */
export type JobState = 'waiting' | 'retrying' | 'leased' | 'done' | 'dead';
type Millis = number | string;

export interface JobsTable {
  id: string;
  kind: string;
  payload_json: string;
  job_group: string | null;
  rate_group: string | null;
  zone: string | null;
  priority: number;
  seq: Millis;
  state: JobState;
  cancelled: Generated<number>;
  attempts: Generated<number>;
  max_attempts: number;
  backoff_ms: number;
  backoff_jitter: number;
  run_at: Millis;
  lease_token: string | null;
  lease_owner: string | null;
  lease_expires_at: Millis | null;
  visibility_ms: number | null;
  last_error: string | null;
  result_json: string | null;
  enqueued_at: Millis;
  finished_at: Millis | null;
}

export interface JobRateLimitsTable {
  rate_group: string;
  max_per_window: number;
  window_ms: number;
}

export interface JobRateGrantsTable {
  rate_group: string;
  granted_at: Millis;
  job_id: string;
}

export interface JobWorkersTable {
  worker_id: string;
  zones_json: string;
  last_seen: Millis;
}

/** A type alias, not an interface, so it also fits `Kysely#withTables<T extends Record<…>>`. */
export type JobsDatabase = {
  jobs: JobsTable;
  job_rate_limits: JobRateLimitsTable;
  job_rate_grants: JobRateGrantsTable;
  job_workers: JobWorkersTable;
};
