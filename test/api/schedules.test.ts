import assert from 'node:assert/strict';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { InProcessAssessmentRunner } from '../../src/api/runner/in-process-runner.js';
import { launchAssessment } from '../../src/api/runner/launch-assessment.js';
import { RunEvents } from '../../src/api/runner/run-events.js';
import { checkCron, nextRunAfter } from '../../src/schedule/cron-schedule.js';
import { Scheduler } from '../../src/schedule/scheduler.js';
import { TrawlError } from '../../src/errors/trawl-error.js';
import { call, fixture, json, type ApiFixture } from './api-harness.js';

describe('cron schedules', () => {
  it('computes next runs in a time zone and refuses bad or too frequent expressions', () => {
    const from = new Date('2030-03-01T10:00:00Z');
    assert.equal(nextRunAfter('0 3 * * *', 'UTC', from)?.toISOString(), '2030-03-02T03:00:00.000Z');
    assert.equal(nextRunAfter('0 3 * * *', 'Europe/Berlin', from)?.toISOString(), '2030-03-02T02:00:00.000Z');
    assert.equal(nextRunAfter('30 10 * * 1', 'UTC', from)?.toISOString(), '2030-03-04T10:30:00.000Z');
    assert.throws(() => checkCron('every day', 'UTC'), (e: TrawlError) => e.code === 'TRAWL_E_VALIDATION' && e.detail['field'] === 'body.cron');
    assert.throws(() => checkCron('* * * * * *', 'UTC'), /more than once a minute/);
    assert.throws(() => checkCron('0 3 * * *', 'Mars/Olympus'), (e: TrawlError) => e.detail['field'] === 'body.timezone');
  });
});

describe('scheduler (real runs on loopback)', () => {
  let f: ApiFixture;
  let server: Server;
  let runner: InProcessAssessmentRunner;
  let clock = new Date('2030-01-01T00:00:00Z');

  before(async () => {
    server = createServer((s) => s.on('error', () => undefined).resume().end());
    await new Promise<void>((res) => server.listen(0, '127.0.0.1', res));
    f = await fixture('sqlite', { now: () => clock });
    runner = new InProcessAssessmentRunner({ db: f.d.db, store: f.d.store, events: new RunEvents(), afterRun: async () => undefined });
  });
  after(async () => {
    await runner.close();
    await f.close();
    await new Promise<void>((res) => server.close(() => res()));
  });

  it('stores the next run, fires due schedules once after downtime, and moves on from now', async () => {
    const port = (server.address() as AddressInfo).port;
    const created = await call(f.app, f.a.admin, 'POST', '/assessments', {
      body: { name: 'nightly', targets: ['127.0.0.1'], ports: String(port), options: { discovery: 'off' }, schedule: { cron: '0 3 * * *', timezone: 'UTC' } },
    });
    assert.equal(created.statusCode, 201, created.body);
    const schedule = json(created)['schedule'] as { id: string; nextRunAt: string };
    assert.equal(schedule.nextRunAt, '2030-01-01T03:00:00.000Z');
    const assessmentId = String(json(created)['id']);

    const launched: string[] = [];
    const scheduler = new Scheduler({
      db: f.d.db,
      now: () => clock,
      launch: async (row) => {
        const { scanId } = await launchAssessment({ db: f.d.db, runner }, row.org_id, row.assessment_id, 'schedule');
        launched.push(scanId);
        return scanId;
      },
    });
    assert.equal(await scheduler.tick(), 0, 'nothing due yet');

    // The server was down for three days and a half: three runs were missed; one fires.
    clock = new Date('2030-01-04T12:00:00Z');
    assert.equal(await scheduler.tick(), 1);
    await runner.idle();
    assert.equal(await scheduler.tick(), 0, 'not again on the next tick');
    assert.equal(launched.length, 1);

    const after = json(await call(f.app, f.a.viewer, 'GET', `/schedules/${schedule.id}`));
    assert.equal(after['nextRunAt'], '2030-01-05T03:00:00.000Z', 'next run computed from now, not from the missed ones');
    assert.equal(after['lastRunAt'], '2030-01-04T12:00:00.000Z');
    assert.equal(after['lastScanId'], launched[0]);
    const scan = json(await call(f.app, f.a.viewer, 'GET', `/scans/${launched[0]}`));
    assert.equal(scan['origin'], 'schedule');
    assert.equal(scan['status'], 'done');
    assert.equal((scan['counters'] as { openFound: number }).openFound, 1);
    assert.equal(scan['assessmentId'], assessmentId);

    // Disabled schedules never fire; re-enabling recomputes the next run from now.
    await call(f.app, f.a.admin, 'PATCH', `/schedules/${schedule.id}`, { body: { enabled: false } });
    clock = new Date('2030-01-09T00:00:00Z');
    assert.equal(await scheduler.tick(), 0);
    const on = json(await call(f.app, f.a.admin, 'PATCH', `/schedules/${schedule.id}`, { body: { enabled: true, cron: '15 6 * * *' } }));
    assert.equal(on['nextRunAt'], '2030-01-09T06:15:00.000Z');
  });

  it('two schedulers on one database fire a due schedule once', async () => {
    const created = await call(f.app, f.a.admin, 'POST', '/assessments', {
      body: { name: 'race', targets: ['127.0.0.1'], ports: '1', options: { discovery: 'off' }, schedule: { cron: '0 * * * *' } },
    });
    assert.equal(created.statusCode, 201);
    clock = new Date('2030-01-10T00:30:00Z');
    const fired: string[] = [];
    const make = (): Scheduler => new Scheduler({ db: f.d.db, now: () => clock, launch: async (row) => { fired.push(row.id); return undefined; } });
    const [x, y] = [make(), make()];
    clock = new Date('2030-01-10T05:00:00Z');
    await Promise.all([x.tick(), y.tick()]);
    // Both schedules are due (nightly's 06:15 of the 9th passed too); each fires exactly once.
    assert.equal(fired.length, 2);
    assert.equal(new Set(fired).size, 2);
    assert.ok(fired.includes(String((json(created)['schedule'] as { id: string }).id)));
  });
});
