import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createApiKey } from '../../src/api/queries/key-queries.js';
import { createUser } from '../../src/api/queries/user-queries.js';
import { call, dialects, fixture, json, postgresProblem, type ApiFixture } from './api-harness.js';

const pgProblem = await postgresProblem();

for (const kind of dialects) {
  describe(`API authentication and roles (${kind})`, { skip: kind === 'postgres' ? pgProblem ?? false : false }, () => {
    let f: ApiFixture;
    before(async () => {
      f = await fixture(kind);
    });
    after(async () => {
      await f.close();
    });

    it('serves /health without a key, and nothing else', async () => {
      const health = await call(f.app, undefined, 'GET', '/health');
      assert.equal(health.statusCode, 200);
      assert.deepEqual(json(health), { status: 'ok' });
      const r = await call(f.app, undefined, 'GET', '/assessments');
      assert.equal(r.statusCode, 401);
      assert.match(String(r.headers['content-type']), /^application\/problem\+json/);
      assert.equal(r.headers['www-authenticate'], 'Bearer realm="trawl"');
      const p = json(r);
      assert.equal(p['code'], 'TRAWL_E_UNAUTHENTICATED');
      assert.equal(p['status'], 401);
      assert.match(String(p['detail']), /no credentials/);
    });

    it('rejects malformed, unknown and wrong-secret keys with 401', async () => {
      const good = f.a.viewer;
      const [, id] = /^trawl_([^_]+)_/.exec(good)!;
      const wrongSecret = `trawl_${id}_${'A'.repeat(43)}`;
      const unknown = `trawl_${'0'.repeat(12)}_${'B'.repeat(43)}`;
      for (const token of ['not-a-key', unknown, wrongSecret]) {
        const r = await call(f.app, token, 'GET', '/assessments');
        assert.equal(r.statusCode, 401, token);
        assert.equal(json(r)['code'], 'TRAWL_E_UNAUTHENTICATED');
      }
      const basic = await f.app.inject({ method: 'GET', url: '/assessments', headers: { authorization: 'Basic dXNlcjpwYXNz' } });
      assert.equal(basic.statusCode, 401);
      assert.equal((await call(f.app, good, 'GET', '/assessments')).statusCode, 200);
    });

    it('a revoked key stops working at once', async () => {
      const created = await call(f.app, f.a.admin, 'POST', '/api-keys', { body: { name: 'ci', role: 'viewer' } });
      assert.equal(created.statusCode, 201);
      const { key, token } = json<{ key: { id: string }; token: string }>(created);
      assert.match(token, /^trawl_[0-9a-z]{12}_[A-Za-z0-9_-]{43}$/);
      assert.equal((await call(f.app, token, 'GET', '/me')).statusCode, 200);
      // The token is never shown again, and only its hash is stored.
      const shown = await call(f.app, f.a.admin, 'GET', `/api-keys/${key.id}`);
      assert.equal(shown.body.includes(token.split('_')[2]!), false);
      const row = await f.d.db.selectFrom('api_keys').selectAll().where('id', '=', key.id).executeTakeFirstOrThrow();
      assert.notEqual(row.secret_sha256, token.split('_')[2]);
      assert.equal(row.secret_sha256.length, 64);

      const revoked = await call(f.app, f.a.admin, 'DELETE', `/api-keys/${key.id}`);
      assert.equal(revoked.statusCode, 200);
      assert.ok(json(revoked)['revokedAt']);
      const after = await call(f.app, token, 'GET', '/me');
      assert.equal(after.statusCode, 401);
      assert.match(String(json(after)['detail']), /revoked/);
    });

    it('a key bound to a disabled user is refused', async () => {
      const user = await createUser(f.d.db, f.a.id, { email: 'ann@example.test', role: 'analyst' });
      const { token } = await createApiKey(f.d.db, { orgId: f.a.id, name: 'ann', role: 'analyst', userId: user.id, createdBy: 'test' });
      assert.equal((await call(f.app, token, 'GET', '/me')).statusCode, 200);
      const disabled = await call(f.app, f.a.admin, 'PATCH', `/users/${user.id}`, { body: { disabled: true } });
      assert.equal(disabled.statusCode, 200);
      assert.equal((await call(f.app, token, 'GET', '/me')).statusCode, 401);
    });

    it('viewers read but cannot mutate; analysts run and triage but cannot manage keys, users, rules or schedules', async () => {
      const body = { name: 'web', targets: ['127.0.0.1'], ports: '80' };
      const v = await call(f.app, f.a.viewer, 'POST', '/assessments', { body });
      assert.equal(v.statusCode, 403);
      assert.equal(json(v)['code'], 'TRAWL_E_FORBIDDEN');
      assert.match(String(json(v)['detail']), /needs role analyst; this key has role viewer/);
      const created = await call(f.app, f.a.analyst, 'POST', '/assessments', { body });
      assert.equal(created.statusCode, 201);
      const id = String(json(created)['id']);
      assert.equal((await call(f.app, f.a.viewer, 'GET', `/assessments/${id}`)).statusCode, 200);
      assert.equal((await call(f.app, f.a.viewer, 'DELETE', `/assessments/${id}`)).statusCode, 403);

      for (const [method, url, payload] of [
        ['GET', '/api-keys', undefined],
        ['POST', '/api-keys', { name: 'x', role: 'admin' }],
        ['GET', '/users', undefined],
        ['POST', '/users', { email: 'b@example.test', role: 'viewer' }],
        ['POST', '/notification-rules', { name: 'n', channel: 'webhook', target: 'http://127.0.0.1:9/hook' }],
        ['POST', '/schedules', { assessmentId: id, cron: '0 3 * * *' }],
        ['PUT', '/org/scope', { scope: ['127.0.0.0/8'] }],
        ['GET', '/audit-log', undefined],
      ] as const) {
        const r = await call(f.app, f.a.analyst, method, url, payload !== undefined ? { body: payload } : {});
        assert.equal(r.statusCode, 403, `${method} ${url}`);
      }
      // Creating an assessment with a schedule needs admin too.
      const withSchedule = await call(f.app, f.a.analyst, 'POST', '/assessments', { body: { ...body, schedule: { cron: '0 3 * * *' } } });
      assert.equal(withSchedule.statusCode, 403);
      assert.equal(json(withSchedule)['field'], 'body.schedule');
      const asAdmin = await call(f.app, f.a.admin, 'POST', '/assessments', { body: { ...body, schedule: { cron: '0 3 * * *' } } });
      assert.equal(asAdmin.statusCode, 201);
      assert.ok((json(asAdmin)['schedule'] as { nextRunAt: string }).nextRunAt);
    });
  });
}

describe('API rate limits', () => {
  let f: ApiFixture;
  before(async () => {
    f = await fixture('sqlite', { rateLimit: { max: 5, timeWindowMs: 60_000 } });
  });
  after(async () => {
    await f.close();
  });

  it('answers 429 problem+json once a key exceeds its budget, per key', async () => {
    const codes: number[] = [];
    for (let i = 0; i < 7; i++) codes.push((await call(f.app, f.a.viewer, 'GET', '/me')).statusCode);
    assert.deepEqual(codes, [200, 200, 200, 200, 200, 429, 429]);
    const r = await call(f.app, f.a.viewer, 'GET', '/me');
    assert.equal(r.statusCode, 429);
    assert.match(String(r.headers['content-type']), /^application\/problem\+json/);
    assert.equal(json(r)['code'], 'TRAWL_E_RATE_LIMITED');
    assert.ok(Number(r.headers['retry-after']) > 0);
    // Another key of the same org has its own budget.
    assert.equal((await call(f.app, f.a.analyst, 'GET', '/me')).statusCode, 200);
  });
});
