import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { createKyselyStore } from '../kysely-store.js';
import type { Database } from '../schema.js';
import type { Store } from '../store.js';
import type { StoreDatabase } from '../store-database.js';
import { postgresOpenError, postgresOperationError } from './postgres-errors.js';
import { checkPostgresUrl } from './postgres-url.js';

/** PostgreSQL's limit on bind parameters of one statement (an int16 count in the wire protocol). */
const MAX_PARAMETERS = 65535;
/** Connections per store: fleet workers commit concurrently, each commit holds one for a transaction. */
const DEFAULT_POOL_SIZE = 10;
/** How long opening a connection may take before the URL counts as unreachable. */
const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;

export interface PostgresStoreOptions {
  /** Open for reading only: every transaction is READ ONLY, writes and migrations fail with TRAWL_E_DB. */
  readonly?: boolean;
  /** Most connections the pool opens (default 10). */
  poolSize?: number;
  connectTimeoutMs?: number;
  /** Shown in pg_stat_activity, so an operator can tell Trawl's sessions apart (default "trawl"). */
  applicationName?: string;
}

/**
 * The fleet store: PostgreSQL through Kysely over a `pg` Pool. All queries are the shared Kysely
 * store's; this adapter supplies the connection and the PostgreSQL `StoreDialect`.
 *
 * The URL is checked and one connection is made before returning, so a typo, an unreachable server,
 * a wrong password or a missing database fail here with TRAWL_E_DB_URL naming the (redacted) URL.
 *
 * Atomicity is PostgreSQL's: a commit runs in one transaction, and a connection lost mid-transaction
 * (server restart, pg_terminate_backend, network cut) rolls it back on the server. The pool drops the
 * broken connection, so the next call opens a fresh one. Several processes may share one database;
 * counters are incremented in SQL and observations upserted, so concurrent commits stay exact.
 */
export async function openPostgresStore(url: string, opts: PostgresStoreOptions = {}): Promise<Store> {
  return (await openPostgresDatabase(url, opts)).store;
}

/** The database as a Store and as the Kysely instance other modules query (see StoreDatabase). */
export async function openPostgresDatabase(url: string, opts: PostgresStoreOptions = {}): Promise<StoreDatabase> {
  const { location } = checkPostgresUrl(url);
  const readonly = opts.readonly === true;
  const pool = new pg.Pool({
    connectionString: url,
    max: opts.poolSize ?? DEFAULT_POOL_SIZE,
    connectionTimeoutMillis: opts.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
    application_name: opts.applicationName ?? 'trawl',
    ...(readonly ? { options: '-c default_transaction_read_only=on' } : {}),
  });
  // An idle connection the server closes (restart, terminate) surfaces here; without a listener the
  // pool's 'error' event would crash the process. The pool already discards that connection.
  pool.on('error', () => {});
  // A checked-out connection reports a lost backend both to its running query (which fails, rolling
  // the transaction back) and as an 'error' event that neither the pool nor Kysely listens to while it
  // is checked out; unheard, it would crash the process.
  pool.on('connect', (client) => {
    client.on('error', () => {});
  });

  try {
    const client = await pool.connect();
    client.release();
  } catch (e) {
    await pool.end().catch(() => {});
    throw postgresOpenError(e, location);
  }

  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  const store = createKyselyStore(db, {
    location,
    readonly,
    maxParameters: MAX_PARAMETERS,
    // numeric has no 64-bit ceiling; integer numerics print without a fraction, so ::text is canonical.
    decimalAdd: (column, delta) => sql<string>`(${sql.ref(column)}::numeric + ${delta}::numeric)::text`,
    toTrawlError: (error, action) => postgresOperationError(error, action, location),
  });
  return { db, store, dialect: 'postgres', location, close: () => store.close() };
}
