import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { runChecks, type CheckRunRecord } from '../../src/checks/check-runner.js';
import type { Check } from '../../src/checks/check.js';
import type { Finding } from '../../src/checks/finding.js';
import { identifyByHandshake } from '../../src/engines/identify/cascade/index.js';
import type { ServiceIdentity } from '../../src/engines/identify/service-identity.js';
import { isTrawlError } from '../../src/errors/index.js';
import { tcpServer, type LocalServer } from '../identify/handshakes/local-server.js';
import { identity, loopbackGuard, target } from './check-test-support.js';

/** A small web server with an exposed .git/HEAD and .env; records when each connection arrived. */
async function leakyWebServer(): Promise<{ port: number; accepts: number[]; paths: string[]; close(): Promise<void> }> {
  const accepts: number[] = [];
  const paths: string[] = [];
  const server = http.createServer((req, res) => {
    paths.push(req.url ?? '');
    if (req.url === '/.git/HEAD') return void res.writeHead(200, { 'content-type': 'text/plain' }).end('ref: refs/heads/main\n');
    if (req.url === '/.env') return void res.writeHead(200, { 'content-type': 'text/plain' }).end('APP_KEY=base64:abc\nDB_PASSWORD=x\n');
    res.writeHead(404, { 'content-type': 'text/html' }).end('<html><title>404</title></html>');
  });
  server.on('connection', () => accepts.push(performance.now()));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as AddressInfo).port,
    accepts,
    paths,
    close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}

async function collect(it: AsyncIterable<Finding>): Promise<Finding[]> {
  const out: Finding[] = [];
  for await (const f of it) out.push(f);
  return out;
}

describe('runChecks', () => {
  let web: Awaited<ReturnType<typeof leakyWebServer>>;
  let webIdentity: ServiceIdentity;
  before(async () => {
    web = await leakyWebServer();
    const id = await identifyByHandshake({ ip: '127.0.0.1', port: web.port, family: 4 }, { guard: loopbackGuard });
    assert.ok(id !== undefined && id.name === 'http', JSON.stringify(id));
    webIdentity = id;
  });
  after(async () => {
    await web.close();
  });

  it('streams findings of the selected checks and accounts for every check run', async () => {
    const runs: CheckRunRecord[] = [];
    const findings = await collect(runChecks([{ target: target(web.port), identity: webIdentity }], { selection: 'http-exposed-git,http-exposed-env,http-missing-security-headers,redis-no-auth', guard: loopbackGuard, perHostRate: 0, onCheckRun: (r) => runs.push(r) }));
    // The 404 page identification fetched for "/" is HTML without any protective header.
    assert.deepEqual(findings.map((f) => f.checkId).sort(), ['http-exposed-env', 'http-exposed-git', 'http-missing-security-headers']);
    // redis-no-auth does not apply to an HTTP service, so it never ran.
    assert.deepEqual(runs.map((r) => r.checkId).sort(), ['http-exposed-env', 'http-exposed-git', 'http-missing-security-headers']);
    assert.ok(runs.every((r) => r.outcome === 'ok' && r.findings === 1), JSON.stringify(runs));
  });

  it('spaces connections to one host by the per-host rate, across checks running at once', async () => {
    const before = web.accepts.length;
    const t0 = performance.now();
    const findings = await collect(runChecks([{ target: target(web.port), identity: webIdentity }], { selection: 'http-exposed-git,http-exposed-env,http-directory-listing', guard: loopbackGuard, perHostRate: 10, concurrency: 8 }));
    const times = web.accepts.slice(before).filter((t) => t >= t0);
    assert.ok(times.length >= 4, `connections: ${times.length}`); // .git/HEAD, .env, /, /backup/, /uploads/
    // Slots are 100 ms apart when the connection is attempted; arrival adds a little jitter.
    const span = times[times.length - 1]! - times[0]!;
    assert.ok(span >= (times.length - 1) * 100 - 30, `span ${Math.round(span)} ms for ${times.length} connections`);
    for (let i = 1; i < times.length; i++) assert.ok(times[i]! - times[i - 1]! >= 50, `gap ${i}: ${Math.round(times[i]! - times[i - 1]!)} ms`);
    assert.equal(findings.length, 2);
  });

  it('cuts a check run off at timeoutMs, closes its connection, and goes on with the others', async () => {
    const silent: LocalServer = await tcpServer(() => undefined);
    const closedAt: number[] = [];
    try {
      const runs: CheckRunRecord[] = [];
      const telnetId = identity('telnet', {});
      const t0 = performance.now();
      const findings = await collect(
        runChecks(
          [
            { target: target(silent.port), identity: telnetId },
            { target: target(web.port), identity: webIdentity },
          ],
          { selection: 'telnet-cleartext,http-exposed-git', guard: loopbackGuard, timeoutMs: 300, onCheckRun: (r) => runs.push(r) },
        ),
      );
      const elapsed = performance.now() - t0;
      const telnet = runs.find((r) => r.checkId === 'telnet-cleartext')!;
      assert.equal(telnet.outcome, 'timeout');
      assert.ok(telnet.ms >= 280 && telnet.ms < 900, `${telnet.ms} ms`);
      assert.equal(runs.find((r) => r.checkId === 'http-exposed-git')?.outcome, 'ok');
      assert.deepEqual(findings.map((f) => f.checkId), ['http-exposed-git']);
      assert.ok(elapsed < 2000, `${elapsed} ms`);
      const deadline = performance.now() + 1000;
      while (silent.open() > 0 && performance.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      closedAt.push(silent.open());
      assert.deepEqual(closedAt, [0], 'the timed-out connection was closed');
    } finally {
      await silent.close();
    }
  });

  it('a failing check is reported and does not stop the others', async () => {
    const broken: Check = {
      id: 'broken-check', title: 'b', severity: 'low', safe: true, traffic: 'facts', description: 'throws', remediation: '-', references: {},
      appliesTo: () => true,
      run: async () => { throw new Error('boom'); },
    };
    const { httpExposedGit } = await import('../../src/checks/builtin/http-checks.js');
    const runs: CheckRunRecord[] = [];
    const findings = await collect(runChecks([{ target: target(web.port), identity: webIdentity }], { selection: [broken, httpExposedGit], guard: loopbackGuard, onCheckRun: (r) => runs.push(r) }));
    assert.deepEqual(findings.map((f) => f.checkId), ['http-exposed-git']);
    assert.deepEqual(runs.find((r) => r.checkId === 'broken-check'), { target: target(web.port), checkId: 'broken-check', outcome: 'error', findings: 0, ms: runs.find((r) => r.checkId === 'broken-check')!.ms, error: 'boom' });
  });

  it("the egress guard's refusal stops the run and is rethrown", async () => {
    const before = web.accepts.length;
    const refuseAll = (ip: string): void => loopbackGuard(ip === '127.0.0.1' ? '192.0.2.1' : ip);
    await assert.rejects(
      collect(runChecks([{ target: target(web.port), identity: webIdentity }], { selection: 'http-exposed-git,http-exposed-env', guard: refuseAll })),
      (e: unknown) => isTrawlError(e) && e.code === 'TRAWL_E_EGRESS_DENIED',
    );
    assert.equal(web.accepts.length, before, 'nothing was sent');
  });

  it('aborting ends the stream; runs in flight report aborted', async () => {
    const silent: LocalServer = await tcpServer(() => undefined);
    try {
      const controller = new AbortController();
      const runs: CheckRunRecord[] = [];
      const inputs = Array.from({ length: 6 }, () => ({ target: target(silent.port), identity: identity('telnet', {}) }));
      setTimeout(() => controller.abort(), 150);
      const t0 = performance.now();
      const findings = await collect(runChecks(inputs, { selection: 'telnet-cleartext', guard: loopbackGuard, concurrency: 2, signal: controller.signal, onCheckRun: (r) => runs.push(r) }));
      assert.deepEqual(findings, []);
      assert.ok(performance.now() - t0 < 1000);
      assert.equal(runs.length, 2, JSON.stringify(runs));
      assert.ok(runs.every((r) => r.outcome === 'aborted'));
    } finally {
      await silent.close();
    }
  });

  it('a consumer that stops early cancels the rest; an empty selection yields nothing', async () => {
    const inputs = Array.from({ length: 20 }, () => ({ target: target(web.port), identity: webIdentity }));
    let n = 0;
    const runs: CheckRunRecord[] = [];
    for await (const f of runChecks(inputs, { selection: 'http-exposed-git', guard: loopbackGuard, concurrency: 2, perHostRate: 0, onCheckRun: (r) => runs.push(r) })) {
      assert.equal(f.checkId, 'http-exposed-git');
      if (++n === 1) break;
    }
    assert.ok(runs.length < 20, `${runs.length} runs`);
    assert.deepEqual(await collect(runChecks(inputs, { selection: 'none' })), []);
  });

  it('unidentified ports get a stand-in identity, so port-hinted checks still apply', async () => {
    const runs: CheckRunRecord[] = [];
    await collect(runChecks([{ target: target(27017), identity: undefined }, { target: target(1), identity: undefined }], { selection: 'safe', guard: () => { throw new Error('no traffic expected'); }, onCheckRun: (r) => runs.push(r) }));
    // mongodb-no-auth applies to an unidentified 27017 (and its connection attempt meets the guard: an error).
    assert.deepEqual(runs.map((r) => `${r.target.port}:${r.checkId}`), ['27017:mongodb-no-auth']);
  });
});
