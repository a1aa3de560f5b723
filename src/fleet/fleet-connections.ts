import { openBullmqQueue, type BullmqQueueOptions } from '../queue/bullmq/bullmq-queue.js';
import type { JobQueue } from '../queue/job-queue.js';
import { openSqliteQueue } from '../queue/sqlite/sqlite-queue.js';
import { openPostgresStore } from '../store/postgres/postgres-store.js';
import { openSqliteStore } from '../store/sqlite/sqlite-store.js';
import type { Store } from '../store/store.js';

/** `postgres://…` (the fleet store) or a SQLite file path (one machine). */
export function openFleetStore(db: string): Promise<Store> {
  return /^postgres(ql)?:\/\//.test(db) ? openPostgresStore(db) : openSqliteStore(db);
}

/**
 * `redis://host:port/db` or `unix:///path/redis.sock` (BullMQ), or `sqlite:<path>` (the embedded queue,
 * for several worker processes on one machine).
 */
export async function openFleetQueue(url: string, opts: Omit<BullmqQueueOptions, 'url'> = {}): Promise<JobQueue> {
  if (url.startsWith('sqlite:')) return (await openSqliteQueue(url.slice('sqlite:'.length))) as JobQueue;
  return openBullmqQueue({ ...opts, url });
}
