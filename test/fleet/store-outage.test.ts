/**
 * The fleet when its store goes away: a fleet assessment (discover → identify → safe checks) on a
 * loopback lab, run by two `trawl worker` processes on BullMQ (a private Redis) and a private
 * PostgreSQL cluster, while the test
 *  (a) crashes PostgreSQL (`pg_ctl stop -m immediate`) for ~3 s and starts it again, and
 *  (b) cuts the network between workers and store for ~3 s (a TCP proxy that resets every connection
 *      and every new one), then restores it.
 * The assessment must complete once things come back, with exactly the open ports, services and
 * findings of a clean `trawl scan -sV --checks safe` of the lab: one row each, no job dead-lettered.
 *
 * The cluster is the test's own (fleet-harness.ts `PrivatePostgres`): the machine's shared PostgreSQL
 * serves other tests and is never restarted. Only 127.0.0.0/8 is probed.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { enqueueAssessment } from '../../src/fleet/assessment.js';
import { assessmentStatus } from '../../src/fleet/fleet-status.js';
import { startLoopbackLab, type LoopbackLab } from '../../src/lab/loopback-lab.js';
import { openBullmqQueue } from '../../src/queue/bullmq/bullmq-queue.js';
import { openPostgresStore } from '../../src/store/postgres/postgres-store.js';
import { openSqliteDatabase } from '../../src/store/sqlite/sqlite-store.js';
import type { Store } from '../../src/store/store.js';
import { CuttableProxy, PrivatePostgres, PrivateRedis, privatePostgresProblem } from './fleet-harness.js';
import { fleetCli, referenceScan, snapshotOf, spawnNode, type Proc, type ScanSnapshot } from './serve-harness.js';

const SUBNET = '127.86.0.0/24';
const OUTAGE_MS = 3000;
const RUN_DEADLINE_MS = 60_000;
const problem = privatePostgresProblem() ?? (spawnSync('redis-server', ['--version']).status !== 0 ? 'redis-server is not installed' : undefined);

describe('fleet store outage: PostgreSQL crash-restart and a worker↔store partition mid-run', { skip: problem ?? false }, () => {
  let dir: string;
  let lab: LoopbackLab;
  let ports: number[];
  let reference: ScanSnapshot;
  /** Rows per observation type of the reference scan (a checked port without findings has a row too). */
  let referenceRows: Record<string, number>;
  let postgres: PrivatePostgres;
  let proxy: CuttableProxy;
  let redis: PrivateRedis;
  let store: Store;
  const workers: Proc[] = [];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'trawl-store-outage-'));
    postgres = new PrivatePostgres(dir);
    await postgres.start();
    redis = new PrivateRedis(dir);
    await redis.start();
    proxy = await CuttableProxy.start({ host: '127.0.0.1', port: postgres.port });
    lab = await startLoopbackLab({ subnet: SUBNET, seed: 7 });
    ports = [...new Set(lab.services.map((s) => s.port))].sort((a, b) => a - b);
    const ref = await referenceScan(join(dir, 'reference.db'), lab.cidr, ports, ['--no-ping']);
    reference = ref.snapshot;
    const refDb = await openSqliteDatabase(join(dir, 'reference.db'));
    try {
      const rows = await refDb.db.selectFrom('observations').select(['type']).select((eb) => eb.fn.countAll<number>().as('n'))
        .where('scan_id', '=', ref.scanId).where((eb) => eb.or([eb('type', '!=', 'port'), eb('state', '=', 'open')])).groupBy('type').execute();
      referenceRows = Object.fromEntries(rows.map((r) => [r.type, Number(r.n)]));
    } finally {
      await refDb.close();
    }
    const truth = lab.services.map((s) => `${s.ip}:${s.port}`).sort();
    assert.deepEqual(reference.ports, truth, 'the reference finds exactly the lab\'s services');
    assert.equal(reference.services.length, truth.length, 'and identifies each');
    assert.ok(reference.findings.length >= 3, `and the safe checks find something: ${reference.findings.join(', ')}`);
    // The test's own connection goes straight to the server: only the workers are behind the proxy.
    store = await openPostgresStore(postgres.url());
    await store.migrate();
  });

  after(async () => {
    for (const w of workers) if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill('SIGKILL');
    await store?.close().catch(() => {});
    await proxy?.close().catch(() => {});
    await redis?.stop().catch(() => {});
    await postgres?.stop('immediate').catch(() => {});
    await lab?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  /** The store read straight from the table, through a fresh connection (the pool may hold dead ones after a restart). */
  async function query<R extends pg.QueryResultRow>(text: string, values: unknown[] = []): Promise<R[]> {
    const client = new pg.Client({ connectionString: postgres.url() });
    await client.connect();
    try {
      return (await client.query<R>(text, values)).rows;
    } finally {
      await client.end();
    }
  }

  /** Runs with retries: the test's own reads fail while the store is down, like the workers'. */
  async function retrying<T>(f: () => Promise<T>): Promise<T> {
    for (let i = 0; ; i++) {
      try {
        return await f();
      } catch (e) {
        if (i >= 100) throw e;
        await sleep(100);
      }
    }
  }

  it('completes with exactly the reference ports, services and findings, one row each, none dead-lettered', async () => {
    const prefix = `outage-${process.pid}`;
    const queue = await openBullmqQueue({ url: redis.url, prefix, stalledCheckMs: 250 });
    try {
      // Slow enough (a probe rate, small units) that both outages land mid-run; default attempts (8).
      const { scan, units } = await enqueueAssessment({
        store, queue,
        request: { targets: [lab.cidr], ports, seed: 77n, unitSize: 64, discovery: 'off', stages: ['discover', 'identify', 'check'], checks: 'safe', tuning: { globalRate: 250 } },
      });
      assert.ok(units >= 20, `units: ${units}`);
      const args = ['worker', '--queue', redis.url, '--prefix', prefix, '--db', postgres.url(proxy.port), '--concurrency', '4', '--lease-ms', '3000', '--stalled-check-ms', '250', '--drain-ms', '2000'];
      for (let i = 0; i < 2; i++) workers.push(spawnNode(fleetCli, [...args, '--id', `w${i}`]));

      const doneUnits = async (): Promise<number> => (await store.listWorkUnits(scan.id, 'discover')).filter((u) => u.state === 'done').length;
      const until = async (what: string, cond: () => Promise<boolean>): Promise<void> => {
        const deadline = Date.now() + RUN_DEADLINE_MS;
        while (!(await retrying(cond))) {
          const dead = workers.find((w) => w.child.exitCode !== null);
          if (dead) assert.fail(`a worker exited (${dead.child.exitCode}) while waiting for ${what}:\n${dead.stderr.slice(-3000)}`);
          if (Date.now() > deadline) {
            const st = await assessmentStatus(store, scan.id, queue).catch((e: unknown) => String(e));
            assert.fail(`timed out waiting for ${what}: ${JSON.stringify(st, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))}\n${workers.map((w) => w.stderr).join('').slice(-3000)}`);
          }
          await sleep(100);
        }
      };

      // (a) PostgreSQL crashes once discovery is under way, and comes back after ~3 s.
      await until('discovery under way', async () => (await doneUnits()) >= 3);
      const beforeCrash = await doneUnits();
      assert.ok(beforeCrash < units, 'PostgreSQL goes down mid-discovery');
      const t0 = Date.now();
      await postgres.restart(OUTAGE_MS);
      const crashMs = Date.now() - t0;

      // (b) Once the workers commit again, the network between them and the store is cut for ~3 s.
      await until('progress after the restart', async () => (await doneUnits()) > beforeCrash);
      const statusAtCut = (await retrying(() => store.getScan(scan.id)))?.status;
      assert.equal(statusAtCut, 'running', 'the partition comes mid-run');
      const connectionsBefore = proxy.connections;
      proxy.cut();
      await sleep(OUTAGE_MS);
      proxy.restore();

      await until('the assessment done', async () => (await store.getScan(scan.id))?.status === 'done');
      assert.ok(proxy.connections > connectionsBefore, 'the workers reconnected through the proxy after the partition');
      for (const w of workers) assert.equal(w.child.exitCode, null, `worker alive through both outages:\n${w.stderr.slice(-2000)}`);

      // Exactly the reference: ports, services and findings, one row per (ip, port) each.
      const snap = await snapshotOf(store, scan.id);
      assert.deepEqual(snap.ports, reference.ports, 'exactly the reference open ports');
      assert.deepEqual(snap.services, reference.services, 'exactly the reference service identities');
      assert.deepEqual(snap.findings, reference.findings, 'exactly the reference findings');
      for (const type of ['port', 'service', 'finding']) {
        const rows = await query<{ n: string; d: string }>(
          `select count(*)::text as n, count(distinct (ip, port))::text as d from observations where scan_id = $1 and type = $2${type === 'port' ? ` and state = 'open'` : ''}`, [scan.id, type]);
        assert.equal(rows[0]?.n, rows[0]?.d, `one ${type} row per (ip, port)`);
        assert.equal(Number(rows[0]?.n), referenceRows[type], `as many ${type} rows as the reference`);
      }
      const discover = await store.listWorkUnits(scan.id, 'discover');
      assert.ok(discover.every((u) => u.state === 'done' && u.checkpoint === u.end), 'every discover unit done at its end');
      assert.ok((await store.listWorkUnits(scan.id, 'check')).every((u) => u.state === 'done'), 'every host checked');
      const counts = await queue.counts({ group: scan.id });
      assert.equal(counts.dead, 0, `no job dead-lettered: ${JSON.stringify(await queue.listDead({ group: scan.id }))}`);
      const failures = workers.flatMap((w) => w.stderr.split('\n').filter((l) => / failed: /.test(l)));
      const maxAttempt = Math.max(0, ...failures.map((l) => Number(/attempt (\d+)\//.exec(l)?.[1] ?? 0)));
      // Each outage costs an in-flight job one attempt at most (see runWorker): far from the 8 it has.
      assert.ok(maxAttempt <= 3, `no job came near its last attempt (highest failed attempt: ${maxAttempt})`);
      console.log(`# crash-restart took ${crashMs} ms; ${units} units; ${snap.ports.length} ports, ${snap.findings.length} findings; ${failures.length} job attempts failed (highest attempt ${maxAttempt})${failures.length > 0 ? `, e.g. ${failures[0]}` : ''}`);
    } finally {
      for (const w of workers) w.child.kill('SIGTERM');
      await Promise.all(workers.map((w) => w.exited));
      await queue.close();
    }
  });
});
