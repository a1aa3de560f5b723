import { openSqliteStore } from '../../store/sqlite/sqlite-store.js';
import type { Store } from '../../store/store.js';

/** The embedded store: a SQLite file with --db, otherwise an in-memory database for this run only. */
export function openStore(dbPath: string | undefined): Promise<Store> {
  return openSqliteStore(dbPath ?? ':memory:');
}
