import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, describe, it } from 'node:test';
import { sql, type Kysely } from 'kysely';
import type { Database } from '../../src/store/schema.js';
import { createSqliteQueue, openSqliteQueue } from '../../src/queue/sqlite/sqlite-queue.js';
import { enqueueInTransaction } from '../../src/queue/sqlite/enqueue-in-transaction.js';
import { openSqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { describeQueueConformance } from './queue-conformance.js';

const root = mkdtempSync(join(tmpdir(), 'trawl-queue-test-'));
let n = 0;
const freshPath = (): string => join(root, `queue-${process.pid}-${n++}.db`);
after(() => rmSync(root, { recursive: true, force: true }));

describeQueueConformance('sqlite', async () => {
  const queue = await openSqliteQueue(freshPath());
  // Peers share the connection: one connection per file per process (see createSqliteQueue).
  return { queue, peer: async () => createSqliteQueue(queue.db) };
});

describe('SQLite queue specifics', () => {
  it('enqueues in the caller\'s transaction: the jobs commit or roll back with the other writes', async () => {
    const queue = await openSqliteQueue(freshPath());
    try {
      const spec = JSON.stringify({ targets: [] });
      await assert.rejects(
        queue.db.transaction().execute(async (trx) => {
          await sql`insert into scans (id, created_at, status, spec_json) values ('s1', '2030-01-01T00:00:00.000Z', 'running', ${spec})`.execute(trx);
          await enqueueInTransaction(trx, [{ kind: 'discover-unit', payload: { unit: 0 }, dedupKey: 's1/0' }]);
          throw new Error('crash before commit');
        }),
        /crash before commit/,
      );
      assert.equal((await queue.counts()).waiting, 0, 'the rolled-back transaction enqueued nothing');
      assert.equal((await sql<{ n: number }>`select count(*) as n from scans`.execute(queue.db)).rows[0]?.n, 0);

      // The documented pattern: a transaction typed with the store's Database, which lists no job tables.
      const storeDb = queue.db as unknown as Kysely<Database>;
      const ids = await storeDb.transaction().execute(async (trx) => {
        await sql`insert into scans (id, created_at, status, spec_json) values ('s1', '2030-01-01T00:00:00.000Z', 'running', ${spec})`.execute(trx);
        return enqueueInTransaction(trx, [{ kind: 'discover-unit', payload: { unit: 0 }, dedupKey: 's1/0' }, { kind: 'discover-unit', payload: { unit: 1 }, dedupKey: 's1/1' }]);
      });
      assert.equal(ids.length, 2);
      assert.equal((await queue.counts()).waiting, 2);
      const leased = await queue.lease({ id: 'w', zones: [] }, { max: 5, visibilityMs: 10_000 });
      assert.deepEqual(leased.map((j) => j.id).sort(), [...ids].sort());
    } finally {
      await queue.close();
    }
  });

  it('shares a file with the store: the store migrates it and the queue opens it as is', async () => {
    const path = freshPath();
    const store = await openSqliteStore(path);
    await store.migrate();
    await store.close();
    const queue = await openSqliteQueue(path);
    try {
      await queue.enqueue([{ kind: 'k', payload: 1 }]);
      assert.equal((await queue.counts()).waiting, 1);
    } finally {
      await queue.close();
    }
  });

  it('never leases one job twice across processes sharing the file', async () => {
    const path = freshPath();
    const queue = await openSqliteQueue(path);
    const total = 300;
    await queue.enqueue(Array.from({ length: total }, (_, i) => ({ kind: 'k', payload: { i } })));
    await queue.close();
    const child = fileURLToPath(new URL('./sqlite-lease-child.js', import.meta.url));
    const run = (id: string) =>
      new Promise<number[]>((resolve, reject) => {
        const p = spawn(process.execPath, [child, path, id], { stdio: ['ignore', 'pipe', 'pipe'] });
        let out = '';
        let err = '';
        p.stdout.on('data', (d: Buffer) => (out += d.toString()));
        p.stderr.on('data', (d: Buffer) => (err += d.toString()));
        p.on('error', reject);
        p.on('close', (code) => (code === 0 ? resolve(out.split('\n').filter(Boolean).map(Number)) : reject(new Error(`child ${id} exited ${code}: ${err}`))));
      });
    const results = await Promise.all([run('p1'), run('p2'), run('p3')]);
    const all = results.flat();
    assert.equal(all.length, total, `leased ${all.length} times for ${total} jobs`);
    assert.equal(new Set(all).size, total);
    assert.ok(results.filter((r) => r.length > 0).length >= 2, `work was shared: ${results.map((r) => r.length).join('/')}`);
    const check = await openSqliteQueue(path);
    try {
      assert.equal((await check.counts()).done, total);
    } finally {
      await check.close();
    }
  });
});
