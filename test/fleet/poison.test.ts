/**
 * Poison units: a discover unit, and later a host's check unit, whose every lease crashes the worker
 * process that took it (SIGKILL, see poison-worker.ts, a test-only entry). Around `trawl serve
 * --no-workers` on a SQLite file with worker processes on its embedded queue, on the loopback lab:
 *  - each poisoned job uses up its attempts through lease expiries and is dead-lettered with that error;
 *  - the rest goes on: every other discover unit finishes; later every other host is identified and
 *    checked while the poisoned check job is dead;
 *  - the API's progress route and `trawl status` show the dead job, its key and error, and say the run
 *    is blocked on it (it is not folded into the inventory with a hole in it);
 *  - redriven (once through the API, once through `trawl status --redrive`), each runs and the run
 *    finishes with exactly the ports, services and findings of a clean `trawl scan`, none twice.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import BetterSqlite3 from 'better-sqlite3';
import { startLoopbackLab, type LoopbackLab } from '../../src/lab/loopback-lab.js';
import { apiClient, poisonWorker, referenceScan, runCli, snapshotOfFile, spawnNode, startServe, waitFor, type Proc, type ScanSnapshot, type ServeProcess } from './serve-harness.js';

const SUBNET = '127.89.64.0/24';
const ATTEMPTS = 3;

interface StageJobs { waiting: number; leased: number; retrying: number; done: number; dead: number }
interface Progress {
  status: string;
  phase: string;
  blocked: string | null;
  discover: { unitsPlanned: number; unitsDone: number; jobs: StageJobs };
  identify: { unitsPlanned: number; unitsDone: number; jobs: StageJobs };
  check: { unitsPlanned: number; unitsDone: number; jobs: StageJobs };
  jobs: { dead: number; deadJobs: { id: string; kind: string; key: string | null; error: string }[] };
}

describe('poison units: dead-lettered, visible, redriven, the rest unaffected', () => {
  let dir: string;
  let lab: LoopbackLab;
  let ports: number[];
  let reference: ScanSnapshot;
  let serve: ServeProcess | undefined;
  const workers: Proc[] = [];
  let supervising = true;
  let crashes = 0;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'trawl-poison-'));
    lab = await startLoopbackLab({ subnet: SUBNET, seed: 11 });
    ports = [...new Set(lab.services.map((s) => s.port))].sort((a, b) => a - b);
    reference = (await referenceScan(join(dir, 'reference.db'), lab.cidr, ports, ['--no-ping'])).snapshot;
    assert.deepEqual(reference.ports, lab.services.map((s) => `${s.ip}:${s.port}`).sort());
    assert.ok(reference.findings.length >= 3);
  });

  after(async () => {
    supervising = false;
    for (const w of workers) if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill('SIGKILL');
    if (serve && serve.child.exitCode === null) serve.child.kill('SIGKILL');
    await lab?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a unit that crashes its worker every time is dead-lettered, shown, redriven, and the run ends exact', async () => {
    const db = join(dir, 'fleet.db');
    const poisonFile = join(dir, 'poison.txt');
    serve = await startServe(['--db', db, '--scope', SUBNET, '--no-workers', '--unit-size', '256', '--job-attempts', String(ATTEMPTS)]);
    assert.ok(serve.token);
    const api = apiClient(serve.url, serve.token);
    const created = await api('POST', '/assessments', { name: 'poison', targets: [lab.cidr], ports: ports.join(','), options: { discovery: 'off' } });
    const id = String(created.body['id']);
    const run = await api('POST', `/assessments/${id}/run`);
    assert.equal(run.status, 202);
    const scanId = String(run.body['scanId']);
    const discoverPoison = `${scanId}/discover/3`;
    const checkHost = lab.services[0]!.ip;
    const checkPoison = `${scanId}/check/${checkHost}`;
    writeFileSync(poisonFile, `${discoverPoison}\n${checkPoison}\n`);

    // Two worker processes, each replaced when it dies, as a supervisor (systemd, Kubernetes) would.
    const spawnWorker = (n: number): void => {
      const w = spawnNode(poisonWorker, ['--db', db, '--id', `pw${n}-${workers.length}`, '--lease-ms', '1000'], { TRAWL_TEST_POISON_FILE: poisonFile });
      workers.push(w);
      void w.exited.then((e) => {
        if (e.signal === 'SIGKILL') crashes++;
        if (supervising && e.signal === 'SIGKILL') spawnWorker(n);
      });
    };
    spawnWorker(1);
    spawnWorker(2);
    const progress = async (): Promise<Progress> => (await api<Progress>('GET', `/scans/${scanId}/progress`)).body;
    const detail = async (): Promise<string> => `${JSON.stringify(await progress())}\n${workers.map((w) => w.stderr).join('').slice(-3000)}`;

    // 1. The poisoned discover unit dies; every other discover unit finishes; nothing later starts.
    await waitFor('the discover poison dead and the other units done', async () => {
      const p = await progress();
      return p.discover.jobs.dead === 1 && p.discover.unitsDone === p.discover.unitsPlanned - 1;
    }, 120_000, detail);
    let p = await progress();
    assert.ok(p.discover.unitsPlanned >= 10, `units: ${p.discover.unitsPlanned}`);
    assert.equal(p.status, 'running');
    assert.equal(p.identify.unitsPlanned, 0, 'identify waits for the whole discover stage');
    assert.match(p.blocked ?? '', /1 job\(s\) dead-lettered .*redrive/);
    assert.equal(p.jobs.deadJobs.length, 1);
    assert.equal(p.jobs.deadJobs[0]!.key, discoverPoison);
    assert.equal(p.jobs.deadJobs[0]!.kind, 'discover-unit');
    assert.match(p.jobs.deadJobs[0]!.error, new RegExp(`lease expired without ack or fail \\(attempt ${ATTEMPTS} of ${ATTEMPTS}\\)`));
    assert.ok(crashes >= ATTEMPTS, `each attempt crashed a worker (${crashes} crashes)`);
    // The run's live progress (read by the server about once a second) says so too.
    await waitFor('the live progress to say blocked', async () => {
      const live = await api('GET', `/assessments/${id}`);
      assert.equal(live.body['state'], 'running');
      return (live.body['live'] as { progress: { phase: string } }).progress.phase === 'blocked';
    }, 10_000);
    const st = await runCli(['status', '--db', db, '--scan', scanId]);
    assert.equal(st.code, 0, st.stderr);
    assert.match(st.stdout, new RegExp(`dead: \\S+ \\(discover-unit ${discoverPoison}\\): lease expired`));
    assert.match(st.stdout, /blocked: 1 job\(s\) dead-lettered/);

    // 2. Redriven through the API (the crash cured), it runs; identify and checks follow. The other
    //    poison, one host's check job, dies too, while every other host is identified and checked.
    writeFileSync(poisonFile, `${checkPoison}\n`);
    const crashesBefore = crashes;
    const redrive = await api('POST', `/scans/${scanId}/redrive`);
    assert.equal(redrive.status, 200, JSON.stringify(redrive.body));
    assert.equal(redrive.body['redriven'], 1);
    await waitFor('the check poison dead and every other host checked', async () => {
      const x = await progress();
      return x.check.jobs.dead === 1 && x.check.unitsPlanned > 1 && x.check.unitsDone === x.check.unitsPlanned - 1 && x.identify.unitsDone === x.identify.unitsPlanned;
    }, 120_000, detail);
    p = await progress();
    assert.equal(p.discover.unitsDone, p.discover.unitsPlanned);
    assert.equal(p.discover.jobs.dead, 0, 'the redriven unit ran');
    assert.equal(p.status, 'running', 'not done, not folded, with a host unchecked');
    assert.equal(p.jobs.deadJobs.length, 1);
    assert.equal(p.jobs.deadJobs[0]!.key, checkPoison);
    assert.equal(p.jobs.deadJobs[0]!.kind, 'check-host');
    assert.match(p.blocked ?? '', /dead-lettered/);
    assert.ok(crashes >= crashesBefore + ATTEMPTS);
    assert.equal((await api('GET', `/assessments/${id}`)).body['state'], 'running');

    // 3. Redriven through `trawl status --redrive`: the run finishes, exact.
    writeFileSync(poisonFile, '');
    const rd = await runCli(['status', '--db', db, '--scan', scanId, '--redrive', 'all']);
    assert.equal(rd.code, 0, rd.stderr);
    assert.match(rd.stderr, /1 dead job\(s\) of scan \S+ put back on the queue/);
    await waitFor('the run to finish', async () => (await api('GET', `/assessments/${id}`)).body['state'] === 'idle', 120_000, detail);
    const a = await api('GET', `/assessments/${id}`);
    assert.equal((a.body['lastScan'] as { status: string }).status, 'done');
    p = await progress();
    assert.equal(p.phase, 'done');
    assert.equal(p.jobs.dead, 0);
    const got = await snapshotOfFile(db, scanId);
    assert.deepEqual(got.ports, reference.ports);
    assert.deepEqual(got.services, reference.services);
    assert.deepEqual(got.findings, reference.findings);
    // One row per fact, whatever the crashes and redeliveries.
    const raw = new BetterSqlite3(db, { readonly: true });
    try {
      for (const type of ['port', 'service', 'finding']) {
        const r = raw.prepare('select count(*) as n, count(distinct ip_key || \':\' || port) as d from observations where scan_id = ? and type = ?').get(scanId, type) as { n: number; d: number };
        assert.equal(r.n, r.d, `${type} observations: one per (ip, port)`);
      }
    } finally {
      raw.close();
    }
    supervising = false;
    for (const w of workers) if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill('SIGTERM');
    await Promise.all(workers.map((w) => w.exited));
    assert.equal(await serve.stop(), 0, serve.stderr);
  });
});
