import type { Kysely } from 'kysely';
import { Migrator } from 'kysely/migration';
import { TrawlError } from '../../errors/trawl-error.js';
import { StaticMigrationProvider } from '../../store/migrations/migration-provider.js';
import type { Database } from '../../store/schema.js';
import { sqliteOperationError } from '../../store/sqlite/sqlite-errors.js';
import { openSqliteDatabase } from '../../store/sqlite/sqlite-store.js';
import type { AdvisoryStore } from '../osv/advisory-store.js';
import { createKyselyAdvisoryStore } from '../osv/kysely-advisory-store.js';
import type { ArtifactStore } from './artifact-store.js';
import { createKyselyArtifactStore } from './kysely-artifact-store.js';

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
  const { db } = await openSqliteDatabase(path);
  return createKyselyArtifactDb(db, { location: path, toTrawlError: (e, action) => sqliteOperationError(e, action, path) });
}
