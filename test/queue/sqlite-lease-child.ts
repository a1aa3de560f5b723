/**
 * Child process of sqlite-queue.test.ts: leases and acks jobs from a shared queue file until none are
 * left, printing each leased job's payload index, one per line. argv: <path> <worker id>.
 */
import { openSqliteQueue } from '../../src/queue/sqlite/sqlite-queue.js';

const [path, workerId] = process.argv.slice(2);
if (path === undefined || workerId === undefined) throw new Error('usage: sqlite-lease-child <path> <worker id>');
const queue = await openSqliteQueue(path);
try {
  let idle = 0;
  while (idle < 3) {
    const jobs = await queue.lease({ id: workerId, zones: [] }, { max: 2, visibilityMs: 30_000 });
    if (jobs.length === 0) {
      idle++;
      await new Promise((r) => setTimeout(r, 20));
      continue;
    }
    idle = 0;
    for (const j of jobs) {
      process.stdout.write(`${(j.payload as { i: number }).i}\n`);
      await queue.ack(j.id, j.leaseToken);
    }
  }
} finally {
  await queue.close();
}
