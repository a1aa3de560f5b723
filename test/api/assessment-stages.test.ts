/**
 * An assessment chooses its stages: identification on or off, and which built-in checks run (none,
 * safe, all). Real runs through the API's default runner against an HTTP server this test starts on
 * 127.0.0.21 that sends no security headers, so the safe checks have something real to find.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { call, dialects, fixture, json, postgresProblem, type ApiFixture } from './api-harness.js';

const pgProblem = await postgresProblem();
const IP = '127.0.0.21';

interface ServiceItem {
  port: number;
  identity: { name: string; product: string | null } | null;
  findings: { open: number };
}

for (const kind of dialects) {
  describe(`assessment stages: identify and checks selection (${kind})`, { skip: kind === 'postgres' ? pgProblem ?? false : false }, () => {
    let f: ApiFixture;
    let web: Server;
    let port: number;

    before(async () => {
      f = await fixture(kind);
      web = createServer((req, res) => {
        req.resume();
        res.writeHead(200, { server: 'nginx/1.24.0', 'content-type': 'text/html' }).end('<html><head><title>lab</title></head><body>hello</body></html>');
      });
      await new Promise<void>((resolve) => web.listen(0, IP, resolve));
      port = (web.address() as AddressInfo).port;
    });
    after(async () => {
      await f.close();
      await new Promise((resolve) => web.close(resolve));
    });

    const runOnce = async (options: Record<string, unknown>): Promise<{ id: string; scanId: string }> => {
      const created = await call(f.app, f.a.analyst, 'POST', '/assessments', { body: { name: `stages ${JSON.stringify(options)}`, targets: [IP], ports: String(port), options: { discovery: 'off', ...options } } });
      assert.equal(created.statusCode, 201, created.body);
      const id = String(json(created)['id']);
      assert.deepEqual(json<{ options: Record<string, unknown> }>(created).options, { applyBlocklist: true, discovery: 'off', ...options });
      const run = await call(f.app, f.a.analyst, 'POST', `/assessments/${id}/run`);
      assert.equal(run.statusCode, 202, run.body);
      const until = Date.now() + 60_000;
      for (;;) {
        const s = json<{ state: string; lastScan: { status: string } | null }>(await call(f.app, f.a.viewer, 'GET', `/assessments/${id}`));
        if (s.state === 'idle' && s.lastScan) {
          assert.equal(s.lastScan.status, 'done');
          break;
        }
        assert.ok(Date.now() < until, 'run finishes within a minute');
        await new Promise((r) => setTimeout(r, 100));
      }
      return { id, scanId: String(json(run)['scanId']) };
    };
    const service = async (): Promise<ServiceItem> => {
      const r = json<{ items: ServiceItem[] }>(await call(f.app, f.a.viewer, 'GET', `/services?asset=${IP}&port=${port}`));
      assert.equal(r.items.length, 1);
      return r.items[0]!;
    };

    it('refuses checks without identification, naming the option and the way out', async () => {
      const r = await call(f.app, f.a.analyst, 'POST', '/assessments', { body: { name: 'contradiction', targets: [IP], ports: '80', options: { identify: false, checks: 'safe' } } });
      assert.equal(r.statusCode, 400);
      const p = json(r);
      assert.equal(p['code'], 'TRAWL_E_VALIDATION');
      assert.equal(p['field'], 'body.options.checks');
      assert.match(String(p['detail']), /needs service identification.*options\.identify.*"none"/);
      const bad = await call(f.app, f.a.analyst, 'POST', '/assessments', { body: { name: 'x', targets: [IP], ports: '80', options: { checks: 'some' } } });
      assert.equal(bad.statusCode, 400);
      assert.equal(json(bad)['field'], 'body.options.checks');
    });

    it('identifies without checking when checks is none', async () => {
      await runOnce({ checks: 'none' });
      const s = await service();
      assert.equal(s.identity?.name, 'http');
      assert.equal(s.identity?.product, 'nginx');
      assert.equal(s.findings.open, 0, 'no check ran');
    });

    it('runs the safe checks by default, and they find the missing headers', async () => {
      await runOnce({});
      const s = await service();
      assert.ok(s.findings.open >= 1, JSON.stringify(s));
      const findings = json<{ items: { checkId: string }[] }>(await call(f.app, f.a.viewer, 'GET', `/findings?asset=${IP}&port=${port}`));
      assert.ok(findings.items.some((x) => x.checkId === 'http-missing-security-headers'), JSON.stringify(findings.items));
    });

    it('keeps a patch consistent: turning identification off alone is refused while checks are on', async () => {
      const { id } = await runOnce({ identify: true, checks: 'safe' });
      const r = await call(f.app, f.a.analyst, 'PATCH', `/assessments/${id}`, { body: { options: { identify: false } } });
      assert.equal(r.statusCode, 400);
      assert.equal(json(r)['field'], 'body.options.checks');
      const ok = await call(f.app, f.a.analyst, 'PATCH', `/assessments/${id}`, { body: { options: { identify: false, checks: 'none' } } });
      assert.equal(ok.statusCode, 200, ok.body);
      assert.deepEqual(json<{ options: Record<string, unknown> }>(ok).options, { applyBlocklist: true, discovery: 'off', identify: false, checks: 'none' });
      // Options left out of a patch stay as they were (the schema's defaults are for creation only).
      const rate = await call(f.app, f.a.analyst, 'PATCH', `/assessments/${id}`, { body: { options: { rate: 200 } } });
      assert.equal(rate.statusCode, 200, rate.body);
      assert.deepEqual(json<{ options: Record<string, unknown> }>(rate).options, { applyBlocklist: true, discovery: 'off', identify: false, checks: 'none', rate: 200 });
    });
  });
}
