import { PostgresAdapter, sql, type Kysely } from 'kysely';

/**
 * PostgreSQL only: trigram (pg_trgm) GIN indexes for the services list's free-text search `q`, so a
 * selective `%text%` reads a bitmap of candidate rows instead of filtering every service of the org.
 * One expression per table, written exactly as src/api/queries/service-list.ts writes it (the planner
 * matches an expression index structurally): the services' searched columns joined by spaces, and the
 * asset's host names. The joined text is only a superset test (a pattern may span two columns); the
 * query rechecks each column, so results are the same with or without these indexes.
 *
 * pg_trgm is a contrib extension: it may not be installed, and creating it needs CREATE on the
 * database (or a trusted-extension grant). Without it the migration still succeeds, creates nothing,
 * and the search keeps its scan. The attempt runs under a savepoint because the migrator applies
 * every migration in one transaction, which a failed statement would otherwise abort. SQLite has no
 * trigram index; its search is unchanged.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  if (!(db.getExecutor().adapter instanceof PostgresAdapter)) return;
  const available = await sql`select 1 from pg_available_extensions where name = 'pg_trgm'`.execute(db);
  if (available.rows.length === 0) return;
  await sql`savepoint trawl_pg_trgm`.execute(db);
  try {
    await sql`create extension if not exists pg_trgm`.execute(db);
  } catch (e) {
    // 42501: no privilege to create it; 58P01 / 0A000: listed but its files or version are missing.
    const code = (e as { code?: unknown }).code;
    if (code !== '42501' && code !== '58P01' && code !== '0A000') throw e;
    await sql`rollback to savepoint trawl_pg_trgm`.execute(db);
    await sql`release savepoint trawl_pg_trgm`.execute(db);
    return;
  }
  await sql`release savepoint trawl_pg_trgm`.execute(db);
  await sql`create index services_search_trgm_idx on services using gin ((lower(address || ' ' || coalesce(service_name, '') || ' ' || coalesce(product, '') || ' ' || coalesce(version, '') || ' ' || coalesce(identity_json, ''))) gin_trgm_ops)`.execute(db);
  await sql`create index assets_hostnames_trgm_idx on assets using gin ((lower(coalesce(hostnames_json, ''))) gin_trgm_ops)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  if (!(db.getExecutor().adapter instanceof PostgresAdapter)) return;
  // The extension stays: other objects of the database may use it.
  await sql`drop index if exists assets_hostnames_trgm_idx`.execute(db);
  await sql`drop index if exists services_search_trgm_idx`.execute(db);
}
