/**
 * The fleet under fire. A namespace field (/24, 20 ports) is scanned once by a clean single-process
 * `trawl scan` (the reference), then as a fleet assessment on BullMQ + PostgreSQL by three worker
 * processes while a killer kill -9s a random worker every ~2 s and starts a new one; then again with
 * the queue's Redis killed (no persistence: every queued job lost) and restarted mid-run, the store
 * reconciling the queue. Each run must end with exactly the reference's open ports: none missing,
 * none twice.
 *
 * Workers run inside the scanner namespace (the only place the field is reachable from, and a place
 * with no route out); they reach Redis and PostgreSQL through unix sockets (see fleet-harness.ts).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { enqueueAssessment } from '../../src/fleet/assessment.js';
import { assessmentStatus } from '../../src/fleet/fleet-status.js';
import { reconcileAssessment } from '../../src/fleet/stage-advance.js';
import { netnsLabDown, netnsLabUp, netnsPrivilegeProblem, type NetnsLabTruth } from '../../src/lab/netns-lab.js';
import { openBullmqQueue } from '../../src/queue/bullmq/bullmq-queue.js';
import type { JobQueue } from '../../src/queue/job-queue.js';
import { openPostgresStore } from '../../src/store/postgres/postgres-store.js';
import { openSqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import type { Store } from '../../src/store/store.js';
import { fleetProblem, PgDatabase, PrivateRedis, runCliInNamespace, spawnWorkerInNamespace, type WorkerProcess } from './fleet-harness.js';

const INSTANCE = 'fleetchaos';
const SEED = '4242';
const problem = netnsPrivilegeProblem() ?? fleetProblem();

async function openPorts(store: Store, scanId: string): Promise<string[]> {
  const keys: string[] = [];
  for await (const o of store.listPortObservations(scanId, { state: 'open' })) keys.push(`${o.ip}:${o.port}`);
  return keys;
}

describe('fleet chaos: kill -9 workers, restart Redis; results equal a clean scan', { skip: problem ?? false }, () => {
  let dir: string;
  let truth: NetnsLabTruth;
  let ports: number[];
  let reference: string[];
  let redis: PrivateRedis;
  let pgdb: PgDatabase;
  let store: Store;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'trawl-fleet-chaos-'));
    truth = await netnsLabUp({ instance: INSTANCE, cidr: '198.19.12.0/24', seed: 17, alive: 0.3, firewalled: 0.3, stateDir: join(dir, 'state') });
    ports = truth.ports.slice(0, 20) as number[];
    redis = new PrivateRedis(dir);
    await redis.start();
    pgdb = new PgDatabase(`trawl_fleet_chaos_${process.pid}_${randomBytes(3).toString('hex')}`);
    await pgdb.create();
    store = await openPostgresStore(pgdb.socketUrl);
    await store.migrate();

    // The reference: one clean `trawl scan` process inside the namespace, same seed and ports.
    const refDb = join(dir, 'reference.db');
    const r = await runCliInNamespace(INSTANCE, ['scan', truth.cidr, '-p', ports.join(','), '--seed', SEED, '--db', refDb, '-q']);
    assert.equal(r.code, 0, r.stderr);
    const ref = await openSqliteStore(refDb);
    try {
      const scan = await ref.findScan('latest');
      assert.ok(scan);
      reference = (await openPorts(ref, scan.id)).sort();
    } finally {
      await ref.close();
    }
    // The reference is itself checked against the field's ground truth, so "equal" means "right".
    const want = Object.entries(truth.open).flatMap(([ip, ps]) => ps.filter((p) => ports.includes(p)).map((p) => `${ip}:${p}`)).sort();
    assert.deepEqual(reference, want, 'the reference scan finds exactly the open ports of the field');
    assert.ok(reference.length > 20, `a field worth the test: ${reference.length} open ports`);
  });

  after(async () => {
    await store?.close().catch(() => {});
    await redis?.stop().catch(() => {});
    await pgdb?.drop().catch(() => {});
    await netnsLabDown({ instance: INSTANCE, stateDir: join(dir, 'state') });
    rmSync(dir, { recursive: true, force: true });
  });

  /** Runs an assessment with three workers until the store says it is done; `chaos` runs meanwhile. */
  async function runFleet(prefix: string, chaos: (ctx: { workers: WorkerProcess[]; respawn: (i: number) => void; queue: JobQueue; scanId: string; stop: AbortSignal }) => Promise<void>): Promise<{ scanId: string; workers: WorkerProcess[]; all: WorkerProcess[]; queue: JobQueue }> {
    const queue = await openBullmqQueue({ url: redis.url, prefix, stalledCheckMs: 250 });
    const { scan, units } = await enqueueAssessment({
      store, queue,
      request: { targets: [truth.cidr], ports, seed: BigInt(SEED), unitSize: 64, attempts: 50, zone: 'lab' },
    });
    assert.equal(units, 80, '5120 probes in units of 64');
    const args = ['--queue', redis.url, '--prefix', prefix, '--db', pgdb.socketUrl, '--zone', 'lab', '--concurrency', '2', '--lease-ms', '1500', '--stalled-check-ms', '250', '--drain-ms', '3000', '-q'];
    const all: WorkerProcess[] = [];
    const workers: WorkerProcess[] = [];
    const respawn = (i: number): void => {
      const w = spawnWorkerInNamespace(INSTANCE, [...args, '--id', `w${i}-${all.length}`]);
      workers[i] = w;
      all.push(w);
    };
    for (let i = 0; i < 3; i++) respawn(i);
    const stop = new AbortController();
    const chaosDone = chaos({ workers, respawn, queue, scanId: scan.id, stop: stop.signal });
    const deadline = Date.now() + 60_000;
    try {
      for (;;) {
        const s = await store.getScan(scan.id);
        if (s?.status === 'done') break;
        if (Date.now() > deadline) {
          const st = await assessmentStatus(store, scan.id, queue).catch((e: unknown) => String(e));
          assert.fail(`assessment not done in 60 s: ${JSON.stringify(st, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))}\n${all.map((w) => w.stderr).join('').slice(-3000)}`);
        }
        await sleep(200);
      }
    } finally {
      stop.abort();
      await chaosDone;
      for (const w of workers) w.child.kill('SIGTERM');
      await Promise.all(workers.map((w) => w.exited));
    }
    return { scanId: scan.id, workers, all, queue };
  }

  async function assertExact(scanId: string): Promise<void> {
    const got = await openPorts(store, scanId);
    assert.equal(new Set(got).size, got.length, 'no port listed twice');
    assert.deepEqual([...got].sort(), reference, 'exactly the reference open ports');
    // Straight from the table: one row per (ip, port), whatever the redeliveries.
    const rows = await pgdb.query<{ n: string; d: string }>(`select count(*)::text as n, count(distinct (ip, port))::text as d from observations where scan_id = $1 and type = 'port' and state = 'open'`, [scanId]);
    assert.equal(rows[0]?.n, String(reference.length));
    assert.equal(rows[0]?.d, String(reference.length));
    const units = await store.listWorkUnits(scanId, 'discover');
    assert.ok(units.every((u) => u.state === 'done' && u.checkpoint === u.end), 'every unit done at its end');
  }

  it('3 workers, one kill -9ed every ~1 s and replaced: exactly the reference ports', async () => {
    let kills = 0;
    const run = await runFleet(`chaos-kill-${process.pid}`, async ({ workers, respawn, stop }) => {
      while (!stop.aborted) {
        // Often enough that a fast run still sees several kills: every kill costs the run a lease
        // expiry, so the run cannot outpace the killer.
        await sleep(600 + Math.random() * 600, undefined).catch(() => {});
        if (stop.aborted) break;
        const i = Math.floor(Math.random() * workers.length);
        const victim = workers[i]!;
        victim.child.kill('SIGKILL');
        await victim.exited;
        kills++;
        respawn(i);
      }
    });
    try {
      await assertExact(run.scanId);
      assert.ok(kills >= 2, `the killer struck during the run (${kills} kills)`);
      const killed = run.all.filter((w) => w.child.signalCode === 'SIGKILL').length;
      assert.equal(killed, kills);
      const counts = await run.queue.counts({ group: run.scanId });
      assert.equal(counts.dead, 0, 'no unit dead-lettered');
      // A kill -9 mid-unit means probes sent twice: the counters say so (they are not deduplicated).
      const s = await store.getScan(run.scanId);
      assert.ok(s && s.counters.probesSent >= 1n);
    } finally {
      await run.queue.close();
    }
  });

  it('Redis killed (all queued jobs lost) and restarted mid-run: the store reconciles the queue, exactly the reference ports', async () => {
    let restarted = false;
    let reconciled = 0;
    const run = await runFleet(`chaos-redis-${process.pid}`, async ({ queue, scanId, stop }) => {
      // Let some units finish, then lose the queue.
      for (let i = 0; i < 100 && !stop.aborted; i++) {
        const units = await store.listWorkUnits(scanId, 'discover');
        if (units.filter((u) => u.state === 'done').length >= 15) break;
        await sleep(100);
      }
      if (stop.aborted) return;
      const before = (await store.listWorkUnits(scanId, 'discover')).filter((u) => u.state === 'done').length;
      assert.ok(before < 80, 'Redis goes down mid-run');
      await redis.stop();
      await sleep(1000);
      await redis.start();
      restarted = true;
      // The orchestrator's part: reconcile from the store until the queue holds the work again.
      while (!stop.aborted) {
        try {
          const r = await reconcileAssessment(store, queue, scanId);
          reconciled += r.discoverUnits;
        } catch {
          // the queue is still reconnecting
        }
        await sleep(1000, undefined).catch(() => {});
      }
    });
    try {
      assert.ok(restarted, 'Redis was restarted mid-run');
      assert.ok(reconciled > 0, 'reconcile put lost units back');
      await assertExact(run.scanId);
    } finally {
      await run.queue.close();
    }
  });
});
