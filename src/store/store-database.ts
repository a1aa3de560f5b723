import type { Kysely } from 'kysely';
import type { Database } from './schema.js';
import type { Store } from './store.js';

export type SqlDialectName = 'sqlite' | 'postgres';

/**
 * One database seen two ways: the Store port (scans, observations) and the Kysely instance that
 * other modules' queries (inventory, API, advisories) run on. Both share one connection (SQLite) or
 * one pool (PostgreSQL): a second SQLite connection in one process would block the thread on a lock
 * the first one holds, so every module opens the database through here.
 */
export interface StoreDatabase {
  readonly db: Kysely<Database>;
  readonly store: Store;
  readonly dialect: SqlDialectName;
  /** Where the data lives, for messages (path or redacted URL). */
  readonly location: string;
  /** Closes the store and with it the connection or pool. */
  close(): Promise<void>;
}

/** `postgres://…` or `postgresql://…` names PostgreSQL; anything else is a SQLite path (or `:memory:`). */
export function isPostgresUrl(location: string): boolean {
  return /^postgres(ql)?:\/\//i.test(location);
}
