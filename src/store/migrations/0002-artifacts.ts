import { sql, type Kysely } from 'kysely';

/**
 * Serverless artifact scanning: OSV advisories, the package inventory of each artifact (keyed by
 * the SHA-256 of its code), and the findings of matching one against the other. Portable DDL only;
 * JSON travels as text so SQLite and PostgreSQL store it alike. Frozen once released.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('advisories')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('modified', 'text', (c) => c.notNull())
    .addColumn('published', 'text')
    .addColumn('withdrawn', 'text')
    .addColumn('aliases_json', 'text', (c) => c.notNull())
    // OSV `related` (and `upstream`): Debian and Alpine records name their CVEs there, not in aliases.
    .addColumn('related_json', 'text', (c) => c.notNull())
    .addColumn('summary', 'text')
    .addColumn('severity_vector', 'text')
    .addColumn('severity_score', 'double precision', (c) => c.check(sql`severity_score between 0 and 10`))
    .addColumn('severity_level', 'text', (c) => c.notNull().check(sql`severity_level in ('none', 'low', 'medium', 'high', 'critical', 'unknown')`))
    .addColumn('source', 'text')
    .addColumn('imported_at', 'text', (c) => c.notNull())
    .addColumn('raw_json', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('advisory_affected')
    .addColumn('advisory_id', 'text', (c) => c.notNull().references('advisories.id').onDelete('cascade'))
    .addColumn('seq', 'integer', (c) => c.notNull().check(sql`seq >= 0`))
    // OSV ecosystem without its release qualifier ('Debian'), the qualifier apart ('12'), so one
    // index serves every release and an unqualified entry matches them all.
    .addColumn('ecosystem', 'text', (c) => c.notNull())
    .addColumn('ecosystem_release', 'text')
    // Normalised per ecosystem (PEP 503 for PyPI, ...), the form lookups use.
    .addColumn('package_name', 'text', (c) => c.notNull())
    .addColumn('ranges_json', 'text', (c) => c.notNull())
    .addColumn('versions_json', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('advisory_affected_pk', ['advisory_id', 'seq'])
    .execute();
  await db.schema.createIndex('advisory_affected_package_idx').on('advisory_affected').columns(['ecosystem', 'package_name']).execute();

  // One row; `data_version` goes up by one with every import that changed an advisory, which is what
  // tells cached findings they are stale.
  await db.schema
    .createTable('advisory_meta')
    .addColumn('key', 'text', (c) => c.primaryKey())
    .addColumn('value', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('artifacts')
    .addColumn('sha256', 'text', (c) => c.primaryKey().check(sql`length(sha256) = 64`))
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('scanned_at', 'text', (c) => c.notNull())
    .addColumn('matched_at', 'text', (c) => c.notNull())
    .addColumn('data_version', 'integer', (c) => c.notNull().check(sql`data_version >= 0`))
    .addColumn('inventory_json', 'text', (c) => c.notNull())
    .addColumn('warnings_json', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('artifact_findings')
    .addColumn('artifact_sha256', 'text', (c) => c.notNull().references('artifacts.sha256').onDelete('cascade'))
    .addColumn('purl', 'text', (c) => c.notNull())
    .addColumn('advisory_id', 'text', (c) => c.notNull())
    .addColumn('ecosystem', 'text', (c) => c.notNull())
    .addColumn('package_name', 'text', (c) => c.notNull())
    .addColumn('installed_version', 'text', (c) => c.notNull())
    .addColumn('fixed_json', 'text', (c) => c.notNull())
    .addColumn('severity_level', 'text', (c) => c.notNull())
    .addColumn('finding_json', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('artifact_findings_pk', ['artifact_sha256', 'purl', 'advisory_id'])
    .execute();
  await db.schema.createIndex('artifact_findings_advisory_idx').on('artifact_findings').columns(['advisory_id']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('artifact_findings').execute();
  await db.schema.dropTable('artifacts').execute();
  await db.schema.dropTable('advisory_meta').execute();
  await db.schema.dropTable('advisory_affected').execute();
  await db.schema.dropTable('advisories').execute();
}
