import { randomUUID } from 'node:crypto';
import type { Insertable, Kysely } from 'kysely';
import type { JobInput } from '../job.js';
import { normalizeJobs, type NormalizedJob } from '../job-input.js';
import type { JobsDatabase, JobsTable } from './jobs-schema.js';

/** Rows per INSERT: 18 columns each, far below SQLite's 32766 and PostgreSQL's 65535 parameters. */
const ROWS_PER_INSERT = 500;

/**
 * A Kysely instance or transaction over any database type. Kysely's types are invariant in the database,
 * so the store's `Transaction<Database>` (no job tables listed) would not pass as `Kysely<JobsDatabase>`.
 */
export interface KyselyHandle {
  readonly insertInto: unknown;
  readonly selectFrom: unknown;
}

let lastSeq = 0;

/**
 * Enqueue order within a priority: epoch ms × 1024 plus a counter, strictly increasing within a
 * process and roughly time-ordered across processes (safe integers until the 23rd century).
 */
function seqBase(count: number, now: number): number {
  const base = Math.max(now * 1024, lastSeq + 1);
  lastSeq = base + count - 1;
  return base;
}

/** Deduplication is the primary key: `k:<dedupKey>`, or `u:<uuid>` for a job without a key. */
export function jobIdOf(job: NormalizedJob): string {
  return job.dedupKey !== null ? `k:${job.dedupKey}` : `u:${randomUUID()}`;
}

/**
 * Adds jobs through the caller's Kysely handle, so they commit or roll back with whatever else the
 * caller writes in that transaction: a store commit and the follow-up jobs it spawns (the next stage
 * of a finished work unit, say) either both happen or neither does, and a crash between them cannot
 * lose work or run it twice.
 *
 * ```ts
 * await db.transaction().execute(async (trx) => {
 *   // ... the store's commitProgress statements on trx ...
 *   await enqueueInTransaction(trx, [{ kind: 'identify', payload, dedupKey }]);
 * });
 * ```
 * `trx` may be typed with any database (the store's `Database` does not list the job tables): the
 * tables come from the store's migration 0003-jobs, which must have run. Use the Kysely instance (one
 * SQLite connection) the queue works on. Returns the job ids in input order, as `JobQueue.enqueue`
 * does; a key that already exists adds nothing.
 */
export async function enqueueInTransaction(trx: KyselyHandle, jobs: readonly JobInput[]): Promise<string[]> {
  return insertJobs(trx as unknown as Kysely<JobsDatabase>, normalizeJobs(jobs));
}

export async function insertJobs(db: Kysely<JobsDatabase>, jobs: readonly NormalizedJob[], now: number = Date.now()): Promise<string[]> {
  const ids = jobs.map(jobIdOf);
  const base = seqBase(jobs.length, now);
  const seen = new Set<string>();
  const rows: Insertable<JobsTable>[] = [];
  jobs.forEach((job, i) => {
    const id = ids[i] as string;
    if (seen.has(id)) return; // the same key twice in one call: the first wins, as across calls
    seen.add(id);
    rows.push({
      id,
      kind: job.kind,
      payload_json: job.payloadJson,
      job_group: job.group,
      rate_group: job.rateGroup,
      zone: job.zone,
      priority: job.priority,
      seq: base + i,
      state: 'waiting',
      max_attempts: job.maxAttempts,
      backoff_ms: job.backoffMs,
      backoff_jitter: job.backoffJitter,
      run_at: now,
      lease_token: null,
      lease_owner: null,
      lease_expires_at: null,
      visibility_ms: null,
      last_error: null,
      result_json: null,
      enqueued_at: now,
      finished_at: null,
    });
  });
  for (let i = 0; i < rows.length; i += ROWS_PER_INSERT) {
    await db.insertInto('jobs').values(rows.slice(i, i + ROWS_PER_INSERT)).onConflict((oc) => oc.column('id').doNothing()).execute();
  }
  return ids;
}
