export type { ProgressCommit, Store } from './store.js';
export { isPostgresUrl, type StoreDatabase, type SqlDialectName } from './store-database.js';
export { openSqliteStore, openSqliteDatabase, type SqliteStoreOptions } from './sqlite/sqlite-store.js';
export { openPostgresStore, openPostgresDatabase, type PostgresStoreOptions } from './postgres/postgres-store.js';
export { createKyselyStore, type StoreDialect } from './kysely-store.js';
export { ipSortKey } from './ip-key.js';
export { migrations, StaticMigrationProvider } from './migrations/migration-provider.js';
export type { Database } from './schema.js';
