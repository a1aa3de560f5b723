import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { call, fixture, json, type ApiFixture } from './api-harness.js';

describe('OpenAPI document and docs UI', () => {
  let f: ApiFixture;
  before(async () => {
    f = await fixture('sqlite');
  });
  after(async () => {
    await f.close();
  });

  it('serves an OpenAPI 3 document describing every route, without a key', async () => {
    const r = await call(f.app, undefined, 'GET', '/openapi.json');
    assert.equal(r.statusCode, 200);
    const doc = json<{ openapi: string; paths: Record<string, Record<string, { responses?: Record<string, unknown>; security?: unknown[] }>>; components: { schemas: Record<string, unknown>; securitySchemes: Record<string, { scheme?: string }> }; security: unknown[] }>(r);
    assert.match(doc.openapi, /^3\./);
    for (const path of [
      '/assessments', '/assessments/{id}', '/assessments/{id}/run', '/assessments/{id}/cancel', '/assessments/{id}/events', '/scans', '/scans/{id}',
      '/scans/{id}/results', '/scans/{id}/export', '/scans/{a}/diff/{b}', '/assets', '/services', '/findings', '/findings/{id}', '/changes',
      '/schedules', '/notification-rules', '/notification-deliveries', '/api-keys', '/users', '/audit-log', '/org/scope', '/health',
    ]) {
      assert.ok(doc.paths[path], `paths has ${path}`);
    }
    assert.ok(doc.paths['/findings']!['patch'] === undefined && doc.paths['/findings/{id}']!['patch'], 'triage is PATCH /findings/{id}');
    assert.ok(doc.components.schemas['Problem'], 'Problem schema is a component');
    assert.equal(doc.components.securitySchemes['apiKey']?.scheme, 'bearer');
    assert.ok(doc.security.length > 0);
    assert.deepEqual(doc.paths['/health']!['get']!.security, []);
    const created = doc.paths['/assessments']!['post']!.responses!;
    assert.ok(created['201'] && created['400'] && created['401'] && created['403']);
    assert.equal(doc.paths['/openapi.json'], undefined, 'the document does not list itself');
  });

  it('serves the docs UI', async () => {
    const r = await call(f.app, undefined, 'GET', '/docs/');
    assert.equal(r.statusCode, 200);
    assert.match(String(r.headers['content-type']), /text\/html/);
    assert.match(r.body, /swagger/i);
  });
});
