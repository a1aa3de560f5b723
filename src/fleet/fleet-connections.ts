import { realpathSync } from 'node:fs';
import type { Kysely } from 'kysely';
import { resolve } from 'node:path';
import { TrawlError } from '../errors/trawl-error.js';
import { openBullmqQueue, type BullmqQueueOptions } from '../queue/bullmq/bullmq-queue.js';
import type { JobQueue } from '../queue/job-queue.js';
import type { JobsDatabase } from '../queue/sqlite/jobs-schema.js';
import { createSqliteQueue, openSqliteQueue } from '../queue/sqlite/sqlite-queue.js';
import { openPostgresDatabase } from '../store/postgres/postgres-store.js';
import { openSqliteDatabase, openSqliteStore } from '../store/sqlite/sqlite-store.js';
import { isPostgresUrl, type StoreDatabase } from '../store/store-database.js';
import type { Store } from '../store/store.js';

/** `postgres://…` (the fleet store) or a SQLite file path (one machine). */
export function openFleetStore(db: string): Promise<Store> {
  return isPostgresUrl(db) ? openPostgresDatabase(db).then((d) => d.store) : openSqliteStore(db);
}

/**
 * `redis://host:port/db` or `unix:///path/redis.sock` (BullMQ), or `sqlite:<path>` (the embedded queue,
 * for several worker processes on one machine).
 */
export async function openFleetQueue(url: string, opts: Omit<BullmqQueueOptions, 'url'> = {}): Promise<JobQueue> {
  if (url.startsWith('sqlite:')) return (await openSqliteQueue(url.slice('sqlite:'.length))) as JobQueue;
  return openBullmqQueue({ ...opts, url });
}

/** A store and the queue its assessments run on, opened together, closed together. */
export interface FleetConnections {
  readonly database: StoreDatabase;
  readonly queue: JobQueue;
  /** Where the jobs are, for messages: the Redis URL, `embedded <file>`, or `in-memory`. */
  readonly queueLocation: string;
  close(): Promise<void>;
}

function samePath(a: string, b: string): boolean {
  const real = (p: string): string => {
    try {
      return realpathSync(p);
    } catch {
      return resolve(p);
    }
  };
  return real(a) === real(b);
}

/**
 * Opens the store (`postgres://…` or a SQLite file) and the job queue of a fleet process:
 *  - `queue` given: BullMQ (`redis://`, `unix://`) or the embedded queue of a SQLite file (`sqlite:<path>`);
 *  - no `queue`, SQLite store: the embedded queue in the store's own file;
 *  - no `queue`, PostgreSQL store: an in-memory queue when `inMemoryFallback` (one process: `trawl
 *    serve` with embedded workers; the store, not the queue, is the record of work, so a restart
 *    reconciles the jobs back), else an error asking for `--queue`.
 * The embedded queue of the store's own file shares the store's connection: two connections of one
 * process on one SQLite file can block each other (better-sqlite3 waits for locks synchronously).
 */
export async function openFleetConnections(o: {
  db: string;
  queue?: string;
  bullmq?: Omit<BullmqQueueOptions, 'url'>;
  inMemoryFallback?: boolean;
  applicationName?: string;
  poolSize?: number;
}): Promise<FleetConnections> {
  const postgres = isPostgresUrl(o.db);
  if (o.queue === undefined && postgres && o.inMemoryFallback !== true) {
    throw new TrawlError('TRAWL_E_BAD_OPTION', 'a PostgreSQL store needs a shared queue: give --queue redis://host:port (workers on several machines share it)', { value: o.db });
  }
  const database = postgres
    ? await openPostgresDatabase(o.db, { applicationName: o.applicationName ?? 'trawl', ...(o.poolSize !== undefined ? { poolSize: o.poolSize } : {}) })
    : await openSqliteDatabase(o.db);
  let queue: JobQueue;
  let queueLocation: string;
  try {
    await database.store.migrate();
    if (o.queue === undefined || (o.queue.startsWith('sqlite:') && !postgres && o.db !== ':memory:' && samePath(o.queue.slice('sqlite:'.length), o.db))) {
      if (postgres) {
        queue = await openSqliteQueue(':memory:');
        queueLocation = 'in-memory (this process only)';
      } else {
        queue = createSqliteQueue(database.db as unknown as Kysely<JobsDatabase>);
        queueLocation = `embedded in ${database.location}`;
      }
    } else {
      queue = await openFleetQueue(o.queue, o.bullmq ?? {});
      queueLocation = o.queue.startsWith('sqlite:') ? `embedded in ${o.queue.slice('sqlite:'.length)}` : o.queue.replace(/\/\/[^@/]*@/, '//***@');
    }
  } catch (e) {
    await database.close().catch(() => undefined);
    throw e;
  }
  return {
    database,
    queue,
    queueLocation,
    async close() {
      // A queue on the store's connection closes with it (its close leaves the connection open).
      await queue.close().catch(() => undefined);
      await database.close();
    },
  };
}
