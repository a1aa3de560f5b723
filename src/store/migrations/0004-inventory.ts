import { PostgresAdapter, sql, type Kysely } from 'kysely';

/**
 * The inventory (src/inventory/): assets and services folded from observations, findings with their
 * lifecycle, typed change events, daily snapshots, and what people decided (triage, annotations).
 * Portable DDL; JSON travels as text. Deterministic text keys (no sequences) so a rebuild of the view
 * reproduces the same ids on every engine.
 *
 * A migration is frozen once released: it inlines its SQL instead of importing helpers that may change.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  // ip_key is compared bytewise by the folding code (a merge join in key order); PostgreSQL databases
  // may default to a locale collation, hence "C" there, as in 0001.
  const byteText = db.getExecutor().adapter instanceof PostgresAdapter ? sql`text collate "C"` : sql`text`;
  const proto = sql`proto in ('tcp', 'udp')`;

  await db.schema
    .createTable('inventory_scans')
    .addColumn('scan_id', 'text', (c) => c.primaryKey().references('scans.id').onDelete('cascade'))
    .addColumn('org_id', 'text', (c) => c.notNull())
    .addColumn('scope_key', 'text', (c) => c.notNull())
    .addColumn('scan_time', 'text', (c) => c.notNull())
    .addColumn('prev_scan_id', 'text')
    .addColumn('events', 'integer', (c) => c.notNull().check(sql`events >= 0`))
    .execute();
  await db.schema.createIndex('inventory_scans_scope_idx').on('inventory_scans').columns(['org_id', 'scope_key', 'scan_time', 'scan_id']).execute();
  await db.schema.createIndex('inventory_scans_org_idx').on('inventory_scans').columns(['org_id', 'scan_time', 'scan_id']).execute();

  await db.schema
    .createTable('scan_coverage')
    .addColumn('scan_id', 'text', (c) => c.primaryKey().references('scans.id').onDelete('cascade'))
    .addColumn('ports_json', 'text', (c) => c.notNull())
    .addColumn('ranges_json', 'text')
    .addColumn('unknown_reason', 'text')
    .execute();

  await db.schema
    .createTable('assets')
    .addColumn('org_id', 'text', (c) => c.notNull().defaultTo('default'))
    .addColumn('ip_key', byteText, (c) => c.notNull())
    .addColumn('address', 'text', (c) => c.notNull())
    .addColumn('hostnames_json', 'text', (c) => c.notNull().defaultTo('[]'))
    .addColumn('zone', 'text', (c) => c.notNull())
    .addColumn('tags_json', 'text', (c) => c.notNull().defaultTo('[]'))
    .addColumn('owner', 'text')
    .addColumn('first_seen', 'text', (c) => c.notNull())
    .addColumn('last_seen', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull().check(sql`state in ('up', 'gone')`))
    .addColumn('last_scan_id', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('assets_pk', ['org_id', 'ip_key'])
    .execute();

  await db.schema
    .createTable('services')
    .addColumn('org_id', 'text', (c) => c.notNull().defaultTo('default'))
    .addColumn('ip_key', byteText, (c) => c.notNull())
    .addColumn('port', 'integer', (c) => c.notNull().check(sql`port between 0 and 65535`))
    .addColumn('proto', 'text', (c) => c.notNull().check(proto))
    .addColumn('address', 'text', (c) => c.notNull())
    .addColumn('service_name', 'text')
    .addColumn('product', 'text')
    .addColumn('version', 'text')
    .addColumn('identity_json', 'text')
    .addColumn('tls_fingerprint', 'text')
    .addColumn('tls_not_after', 'text')
    .addColumn('cert_expiry_flagged', 'text')
    .addColumn('first_seen', 'text', (c) => c.notNull())
    .addColumn('last_seen', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull().check(sql`state in ('open', 'closed', 'unknown')`))
    .addColumn('silent_scans', 'integer', (c) => c.notNull().defaultTo(0).check(sql`silent_scans >= 0`))
    .addColumn('last_scan_id', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('services_pk', ['org_id', 'ip_key', 'port', 'proto'])
    .execute();
  await db.schema.createIndex('services_state_idx').on('services').columns(['org_id', 'state']).execute();

  await db.schema
    .createTable('findings')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('org_id', 'text', (c) => c.notNull().defaultTo('default'))
    .addColumn('ip_key', byteText, (c) => c.notNull())
    .addColumn('address', 'text', (c) => c.notNull())
    .addColumn('port', 'integer', (c) => c.notNull().check(sql`port between 0 and 65535`))
    .addColumn('proto', 'text', (c) => c.notNull().check(proto))
    .addColumn('check_id', byteText, (c) => c.notNull())
    .addColumn('severity', 'text', (c) => c.notNull().check(sql`severity in ('none', 'low', 'medium', 'high', 'critical', 'unknown')`))
    .addColumn('title', 'text')
    .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('open', 'fixed', 'accepted_risk', 'false_positive')`))
    .addColumn('first_seen', 'text', (c) => c.notNull())
    .addColumn('last_seen', 'text', (c) => c.notNull())
    .addColumn('opened_at', 'text', (c) => c.notNull())
    .addColumn('fixed_at', 'text')
    .addColumn('times_seen', 'integer', (c) => c.notNull().check(sql`times_seen >= 1`))
    .addColumn('reopened_count', 'integer', (c) => c.notNull().defaultTo(0).check(sql`reopened_count >= 0`))
    .addColumn('first_scan_id', 'text', (c) => c.notNull())
    .addColumn('last_scan_id', 'text', (c) => c.notNull())
    .addColumn('evidence_json', 'text')
    .addColumn('triage_by', 'text')
    .addColumn('triage_reason', 'text')
    .addColumn('triage_until', 'text')
    .addColumn('triaged_at', 'text')
    .addUniqueConstraint('findings_identity', ['org_id', 'ip_key', 'port', 'proto', 'check_id'])
    .execute();
  await db.schema.createIndex('findings_status_idx').on('findings').columns(['org_id', 'status']).execute();

  await db.schema
    .createTable('finding_triage')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('finding_id', 'text', (c) => c.notNull())
    .addColumn('org_id', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('open', 'accepted_risk', 'false_positive')`))
    .addColumn('by', 'text', (c) => c.notNull())
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('until', 'text')
    .addColumn('at', 'text', (c) => c.notNull())
    .addColumn('after_scan_id', 'text')
    .execute();
  await db.schema.createIndex('finding_triage_finding_idx').on('finding_triage').columns(['finding_id', 'at']).execute();

  await db.schema
    .createTable('asset_annotations')
    .addColumn('org_id', 'text', (c) => c.notNull())
    .addColumn('ip_key', byteText, (c) => c.notNull())
    .addColumn('zone', 'text')
    .addColumn('tags_json', 'text')
    .addColumn('owner', 'text')
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addColumn('updated_by', 'text')
    .addPrimaryKeyConstraint('asset_annotations_pk', ['org_id', 'ip_key'])
    .execute();

  await db.schema
    .createTable('changes')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('org_id', 'text', (c) => c.notNull())
    .addColumn('scan_id', 'text', (c) => c.notNull())
    .addColumn('seq', 'integer', (c) => c.notNull())
    .addColumn('prev_scan_id', 'text')
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('at', 'text', (c) => c.notNull())
    .addColumn('ip_key', byteText, (c) => c.notNull())
    .addColumn('address', 'text', (c) => c.notNull())
    .addColumn('port', 'integer')
    .addColumn('proto', 'text')
    .addColumn('check_id', 'text')
    .addColumn('before_json', 'text')
    .addColumn('after_json', 'text')
    .addColumn('evidence', 'text')
    .addUniqueConstraint('changes_scan_seq', ['scan_id', 'seq'])
    .execute();
  await db.schema.createIndex('changes_org_at_idx').on('changes').columns(['org_id', 'at', 'seq']).execute();
  await db.schema.createIndex('changes_asset_idx').on('changes').columns(['org_id', 'ip_key', 'at']).execute();

  await db.schema
    .createTable('inventory_snapshots')
    .addColumn('org_id', 'text', (c) => c.notNull())
    .addColumn('day', 'text', (c) => c.notNull())
    .addColumn('scan_id', 'text', (c) => c.notNull())
    .addColumn('at', 'text', (c) => c.notNull())
    .addColumn('open_critical', 'integer', (c) => c.notNull())
    .addColumn('open_high', 'integer', (c) => c.notNull())
    .addColumn('open_medium', 'integer', (c) => c.notNull())
    .addColumn('open_low', 'integer', (c) => c.notNull())
    .addColumn('open_none', 'integer', (c) => c.notNull())
    .addColumn('open_unknown', 'integer', (c) => c.notNull())
    .addColumn('assets', 'integer', (c) => c.notNull())
    .addColumn('services', 'integer', (c) => c.notNull())
    .addColumn('risk', 'double precision', (c) => c.notNull().check(sql`risk between 0 and 100`))
    .addPrimaryKeyConstraint('inventory_snapshots_pk', ['org_id', 'day'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of ['inventory_snapshots', 'changes', 'asset_annotations', 'finding_triage', 'findings', 'services', 'assets', 'scan_coverage', 'inventory_scans']) {
    await db.schema.dropTable(table).execute();
  }
}
