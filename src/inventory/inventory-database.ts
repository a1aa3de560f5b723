/**
 * A `Kysely<Database>` over an embedded store file, for the inventory functions when no Store is at
 * hand (the CLI, the bench). Same pragmas as the SQLite store. Sharing a file with an open Store in
 * one process is fine as long as their transactions do not overlap (better-sqlite3 waits
 * synchronously for a lock): fold after the scan has finished writing.
 */
import type { Kysely } from 'kysely';
import { Migrator } from 'kysely/migration';
import { TrawlError } from '../errors/trawl-error.js';
import { StaticMigrationProvider } from '../store/migrations/migration-provider.js';
import type { Database } from '../store/schema.js';
import { openSqliteDatabase } from '../store/sqlite/sqlite-store.js';

export async function openInventoryDatabase(path: string, opts: { readonly?: boolean } = {}): Promise<Kysely<Database>> {
  const { db } = await openSqliteDatabase(path, opts);
  if (opts.readonly !== true) {
    try {
      await migrateInventory(db);
    } catch (e) {
      await db.destroy();
      throw e;
    }
  }
  return db;
}

/** Brings the schema (every migration, the inventory's included) up to date. */
export async function migrateInventory(db: Kysely<Database>): Promise<void> {
  const { error } = await new Migrator({ db, provider: new StaticMigrationProvider() }).migrateToLatest();
  if (error !== undefined) {
    throw error instanceof TrawlError ? error : new TrawlError('TRAWL_E_DB', `cannot migrate the store: ${(error as Error).message}`, {}, { cause: error });
  }
}
