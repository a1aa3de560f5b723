/**
 * The fleet under fire. A namespace field (/24, 20 ports) is scanned once by a clean single-process
 * `trawl scan -sV --checks safe` (the reference), then as a fleet assessment (discover → identify →
 * check, the safe checks) on BullMQ + PostgreSQL by three worker processes while a killer kill -9s a
 * random worker every ~1 s and starts a new one, through every stage; then again with the queue's
 * Redis killed (no persistence: every queued job lost) and restarted mid-run, the store reconciling
 * the queue. Each run must end with exactly the reference's open ports, service identities and
 * findings: none missing, none twice.
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
import { snapshotOf, type ScanSnapshot } from './serve-harness.js';

const INSTANCE = 'fleetchaos';
const SEED = '4242';
const problem = netnsPrivilegeProblem() ?? fleetProblem();

async function openPorts(store: Store, scanId: string): Promise<string[]> {
  const keys: string[] = [];
  for await (const o of store.listPortObservations(scanId, { state: 'open' })) keys.push(`${o.ip}:${o.port}`);
  return keys;
}

/** How long a fleet run may take: three workers, identification and checks, a killer or a lost queue. */
const RUN_DEADLINE_MS = 240_000;

describe('fleet chaos: kill -9 workers, restart Redis; results equal a clean scan', { skip: problem ?? false }, () => {
  let dir: string;
  let truth: NetnsLabTruth;
  let ports: number[];
  let reference: string[];
  let referenceSnapshot: ScanSnapshot;
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
    const r = await runCliInNamespace(INSTANCE, ['scan', truth.cidr, '-p', ports.join(','), '--seed', SEED, '--db', refDb, '-q', '-sV', '--checks', 'safe']);
    assert.equal(r.code, 0, r.stderr);
    const ref = await openSqliteStore(refDb);
    try {
      const scan = await ref.findScan('latest');
      assert.ok(scan);
      reference = (await openPorts(ref, scan.id)).sort();
      referenceSnapshot = await snapshotOf(ref, scan.id);
    } finally {
      await ref.close();
    }
    // The reference is itself checked against the field's ground truth, so "equal" means "right".
    const want = Object.entries(truth.open).flatMap(([ip, ps]) => ps.filter((p) => ports.includes(p)).map((p) => `${ip}:${p}`)).sort();
    assert.deepEqual(reference, want, 'the reference scan finds exactly the open ports of the field');
    assert.ok(reference.length > 20, `a field worth the test: ${reference.length} open ports`);
    assert.equal(referenceSnapshot.services.length, reference.length, 'the reference identifies every open port');
    assert.ok(referenceSnapshot.findings.length >= 10, `the safe checks find things in the field: ${referenceSnapshot.findings.length}`);
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
      request: { targets: [truth.cidr], ports, seed: BigInt(SEED), unitSize: 64, attempts: 50, zone: 'lab', stages: ['discover', 'identify', 'check'], checks: 'safe' },
    });
    assert.equal(units, 80, '5120 probes in units of 64');
    // Six jobs per worker: identify jobs wait on probe timeouts, so the stage is as fast as its parallelism.
    const args = ['--queue', redis.url, '--prefix', prefix, '--db', pgdb.socketUrl, '--zone', 'lab', '--concurrency', '6', '--lease-ms', '1500', '--stalled-check-ms', '250', '--drain-ms', '3000', '-q'];
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
    const deadline = Date.now() + RUN_DEADLINE_MS;
    try {
      for (;;) {
        const s = await store.getScan(scan.id);
        if (s?.status === 'done') break;
        if (Date.now() > deadline) {
          const st = await assessmentStatus(store, scan.id, queue).catch((e: unknown) => String(e));
          assert.fail(`assessment not done in ${RUN_DEADLINE_MS / 1000} s: ${JSON.stringify(st, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))}\n${all.map((w) => w.stderr).join('').slice(-3000)}`);
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
    // Services and findings: exactly the reference's, one row per (ip, port) each.
    const snap = await snapshotOf(store, scanId);
    assert.deepEqual(snap.services, referenceSnapshot.services, 'exactly the reference service identities');
    assert.deepEqual(snap.findings, referenceSnapshot.findings, 'exactly the reference findings');
    for (const type of ['service', 'finding']) {
      const facts = await pgdb.query<{ n: string; d: string }>(`select count(*)::text as n, count(distinct (ip, port))::text as d from observations where scan_id = $1 and type = $2`, [scanId, type]);
      assert.equal(facts[0]?.n, facts[0]?.d, `one ${type} fact per (ip, port)`);
    }
    const hosts = new Set(reference.map((k) => k.slice(0, k.lastIndexOf(':')))).size;
    const checkUnits = await store.listWorkUnits(scanId, 'check');
    assert.equal(checkUnits.length, hosts, 'one check unit per host with open ports');
    assert.ok(checkUnits.every((u) => u.state === 'done'), 'every host checked');
  }

  it('3 workers, one kill -9ed every ~1 s and replaced, through discover, identify and check: exactly the reference results', async () => {
    let kills = 0;
    let laterKills = 0;
    const run = await runFleet(`chaos-kill-${process.pid}`, async ({ workers, respawn, stop, scanId }) => {
      let discovering = true;
      while (!stop.aborted) {
        // Often enough that a fast run still sees several kills: every kill costs the run a lease
        // expiry, so the run cannot outpace the killer. Once discovery is done, every ~4 s: identifying
        // one port can take ~10 s of nmap probe timeouts, the atom no crash can split, and a worker
        // killed every ~3 s on average would rarely complete one (each port's fact is kept as it comes,
        // so the stage still progresses across crashes at this rate).
        await sleep(discovering ? 600 + Math.random() * 600 : 3000 + Math.random() * 2000, undefined).catch(() => {});
        if (stop.aborted) break;
        const i = Math.floor(Math.random() * workers.length);
        const victim = workers[i]!;
        victim.child.kill('SIGKILL');
        await victim.exited;
        kills++;
        // Kills once discovery is complete land in the identify and check stages.
        discovering = !(await store.listWorkUnits(scanId, 'discover')).every((u) => u.state === 'done');
        if (!discovering) laterKills++;
        respawn(i);
      }
    });
    try {
      await assertExact(run.scanId);
      assert.ok(kills >= 2, `the killer struck during the run (${kills} kills)`);
      assert.ok(laterKills >= 1, `the killer struck during identify/check too (${laterKills} of ${kills} kills)`);
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

  it('Redis killed (all queued jobs lost) and restarted mid-run: the store reconciles the queue, exactly the reference results', async () => {
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
