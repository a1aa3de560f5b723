/**
 * `trawl serve` as a real process running assessments on the fleet pipeline, through its API, on
 * the loopback lab (real HTTP, HTTPS, SSH, Redis, FTP… servers on 127.88.x.y, nothing else probed):
 *  - with its embedded workers (the default): the run's ports, services and findings equal a clean
 *    `trawl scan -sV --checks safe` of the same lab, and the progress route reports every stage done;
 *  - the same on PostgreSQL with BullMQ on the Redis of 127.0.0.1:6379 (a key prefix of its own);
 *  - with --no-workers and a separate `trawl worker` on the same SQLite file (its embedded queue),
 *    including the server being killed -9 mid-run and restarted: the restarted server picks the run
 *    up (the assessment does not stay stuck in `running`), shows it waiting for a worker, and once a
 *    worker runs the jobs, finishes it and folds it into the inventory;
 *  - with --no-workers and a `trawl worker --templates <dir>`: the worker's check jobs run the
 *    templates, whose matches reach the inventory as nuclei:<id> findings.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { randomBytes } from 'node:crypto';
import { startLoopbackLab, type LoopbackLab } from '../../src/lab/loopback-lab.js';
import { PgDatabase } from './fleet-harness.js';
import { apiClient, fleetCli, referenceScan, runCli, snapshotOfFile, spawnNode, startServe, waitFor, type Api, type ScanSnapshot, type ServeProcess } from './serve-harness.js';

const SUBNET = '127.88.0.0/24';

interface Progress {
  phase: string;
  status: string;
  blocked: string | null;
  discover: { unitsPlanned: number; unitsDone: number; probesPlanned: number; probesDone: number; openFound: number; jobs: { dead: number } | null };
  identify: { unitsPlanned: number; unitsDone: number; portsPlanned: number; portsDone: number };
  check: { unitsPlanned: number; unitsDone: number; selection: string | null };
  jobs: { waiting: number; leased: number; dead: number; waitingNoWorker: number } | null;
}

describe('trawl serve runs assessments as fleet work units (loopback lab)', () => {
  let dir: string;
  let lab: LoopbackLab;
  let ports: number[];
  let reference: ScanSnapshot;
  const servers: ServeProcess[] = [];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'trawl-serve-fleet-'));
    lab = await startLoopbackLab({ subnet: SUBNET, seed: 5 });
    ports = [...new Set(lab.services.map((s) => s.port))].sort((a, b) => a - b);
    reference = (await referenceScan(join(dir, 'reference.db'), lab.cidr, ports, ['--no-ping'])).snapshot;
    const truth = lab.services.map((s) => `${s.ip}:${s.port}`).sort();
    assert.deepEqual(reference.ports, truth, 'the reference finds exactly the lab\'s services');
    assert.equal(reference.services.length, truth.length, 'and identifies each');
    assert.ok(reference.findings.length >= 3, `and the safe checks find something: ${reference.findings.join(', ')}`);
  });

  after(async () => {
    for (const s of servers) if (s.child.exitCode === null && s.child.signalCode === null) s.child.kill('SIGKILL');
    await lab?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  async function createAndRun(api: Api): Promise<{ id: string; scanId: string }> {
    const created = await api('POST', '/assessments', { name: 'lab', targets: [lab.cidr], ports: ports.join(','), options: { discovery: 'off' } });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const id = String(created.body['id']);
    const run = await api('POST', `/assessments/${id}/run`);
    assert.equal(run.status, 202, JSON.stringify(run.body));
    return { id, scanId: String(run.body['scanId']) };
  }

  async function assertFinished(api: Api, db: string, id: string, scanId: string, serve: ServeProcess): Promise<void> {
    const a = await api('GET', `/assessments/${id}`);
    assert.equal(a.body['state'], 'idle');
    assert.equal(a.body['lastScanId'], scanId);
    assert.equal((a.body['lastScan'] as { status: string }).status, 'done');
    const p = await api<Progress>('GET', `/assessments/${id}/progress`);
    assert.equal(p.status, 200);
    assert.equal(p.body.phase, 'done');
    assert.equal(p.body.blocked, null);
    assert.equal(p.body.discover.unitsDone, p.body.discover.unitsPlanned);
    assert.equal(p.body.discover.probesDone, p.body.discover.probesPlanned);
    const hosts = new Set(lab.services.map((s) => s.ip)).size;
    assert.deepEqual([p.body.identify.unitsPlanned, p.body.identify.unitsDone], [hosts, hosts], 'every host identified');
    assert.equal(p.body.identify.portsDone, lab.services.length);
    assert.deepEqual([p.body.check.unitsPlanned, p.body.check.unitsDone, p.body.check.selection], [hosts, hosts, 'safe'], 'every host checked');
    assert.equal(p.body.jobs?.dead, 0);
    // What the fleet recorded equals the clean single-process scan: ports, services and findings.
    const got = await snapshotOfFile(db, scanId);
    assert.deepEqual(got.ports, reference.ports);
    assert.deepEqual(got.services, reference.services);
    assert.deepEqual(got.findings, reference.findings);
    // And the run was folded into the inventory: its findings are the org's.
    const findings = await api<{ items: { checkId: string; address: string; port: number }[] }>('GET', '/findings?limit=500');
    assert.deepEqual(findings.body.items.map((f) => `${f.address}:${f.port} ${f.checkId}`).sort(), reference.findings, serve.stderr.slice(-3000));
  }

  it('with embedded workers (the default): the API runs discover → identify → check to the reference results', async () => {
    const db = join(dir, 'embedded.db');
    const serve = await startServe(['--db', db, '--scope', SUBNET]);
    servers.push(serve);
    assert.ok(serve.token, serve.stdout);
    assert.match(serve.stderr, /queue embedded in .*embedded\.db, 1 worker loop\(s\)/);
    const api = apiClient(serve.url, serve.token);
    const { id, scanId } = await createAndRun(api);
    await waitFor('the run to finish', async () => (await api('GET', `/assessments/${id}`)).body['state'] === 'idle', 120_000,
      async () => JSON.stringify((await api('GET', `/assessments/${id}/progress`)).body));
    await assertFinished(api, db, id, scanId, serve);
    // trawl status reads the same store (and its embedded queue) from another process.
    const st = await runCli(['status', '--db', db, '--scan', scanId]);
    assert.equal(st.code, 0, st.stderr);
    assert.match(st.stdout, /: done \(fleet; stages discover → identify → check\)/);
    assert.match(st.stdout, new RegExp(`identify: hosts (\\d+)/\\1 done, ports ${lab.services.length}/${lab.services.length} identified`));
    assert.match(st.stdout, /check \(safe\): hosts (\d+)\/\1 done/);
    assert.equal(await serve.stop(), 0, serve.stderr);
  });

  it('on PostgreSQL with --queue redis://: the same pipeline, the same results', async () => {
    const pgdb = new PgDatabase(`trawl_serve_fleet_${process.pid}_${randomBytes(3).toString('hex')}`);
    await pgdb.create();
    const db = `postgres://postgres@127.0.0.1:5432/${pgdb.name}`;
    const prefix = `trawl-serve-test-${process.pid}-${randomBytes(3).toString('hex')}`;
    try {
      const serve = await startServe(['--db', db, '--scope', SUBNET, '--queue', 'redis://127.0.0.1:6379', '--prefix', prefix, '--workers', '2', '--worker-concurrency', '4']);
      servers.push(serve);
      assert.ok(serve.token, serve.stdout);
      assert.match(serve.stderr, /queue redis:\/\/127\.0\.0\.1:6379, 2 worker loop\(s\) of 4 job\(s\)/);
      const api = apiClient(serve.url, serve.token);
      const { id, scanId } = await createAndRun(api);
      await waitFor('the run to finish', async () => (await api('GET', `/assessments/${id}`)).body['state'] === 'idle', 120_000,
        async () => JSON.stringify((await api('GET', `/assessments/${id}/progress`)).body));
      await assertFinished(api, db, id, scanId, serve);
      assert.equal(await serve.stop(), 0, serve.stderr);
    } finally {
      // The test's own keys only.
      const keys = spawnSync('redis-cli', ['-h', '127.0.0.1', '-p', '6379', '--scan', '--pattern', `${prefix}:*`], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean);
      for (let i = 0; i < keys.length; i += 500) spawnSync('redis-cli', ['-h', '127.0.0.1', '-p', '6379', 'del', ...keys.slice(i, i + 500)]);
      await pgdb.drop();
    }
  });

  it('with --no-workers and a trawl worker process; a server killed -9 mid-run is picked up on restart', async () => {
    const db = join(dir, 'split.db');
    const first = await startServe(['--db', db, '--scope', SUBNET, '--no-workers']);
    servers.push(first);
    assert.ok(first.token);
    assert.match(first.stderr, /no workers here/);
    const token = first.token;
    const { id, scanId } = await createAndRun(apiClient(first.url, token));
    // The server dies with the run in flight (no worker has touched it yet).
    first.child.kill('SIGKILL');
    await first.exited;

    const second = await startServe(['--db', db, '--no-workers']);
    servers.push(second);
    assert.match(second.stderr, new RegExp(`picked up 1 run\\(s\\) left in flight: ${scanId}`));
    const api = apiClient(second.url, token);
    const a = await api('GET', `/assessments/${id}`);
    assert.equal(a.body['state'], 'running', 'not stuck, not dropped: still running');
    const waiting = await api<Progress>('GET', `/scans/${scanId}/progress`);
    assert.equal(waiting.body.status, 'running');
    assert.ok((waiting.body.jobs?.waiting ?? 0) > 0 && waiting.body.jobs?.waitingNoWorker === waiting.body.jobs?.waiting, JSON.stringify(waiting.body));
    assert.match(waiting.body.blocked ?? '', /no live worker serves it/);
    const st = await runCli(['status', '--db', db, '--scan', scanId]);
    assert.match(st.stdout, /wait for a worker of zone \(any\): no live worker serves it/);

    // A worker on the same file (no --queue: the queue embedded in the store) does the work.
    const worker = spawnNode(fleetCli, ['worker', '--db', db, '--concurrency', '4', '--lease-ms', '5000']);
    try {
      await waitFor('the run to finish', async () => (await api('GET', `/assessments/${id}`)).body['state'] === 'idle', 120_000,
        async () => `${JSON.stringify((await api('GET', `/scans/${scanId}/progress`)).body)}\n${worker.stderr.slice(-2000)}`);
      await assertFinished(api, db, id, scanId, second);
    } finally {
      worker.child.kill('SIGTERM');
      const exit = await worker.exited;
      assert.equal(exit.code, 0, worker.stderr);
    }
    assert.match(worker.stderr, /queue embedded in .*split\.db/);
    assert.equal(await second.stop(), 0, second.stderr);
  });

  it('a trawl worker --templates process runs the templates in the check stage: nuclei:<id> findings in the inventory', async () => {
    const db = join(dir, 'templates.db');
    const tdir = join(dir, 'templates');
    mkdirSync(tdir, { recursive: true });
    // Every lab web site (HTTP on 8080 and 9443, HTTPS on 8443) serves this robots.txt; nothing else speaks HTTP.
    writeFileSync(join(tdir, 'lab-robots-admin.yaml'), [
      'id: lab-robots-admin',
      'info: { name: robots.txt names an admin area, author: trawl-test, severity: low, tags: exposure }',
      'http:',
      '  - method: GET',
      '    path: ["{{BaseURL}}/robots.txt"]',
      '    matchers-condition: and',
      '    matchers:',
      '      - type: status',
      '        status: [200]',
      '      - type: word',
      '        words: ["Disallow: /admin/"]',
      '',
    ].join('\n'));
    const serve = await startServe(['--db', db, '--scope', SUBNET, '--no-workers']);
    servers.push(serve);
    assert.ok(serve.token, serve.stdout);
    const api = apiClient(serve.url, serve.token);
    const { id } = await createAndRun(api);
    const worker = spawnNode(fleetCli, ['worker', '--db', db, '--concurrency', '4', '--templates', tdir]);
    try {
      await waitFor('the run to finish', async () => (await api('GET', `/assessments/${id}`)).body['state'] === 'idle', 120_000,
        async () => `${JSON.stringify((await api('GET', `/assessments/${id}/progress`)).body)}\n${worker.stderr.slice(-2000)}`);
    } finally {
      worker.child.kill('SIGTERM');
      assert.equal((await worker.exited).code, 0, worker.stderr);
    }
    assert.match(worker.stderr, /templates: 1 file\(s\) in 1 dir\(s\): 1 will run/);
    const web = lab.services.filter((s) => [8080, 9443, 8443].includes(s.port)).map((s) => `${s.ip}:${s.port} nuclei:lab-robots-admin`);
    assert.equal(web.length, 3);
    const findings = await api<{ items: { checkId: string; address: string; port: number }[] }>('GET', '/findings?limit=500');
    const got = findings.body.items.map((f) => `${f.address}:${f.port} ${f.checkId}`).sort();
    // The built-in checks' findings as before, plus the template's on exactly the web services.
    assert.deepEqual(got, [...reference.findings, ...web].sort(), worker.stderr.slice(-3000));
    assert.equal(await serve.stop(), 0, serve.stderr);
  });
});
