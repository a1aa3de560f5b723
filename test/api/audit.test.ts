import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { call, dialects, fixture, json, postgresProblem, type ApiFixture } from './api-harness.js';

const pgProblem = await postgresProblem();

interface Entry {
  actor: string;
  actorRole: string;
  action: string;
  target: string | null;
  method: string;
  path: string;
  statusCode: number;
  requestId: string;
  ts: string;
  orgId: string;
}

for (const kind of dialects) {
  describe(`API audit log (${kind})`, { skip: kind === 'postgres' ? pgProblem ?? false : false }, () => {
    let f: ApiFixture;
    before(async () => {
      f = await fixture(kind);
    });
    after(async () => {
      await f.close();
    });

    async function entries(token: string): Promise<Entry[]> {
      const r = await call(f.app, token, 'GET', '/audit-log?limit=500');
      assert.equal(r.statusCode, 200, r.body);
      return json<{ items: Entry[] }>(r).items;
    }

    it('records every mutating call with who, org, action, target, time and request id — reads are not logged', async () => {
      const started = new Date().toISOString();
      const created = await call(f.app, f.a.analyst, 'POST', '/assessments', { body: { name: 'audit-me', targets: ['127.0.0.1'], ports: '80' }, headers: { 'x-request-id': 'create-1' } });
      assert.equal(created.statusCode, 201);
      const id = String(json(created)['id']);
      await call(f.app, f.a.analyst, 'GET', `/assessments/${id}`);
      await call(f.app, f.a.analyst, 'PATCH', `/assessments/${id}`, { body: { name: 'renamed' }, headers: { 'x-request-id': 'patch-1' } });
      await call(f.app, f.a.viewer, 'DELETE', `/assessments/${id}`, { headers: { 'x-request-id': 'denied-1' } });
      await call(f.app, f.a.analyst, 'POST', '/assessments', { body: { name: 'bad' }, headers: { 'x-request-id': 'invalid-1' } });
      const key = json(await call(f.app, f.a.admin, 'POST', '/api-keys', { body: { name: 'k', role: 'viewer' } }));
      const keyId = String((key['key'] as { id: string }).id);
      await call(f.app, f.a.admin, 'DELETE', `/api-keys/${keyId}`);

      const log = await entries(f.a.admin);
      const byRequest = new Map(log.map((e) => [e.requestId, e]));
      const analystKey = /^trawl_([^_]+)_/.exec(f.a.analyst)![1];
      const viewerKey = /^trawl_([^_]+)_/.exec(f.a.viewer)![1];

      const c = byRequest.get('create-1')!;
      assert.ok(c, 'create is logged');
      assert.deepEqual(
        { actor: c.actor, actorRole: c.actorRole, action: c.action, target: c.target, method: c.method, path: c.path, statusCode: c.statusCode, orgId: c.orgId },
        { actor: `key:${analystKey}`, actorRole: 'analyst', action: 'assessment.create', target: id, method: 'POST', path: '/assessments', statusCode: 201, orgId: f.a.id },
      );
      assert.ok(c.ts >= started);
      assert.equal(byRequest.get('patch-1')?.action, 'assessment.update');
      assert.equal(byRequest.get('patch-1')?.target, id);
      const denied = byRequest.get('denied-1')!;
      assert.equal(denied.statusCode, 403, 'refused attempts are logged too');
      assert.equal(denied.actor, `key:${viewerKey}`);
      assert.equal(byRequest.get('invalid-1')?.statusCode, 400);
      assert.ok(log.some((e) => e.action === 'api-key.create' && e.target === keyId && e.statusCode === 201));
      assert.ok(log.some((e) => e.action === 'api-key.revoke' && e.target === keyId && e.statusCode === 200));
      assert.equal(log.filter((e) => e.method === 'GET').length, 0, 'reads are not logged');
      // Newest first.
      const times = log.map((e) => e.ts);
      assert.deepEqual(times, [...times].sort().reverse());
    });

    it('filters by action and keeps each org\'s log to itself', async () => {
      await call(f.app, f.b.admin, 'PUT', '/org/scope', { body: { scope: ['127.0.1.0/24', '127.0.2.0/24'] } });
      const onlyCreates = json<{ items: Entry[] }>(await call(f.app, f.a.admin, 'GET', '/audit-log?action=assessment.create')).items;
      assert.ok(onlyCreates.length >= 1 && onlyCreates.every((e) => e.action === 'assessment.create'));
      const b = await entries(f.b.admin);
      assert.equal(b.length, 1);
      assert.equal(b[0]!.action, 'org.scope.set');
      assert.equal(b[0]!.orgId, f.b.id);
      assert.ok((await entries(f.a.admin)).every((e) => e.orgId === f.a.id));
    });

    it('does not log unauthenticated calls (there is no one to attribute them to)', async () => {
      const before = (await entries(f.a.admin)).length;
      const r = await call(f.app, 'trawl_000000000000_' + 'x'.repeat(43), 'POST', '/assessments', { body: {} });
      assert.equal(r.statusCode, 401);
      assert.equal((await entries(f.a.admin)).length, before);
    });
  });
}
