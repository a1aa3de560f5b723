import BetterSqlite3 from 'better-sqlite3';
import { Kysely, SqliteDialect, sql } from 'kysely';
import { TrawlError } from '../../errors/trawl-error.js';
import { createKyselyStore } from '../kysely-store.js';
import type { Database } from '../schema.js';
import type { Store } from '../store.js';
import type { StoreDatabase } from '../store-database.js';
import { sqliteOpenError, sqliteOperationError } from './sqlite-errors.js';
import { checkDbPath, dbPathError, removeCreatedDb } from './sqlite-path.js';
import { cachingStatements } from './statement-cache.js';

/** How long a writer waits for another process's write lock before failing with TRAWL_E_DB. */
const BUSY_TIMEOUT_MS = 5000;
/** SQLITE_MAX_VARIABLE_NUMBER of every SQLite since 3.32. */
const MAX_PARAMETERS = 32766;
const DEC_ADD = 'trawl_dec_add';
const DECIMAL = /^(0|[1-9][0-9]{0,63})$/;

export interface SqliteStoreOptions {
  /** Open an existing store for reading only; writes fail with TRAWL_E_DB. */
  readonly?: boolean;
}

/**
 * The embedded store: one SQLite file (or `:memory:`), through Kysely over better-sqlite3.
 *
 * Durability: WAL with synchronous=NORMAL. A commit is in the WAL (the OS page cache) when it
 * returns, so it survives the process being killed at any point, kill -9 included; a power loss can
 * drop the last commits but never tears one (the WAL is checksummed), and a resume redoes them.
 *
 * A path that cannot hold a store throws TRAWL_E_DB_PATH naming the path and why; if the open created
 * the file and then failed, the file is removed again.
 *
 * Several processes may share a file (writers wait up to BUSY_TIMEOUT_MS for each other). Within one
 * process open one writable store per file: better-sqlite3 blocks the thread while waiting for a
 * lock, so a second connection would wait on a transaction that cannot progress.
 */
export async function openSqliteStore(path: string, opts: SqliteStoreOptions = {}): Promise<Store> {
  return (await openSqliteDatabase(path, opts)).store;
}

/** The same file as a Store and as the Kysely instance other modules query (see StoreDatabase). */
export async function openSqliteDatabase(path: string, opts: SqliteStoreOptions = {}): Promise<StoreDatabase> {
  const readonly = opts.readonly === true;
  const memory = path === ':memory:';
  if (memory && readonly) throw dbPathError(path, 'cannot be opened read-only: an in-memory store starts empty');
  const { existed } = memory ? { existed: true } : checkDbPath(path, readonly);

  let raw: BetterSqlite3.Database | undefined;
  try {
    raw = new BetterSqlite3(path, { readonly, fileMustExist: readonly, timeout: BUSY_TIMEOUT_MS });
    // The first read of the header: where a file that is not a database shows itself.
    raw.pragma('schema_version', { simple: true });
    if (!readonly) raw.pragma('journal_mode = WAL');
    raw.pragma('synchronous = NORMAL');
    raw.pragma('foreign_keys = ON');
    raw.function(DEC_ADD, { deterministic: true, directOnly: true }, decimalAdd);
  } catch (e) {
    raw?.close();
    if (!existed) removeCreatedDb(path);
    throw sqliteOpenError(e, path);
  }

  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: cachingStatements(raw) }) });
  const store = createKyselyStore(db, {
    location: path,
    readonly,
    maxParameters: MAX_PARAMETERS,
    decimalAdd: (column, delta) => sql<string>`${sql.raw(DEC_ADD)}(${sql.ref(column)}, ${delta})`,
    toTrawlError: (error, action) => sqliteOperationError(error, action, path),
  });
  return { db, store, dialect: 'sqlite', location: path, close: () => store.close() };
}

/**
 * `a + b` over bigint text, registered as an SQL function: SQLite's integers stop at 2^63, counters
 * of an IPv6 plan do not. Runs inside the UPDATE, so the increment is atomic like `col + n`.
 */
function decimalAdd(a: unknown, b: unknown): string {
  return (parseDecimal(a) + parseDecimal(b)).toString();
}

function parseDecimal(v: unknown): bigint {
  if (typeof v === 'string' && DECIMAL.test(v)) return BigInt(v);
  if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) return BigInt(v);
  throw new TrawlError('TRAWL_E_DB', `${DEC_ADD}: stored counter ${JSON.stringify(String(v).slice(0, 80))} is not a decimal integer`);
}
