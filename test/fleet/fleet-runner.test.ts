/**
 * The FleetAssessmentRunner's contract, as the API's default runner (embedded workers on the embedded
 * queue of an in-memory SQLite store), on loopback listeners: a cancel stops the queued and in-flight
 * jobs at once and ends the run `cancelled`; closing the app ends a running run `interrupted` and
 * releases its assessment; a plan that cannot run is refused before any scan exists; and the live
 * progress is published while a run goes through discover → identify → check.
 */
import assert from 'node:assert/strict';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { Kysely } from 'kysely';
import { claimAssessment } from '../../src/api/queries/assessment-queries.js';
import { FleetAssessmentRunner } from '../../src/api/runner/fleet-runner.js';
import type { RunEvent } from '../../src/api/runner/run-events.js';
import type { TrawlError } from '../../src/errors/trawl-error.js';
import type { JobsDatabase } from '../../src/queue/sqlite/jobs-schema.js';
import { createSqliteQueue } from '../../src/queue/sqlite/sqlite-queue.js';
import { scopeOf, type ScanRequest } from '../../src/scan/scan-runner.js';
import { RunEvents } from '../../src/api/runner/run-events.js';
import { call, fixture, json, type ApiFixture } from '../api/api-harness.js';

async function listen(): Promise<Server> {
  const s = createServer((sock) => sock.on('error', () => undefined).resume().end());
  await new Promise<void>((res) => s.listen(0, '127.0.0.1', res));
  return s;
}

const portOf = (s: Server): number => (s.address() as AddressInfo).port;

async function until(what: string, cond: () => Promise<boolean>, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('FleetAssessmentRunner (the API default): cancel, close, refusals, progress', () => {
  let server: Server;
  const events = new RunEvents();
  const seen: RunEvent[] = [];
  let f: ApiFixture;

  before(async () => {
    server = await listen();
    events.subscribe((e) => seen.push(e));
    f = await fixture('sqlite', { events, progressIntervalMs: 50 });
  });
  after(async () => {
    await f?.close().catch(() => undefined);
    await new Promise<void>((res) => server.close(() => res()));
  });

  const create = async (body: Record<string, unknown>): Promise<string> => {
    const r = await call(f.app, f.a.analyst, 'POST', '/assessments', { body: { name: 'x', ...body } });
    assert.equal(r.statusCode, 201, r.body);
    return String(json(r)['id']);
  };

  it('runs discover → identify → check, publishing progress, to a done run with every stage recorded', async () => {
    const id = await create({ targets: ['127.0.0.1'], ports: String(portOf(server)), options: { discovery: 'off' } });
    const run = json(await call(f.app, f.a.analyst, 'POST', `/assessments/${id}/run`));
    const scanId = String(run['scanId']);
    await until('the run to finish', async () => seen.some((e) => e.type === 'run.finished' && e.scanId === scanId));
    const mine = seen.filter((e) => e.scanId === scanId);
    assert.equal(mine[0]?.type, 'run.started');
    assert.ok(mine.some((e) => e.type === 'run.progress'));
    const finished = mine.find((e) => e.type === 'run.finished');
    assert.ok(finished?.type === 'run.finished' && finished.status === 'done' && finished.openFound === 1);
    const progress = json<{ phase: string; stages: string[]; identify: { unitsDone: number }; check: { unitsDone: number; unitsPlanned: number } }>(await call(f.app, f.a.viewer, 'GET', `/scans/${scanId}/progress`));
    assert.equal(progress.phase, 'done');
    assert.deepEqual(progress.stages, ['discover', 'identify', 'check']);
    assert.equal(progress.identify.unitsDone, 1);
    assert.deepEqual([progress.check.unitsDone, progress.check.unitsPlanned], [1, 1]);
    const units = await f.d.store.listWorkUnits(scanId, 'check');
    assert.deepEqual(units.map((u) => u.state), ['done']);
  });

  it('a cancel stops the scan at once: queued jobs removed, the in-flight one stopped, the run cancelled', async () => {
    // 256 addresses × 2 ports at 40 probes/s in units of 4096: one long job.
    const id = await create({ targets: ['127.0.0.0/24'], ports: `${portOf(server)},1`, options: { discovery: 'off', rate: 40, retries: 0 } });
    const scanId = String(json(await call(f.app, f.a.analyst, 'POST', `/assessments/${id}/run`))['scanId']);
    await until('the job to be leased', async () => (await f.app.inject({ method: 'GET', url: `/scans/${scanId}/progress`, headers: { authorization: `Bearer ${f.a.viewer}` } }).then((r) => json<{ jobs: { leased: number } }>(r).jobs.leased)) === 1);
    const t0 = Date.now();
    assert.equal((await call(f.app, f.a.analyst, 'POST', `/assessments/${id}/cancel`)).statusCode, 202);
    await until('the run to end', async () => seen.some((e) => e.type === 'run.finished' && e.scanId === scanId), 10_000);
    const ms = Date.now() - t0;
    // The embedded worker is told directly, not at its next heartbeat (10 s away).
    assert.ok(ms < 5000, `stopped in ${ms} ms`);
    const finished = seen.find((e) => e.type === 'run.finished' && e.scanId === scanId);
    assert.equal(finished?.type === 'run.finished' ? finished.status : undefined, 'cancelled');
    const p = json<{ status: string; jobs: { waiting: number; leased: number; retrying: number; dead: number } }>(await call(f.app, f.a.viewer, 'GET', `/scans/${scanId}/progress`));
    assert.equal(p.status, 'interrupted');
    assert.deepEqual([p.jobs.waiting, p.jobs.leased, p.jobs.retrying, p.jobs.dead], [0, 0, 0, 0]);
    assert.equal(json(await call(f.app, f.a.viewer, 'GET', `/assessments/${id}`))['state'], 'idle');
  });

  it('refuses a run whose plan cannot run before any scan exists, and releases the assessment', async () => {
    const id = await create({ targets: ['127.0.0.1'], ports: '1', options: { discovery: 'off' } });
    assert.equal(await claimAssessment(f.d.db, f.a.id, id), true);
    const runner = new FleetAssessmentRunner({ db: f.d.db, store: f.d.store, queue: createSqliteQueue(f.d.db as unknown as Kysely<JobsDatabase>), events: new RunEvents() });
    const request: ScanRequest = { targets: ['127.0.0.1'], targetFiles: [], excludes: [], excludeFiles: [], ports: [1], shard: { index: 1, count: 1 }, applyBlocklist: true, discovery: 'off' };
    const scope = await scopeOf(request);
    const scansBefore = (await f.d.store.listScans(1000)).length;
    await assert.rejects(
      runner.start({ orgId: f.a.id, assessmentId: id, origin: 'manual', request, scope, zone: null, tags: [], stages: { identify: true, checks: 'no-such-check' } }),
      (e: TrawlError) => e.code === 'TRAWL_E_BAD_OPTION' && /no-such-check/.test(e.message),
    );
    assert.equal((await f.d.store.listScans(1000)).length, scansBefore, 'no scan was created');
    assert.equal(json(await call(f.app, f.a.viewer, 'GET', `/assessments/${id}`))['state'], 'idle', 'the claim was given back');
    assert.equal(runner.live(id), undefined);
    await runner.close();
  });

  it('closing the app ends a running run interrupted and releases its assessment', async () => {
    const id = await create({ targets: ['127.0.0.0/24'], ports: `${portOf(server)},1`, options: { discovery: 'off', rate: 40, retries: 0 } });
    const scanId = String(json(await call(f.app, f.a.analyst, 'POST', `/assessments/${id}/run`))['scanId']);
    await until('the run to be live', async () => json(await call(f.app, f.a.viewer, 'GET', `/assessments/${id}`))['live'] !== null);
    await f.app.close();
    const row = await f.d.db.selectFrom('org_scans').select(['status']).where('scan_id', '=', scanId).executeTakeFirst();
    assert.equal(row?.status, 'interrupted');
    const a = await f.d.db.selectFrom('assessments').select(['state', 'last_scan_id']).where('id', '=', id).executeTakeFirst();
    assert.deepEqual(a, { state: 'idle', last_scan_id: scanId });
    assert.equal((await f.d.store.getScan(scanId))?.status, 'interrupted');
    const finished = seen.find((e) => e.type === 'run.finished' && e.scanId === scanId);
    assert.equal(finished?.type === 'run.finished' ? finished.status : undefined, 'interrupted');
  });
});
