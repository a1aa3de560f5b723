import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { call, fixture, json, type ApiFixture } from './api-harness.js';

describe('API validation problems', () => {
  let f: ApiFixture;
  before(async () => {
    f = await fixture('sqlite');
  });
  after(async () => {
    await f.close();
  });

  const cases: { what: string; method: 'POST' | 'GET' | 'PATCH' | 'PUT'; url: string; body?: unknown; field: RegExp; detail: RegExp }[] = [
    { what: 'missing field', method: 'POST', url: '/assessments', body: { targets: ['127.0.0.1'], ports: '80' }, field: /^body\.name$/, detail: /body\.name is required/ },
    { what: 'wrong type in a list', method: 'POST', url: '/assessments', body: { name: 'x', targets: ['127.0.0.1', { ip: '127.0.0.2' }], ports: '80' }, field: /^body\.targets\[1\]$/, detail: /body\.targets\[1\] must be string/ },
    { what: 'unknown field', method: 'POST', url: '/assessments', body: { name: 'x', targets: ['127.0.0.1'], ports: '80', colour: 'red' }, field: /^body\.colour$/, detail: /not a known field/ },
    { what: 'bad enum', method: 'POST', url: '/assessments', body: { name: 'x', targets: ['127.0.0.1'], ports: '80', options: { discovery: 'maybe' } }, field: /^body\.options\.discovery$/, detail: /must be one of "auto", "on", "off"/ },
    { what: 'unparsable target', method: 'POST', url: '/assessments', body: { name: 'x', targets: ['127.0.0.1', '300.1.2.3'], ports: '80' }, field: /^body\.targets\[1\]$/, detail: /300\.1\.2\.3/ },
    { what: 'bad ports', method: 'POST', url: '/assessments', body: { name: 'x', targets: ['127.0.0.1'], ports: '80,99999' }, field: /^body\.ports$/, detail: /99999/ },
    { what: 'bad query enum', method: 'GET', url: '/findings?severity=urgent', field: /^querystring\.severity\[0\]$/, detail: /must be one of/ },
    { what: 'limit out of range', method: 'GET', url: '/assessments?limit=100000', field: /^querystring\.limit$/, detail: /must be <= 500/ },
    { what: 'forged cursor', method: 'GET', url: '/assessments?cursor=bm90LWEtY3Vyc29y', field: /^querystring\.cursor$/, detail: /not a cursor/ },
    { what: 'bad path id', method: 'GET', url: '/assessments/NOT!AN!ID', field: /^params\.id$/, detail: /must match pattern/ },
    { what: 'bad cron', method: 'PUT', url: '/org/scope', body: { scope: ['127.0.0.0/8', 'example.com'] }, field: /^body\.scope\[1\]$/, detail: /host name/ },
    { what: 'bad e-mail target', method: 'POST', url: '/notification-rules', body: { name: 'm', channel: 'email', target: 'ops@example.test, nonsense' }, field: /^body\.target$/, detail: /not an e-mail address/ },
    { what: 'bad schedule cron', method: 'POST', url: '/assessments', body: { name: 'x', targets: ['127.0.0.1'], ports: '80', schedule: { cron: 'every day' } }, field: /^body\.schedule\.cron$/, detail: /invalid/ },
  ];

  for (const c of cases) {
    it(`${c.what}: 400 problem+json naming the field`, async () => {
      const r = await call(f.app, f.a.admin, c.method, c.url, c.body !== undefined ? { body: c.body } : {});
      assert.equal(r.statusCode, 400, r.body);
      assert.match(String(r.headers['content-type']), /^application\/problem\+json/);
      const p = json(r);
      assert.equal(p['status'], 400);
      assert.match(String(p['type']), /^urn:trawl:error:TRAWL_E_/);
      assert.match(String(p['field']), c.field, r.body);
      assert.match(String(p['detail']), c.detail, r.body);
      assert.ok(p['requestId']);
    });
  }

  it('malformed JSON and unknown routes are problems too', async () => {
    const bad = await f.app.inject({ method: 'POST', url: '/assessments', headers: { authorization: `Bearer ${f.a.admin}`, 'content-type': 'application/json' }, payload: '{"name":' });
    assert.equal(bad.statusCode, 400);
    assert.equal(json(bad)['code'], 'TRAWL_E_VALIDATION');
    const missing = await call(f.app, f.a.admin, 'GET', '/no/such/route');
    assert.equal(missing.statusCode, 404);
    assert.equal(json(missing)['code'], 'TRAWL_E_NOT_FOUND');
  });

  it('echoes a plain X-Request-Id and generates one otherwise', async () => {
    const r = await call(f.app, f.a.viewer, 'GET', '/me', { headers: { 'x-request-id': 'req-42' } });
    assert.equal(r.headers['x-request-id'], 'req-42');
    const g = await call(f.app, f.a.viewer, 'GET', '/me', { headers: { 'x-request-id': 'bad id with spaces' } });
    assert.match(String(g.headers['x-request-id']), /^[0-9a-f-]{36}$/);
  });
});
