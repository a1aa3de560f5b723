import { PostgresAdapter, sql, type Kysely } from 'kysely';

/**
 * Initial schema. Portable DDL (SQLite and PostgreSQL read it the same, bar ip_key's collation): text,
 * integer and double precision columns, CHECKs, composite keys, a partial index. Values that can outgrow 64 bits
 * are canonical decimal text, compared in SQL as (length, text).
 *
 * A migration is frozen once released: it inlines its SQL instead of importing helpers that may change.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  // ip_key must sort bytewise, as JavaScript and the keyset pagination compare it. SQLite's default
  // collation is bytewise; a PostgreSQL database may default to a locale collation, so the column
  // names "C" there (SQLite has no collation of that name, hence the only dialect-specific DDL).
  const byteText = db.getExecutor().adapter instanceof PostgresAdapter ? sql`text collate "C"` : sql`text`;
  let scans = db.schema
    .createTable('scans')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('finished_at', 'text')
    .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('running', 'interrupted', 'done', 'failed')`))
    .addColumn('spec_json', 'text', (c) => c.notNull());
  for (const counter of [
    'probes_planned', 'probes_sent', 'probes_answered', 'probes_timed_out', 'probes_retried',
    'probes_skipped_blocklist', 'probes_skipped_down', 'open_found', 'discovery_probes_sent',
  ]) {
    scans = scans.addColumn(counter, 'text', (c) => c.notNull().defaultTo('0'));
  }
  await scans.execute();
  await db.schema.createIndex('scans_created_at_idx').on('scans').columns(['created_at', 'id']).execute();

  await db.schema
    .createTable('work_units')
    .addColumn('scan_id', 'text', (c) => c.notNull().references('scans.id').onDelete('cascade'))
    .addColumn('stage', 'text', (c) => c.notNull())
    .addColumn('unit_index', 'integer', (c) => c.notNull().check(sql`unit_index >= 0`))
    .addColumn('range_start', 'text', (c) => c.notNull())
    .addColumn('range_end', 'text', (c) => c.notNull())
    .addColumn('checkpoint', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull().check(sql`state in ('pending', 'leased', 'done')`))
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0).check(sql`attempts >= 0`))
    .addColumn('lease_owner', 'text')
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('work_units_pk', ['scan_id', 'stage', 'unit_index'])
    // range_start <= checkpoint <= range_end over canonical decimal text.
    .addCheckConstraint('work_units_checkpoint_after_start', sql`length(range_start) < length(checkpoint)
      or (length(range_start) = length(checkpoint) and range_start <= checkpoint)`)
    .addCheckConstraint('work_units_checkpoint_before_end', sql`length(checkpoint) < length(range_end)
      or (length(checkpoint) = length(range_end) and checkpoint <= range_end)`)
    .execute();

  await db.schema
    .createTable('observations')
    .addColumn('scan_id', 'text', (c) => c.notNull().references('scans.id').onDelete('cascade'))
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('ip', 'text', (c) => c.notNull())
    .addColumn('ip_key', byteText, (c) => c.notNull())
    .addColumn('port', 'integer', (c) => c.notNull().check(sql`port between 0 and 65535`))
    .addColumn('proto', 'text', (c) => c.notNull().check(sql`proto in ('tcp', 'udp')`))
    .addColumn('state', 'text', (c) => c.notNull().check(sql`state in ('open', 'closed', 'filtered')`))
    .addColumn('evidence', 'text', (c) => c.notNull())
    .addColumn('rtt_ms', 'double precision', (c) => c.check(sql`rtt_ms >= 0`))
    .addColumn('hostname', 'text')
    .addColumn('worker', 'text')
    .addColumn('ts', 'text', (c) => c.notNull())
    .addColumn('data_json', 'text')
    // The natural identity is the key: a redelivered or resumed probe upserts into the same row, and
    // the same index serves the (ip, port) ordered keyset scan.
    .addPrimaryKeyConstraint('observations_pk', ['scan_id', 'type', 'ip_key', 'port', 'proto'])
    .execute();
  // Reports mostly want the open ports of a scan; a partial index keeps that a range scan even when
  // closed/filtered rows dominate, and costs nothing on their inserts.
  await db.schema
    .createIndex('observations_open_idx')
    .on('observations')
    .columns(['scan_id', 'type', 'ip_key', 'port', 'proto'])
    .where(sql.ref('state'), '=', sql.lit('open'))
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('observations').execute();
  await db.schema.dropTable('work_units').execute();
  await db.schema.dropTable('scans').execute();
}
