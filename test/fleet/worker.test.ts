/**
 * The worker loop in-process, on loopback listeners, the embedded SQLite queue and a SQLite store:
 * results equal a `runScan` of the same seed, poison units are dead-lettered with their error without
 * stalling the rest, shutdown releases in-flight units with their progress kept, zones are honoured and
 * reported, and identify jobs follow discovery.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { enqueueAssessment, type AssessmentRequest } from '../../src/fleet/assessment.js';
import { discoverJob } from '../../src/fleet/fleet-jobs.js';
import { assessmentStatus, formatAssessmentStatus } from '../../src/fleet/fleet-status.js';
import { runWorker, type WorkerOptions } from '../../src/fleet/fleet-worker.js';
import { openSqliteQueue } from '../../src/queue/sqlite/sqlite-queue.js';
import type { JobQueue } from '../../src/queue/job-queue.js';
import { runScan } from '../../src/scan/scan-runner.js';
import { defaultEngineOptions } from '../../src/scan/scan-options.js';
import { openSqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import type { Store } from '../../src/store/store.js';
import { listenAll } from '../scan/cli-harness.js';

const NET = '127.89.0.0/26';
const PORTS = [2121, 2222, 3306, 5432, 6379, 8080, 8443, 9200];
const OPEN = [
  { ip: '127.89.0.3', port: 8080 }, { ip: '127.89.0.3', port: 3306 }, { ip: '127.89.0.9', port: 6379 },
  { ip: '127.89.0.17', port: 8443 }, { ip: '127.89.0.33', port: 5432 }, { ip: '127.89.0.60', port: 2121 },
];
const OPEN_KEYS = OPEN.map((o) => `${o.ip}:${o.port}`).sort();
const tuning = { ...defaultEngineOptions(), concurrency: 256 };

async function openPorts(store: Store, scanId: string): Promise<string[]> {
  const keys: string[] = [];
  for await (const o of store.listPortObservations(scanId, { state: 'open' })) keys.push(`${o.ip}:${o.port}`);
  return keys.sort();
}

async function until(what: string, cond: () => Promise<boolean>, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

describe('fleet worker (in-process, loopback)', () => {
  let dir: string;
  let lab: { close(): Promise<void> };
  let store: Store;
  let queue: JobQueue;
  let n = 0;
  const request: AssessmentRequest = { targets: [NET], ports: PORTS, seed: 99n, unitSize: 32, discovery: 'off', attempts: 3 };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'trawl-fleet-worker-'));
    lab = await listenAll(OPEN);
    store = await openSqliteStore(join(dir, 'store.db'));
    await store.migrate();
  });
  after(async () => {
    await lab.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const freshQueue = async (): Promise<JobQueue> => {
    queue = await openSqliteQueue(join(dir, `queue-${n++}.db`));
    return queue;
  };

  const worker = (q: JobQueue, signal: AbortSignal, extra: Partial<WorkerOptions> = {}): ReturnType<typeof runWorker> =>
    runWorker({ store, queue: q, zones: [], concurrency: 3, signal, tuning, visibilityMs: 5000, pollMs: 20, ...extra });

  it('runs an assessment to the same open ports as runScan with the same seed, committing each unit before its ack', async () => {
    const q = await freshQueue();
    const ref = await runScan({ targets: [NET], targetFiles: [], excludes: [], excludeFiles: [], ports: PORTS, seed: 99n, shard: { index: 1, count: 1 }, applyBlocklist: true, discovery: 'off' }, { store, tuning });
    const { scan, units } = await enqueueAssessment({ store, queue: q, request });
    assert.equal(units, Math.ceil((64 * PORTS.length) / 32));
    const stop = new AbortController();
    const running = worker(q, stop.signal);
    await until('scan done', async () => (await store.getScan(scan.id))?.status === 'done');
    stop.abort();
    const stats = await running;
    assert.equal(stats.acked, units);
    assert.deepEqual(await openPorts(store, scan.id), await openPorts(store, ref.scan.id));
    assert.deepEqual(await openPorts(store, scan.id), OPEN_KEYS);
    const s = await assessmentStatus(store, scan.id, q);
    assert.equal(s.discover.unitsDone, units);
    assert.equal(s.discover.probesSent, BigInt(64 * PORTS.length), 'each probe sent once when nothing failed');
    assert.equal(s.jobs?.done, units);
    await q.close();
  });

  it('dead-letters a poison unit with its error after its attempts, and finishes every other unit', async () => {
    const q = await freshQueue();
    const { scan, units } = await enqueueAssessment({ store, queue: q, request });
    // A unit the store does not hold (a corrupted or stale job): it fails on every run.
    await q.enqueue([discoverJob({ scanId: scan.id, stage: 'discover', unitIndex: 999 }, { attempts: 3 })]);
    const stop = new AbortController();
    const lines: string[] = [];
    const running = worker(q, stop.signal, { log: (l) => lines.push(l) });
    await until('every real unit done and the poison dead', async () => (await store.getScan(scan.id))?.status === 'done' && (await q.counts({ group: scan.id })).dead === 1);
    stop.abort();
    const stats = await running;
    assert.equal(stats.failed, 3, 'one failure per attempt');
    assert.equal(stats.acked, units);
    const [dead] = await q.listDead({ group: scan.id });
    assert.match(dead?.error ?? '', /has no discover unit 999/);
    assert.equal(dead?.dedupKey, `${scan.id}/discover/999`);
    assert.ok(lines.some((l) => /dead-lettered/.test(l)));
    const s = await assessmentStatus(store, scan.id, q);
    assert.equal(s.discover.unitsDone, units);
    assert.match(formatAssessmentStatus(s), /dead: .*has no discover unit 999/);
    assert.deepEqual(await openPorts(store, scan.id), OPEN_KEYS);
    await q.close();
  });

  it('on shutdown stops leasing, stops in-flight units with their progress committed, and releases them to the next worker', async () => {
    const q = await freshQueue();
    const { scan, units } = await enqueueAssessment({ store, queue: q, request: { ...request, unitSize: 256 } });
    const stop = new AbortController();
    // Slow: 100 probes/s, so the units are mid-way when the worker is told to stop.
    const first = worker(q, stop.signal, { tuning: { ...tuning, globalRate: 100 }, drainMs: 0, concurrency: 1 });
    await sleep(1200);
    stop.abort();
    const s1 = await first;
    assert.equal(s1.released, 1, 'the in-flight unit was released');
    const mid = await store.listWorkUnits(scan.id, 'discover');
    assert.ok(mid.some((u) => u.state !== 'done' && u.checkpoint > u.start), 'its progress was committed');
    assert.ok(mid.filter((u) => u.state === 'done').length < units);
    // The released lease is free at once: a second worker takes it and resumes from the checkpoint.
    const stop2 = new AbortController();
    const second = worker(q, stop2.signal);
    await until('scan done', async () => (await store.getScan(scan.id))?.status === 'done');
    stop2.abort();
    await second;
    assert.deepEqual(await openPorts(store, scan.id), OPEN_KEYS);
    await q.close();
  });

  it('runs a zone only on workers of that zone; status reports it waiting while none is live', async () => {
    const q = await freshQueue();
    const { scan, units } = await enqueueAssessment({ store, queue: q, request: { ...request, zone: 'dmz' } });
    const stop = new AbortController();
    const external = worker(q, stop.signal, { zones: ['external'] });
    await sleep(300);
    const waiting = await assessmentStatus(store, scan.id, q);
    assert.equal(waiting.discover.unitsDone, 0, 'a worker of another zone takes none of it');
    assert.equal(waiting.jobs?.waitingNoWorker, units);
    assert.match(formatAssessmentStatus(waiting), /wait for a worker of zone dmz/);
    const dmz = worker(q, stop.signal, { zones: ['dmz'] });
    await until('scan done', async () => (await store.getScan(scan.id))?.status === 'done');
    stop.abort();
    assert.equal((await external).leased, 0);
    assert.equal((await dmz).acked, units);
    await q.close();
  });
});

