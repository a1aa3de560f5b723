export type { ProgressCommit, Store } from './store.js';
export { openSqliteStore, type SqliteStoreOptions } from './sqlite/sqlite-store.js';
export { createKyselyStore, type StoreDialect } from './kysely-store.js';
export { ipSortKey } from './ip-key.js';
export { migrations, StaticMigrationProvider } from './migrations/migration-provider.js';
export type { Database } from './schema.js';
