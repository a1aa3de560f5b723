import BetterSqlite3 from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import { Migrator } from 'kysely/migration';
import { TrawlError } from '../../errors/trawl-error.js';
import { StaticMigrationProvider } from '../../store/migrations/migration-provider.js';
import type { Database } from '../../store/schema.js';
import { sqliteOpenError, sqliteOperationError } from '../../store/sqlite/sqlite-errors.js';
import { checkDbPath, dbPathError, removeCreatedDb } from '../../store/sqlite/sqlite-path.js';
import { cachingStatements } from '../../store/sqlite/statement-cache.js';
import type { AdvisoryStore } from '../osv/advisory-store.js';
import { createKyselyAdvisoryStore } from '../osv/kysely-advisory-store.js';
import type { ArtifactStore } from './artifact-store.js';
import { createKyselyArtifactStore } from './kysely-artifact-store.js';

const BUSY_TIMEOUT_MS = 5000;

/** The advisory and artifact-cache stores over one database, plus its lifecycle. */
export interface ArtifactDb {
  readonly advisories: AdvisoryStore;
  readonly artifacts: ArtifactStore;
  /** Applies every pending migration (the scan store's and these), as `Store#migrate` does. */
  migrate(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Over any Kysely<Database> (SQLite now, PostgreSQL later): the engine-specific part is only how
 * errors become TrawlErrors.
 */
export function createKyselyArtifactDb(db: Kysely<Database>, opts: { location: string; toTrawlError: (e: unknown, action: string) => TrawlError }): ArtifactDb {
  let closed = false;
  const run = async <T>(action: string, fn: () => Promise<T>): Promise<T> => {
    if (closed) throw new TrawlError('TRAWL_E_DB', `cannot ${action}: store ${opts.location} is closed`, { location: opts.location });
    try {
      return await fn();
    } catch (e) {
      throw opts.toTrawlError(e, action);
    }
  };
  return {
    advisories: createKyselyAdvisoryStore(db, run),
    artifacts: createKyselyArtifactStore(db, run),
    migrate: () =>
      run('migrate the schema', async () => {
        const { error } = await new Migrator({ db, provider: new StaticMigrationProvider() }).migrateToLatest();
        if (error !== undefined) throw error;
      }),
    close: async () => {
      if (closed) return;
      closed = true;
      await db.destroy();
    },
  };
}

/**
 * Opens the SQLite file the scan store uses (same checks, pragmas, statement cache and error
 * mapping as src/store/sqlite/sqlite-store.ts), so advisories and artifacts live beside scans.
 * Like the scan store, open one writable connection per file per process.
 */
export async function openSqliteArtifactDb(path: string): Promise<ArtifactDb> {
  const memory = path === ':memory:';
  const { existed } = memory ? { existed: true } : checkDbPath(path, false);
  let raw: BetterSqlite3.Database | undefined;
  try {
    raw = new BetterSqlite3(path, { timeout: BUSY_TIMEOUT_MS });
    raw.pragma('schema_version', { simple: true });
    raw.pragma('journal_mode = WAL');
    raw.pragma('synchronous = NORMAL');
    raw.pragma('foreign_keys = ON');
  } catch (e) {
    raw?.close();
    if (!existed) removeCreatedDb(path);
    throw sqliteOpenError(e, path);
  }
  if (raw === undefined) throw dbPathError(path, 'cannot be opened');
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: cachingStatements(raw) }) });
  return createKyselyArtifactDb(db, { location: path, toTrawlError: (e, action) => sqliteOperationError(e, action, path) });
}
