/**
 * A real run end to end on loopback: TCP listeners this test starts on 127.0.0.1, an assessment over
 * them, live progress over Server-Sent Events from a real listener, then results, exports, the
 * inventory fold and a diff between two runs. Only 127.0.0.0/8 is ever probed.
 */
import assert from 'node:assert/strict';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { verifySignature } from '../../src/notify/webhook-signature.js';
import { startWebhookReceiver, type WebhookReceiver } from '../notify/local-receivers.js';
import { call, dialects, fixture, json, postgresProblem, type ApiFixture } from './api-harness.js';
import { subscribeSse } from './sse-client.js';

const pgProblem = await postgresProblem();

async function listen(): Promise<Server> {
  const s = createServer((sock) => sock.on('error', () => undefined).resume().end());
  await new Promise<void>((res) => s.listen(0, '127.0.0.1', res));
  return s;
}

function portOf(s: Server): number {
  return (s.address() as AddressInfo).port;
}

for (const kind of dialects) describe(`assessment runs with live progress over SSE (loopback, ${kind})`, { skip: kind === 'postgres' ? pgProblem ?? false : false }, () => {
  let f: ApiFixture;
  let base: string;
  const servers: Server[] = [];
  let closedPort: number;
  let hook: WebhookReceiver;
  let hookSecret: string;

  before(async () => {
    hook = await startWebhookReceiver();
    f = await fixture(kind, { progressIntervalMs: 20, sseHeartbeatMs: 1000 });
    base = await f.app.listen({ host: '127.0.0.1', port: 0 });
    for (let i = 0; i < 2; i++) servers.push(await listen());
    const spare = await listen();
    closedPort = portOf(spare);
    await new Promise<void>((res) => spare.close(() => res()));
    const rule = await call(f.app, f.a.admin, 'POST', '/notification-rules', { body: { name: 'runs', channel: 'webhook', target: hook.url, eventTypes: ['scan.finished'], zones: ['lab'] } });
    hookSecret = String(json(rule)['secret']);
  });
  after(async () => {
    await f.close();
    await hook.close();
    for (const s of servers) await new Promise<void>((res) => s.close(() => res()));
  });

  let assessmentId: string;
  let firstScan: string;

  it('streams snapshot, started, progress and finished for a real scan, then serves its results', async () => {
    const ports = [portOf(servers[0]!), portOf(servers[1]!), closedPort].join(',');
    const created = await call(f.app, f.a.analyst, 'POST', '/assessments', { body: { name: 'loopback', targets: ['127.0.0.1'], ports, options: { discovery: 'off' }, zone: 'lab', tags: ['e2e'] } });
    assert.equal(created.statusCode, 201, created.body);
    assessmentId = String(json(created)['id']);

    const stream = await subscribeSse(base, `/assessments/${assessmentId}/events?untilFinished=true`, f.a.viewer);
    assert.equal(stream.events[0]!.event, 'snapshot');
    assert.equal(stream.events[0]!.data['state'], 'idle');

    const run = await fetch(`${base}/assessments/${assessmentId}/run`, { method: 'POST', headers: { authorization: `Bearer ${f.a.analyst}` } });
    assert.equal(run.status, 202);
    const { scanId } = (await run.json()) as { scanId: string };
    firstScan = scanId;
    await stream.ended;

    const kinds = stream.events.map((e) => e.event);
    assert.equal(kinds[0], 'snapshot');
    assert.equal(kinds[1], 'run.started');
    assert.equal(kinds[kinds.length - 1], 'run.finished');
    assert.ok(kinds.includes('run.progress'), `progress events in ${kinds.join(',')}`);
    for (const e of stream.events.slice(1)) {
      assert.equal(e.data['scanId'], scanId);
      assert.equal(e.data['orgId'], undefined, 'events do not carry the org id');
    }
    const lastProgress = stream.events.filter((e) => e.event === 'run.progress').pop()!.data['progress'] as Record<string, number>;
    assert.equal(lastProgress['planned'], 3);
    assert.equal(lastProgress['done'], 3);
    assert.equal(lastProgress['openFound'], 2);
    const finished = stream.events[stream.events.length - 1]!.data;
    assert.equal(finished['status'], 'done');
    assert.equal(finished['openFound'], 2);

    const status = json(await call(f.app, f.a.viewer, 'GET', `/assessments/${assessmentId}`));
    assert.equal(status['state'], 'idle');
    assert.equal(status['lastScanId'], scanId);
    assert.equal(status['live'], null);
    const lastScan = status['lastScan'] as { status: string; counters: Record<string, number> };
    assert.equal(lastScan.status, 'done');
    assert.equal(lastScan.counters['openFound'], 2);
    assert.equal(lastScan.counters['probesPlanned'], 3);

    // The rule for scan.finished in zone "lab" got a signed webhook.
    await waitFor(async () => hook.requests.length > 0);
    const delivered = hook.requests[0]!;
    assert.equal(delivered.headers['x-trawl-event'], 'scan.finished');
    assert.equal(verifySignature(delivered.body, hookSecret, String(delivered.headers['x-trawl-signature'])), true);
    const payload = JSON.parse(delivered.body) as { data: { scanId: string; openFound: number }; zone: string; tags: string[] };
    assert.equal(payload.data.scanId, scanId);
    assert.equal(payload.data.openFound, 2);
    assert.equal(payload.zone, 'lab');
    assert.deepEqual(payload.tags, ['e2e']);

    const results = json<{ items: { ip: string; port: number; state: string }[] }>(await call(f.app, f.a.viewer, 'GET', `/scans/${scanId}/results`));
    assert.deepEqual(results.items.map((r) => `${r.ip}:${r.port}:${r.state}`).sort(), [portOf(servers[0]!), portOf(servers[1]!)].map((p) => `127.0.0.1:${p}:open`).sort());
  });

  it('exports the scan as JSON lines, CSV, nmap XML and SARIF', async () => {
    const jl = await call(f.app, f.a.viewer, 'GET', `/scans/${firstScan}/export?format=jsonl`);
    assert.equal(jl.statusCode, 200);
    assert.match(String(jl.headers['content-type']), /application\/jsonl/);
    const rows = jl.body.trim().split('\n').map((l) => JSON.parse(l) as { ip: string; port: number; state: string });
    assert.equal(rows.length, 2);
    assert.ok(rows.every((r) => r.ip === '127.0.0.1' && r.state === 'open'));
    const csv = await call(f.app, f.a.viewer, 'GET', `/scans/${firstScan}/export?format=csv`);
    assert.match(csv.body, /^ip,port,proto,state/);
    assert.equal(csv.body.trim().split('\r\n').length, 3);
    const xml = await call(f.app, f.a.viewer, 'GET', `/scans/${firstScan}/export?format=xml`);
    assert.match(xml.body, /<nmaprun[^>]*>/);
    assert.equal((xml.body.match(/<port protocol="tcp"/g) ?? []).length, 2);
    assert.match(xml.body, /<\/nmaprun>\s*$/);
    const sarif = await call(f.app, f.a.viewer, 'GET', `/scans/${firstScan}/export?format=sarif`);
    assert.equal(sarif.statusCode, 200);
    const log = json<{ version: string; runs: unknown[] }>(sarif);
    assert.equal(log.version, '2.1.0');
    assert.equal(log.runs.length, 1);
  });

  it('folds the run into the inventory and diffs two runs', async () => {
    const assets = json<{ items: { address: string; zone: string }[] }>(await call(f.app, f.a.viewer, 'GET', '/assets'));
    assert.deepEqual(assets.items.map((a) => a.address), ['127.0.0.1']);
    const services = json<{ items: { port: number; state: string }[] }>(await call(f.app, f.a.viewer, 'GET', '/services?asset=127.0.0.1'));
    assert.deepEqual(services.items.map((s) => s.port).sort((x, y) => x - y), [portOf(servers[0]!), portOf(servers[1]!)].sort((x, y) => x - y));

    // Between the runs a service starts on the port the first run found closed.
    const late = createServer((sock) => sock.on('error', () => undefined).resume().end());
    await new Promise<void>((res) => late.listen(closedPort, '127.0.0.1', res));
    servers.push(late);
    const run = await call(f.app, f.a.analyst, 'POST', `/assessments/${assessmentId}/run`);
    assert.equal(run.statusCode, 202);
    const second = String(json(run)['scanId']);
    // The fold runs before the run reads as finished, so its changes are there once it does.
    await waitFor(async () => json(await call(f.app, f.a.viewer, 'GET', `/scans/${second}`))['status'] === 'done');
    const changes = json<{ items: { kind: string; port: number | null; scanId: string }[] }>(await call(f.app, f.a.viewer, 'GET', `/changes?scanId=${second}`));
    assert.ok(changes.items.some((c) => c.kind === 'port_opened' && c.port === closedPort), JSON.stringify(changes.items));

    const diff = json<{ base: string; head: string; counts: Record<string, number>; changes: { kind: string; port: number | null }[] }>(
      await call(f.app, f.a.viewer, 'GET', `/scans/${firstScan}/diff/${second}`),
    );
    assert.equal(diff.base, firstScan);
    assert.equal(diff.head, second);
    assert.ok(diff.changes.some((c) => c.kind === 'port_opened' && c.port === closedPort), JSON.stringify(diff));
    assert.equal(diff.counts['port_opened'], 1);

    const scans = json<{ items: { id: string }[] }>(await call(f.app, f.a.viewer, 'GET', `/scans?assessmentId=${assessmentId}`));
    assert.deepEqual(scans.items.map((s) => s.id), [second, firstScan]);
  });

  it('cancels a running scan: it ends as cancelled and the assessment is idle again', async () => {
    // 256 addresses × 2 ports at 40 probes/s: long enough to cancel mid-way.
    const created = await call(f.app, f.a.analyst, 'POST', '/assessments', {
      body: { name: 'slow', targets: ['127.0.0.0/24'], ports: `${closedPort},${portOf(servers[0]!)}`, options: { discovery: 'off', rate: 40, retries: 0 } },
    });
    const id = String(json(created)['id']);
    const stream = await subscribeSse(base, `/assessments/${id}/events?untilFinished=true`, f.a.viewer);
    const run = await call(f.app, f.a.analyst, 'POST', `/assessments/${id}/run`);
    assert.equal(run.statusCode, 202);
    const again = await call(f.app, f.a.analyst, 'POST', `/assessments/${id}/run`);
    assert.equal(again.statusCode, 409, 'one run at a time');
    const live = json(await call(f.app, f.a.viewer, 'GET', `/assessments/${id}`));
    assert.equal(live['state'], 'running');
    assert.ok(live['live'], 'live counters while running');
    const cancel = await call(f.app, f.a.analyst, 'POST', `/assessments/${id}/cancel`);
    assert.equal(cancel.statusCode, 202);
    await stream.ended;
    const finished = stream.events[stream.events.length - 1]!;
    assert.equal(finished.event, 'run.finished');
    assert.equal(finished.data['status'], 'cancelled');
    const scan = json<{ status: string; counters: { probesSent: number; probesPlanned: number } }>(await call(f.app, f.a.viewer, 'GET', `/scans/${String(json(run)['scanId'])}`));
    assert.equal(scan.status, 'cancelled');
    assert.ok(scan.counters.probesSent < scan.counters.probesPlanned);
    assert.equal(json(await call(f.app, f.a.viewer, 'GET', `/assessments/${id}`))['state'], 'idle');
    assert.equal((await call(f.app, f.a.analyst, 'POST', `/assessments/${id}/cancel`)).statusCode, 409);
  });

  it('a cancel that lands after the port scan, while services are identified, still ends the run as cancelled and folds nothing', async () => {
    // A tarpit: accepts and never says a word, so identification waits out its probes' timeouts.
    const sockets = new Set<import('node:net').Socket>();
    const tarpit = createServer((sock) => {
      sockets.add(sock);
      sock.on('error', () => undefined).on('close', () => sockets.delete(sock));
    });
    await new Promise<void>((res) => tarpit.listen(0, '127.0.0.9', res));
    try {
      const created = await call(f.app, f.a.analyst, 'POST', '/assessments', {
        body: { name: 'cancel while identifying', targets: ['127.0.0.9'], ports: String(portOf(tarpit)), options: { discovery: 'off' } },
      });
      const id = String(json(created)['id']);
      const stream = await subscribeSse(base, `/assessments/${id}/events?untilFinished=true`, f.a.viewer);
      const run = await call(f.app, f.a.analyst, 'POST', `/assessments/${id}/run`);
      assert.equal(run.statusCode, 202);
      const scanId = String(json(run)['scanId']);
      // The port scan (one probe) is over once its counters are in; the run is then identifying.
      await waitFor(async () => {
        const s = json<{ state: string; live: { progress: { done: number; planned: number } } | null }>(await call(f.app, f.a.viewer, 'GET', `/assessments/${id}`));
        assert.equal(s.state, 'running', 'identification of a silent port outlasts this wait');
        return s.live !== null && s.live.progress.planned === 1 && s.live.progress.done === 1 && sockets.size > 0;
      });
      assert.equal((await call(f.app, f.a.analyst, 'POST', `/assessments/${id}/cancel`)).statusCode, 202);
      await stream.ended;
      const finished = stream.events[stream.events.length - 1]!;
      assert.equal(finished.event, 'run.finished');
      assert.equal(finished.data['status'], 'cancelled');
      assert.equal(json(await call(f.app, f.a.viewer, 'GET', `/scans/${scanId}`))['status'], 'cancelled');
      const changes = json<{ items: unknown[] }>(await call(f.app, f.a.viewer, 'GET', `/changes?scanId=${scanId}`));
      assert.deepEqual(changes.items, [], 'a cut-short run is not folded into the inventory');
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise<void>((res) => tarpit.close(() => res()));
    }
  });
});

async function waitFor(cond: () => Promise<boolean>, ms = 10_000): Promise<void> {
  const until = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > until) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 25));
  }
}
