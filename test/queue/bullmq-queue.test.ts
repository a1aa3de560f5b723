/**
 * The BullMQ adapter against the real Redis on 127.0.0.1:6379 (TRAWL_TEST_REDIS_URL overrides).
 * Every queue gets its own key prefix `trawl-test:<run>:<n>`; all keys of the run are deleted after.
 * The restart test really restarts that Redis (it runs without persistence) and leaves it running.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { TrawlError } from '../../src/errors/trawl-error.js';
import { emptyCounters } from '../../src/model/scan.js';
import { openBullmqQueue } from '../../src/queue/bullmq/bullmq-queue.js';
import { RedisCommands } from '../../src/queue/bullmq/redis-commands.js';
import { parseRedisUrl } from '../../src/queue/bullmq/redis-url.js';
import type { JobQueue } from '../../src/queue/job-queue.js';
import { reconcile, workUnitKey } from '../../src/queue/reconcile.js';
import { openSqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { describeQueueConformance } from './queue-conformance.js';

const REDIS_URL = process.env.TRAWL_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const RUN = `trawl-test:${process.pid}-${randomBytes(4).toString('hex')}`;
let n = 0;

async function deleteKeys(pattern: string): Promise<void> {
  const redis = new RedisCommands(parseRedisUrl(REDIS_URL));
  try {
    await redis.connect();
    let cursor = '0';
    do {
      const reply = (await redis.call('SCAN', cursor, 'MATCH', pattern, 'COUNT', 1000)) as [string, string[]];
      cursor = reply[0];
      if (reply[1].length > 0) await redis.call('DEL', ...reply[1]);
    } while (cursor !== '0');
  } finally {
    redis.close();
  }
}

after(() => deleteKeys(`${RUN}:*`));

const open = (prefix: string): Promise<JobQueue> => openBullmqQueue({ url: REDIS_URL, prefix, stalledCheckMs: 100 });

describeQueueConformance('bullmq', async () => {
  const prefix = `${RUN}:${n++}`;
  return { queue: await open(prefix), peer: () => open(prefix) };
});

describe('BullMQ queue specifics', () => {
  it('fails fast with TRAWL_E_QUEUE when Redis is unreachable or the prefix is bad', async () => {
    await assert.rejects(openBullmqQueue({ url: 'redis://127.0.0.1:1', connectTimeoutMs: 1000 }), (e: unknown) => e instanceof TrawlError && e.code === 'TRAWL_E_QUEUE' && /127\.0\.0\.1:1/.test(e.message));
    await assert.rejects(openBullmqQueue({ url: 'http://127.0.0.1:6379' }), (e: unknown) => e instanceof TrawlError && /redis: scheme/.test(e.message));
    await assert.rejects(openBullmqQueue({ url: REDIS_URL, prefix: 'a b' }), (e: unknown) => e instanceof TrawlError && /prefix/.test(e.message));
  });

  it('keeps every key under its prefix', async () => {
    const prefix = `${RUN}:${n++}`;
    const q = await open(prefix);
    try {
      await q.enqueue([{ kind: 'k', payload: 1, zone: 'eu', group: 'g', dedupKey: 'x', rateGroup: 'r' }]);
      await q.setRateLimit('r', { max: 1, perMs: 1000 });
      const [j] = await q.lease({ id: 'w', zones: ['eu'] }, { max: 1, visibilityMs: 5000 });
      assert.ok(j);
      await q.ack(j.id, j.leaseToken);
      const redis = new RedisCommands(parseRedisUrl(REDIS_URL));
      try {
        await redis.connect();
        const keys = (await redis.call('KEYS', `${prefix}*`)) as string[];
        assert.ok(keys.length > 5, `keys: ${keys.join(', ')}`);
        assert.ok(keys.every((k) => k.startsWith(`${prefix}:`)), keys.join(', '));
        assert.ok(keys.some((k) => k.startsWith(`${prefix}:eu:`)), 'the zone is its own BullMQ queue');
      } finally {
        redis.close();
      }
    } finally {
      await q.close();
    }
  });

  it('survives a Redis restart: reconnects, and the store re-enqueues what Redis lost', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'trawl-bullmq-restart-'));
    const store = await openSqliteStore(join(dir, 'store.db'));
    const q = await open(`${RUN}:${n++}`);
    try {
      await store.migrate();
      await store.createScan({ id: 'scan-r', spec: { targets: [], targetFiles: [], excludes: [], excludeFiles: [], ports: [80], resolved: {}, seed: '1', shard: { index: 0, count: 1 }, options: {} }, counters: emptyCounters(), createdAt: '2030-01-01T00:00:00.000Z' });
      await store.putWorkUnits(Array.from({ length: 5 }, (_, i) => ({ scanId: 'scan-r', stage: 'discover' as const, unitIndex: i, start: BigInt(i * 100), end: BigInt(i * 100 + 100), checkpoint: BigInt(i * 100), state: 'pending' as const, attempts: 0, leaseOwner: null })));
      await store.commitProgress({ scanId: 'scan-r', stage: 'discover', unitIndex: 0, checkpoint: 100n, unitDone: true, observations: [], counters: {} });
      const toJob = (u: { scanId: string; unitIndex: number; checkpoint: bigint }) => ({ kind: 'discover-unit', payload: { scanId: u.scanId, unit: u.unitIndex, from: u.checkpoint.toString() }, group: u.scanId });

      assert.deepEqual(await reconcile(store, q, { scanId: 'scan-r', toJob }), { enqueued: 4, done: 1 });
      assert.deepEqual(await reconcile(store, q, { scanId: 'scan-r', toJob }), { enqueued: 4, done: 1 });
      assert.equal((await q.counts()).waiting, 4, 'reconciling twice enqueues each unit once');
      // Use the lease path once before the restart, so its BullMQ Worker has to reconnect too.
      await q.enqueue([{ kind: 'probe', payload: 'before-restart', priority: 0 }]);
      const [before] = await q.lease({ id: 'w-before', zones: [] }, { max: 1, visibilityMs: 10_000 });
      assert.equal(before?.payload, 'before-restart');
      await q.ack(before.id, before.leaseToken);

      execFileSync('redis-cli', ['-p', '6379', 'shutdown', 'nosave'], { stdio: 'ignore' });
      await assert.rejects(q.counts(), (e: unknown) => e instanceof TrawlError && e.code === 'TRAWL_E_QUEUE', 'while Redis is down calls fail with TRAWL_E_QUEUE');
      execFileSync('redis-server', ['--daemonize', 'yes', '--bind', '127.0.0.1', '-::1', '--port', '6379', '--save', '', '--appendonly', 'no', '--dir', '/var/lib/redis', '--logfile', '/var/log/redis/ci.log']);

      // The same queue object heals: BullMQ's client and our own reconnect by themselves.
      const deadline = Date.now() + 15_000;
      let counts;
      for (;;) {
        try {
          counts = await q.counts();
          await q.enqueue([{ kind: 'probe', payload: 'after-restart' }]);
          break;
        } catch (e) {
          if (Date.now() > deadline) throw e;
          await sleep(200);
        }
      }
      assert.equal(counts.waiting, 0, 'Redis kept nothing: the queued jobs are gone');

      assert.deepEqual(await reconcile(store, q, { scanId: 'scan-r', toJob }), { enqueued: 4, done: 1 });
      assert.equal((await q.counts({ group: 'scan-r' })).waiting, 4);
      const leased: string[] = [];
      const until = Date.now() + 15_000;
      while (leased.length < 5 && Date.now() < until) {
        const got = await q.lease({ id: 'w-after', zones: [] }, { max: 10, visibilityMs: 10_000 });
        for (const j of got) {
          leased.push(j.dedupKey ?? String(j.payload));
          await q.ack(j.id, j.leaseToken);
        }
        if (got.length === 0) await sleep(100);
      }
      assert.deepEqual(leased.sort(), ['after-restart', ...[1, 2, 3, 4].map((i) => workUnitKey({ scanId: 'scan-r', stage: 'discover', unitIndex: i }))].sort());
      assert.equal((await q.counts()).done, 5);
    } finally {
      // Leave Redis running whatever happened above.
      try {
        execFileSync('redis-cli', ['-p', '6379', 'ping'], { stdio: 'ignore' });
      } catch {
        execFileSync('redis-server', ['--daemonize', 'yes', '--bind', '127.0.0.1', '-::1', '--port', '6379', '--save', '', '--appendonly', 'no', '--dir', '/var/lib/redis', '--logfile', '/var/log/redis/ci.log']);
      }
      await q.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
