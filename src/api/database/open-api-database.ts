import { openPostgresDatabase } from '../../store/postgres/postgres-store.js';
import { openSqliteDatabase } from '../../store/sqlite/sqlite-store.js';
import { isPostgresUrl, type StoreDatabase, type SqlDialectName } from '../../store/store-database.js';

export type { SqlDialectName };
/** The API's database: the Store and the Kysely instance over one connection or pool. */
export type ApiDatabase = StoreDatabase;

/** `postgres://…` or `postgresql://…` opens PostgreSQL; anything else is a SQLite path (or `:memory:`). */
export function openApiDatabase(location: string, opts: { poolSize?: number } = {}): Promise<ApiDatabase> {
  return isPostgresUrl(location)
    ? openPostgresDatabase(location, { poolSize: opts.poolSize ?? 10, applicationName: 'trawl-api' })
    : openSqliteDatabase(location);
}
