/**
 * The dashboard plugin over HTTP: the built app under /ui/ with its SPA fallback, caching and security
 * headers, pre-compressed assets, and the overview's /trends and /risk routes over a real inventory.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { registerDashboard } from '../../src/api/web-plugin.js';
import { call, fixture, json, seedFinishedScan, type ApiFixture } from '../api/api-harness.js';
import { apiKeyStrategy } from '../../src/api/auth/api-key-strategy.js';
import { sessionStrategy } from '../../src/api/session-auth.js';
import { buildApi } from '../../src/api/build-api.js';

describe('dashboard plugin', () => {
  let f: ApiFixture;
  let app: FastifyInstance;
  let root: string;

  before(async () => {
    // A stand-in build: the plugin serves whatever Vite wrote, so its shape is what matters here.
    root = mkdtempSync(join(tmpdir(), 'trawl-webroot-'));
    mkdirSync(join(root, 'assets'));
    writeFileSync(join(root, 'index.html'), '<!doctype html><title>Trawl</title><div id="root"></div>');
    const js = `console.log(${JSON.stringify('x'.repeat(4000))});`;
    writeFileSync(join(root, 'assets', 'index-abc123.js'), js);
    writeFileSync(join(root, 'assets', 'index-abc123.js.gz'), gzipSync(js));
    f = await fixture('sqlite');
    app = buildApi({ db: f.d.db, store: f.d.store, rateLimit: false, authStrategies: [apiKeyStrategy(f.d.db), sessionStrategy({ db: f.d.db })] });
    await registerDashboard(app, { db: f.d.db, root });
    await app.ready();
    const day = (n: number): Date => new Date(Date.now() - n * 86400_000);
    await seedFinishedScan(f.d, f.a.id, [{ ip: '127.0.0.5', ports: [22, 80], findings: [{ port: 80, checkId: 'http.test', severity: 'high', title: 'Test finding' }] }], day(3));
    await seedFinishedScan(f.d, f.a.id, [{ ip: '127.0.0.5', ports: [22, 80, 443], findings: [{ port: 80, checkId: 'http.test', severity: 'high', title: 'Test finding' }] }, { ip: '127.0.0.6', ports: [22] }], day(1));
  });
  after(async () => {
    await app.close();
    await f.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('redirects / and /ui to the app', async () => {
    for (const url of ['/', '/ui']) {
      const r = await app.inject({ url });
      assert.equal(r.statusCode, 302, url);
      assert.equal(r.headers.location, '/ui/');
    }
  });

  it('serves index.html for the app\'s routes, uncached, with a strict CSP, and without a session', async () => {
    for (const url of ['/ui/', '/ui/findings?severity=high', '/ui/hosts/127.0.0.5', '/ui/admin']) {
      const r = await app.inject({ url });
      assert.equal(r.statusCode, 200, url);
      assert.match(String(r.headers['content-type']), /^text\/html/);
      assert.match(r.body, /<div id="root">/);
      assert.equal(r.headers['cache-control'], 'no-cache');
      assert.match(String(r.headers['content-security-policy']), /default-src 'self'; script-src 'self'/);
      assert.match(String(r.headers['content-security-policy']), /frame-ancestors 'none'/);
      assert.equal(r.headers['x-content-type-options'], 'nosniff');
    }
  });

  it('serves hashed assets immutable, pre-compressed when the client accepts it, and 404s unknown files', async () => {
    const plain = await app.inject({ url: '/ui/assets/index-abc123.js' });
    assert.equal(plain.statusCode, 200);
    assert.match(String(plain.headers['content-type']), /javascript/);
    assert.match(String(plain.headers['cache-control']), /immutable/);
    assert.match(String(plain.headers['cache-control']), /max-age=31536000/);
    const gz = await app.inject({ url: '/ui/assets/index-abc123.js', headers: { 'accept-encoding': 'gzip' } });
    assert.equal(gz.headers['content-encoding'], 'gzip');
    assert.ok(gz.rawPayload.length < plain.rawPayload.length / 5);
    for (const url of ['/ui/assets/missing.js', '/ui/favicon.ico', '/ui/..%2f..%2fpackage.json', '/ui/assets/..%2f..%2f..%2fetc%2fpasswd']) {
      const r = await app.inject({ url });
      assert.notEqual(r.statusCode, 200, url);
      assert.doesNotMatch(r.body, /"name"|root:/, url);
    }
  });

  it('keeps the API authenticated: app paths are not API paths', async () => {
    assert.equal((await app.inject({ url: '/findings' })).statusCode, 401);
    assert.equal((await app.inject({ url: '/trends' })).statusCode, 401);
  });

  // The overview is drawn from the API's /trends and /risk: what it reads must be there.
  it('can draw the overview from /trends: daily snapshots of the org', async () => {
    const r = await call(app, f.a.viewer, 'GET', '/trends?days=5');
    assert.equal(r.statusCode, 200, r.body);
    const { points } = json<{ points: { day: string; source: string; openTotal: number; assets: number; services: number; risk: number; open: Record<string, number> }[] }>(r);
    assert.equal(points.length, 5);
    const last = points[4]!;
    assert.equal(last.day, new Date().toISOString().slice(0, 10));
    assert.equal(last.source, 'carried');
    assert.equal(last.assets, 2);
    assert.equal(last.services, 4);
    assert.equal(last.open['high'], 1);
    assert.ok(last.risk > 0);
    assert.equal(points[0]!.source, 'none');
    assert.equal(points.filter((p) => p.source === 'scan').length, 2);
    // Another org sees its own (empty) history.
    const b = json<{ points: { assets: number }[] }>(await call(app, f.b.viewer, 'GET', '/trends?days=5'));
    assert.ok(b.points.every((p) => p.assets === 0));
    assert.equal((await call(app, f.a.viewer, 'GET', '/trends?days=0')).statusCode, 400);
  });

  it('can list the riskiest assets from /risk', async () => {
    const r = json<{ score: number; assets: { address: string; score: number; openFindings: number }[] }>(await call(app, f.a.viewer, 'GET', '/risk?limit=1'));
    assert.ok(r.score > 0 && r.score <= 100);
    assert.equal(r.assets.length, 1);
    assert.equal(r.assets[0]!.address, '127.0.0.5');
    assert.equal(r.assets[0]!.openFindings, 1);
  });

  it('says how to build the app when it is missing', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'trawl-webroot-empty-'));
    const g = await fixture('sqlite');
    const bare = buildApi({ db: g.d.db, store: g.d.store, rateLimit: false });
    await registerDashboard(bare, { db: g.d.db, root: empty });
    const r = await bare.inject({ url: '/ui/' });
    assert.equal(r.statusCode, 503);
    assert.match(r.body, /npm run build:web/);
    assert.equal(readdirSync(empty).length, 0);
    await bare.close();
    await g.close();
    rmSync(empty, { recursive: true, force: true });
  });
});
