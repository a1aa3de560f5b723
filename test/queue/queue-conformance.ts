/**
 * The behaviour every JobQueue adapter must have. An adapter's test file calls
 * `describeQueueConformance(name, open, cleanup)`; `open` returns a harness over an EMPTY queue on every
 * call (a new file, a new Redis prefix...), whose `peer()` opens a second handle on the same queue
 * (another connection where the adapter has connections). Each test closes what it opened.
 *
 * Timing assertions use short delays with generous margins; `lease` is polled where an adapter may
 * notice an expired lease or an elapsed backoff a little late (BullMQ's stalled-job check).
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { TrawlError } from '../../src/errors/trawl-error.js';
import type { JobInput, LeasedJob, WorkerIdentity } from '../../src/queue/job.js';
import type { JobQueue } from '../../src/queue/job-queue.js';
import { rejectsWith } from '../support/trawl-assert.js';

export interface QueueHarness {
  readonly queue: JobQueue;
  peer(): Promise<JobQueue>;
}

const W1: WorkerIdentity = { id: 'w1', zones: [] };
const W2: WorkerIdentity = { id: 'w2', zones: [] };

function job(i: number, extra: Partial<JobInput> = {}): JobInput {
  return { kind: 'probe', payload: { i }, ...extra };
}

const indexOf = (j: LeasedJob): number => (j.payload as { i: number }).i;

/** Leases until something comes back or `timeoutMs` passes. */
async function leaseEventually(queue: JobQueue, worker: WorkerIdentity, opts: { max: number; visibilityMs: number }, timeoutMs: number): Promise<LeasedJob[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const jobs = await queue.lease(worker, opts);
    if (jobs.length > 0 || Date.now() > deadline) return jobs;
    await sleep(25);
  }
}

export function describeQueueConformance(name: string, open: () => Promise<QueueHarness>, cleanup?: () => Promise<void>): void {
  describe(`JobQueue conformance: ${name}`, () => {
    if (cleanup) after(cleanup);

    async function withQueue(fn: (queue: JobQueue, peer: () => Promise<JobQueue>) => Promise<void>): Promise<void> {
      const h = await open();
      const peers: JobQueue[] = [];
      try {
        await fn(h.queue, async () => {
          const p = await h.peer();
          peers.push(p);
          return p;
        });
      } finally {
        for (const p of peers) await p.close();
        await h.queue.close();
      }
    }

    it('delivers a job once, payload intact, and counts it through its life', () =>
      withQueue(async (q) => {
        const payload = { target: '192.0.2.1', ports: [22, 443], nested: { ok: true, n: null }, text: 'é ✓' };
        const [id] = await q.enqueue([{ kind: 'discover-unit', payload, group: 'a1', attempts: 5 }]);
        assert.ok(id);
        assert.deepEqual(await q.counts(), { waiting: 1, leased: 0, done: 0, failed: 0, dead: 0, waitingNoWorker: 1 });
        const [leased, ...rest] = await q.lease(W1, { max: 10, visibilityMs: 30_000 });
        assert.deepEqual(rest, []);
        assert.ok(leased);
        assert.equal(leased.id, id);
        assert.equal(leased.kind, 'discover-unit');
        assert.deepEqual(leased.payload, payload);
        assert.equal(leased.attempt, 1);
        assert.equal(leased.maxAttempts, 5);
        assert.equal(leased.group, 'a1');
        assert.ok(leased.leaseExpiresAt > Date.now() + 20_000 && leased.leaseExpiresAt <= Date.now() + 30_000);
        assert.deepEqual(await q.lease(W2, { max: 10, visibilityMs: 30_000 }), []);
        assert.deepEqual(await q.counts({ group: 'a1' }), { waiting: 0, leased: 1, done: 0, failed: 0, dead: 0, waitingNoWorker: 0 });
        await q.ack(leased.id, leased.leaseToken, { open: 2 });
        assert.deepEqual(await q.counts(), { waiting: 0, leased: 0, done: 1, failed: 0, dead: 0, waitingNoWorker: 0 });
        assert.deepEqual(await q.counts({ group: 'other' }), { waiting: 0, leased: 0, done: 0, failed: 0, dead: 0, waitingNoWorker: 0 });
        assert.deepEqual(await q.lease(W1, { max: 10, visibilityMs: 30_000 }), []);
      }));

    it('deduplicates by key while the job is waiting, leased or done', () =>
      withQueue(async (q) => {
        const a = await q.enqueue([job(1, { dedupKey: 'scan-1/unit-7' }), job(2, { dedupKey: 'scan-1/unit-7' }), job(3)]);
        assert.equal(a[0], a[1], 'the same key in one call yields one job');
        const b = await q.enqueue([job(4, { dedupKey: 'scan-1/unit-7' })]);
        assert.equal(b[0], a[0]);
        assert.equal((await q.counts()).waiting, 2);
        const leased = await q.lease(W1, { max: 10, visibilityMs: 30_000 });
        assert.deepEqual(leased.map(indexOf).sort(), [1, 3], 'the first enqueued payload wins');
        assert.equal(leased.find((j) => indexOf(j) === 1)?.dedupKey, 'scan-1/unit-7');
        await q.enqueue([job(5, { dedupKey: 'scan-1/unit-7' })]);
        assert.deepEqual(await q.lease(W1, { max: 10, visibilityMs: 30_000 }), [], 'no duplicate while leased');
        for (const j of leased) await q.ack(j.id, j.leaseToken);
        await q.enqueue([job(6, { dedupKey: 'scan-1/unit-7' })]);
        assert.deepEqual(await q.lease(W1, { max: 10, visibilityMs: 30_000 }), [], 'no duplicate once done');
        assert.deepEqual(await q.counts(), { waiting: 0, leased: 0, done: 2, failed: 0, dead: 0, waitingNoWorker: 0 });
        // Keys with characters that are special elsewhere (':' in Redis key names, '%' in LIKE).
        const odd = await q.enqueue([job(7, { dedupKey: 'a:b:c/%_ 1' }), job(8, { dedupKey: '12345' }), job(9, { dedupKey: 'a:b:c/%_ 1' })]);
        assert.equal(odd[0], odd[2]);
        assert.notEqual(odd[0], odd[1]);
        assert.deepEqual((await q.lease(W1, { max: 10, visibilityMs: 30_000 })).map(indexOf).sort(), [7, 8]);
      }));

    it('leases by priority (lower first), first-in-first-out within a priority', () =>
      withQueue(async (q) => {
        await q.enqueue([job(0, { priority: 5 }), job(1, { priority: 1 }), job(2), job(3, { priority: 1 }), job(4, { priority: 0 }), job(5, { priority: 5 })]);
        await q.enqueue([job(6, { priority: 1 }), job(7, { priority: 2_000_000 })]);
        const order: number[] = [];
        for (;;) {
          const [j] = await q.lease(W1, { max: 1, visibilityMs: 30_000 });
          if (!j) break;
          order.push(indexOf(j));
        }
        assert.deepEqual(order, [4, 1, 3, 6, 0, 5, 2, 7]);
        await q.enqueue([job(10, { priority: 3 }), job(11, { priority: 2 }), job(12, { priority: 3 })]);
        assert.deepEqual((await q.lease(W1, { max: 10, visibilityMs: 30_000 })).map(indexOf), [11, 10, 12]);
      }));

    it('routes jobs to workers of their zone and counts jobs no live worker can take', () =>
      withQueue(async (q) => {
        await q.enqueue([job(1, { zone: 'eu-1' }), job(2, { zone: 'us-1' }), job(3), job(4, { zone: 'eu-1' }), job(5, { zone: 'ap-1' })]);
        assert.equal((await q.counts()).waitingNoWorker, 5, 'no worker has been seen yet');
        const eu = await q.lease({ id: 'eu-worker', zones: ['eu-1'] }, { max: 10, visibilityMs: 30_000 });
        assert.deepEqual(eu.map(indexOf).sort(), [1, 3, 4]);
        assert.ok(eu.filter((j) => indexOf(j) !== 3).every((j) => j.zone === 'eu-1'));
        const c = await q.counts();
        assert.equal(c.waiting, 2);
        assert.equal(c.waitingNoWorker, 2, 'us-1 and ap-1 have no worker');
        assert.deepEqual(await q.counts({ zone: 'us-1' }), { waiting: 1, leased: 0, done: 0, failed: 0, dead: 0, waitingNoWorker: 1 });
        const us = await q.lease({ id: 'us-worker', zones: ['us-1', 'sa-1'] }, { max: 10, visibilityMs: 30_000 });
        assert.deepEqual(us.map(indexOf), [2]);
        assert.equal((await q.counts()).waitingNoWorker, 1);
        assert.deepEqual(await q.lease({ id: 'zoneless', zones: [] }, { max: 10, visibilityMs: 30_000 }), []);
        assert.deepEqual((await q.lease({ id: 'ap-worker', zones: ['ap-1'] }, { max: 10, visibilityMs: 30_000 })).map(indexOf), [5]);
        assert.equal((await q.counts()).waitingNoWorker, 0);
      }));

    it('never leases one job to two workers, even under concurrency across handles', () =>
      withQueue(async (q, peer) => {
        const n = 60;
        await q.enqueue(Array.from({ length: n }, (_, i) => job(i, { zone: i % 3 === 0 ? 'z1' : undefined })));
        const handles = [q, await peer()];
        const seen: number[] = [];
        const workers = Array.from({ length: 8 }, async (_, w) => {
          const handle = handles[w % 2] as JobQueue;
          for (;;) {
            const got = await handle.lease({ id: `w${w}`, zones: ['z1'] }, { max: 3, visibilityMs: 30_000 });
            if (got.length === 0) return;
            seen.push(...got.map(indexOf));
            for (const j of got) await handle.ack(j.id, j.leaseToken);
          }
        });
        await Promise.all(workers);
        assert.equal(seen.length, n, `leased ${seen.length} times for ${n} jobs`);
        assert.equal(new Set(seen).size, n);
        assert.equal((await q.counts()).done, n);
      }));

    it('redelivers a job whose visibility expired, counting the attempt, and rejects the lost lease', () =>
      withQueue(async (q) => {
        await q.enqueue([job(1, { attempts: 3 })]);
        const [first] = await q.lease(W1, { max: 1, visibilityMs: 300 });
        assert.ok(first);
        assert.deepEqual(await q.lease(W2, { max: 1, visibilityMs: 300 }), [], 'invisible within the visibility');
        const t0 = Date.now();
        const [second] = await leaseEventually(q, W2, { max: 1, visibilityMs: 30_000 }, 5000);
        assert.ok(second, 'redelivered after the visibility expired');
        assert.ok(Date.now() - t0 >= 200, 'not before the visibility expired');
        assert.equal(second.id, first.id);
        assert.equal(second.attempt, 2);
        assert.notEqual(second.leaseToken, first.leaseToken);
        await rejectsWith(q.ack(first.id, first.leaseToken), 'TRAWL_E_LEASE_LOST', new RegExp(first.id.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
        await rejectsWith(q.heartbeat(first.id, first.leaseToken), 'TRAWL_E_LEASE_LOST');
        await q.ack(second.id, second.leaseToken);
        assert.equal((await q.counts()).done, 1);
      }));

    it('keeps a lease alive with heartbeats', () =>
      withQueue(async (q) => {
        await q.enqueue([job(1)]);
        const [j] = await q.lease(W1, { max: 1, visibilityMs: 700 });
        assert.ok(j);
        // Twice the visibility: without the heartbeats W2 would get the job.
        const until = Date.now() + 1600;
        while (Date.now() < until) {
          await sleep(150);
          const hb = await q.heartbeat(j.id, j.leaseToken);
          assert.equal(hb.cancelled, false);
          assert.ok(hb.leaseExpiresAt >= Date.now() + 500, 'the heartbeat renewed the lease by its visibility');
          assert.deepEqual(await q.lease(W2, { max: 1, visibilityMs: 700 }), [], 'still invisible while heartbeating');
        }
        const longer = await q.heartbeat(j.id, j.leaseToken, 60_000);
        assert.ok(longer.leaseExpiresAt > Date.now() + 50_000);
        await q.ack(j.id, j.leaseToken);
        assert.equal((await q.counts()).done, 1);
      }));

    it('rejects stale and foreign lease tokens', () =>
      withQueue(async (q) => {
        await q.enqueue([job(1), job(2)]);
        const [a, b] = await q.lease(W1, { max: 2, visibilityMs: 30_000 });
        assert.ok(a && b);
        await rejectsWith(q.ack(a.id, b.leaseToken), 'TRAWL_E_LEASE_LOST', /stale|not leased|token/);
        await rejectsWith(q.ack(a.id, 'not-a-token'), 'TRAWL_E_LEASE_LOST');
        await rejectsWith(q.heartbeat(a.id, 'not-a-token'), 'TRAWL_E_LEASE_LOST');
        await rejectsWith(q.fail(a.id, 'not-a-token', 'x'), 'TRAWL_E_LEASE_LOST');
        await rejectsWith(q.ack('no-such-job', a.leaseToken), 'TRAWL_E_LEASE_LOST');
        await q.ack(a.id, a.leaseToken);
        await rejectsWith(q.ack(a.id, a.leaseToken), 'TRAWL_E_LEASE_LOST', /done|not leased|lock|finished/i);
        await rejectsWith(q.fail(a.id, a.leaseToken, 'late'), 'TRAWL_E_LEASE_LOST');
        assert.equal((await q.counts()).done, 1, 'a rejected late fail changes nothing');
        await q.ack(b.id, b.leaseToken);
      }));

    it('retries a failed job after an exponential backoff', () =>
      withQueue(async (q) => {
        await q.enqueue([job(1, { attempts: 3, backoff: { type: 'exponential', delayMs: 300, jitter: 0 } })]);
        const [a1] = await q.lease(W1, { max: 1, visibilityMs: 30_000 });
        assert.ok(a1);
        const failedAt = Date.now();
        const r1 = await q.fail(a1.id, a1.leaseToken, new Error('connection reset'));
        assert.equal(r1.outcome, 'retry');
        assert.ok(r1.outcome === 'retry' && r1.retryAt >= failedAt + 250 && r1.retryAt <= Date.now() + 350, `retryAt ${r1.outcome === 'retry' ? r1.retryAt - failedAt : ''}`);
        assert.deepEqual(await q.counts(), { waiting: 0, leased: 0, done: 0, failed: 1, dead: 0, waitingNoWorker: 0 });
        assert.deepEqual(await q.lease(W1, { max: 1, visibilityMs: 30_000 }), [], 'not before the backoff');
        const [a2] = await leaseEventually(q, W1, { max: 1, visibilityMs: 30_000 }, 3000);
        assert.ok(a2);
        const gap1 = Date.now() - failedAt;
        assert.ok(gap1 >= 280, `first retry after ${gap1} ms, expected about 300`);
        assert.equal(a2.attempt, 2);
        const failed2 = Date.now();
        await q.fail(a2.id, a2.leaseToken, 'again');
        await sleep(350);
        assert.deepEqual(await q.lease(W1, { max: 1, visibilityMs: 30_000 }), [], 'the second backoff doubles (600 ms)');
        const [a3] = await leaseEventually(q, W1, { max: 1, visibilityMs: 30_000 }, 3000);
        assert.ok(a3);
        const gap2 = Date.now() - failed2;
        assert.ok(gap2 >= 580, `second retry after ${gap2} ms, expected about 600`);
        assert.equal(a3.attempt, 3);
        await q.ack(a3.id, a3.leaseToken);
      }));

    it('dead-letters a job after its attempts, keeping the error, and redrives it', () =>
      withQueue(async (q) => {
        await q.enqueue([job(1, { attempts: 2, group: 'g', backoff: { type: 'exponential', delayMs: 0 } }), job(2, { attempts: 1, zone: 'z' })]);
        const [a1] = await q.lease(W1, { max: 1, visibilityMs: 30_000 });
        assert.ok(a1);
        assert.equal((await q.fail(a1.id, a1.leaseToken, 'boom 1')).outcome, 'retry');
        const [a2] = await leaseEventually(q, W1, { max: 1, visibilityMs: 30_000 }, 3000);
        assert.ok(a2);
        assert.equal(a2.attempt, 2);
        assert.deepEqual(await q.fail(a2.id, a2.leaseToken, new TypeError('boom 2: bad banner')), { outcome: 'dead' });
        assert.deepEqual(await q.lease(W1, { max: 1, visibilityMs: 30_000 }), []);
        const dead = await q.listDead();
        assert.equal(dead.length, 1);
        assert.equal(dead[0]?.id, a1.id);
        assert.equal(dead[0]?.attempts, 2);
        assert.equal(dead[0]?.group, 'g');
        assert.deepEqual(dead[0]?.payload, { i: 1 });
        assert.match(dead[0]?.error ?? '', /boom 2: bad banner/);
        assert.ok((dead[0]?.failedAt ?? 0) > Date.now() - 10_000);
        assert.deepEqual(await q.counts(), { waiting: 1, leased: 0, done: 0, failed: 0, dead: 1, waitingNoWorker: 1 });
        assert.deepEqual(await q.listDead({ group: 'other' }), []);

        assert.equal(await q.redrive(a1.id), true);
        assert.equal(await q.redrive(a1.id), false, 'no longer dead');
        assert.equal(await q.redrive('no-such-job'), false);
        assert.deepEqual(await q.listDead(), []);
        const [again] = await q.lease(W1, { max: 1, visibilityMs: 30_000 });
        assert.ok(again);
        assert.equal(again.id, a1.id);
        assert.equal(again.attempt, 1, 'a redriven job starts its attempts afresh');
        await q.ack(again.id, again.leaseToken);
      }));

    it('dead-letters a job whose every lease expired', () =>
      withQueue(async (q) => {
        await q.enqueue([job(1, { attempts: 2 })]);
        const [a1] = await q.lease(W1, { max: 1, visibilityMs: 200 });
        assert.ok(a1);
        const [a2] = await leaseEventually(q, W2, { max: 1, visibilityMs: 200 }, 5000);
        assert.ok(a2);
        assert.equal(a2.attempt, 2);
        // The second lease expires too: no third delivery, the job is dead with the reason.
        const deadline = Date.now() + 5000;
        let dead = await q.listDead();
        while (dead.length === 0 && Date.now() < deadline) {
          assert.deepEqual(await q.lease(W2, { max: 1, visibilityMs: 200 }), [], 'not delivered a third time');
          await sleep(50);
          dead = await q.listDead();
        }
        assert.equal(dead.length, 1);
        assert.match(dead[0]?.error ?? '', /lease expired|stalled/i);
        assert.equal((await q.counts()).dead, 1);
      }));

    it('cancels a group: waiting jobs go, leased ones are told through heartbeat and not retried', () =>
      withQueue(async (q) => {
        await q.enqueue([job(1, { group: 'A' }), job(2, { group: 'A', zone: 'z' }), job(3, { group: 'A' }), job(4, { group: 'B' }), job(5, { group: 'B' })]);
        const [leasedA] = await q.lease(W1, { max: 1, visibilityMs: 30_000 });
        assert.ok(leasedA);
        assert.equal(leasedA.group, 'A');
        assert.equal(await q.cancel({ group: 'A' }), 3);
        assert.deepEqual(await q.counts({ group: 'A' }), { waiting: 0, leased: 1, done: 0, failed: 0, dead: 0, waitingNoWorker: 0 });
        assert.deepEqual(await q.counts({ group: 'B' }), { waiting: 2, leased: 0, done: 0, failed: 0, dead: 0, waitingNoWorker: 0 });
        assert.equal((await q.heartbeat(leasedA.id, leasedA.leaseToken)).cancelled, true);
        assert.deepEqual(await q.fail(leasedA.id, leasedA.leaseToken, 'stopped: cancelled'), { outcome: 'cancelled' });
        assert.deepEqual(await q.counts({ group: 'A' }), { waiting: 0, leased: 0, done: 0, failed: 0, dead: 0, waitingNoWorker: 0 });
        assert.deepEqual(await q.listDead(), []);
        const rest = await q.lease({ id: 'w', zones: ['z'] }, { max: 10, visibilityMs: 30_000 });
        assert.deepEqual(rest.map(indexOf).sort(), [4, 5]);
        assert.equal(await q.cancel({ group: 'A' }), 0);
        // A cancelled key can be enqueued again (the jobs are gone, not done).
        await q.enqueue([job(9, { group: 'A', dedupKey: 'again' })]);
        assert.equal((await q.counts({ group: 'A' })).waiting, 1);
      }));

    it('counts and lists dead jobs by kind, within a group or across the queue', () =>
      withQueue(async (q) => {
        await q.enqueue([
          { kind: 'discover-unit', payload: { i: 1 }, group: 'S' }, { kind: 'discover-unit', payload: { i: 2 }, group: 'S' },
          { kind: 'check-host', payload: { i: 3 }, group: 'S', attempts: 1, priority: 0 }, { kind: 'check-host', payload: { i: 4 }, group: 'T' },
        ]);
        const [first] = await q.lease(W1, { max: 1, visibilityMs: 30_000 });
        assert.ok(first);
        assert.equal(first.kind, 'check-host', 'priority 0 first');
        assert.deepEqual(await q.fail(first.id, first.leaseToken, 'poison'), { outcome: 'dead' });
        const [second] = await q.lease(W1, { max: 1, visibilityMs: 30_000 });
        assert.equal(second?.kind, 'discover-unit', 'FIFO within a priority');
        assert.deepEqual(await q.counts({ group: 'S', kind: 'discover-unit' }), { waiting: 1, leased: 1, done: 0, failed: 0, dead: 0, waitingNoWorker: 0 });
        assert.deepEqual(await q.counts({ group: 'S', kind: 'check-host' }), { waiting: 0, leased: 0, done: 0, failed: 0, dead: 1, waitingNoWorker: 0 });
        const all = await q.counts({ kind: 'check-host' });
        assert.equal(all.dead, 1);
        assert.equal(all.waiting + all.leased, 1, 'the other group\'s check job');
        assert.deepEqual((await q.listDead({ kind: 'check-host' })).map((d) => d.id), [first.id]);
        assert.deepEqual(await q.listDead({ kind: 'discover-unit' }), []);
        assert.deepEqual(await q.counts({ group: 'S', kind: 'nothing-of-this-kind' }), { waiting: 0, leased: 0, done: 0, failed: 0, dead: 0, waitingNoWorker: 0 });
      }));

    it('holds a rate group to its limit across workers while other jobs flow', () =>
      withQueue(async (q, peer) => {
        const p = await peer();
        await q.setRateLimit('net:192.0.2.0/24', { max: 3, perMs: 600 });
        await q.enqueue(Array.from({ length: 12 }, (_, i) => job(i, { rateGroup: 'net:192.0.2.0/24' })));
        await q.enqueue([job(100), job(101, { rateGroup: 'api:unlimited' })]);
        // Each lease is known to have been granted between the start and the end of its call.
        const calls: { start: number; end: number }[] = [];
        let start = Date.now();
        const first = await q.lease(W1, { max: 20, visibilityMs: 30_000 });
        assert.deepEqual(first.map(indexOf).sort((a, b) => a - b), [0, 1, 2, 100, 101], 'three of the group, and the unlimited ones');
        for (const j of first) if (j.rateGroup === 'net:192.0.2.0/24') calls.push({ start, end: Date.now() });
        const until = Date.now() + 1900;
        while (Date.now() < until) {
          for (const handle of [q, p]) {
            start = Date.now();
            const got = await handle.lease(handle === q ? W1 : W2, { max: 20, visibilityMs: 30_000 });
            const end = Date.now();
            for (const j of got) {
              assert.equal(j.rateGroup, 'net:192.0.2.0/24');
              calls.push({ start, end });
            }
          }
          await sleep(15);
        }
        // No more than 3 grants in any 600 ms window: grants i and i+3 are at least 600 ms apart, so
        // the call of the later one ended at least 600 ms after the call of the earlier one started.
        for (let i = 0; i + 3 < calls.length; i++) {
          const gap = (calls[i + 3] as { end: number }).end - (calls[i] as { start: number }).start;
          assert.ok(gap >= 598, `4 leases within ${gap} ms: ${calls.map((c) => `${c.start - (calls[0] as { start: number }).start}+${c.end - c.start}`).join(',')}`);
        }
        assert.ok(calls.length >= 9 && calls.length <= 12, `the group kept flowing at its rate: ${calls.length} leases in ~2 s`);
        await q.setRateLimit('net:192.0.2.0/24', null);
        const remaining = 12 - calls.length;
        // Without the limit the rest come as soon as they are runnable (an adapter may hold a deferred
        // job until the window it waited for has passed).
        let rest = 0;
        const restDeadline = Date.now() + 3000;
        while (rest < remaining && Date.now() < restDeadline) {
          rest += (await q.lease(W1, { max: 20, visibilityMs: 30_000 })).length;
          await sleep(20);
        }
        assert.equal(rest, remaining);
      }));

    it('rejects invalid jobs and options with messages naming the value', () =>
      withQueue(async (q) => {
        await assert.rejects(q.enqueue([{ kind: '', payload: null }]), (e: unknown) => e instanceof TrawlError && /kind/.test(e.message));
        await assert.rejects(q.enqueue([{ kind: 'x', payload: null, zone: 'eu:1' }]), (e: unknown) => e instanceof TrawlError && /eu:1/.test(e.message));
        await assert.rejects(q.enqueue([{ kind: 'x', payload: 'a'.repeat(300 * 1024) }]), (e: unknown) => e instanceof TrawlError && /bytes/.test(e.message));
        await assert.rejects(q.enqueue([{ kind: 'x', payload: null, priority: -1 }]), (e: unknown) => e instanceof TrawlError && /priority/.test(e.message));
        await assert.rejects(q.enqueue([{ kind: 'x', payload: null, attempts: 0 }]), (e: unknown) => e instanceof TrawlError && /attempts/.test(e.message));
        await assert.rejects(q.lease({ id: 'w', zones: ['bad zone'] }, { max: 1, visibilityMs: 1000 }), (e: unknown) => e instanceof TrawlError && /bad zone/.test(e.message));
        await assert.rejects(q.lease(W1, { max: 0, visibilityMs: 1000 }), (e: unknown) => e instanceof TrawlError && /max/.test(e.message));
        assert.deepEqual(await q.counts(), { waiting: 0, leased: 0, done: 0, failed: 0, dead: 0, waitingNoWorker: 0 });
      }));

    it('refuses work after close', async () => {
      const h = await open();
      await h.queue.enqueue([job(1)]);
      await h.queue.close();
      await h.queue.close();
      await rejectsWith(h.queue.counts(), 'TRAWL_E_QUEUE', /closed/);
    });
  });
}
