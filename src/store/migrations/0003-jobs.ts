import { sql, type Kysely } from 'kysely';

/**
 * The embedded job queue (src/queue/sqlite/): jobs live in the store's file so a store commit and the
 * jobs it spawns can share one transaction. Portable DDL, applied to PostgreSQL stores too, where the
 * tables are unused for now. Times are epoch milliseconds in bigint columns.
 *
 * A migration is frozen once released: it inlines its SQL instead of importing helpers that may change.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('jobs')
    // `k:<dedupKey>` or `u:<uuid>`: deduplication is the primary key.
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('payload_json', 'text', (c) => c.notNull())
    .addColumn('job_group', 'text')
    .addColumn('rate_group', 'text')
    .addColumn('zone', 'text')
    .addColumn('priority', 'integer', (c) => c.notNull().check(sql`priority between 0 and 2097150`))
    // Enqueue order within a priority.
    .addColumn('seq', 'bigint', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull().check(sql`state in ('waiting', 'retrying', 'leased', 'done', 'dead')`))
    .addColumn('cancelled', 'integer', (c) => c.notNull().defaultTo(0).check(sql`cancelled in (0, 1)`))
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0).check(sql`attempts >= 0`))
    .addColumn('max_attempts', 'integer', (c) => c.notNull().check(sql`max_attempts >= 1`))
    .addColumn('backoff_ms', 'integer', (c) => c.notNull().defaultTo(0).check(sql`backoff_ms >= 0`))
    .addColumn('backoff_jitter', 'double precision', (c) => c.notNull().defaultTo(0).check(sql`backoff_jitter between 0 and 1`))
    .addColumn('run_at', 'bigint', (c) => c.notNull())
    .addColumn('lease_token', 'text')
    .addColumn('lease_owner', 'text')
    .addColumn('lease_expires_at', 'bigint')
    .addColumn('visibility_ms', 'integer')
    .addColumn('last_error', 'text')
    .addColumn('result_json', 'text')
    .addColumn('enqueued_at', 'bigint', (c) => c.notNull())
    .addColumn('finished_at', 'bigint')
    .addCheckConstraint('jobs_leased_has_token', sql`state <> 'leased' or (lease_token is not null and lease_expires_at is not null)`)
    .execute();
  // What `lease` reads: runnable jobs in priority, then enqueue order.
  await db.schema
    .createIndex('jobs_ready_idx')
    .on('jobs')
    .columns(['priority', 'seq'])
    .where(sql<boolean>`state in ('waiting', 'retrying')`)
    .execute();
  await db.schema.createIndex('jobs_state_idx').on('jobs').columns(['state', 'lease_expires_at']).execute();
  await db.schema.createIndex('jobs_finished_idx').on('jobs').columns(['state', 'finished_at']).execute();
  await db.schema.createIndex('jobs_group_idx').on('jobs').columns(['job_group', 'state']).execute();

  await db.schema
    .createTable('job_rate_limits')
    .addColumn('rate_group', 'text', (c) => c.primaryKey())
    .addColumn('max_per_window', 'integer', (c) => c.notNull().check(sql`max_per_window >= 1`))
    .addColumn('window_ms', 'integer', (c) => c.notNull().check(sql`window_ms >= 1`))
    .execute();
  // One row per lease of a rate-limited job, kept for one window: the sliding-window log.
  await db.schema
    .createTable('job_rate_grants')
    .addColumn('rate_group', 'text', (c) => c.notNull())
    .addColumn('granted_at', 'bigint', (c) => c.notNull())
    .addColumn('job_id', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('job_rate_grants_idx').on('job_rate_grants').columns(['rate_group', 'granted_at']).execute();

  // Workers seen recently, per zone: tells "waiting" from "waiting with no worker that can take it".
  await db.schema
    .createTable('job_workers')
    .addColumn('worker_id', 'text', (c) => c.primaryKey())
    .addColumn('zones_json', 'text', (c) => c.notNull())
    .addColumn('last_seen', 'bigint', (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('job_workers').execute();
  await db.schema.dropTable('job_rate_grants').execute();
  await db.schema.dropTable('job_rate_limits').execute();
  await db.schema.dropTable('jobs').execute();
}
