/**
 * A worker process for the poison-unit test, and only for it: the real worker loop (`runWorker`) on
 * the real store and queue, as `trawl worker` runs it, in a process that kills itself with SIGKILL —
 * as a segfault, an OOM kill or a native crash would — whenever it leases a job whose dedup key is
 * listed in the file named by TRAWL_TEST_POISON_FILE. It lives under test/ and nothing in src/ can
 * load it, so no production process can ever crash this way on purpose.
 *
 * Usage: poison-worker.js --db <sqlite file> [--queue <url>] --id <worker id> [--lease-ms <ms>]
 */
import { existsSync, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { inventoryClosedWatch } from '../../src/fleet/closed-watch.js';
import { openFleetConnections } from '../../src/fleet/fleet-connections.js';
import { runWorker } from '../../src/fleet/fleet-worker.js';
import type { JobQueue } from '../../src/queue/job-queue.js';

function poisoned(): Set<string> {
  const file = process.env['TRAWL_TEST_POISON_FILE'];
  if (file === undefined || !existsSync(file)) return new Set();
  return new Set(readFileSync(file, 'utf8').split('\n').map((l) => l.trim()).filter(Boolean));
}

/** The queue as the worker sees it, except that leasing a poisoned job kills the process on the spot. */
function crashingOnPoison(inner: JobQueue): JobQueue {
  return new Proxy(inner, {
    get(target, prop) {
      if (prop === 'lease') {
        return async (...args: Parameters<JobQueue['lease']>) => {
          const jobs = await target.lease(...args);
          const poison = poisoned();
          if (jobs.some((j) => j.dedupKey !== undefined && poison.has(j.dedupKey))) {
            process.stderr.write(`poison-worker ${process.pid}: leased a poisoned job, crashing\n`);
            process.kill(process.pid, 'SIGKILL');
          }
          return jobs;
        };
      }
      const v: unknown = Reflect.get(target, prop, target);
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { db: { type: 'string' }, queue: { type: 'string' }, id: { type: 'string' }, 'lease-ms': { type: 'string' } }, strict: true });
  if (values.db === undefined || values.id === undefined) throw new Error('usage: poison-worker.js --db <file> --id <id> [--queue <url>] [--lease-ms <ms>]');
  const conns = await openFleetConnections({ db: values.db, ...(values.queue !== undefined ? { queue: values.queue } : {}) });
  const stop = new AbortController();
  process.on('SIGTERM', () => stop.abort());
  try {
    await runWorker({
      store: conns.database.store, queue: crashingOnPoison(conns.queue), zones: [], concurrency: 1, id: values.id, signal: stop.signal,
      visibilityMs: Number(values['lease-ms'] ?? '1000'), pollMs: 50, drainMs: 2000, recordClosed: inventoryClosedWatch(conns.database.db),
      log: (line) => process.stderr.write(`${line}\n`),
    });
  } finally {
    await conns.close();
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`poison-worker failed: ${e instanceof Error ? e.stack ?? e.message : String(e)}\n`);
  process.exitCode = 70;
});
