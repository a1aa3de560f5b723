/**
 * Live progress moves while a work unit runs, not only when it ends. A paced assessment (a low
 * per-assessment rate) over loopback addresses is one discover unit of a few dozen probes that takes
 * seconds; its batch commits carry counter increments, so the progress route and the `run.progress`
 * events show some probes sent and answered while that single unit is still unfinished — and when the
 * run ends, every probe is counted once (the last commit adds only the remainder). Only 127.0.0.0/8
 * is probed.
 */
import assert from 'node:assert/strict';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { call, dialects, fixture, json, postgresProblem, type ApiFixture } from './api-harness.js';
import { subscribeSse, type SseEvent } from './sse-client.js';

const pgProblem = await postgresProblem();

interface DiscoverProgress {
  unitsPlanned: number;
  unitsDone: number;
  probesPlanned: number;
  probesDone: number;
  probesSent: number;
  probesAnswered: number;
  probesTimedOut: number;
  probesRetried: number;
  openFound: number;
}

interface LiveProgress {
  phase: string;
  done: number;
  planned: number;
  sent: number;
}

/** The `run.progress` events of an SSE stream so far. */
function progressOf(events: readonly SseEvent[]): LiveProgress[] {
  return events.filter((e) => e.event === 'run.progress').map((e) => (e.data as unknown as { progress: LiveProgress }).progress);
}

for (const kind of dialects) describe(`live progress of a paced fleet run moves within its one work unit (loopback, ${kind})`, { skip: kind === 'postgres' ? pgProblem ?? false : false }, () => {
  let f: ApiFixture;
  let base: string;
  let open: Server;
  let closedPort: number;

  before(async () => {
    f = await fixture(kind, { progressIntervalMs: 50, sseHeartbeatMs: 1000 });
    base = await f.app.listen({ host: '127.0.0.1', port: 0 });
    open = createServer((sock) => sock.on('error', () => undefined).resume().end());
    await new Promise<void>((res) => open.listen(0, '127.0.0.17', res));
    const spare = createServer();
    await new Promise<void>((res) => spare.listen(0, '127.0.0.1', res));
    closedPort = (spare.address() as AddressInfo).port;
    await new Promise<void>((res) => spare.close(() => res()));
  });
  after(async () => {
    await f.close();
    await new Promise<void>((res) => open.close(() => res()));
  });

  it('shows probes sent and answered mid-unit, and counts each probe once at the end', async () => {
    const openPort = (open.address() as AddressInfo).port;
    // 16 addresses × 2 ports = 32 probes, one unit (units are 4096 probes), at 8 probes/s: about 4 s.
    const created = await call(f.app, f.a.analyst, 'POST', '/assessments', {
      body: { name: 'paced', targets: ['127.0.0.16/28'], ports: `${openPort},${closedPort}`, options: { discovery: 'off', rate: 8, retries: 0 } },
    });
    assert.equal(created.statusCode, 201, created.body);
    const id = String(json(created)['id']);
    const stream = await subscribeSse(base, `/assessments/${id}/events?untilFinished=true`, f.a.viewer);
    const run = await call(f.app, f.a.analyst, 'POST', `/assessments/${id}/run`);
    assert.equal(run.statusCode, 202, run.body);
    const scanId = String(json(run)['scanId']);

    // Poll the progress route until a reading inside the unit is seen, or the run is over.
    const readings: (DiscoverProgress & { status: string })[] = [];
    let midUnit: DiscoverProgress | undefined;
    const deadline = Date.now() + 60_000;
    for (;;) {
      const r = await call(f.app, f.a.viewer, 'GET', `/assessments/${id}/progress`);
      assert.equal(r.statusCode, 200, r.body);
      const p = json<{ status: string; discover: DiscoverProgress }>(r);
      readings.push({ ...p.discover, status: p.status });
      const d = p.discover;
      if (d.unitsPlanned === 1 && d.unitsDone === 0 && d.probesSent > 0 && d.probesSent < d.probesPlanned) {
        midUnit = d;
        break;
      }
      if (p.status !== 'running' || Date.now() > deadline) break;
      await sleep(100);
    }
    const trail = (): string => readings.map((x) => `${x.status} units ${x.unitsDone}/${x.unitsPlanned} sent ${x.probesSent} done ${x.probesDone}/${x.probesPlanned}`).join('\n');
    assert.ok(midUnit, `a reading with 0 < probesSent < planned while the single unit runs:\n${trail()}`);
    assert.equal(midUnit.probesPlanned, 32);
    assert.ok(midUnit.probesDone > 0 && midUnit.probesDone < midUnit.probesPlanned, `probes done move too:\n${trail()}`);
    assert.ok(midUnit.probesAnswered > 0, 'answered probes are counted as they come');

    await stream.ended;
    // The dashboard's bar (run.progress: done of planned) moved inside the unit as well.
    const mid = progressOf(stream.events).filter((e) => e.planned === 32 && e.sent > 0 && e.sent < e.planned && e.done > 0 && e.done < e.planned);
    assert.ok(mid.length > 0, `a run.progress event inside the unit: ${JSON.stringify(progressOf(stream.events).map((e) => [e.phase, e.sent, e.done, e.planned]))}`);

    // No double count: the unit's last commit added only what the batches before it had not.
    const scan = json<{ status: string; counters: Record<string, number> }>(await call(f.app, f.a.viewer, 'GET', `/scans/${scanId}`));
    assert.equal(scan.status, 'done');
    const c = scan.counters;
    assert.equal(c['probesPlanned'], 32);
    assert.equal(c['probesSent'], 32, JSON.stringify(c));
    assert.equal(c['probesRetried'], 0, JSON.stringify(c));
    assert.equal((c['probesAnswered'] ?? 0) + (c['probesTimedOut'] ?? 0), 32, JSON.stringify(c));
    assert.equal(c['openFound'], 1, JSON.stringify(c));
    const last = json<{ discover: DiscoverProgress }>(await call(f.app, f.a.viewer, 'GET', `/assessments/${id}/progress`)).discover;
    assert.equal(last.probesSent, 32);
    assert.equal(last.probesDone, 32);
    assert.equal(last.unitsDone, 1);
  });
});
