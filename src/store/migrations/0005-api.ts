import { sql, type Kysely } from 'kysely';

/**
 * The API's tables: tenants (orgs) with their declared scope, users, hashed API keys, the audit log,
 * assessments and which org owns each scan, schedules, notification rules and their delivery log.
 * Every tenant-owned row carries org_id, and every index used by a list route leads with it, so an
 * org's queries never touch another org's rows. Portable DDL; frozen once released.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('orgs')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull().unique())
    .addColumn('scope_json', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('users')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('org_id', 'text', (c) => c.notNull().references('orgs.id').onDelete('cascade'))
    .addColumn('email', 'text', (c) => c.notNull())
    .addColumn('display_name', 'text')
    .addColumn('role', 'text', (c) => c.notNull().check(sql`role in ('admin', 'analyst', 'viewer')`))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('disabled_at', 'text')
    .addUniqueConstraint('users_org_email_uq', ['org_id', 'email'])
    .execute();
  await db.schema.createIndex('users_org_idx').on('users').columns(['org_id', 'created_at', 'id']).execute();

  await db.schema
    .createTable('api_keys')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('org_id', 'text', (c) => c.notNull().references('orgs.id').onDelete('cascade'))
    .addColumn('user_id', 'text', (c) => c.references('users.id').onDelete('set null'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('role', 'text', (c) => c.notNull().check(sql`role in ('admin', 'analyst', 'viewer')`))
    .addColumn('secret_sha256', 'text', (c) => c.notNull().check(sql`length(secret_sha256) = 64`))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('created_by', 'text')
    .addColumn('revoked_at', 'text')
    .addColumn('last_used_at', 'text')
    .execute();
  await db.schema.createIndex('api_keys_org_idx').on('api_keys').columns(['org_id', 'created_at', 'id']).execute();

  await db.schema
    .createTable('audit_log')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('org_id', 'text', (c) => c.notNull())
    .addColumn('actor', 'text', (c) => c.notNull())
    .addColumn('actor_role', 'text', (c) => c.notNull())
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('target', 'text')
    .addColumn('method', 'text', (c) => c.notNull())
    .addColumn('path', 'text', (c) => c.notNull())
    .addColumn('status_code', 'integer', (c) => c.notNull())
    .addColumn('request_id', 'text', (c) => c.notNull())
    .addColumn('ts', 'text', (c) => c.notNull())
    .addColumn('detail_json', 'text')
    .execute();
  await db.schema.createIndex('audit_log_org_ts_idx').on('audit_log').columns(['org_id', 'ts', 'id']).execute();

  await db.schema
    .createTable('assessments')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('org_id', 'text', (c) => c.notNull().references('orgs.id').onDelete('cascade'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('targets_json', 'text', (c) => c.notNull())
    .addColumn('excludes_json', 'text', (c) => c.notNull())
    .addColumn('ports_json', 'text', (c) => c.notNull())
    .addColumn('options_json', 'text', (c) => c.notNull())
    .addColumn('zone', 'text')
    .addColumn('tags_json', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull().check(sql`state in ('idle', 'running')`))
    .addColumn('last_scan_id', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addColumn('created_by', 'text')
    .execute();
  await db.schema.createIndex('assessments_org_idx').on('assessments').columns(['org_id', 'created_at', 'id']).execute();

  await db.schema
    .createTable('org_scans')
    .addColumn('scan_id', 'text', (c) => c.primaryKey().references('scans.id').onDelete('cascade'))
    .addColumn('org_id', 'text', (c) => c.notNull().references('orgs.id').onDelete('cascade'))
    .addColumn('assessment_id', 'text', (c) => c.references('assessments.id').onDelete('set null'))
    .addColumn('origin', 'text', (c) => c.notNull().check(sql`origin in ('manual', 'schedule')`))
    .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('running', 'done', 'failed', 'cancelled', 'interrupted')`))
    .addColumn('error', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('finished_at', 'text')
    .execute();
  await db.schema.createIndex('org_scans_org_idx').on('org_scans').columns(['org_id', 'created_at', 'scan_id']).execute();
  await db.schema.createIndex('org_scans_assessment_idx').on('org_scans').columns(['assessment_id', 'created_at']).execute();

  await db.schema
    .createTable('schedules')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('org_id', 'text', (c) => c.notNull().references('orgs.id').onDelete('cascade'))
    .addColumn('assessment_id', 'text', (c) => c.notNull().references('assessments.id').onDelete('cascade'))
    .addColumn('cron', 'text', (c) => c.notNull())
    .addColumn('timezone', 'text', (c) => c.notNull())
    .addColumn('enabled', 'integer', (c) => c.notNull().check(sql`enabled in (0, 1)`))
    .addColumn('next_run_at', 'text')
    .addColumn('last_run_at', 'text')
    .addColumn('last_scan_id', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('schedules_org_idx').on('schedules').columns(['org_id', 'created_at', 'id']).execute();
  // What the scheduler polls: enabled schedules by next run.
  await db.schema.createIndex('schedules_due_idx').on('schedules').columns(['enabled', 'next_run_at']).execute();

  await db.schema
    .createTable('notification_rules')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('org_id', 'text', (c) => c.notNull().references('orgs.id').onDelete('cascade'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('channel', 'text', (c) => c.notNull().check(sql`channel in ('webhook', 'slack', 'email')`))
    .addColumn('target', 'text', (c) => c.notNull())
    .addColumn('secret', 'text')
    .addColumn('event_types_json', 'text', (c) => c.notNull())
    .addColumn('min_severity', 'text')
    .addColumn('zones_json', 'text', (c) => c.notNull())
    .addColumn('tags_json', 'text', (c) => c.notNull())
    .addColumn('enabled', 'integer', (c) => c.notNull().check(sql`enabled in (0, 1)`))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('notification_rules_org_idx').on('notification_rules').columns(['org_id', 'created_at', 'id']).execute();

  await db.schema
    .createTable('notification_deliveries')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('org_id', 'text', (c) => c.notNull().references('orgs.id').onDelete('cascade'))
    .addColumn('rule_id', 'text', (c) => c.notNull().references('notification_rules.id').onDelete('cascade'))
    .addColumn('event_type', 'text', (c) => c.notNull())
    .addColumn('event_id', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('delivered', 'failed')`))
    .addColumn('attempts', 'integer', (c) => c.notNull().check(sql`attempts >= 0`))
    .addColumn('response_status', 'integer')
    .addColumn('error', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('finished_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('notification_deliveries_org_idx').on('notification_deliveries').columns(['org_id', 'created_at', 'id']).execute();

  // The API's list routes over the inventory (0004) page by keyset; each sort it offers has an index
  // leading with org_id. Severity sorts by a rank expression, indexed as written in the query
  // (src/api/queries/inventory-list.ts): both engines match an expression index structurally.
  await sql`create index findings_org_rank_idx on findings (org_id, (case severity when 'critical' then 5 when 'high' then 4 when 'medium' then 3 when 'low' then 2 when 'none' then 1 else 0 end), id)`.execute(db);
  await db.schema.createIndex('findings_org_last_seen_idx').on('findings').columns(['org_id', 'last_seen', 'id']).execute();
  await db.schema.createIndex('findings_org_first_seen_idx').on('findings').columns(['org_id', 'first_seen', 'id']).execute();
  await db.schema.createIndex('assets_org_last_seen_idx').on('assets').columns(['org_id', 'last_seen', 'ip_key']).execute();
  await db.schema.createIndex('changes_org_at_id_idx').on('changes').columns(['org_id', 'at', 'id']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const index of ['changes_org_at_id_idx', 'assets_org_last_seen_idx', 'findings_org_first_seen_idx', 'findings_org_last_seen_idx', 'findings_org_rank_idx']) {
    await db.schema.dropIndex(index).execute();
  }
  for (const table of ['notification_deliveries', 'notification_rules', 'schedules', 'org_scans', 'assessments', 'audit_log', 'api_keys', 'users', 'orgs']) {
    await db.schema.dropTable(table).execute();
  }
}
