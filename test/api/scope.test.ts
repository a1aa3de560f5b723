import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { call, dialects, fixture, json, postgresProblem, type ApiFixture } from './api-harness.js';

const pgProblem = await postgresProblem();

/** Host names resolve through this table only: nothing leaves the machine, nothing is probed. */
const names: Record<string, string[]> = { 'inside.test': ['127.0.0.7'], 'outside.test': ['127.0.0.8', '127.0.9.9'] };

for (const kind of dialects) {
  describe(`API scope enforcement (${kind})`, { skip: kind === 'postgres' ? pgProblem ?? false : false }, () => {
    let f: ApiFixture;
    before(async () => {
      f = await fixture(kind, { resolve: async (n) => names[n] ?? [] });
    });
    after(async () => {
      await f.close();
    });

    it('refuses literal targets outside the declared scope, naming the first address outside', async () => {
      for (const [targets, address] of [[['127.0.0.1', '127.0.1.0/30'], '127.0.1.0'], [['127.0.0.250-127.0.1.3'], '127.0.1.0'], [['8.8.8.8'], '8.8.8.8'], [['::1'], '::1']] as const) {
        const r = await call(f.app, f.a.analyst, 'POST', '/assessments', { body: { name: 'x', targets, ports: '80' } });
        assert.equal(r.statusCode, 403, JSON.stringify(targets));
        const p = json(r);
        assert.equal(p['code'], 'TRAWL_E_OUT_OF_SCOPE');
        assert.equal(p['address'], address);
        assert.match(String(p['detail']), new RegExp(address.replace(/[.:]/g, '\\$&')));
      }
      // Exactly the scope is fine.
      assert.equal((await call(f.app, f.a.analyst, 'POST', '/assessments', { body: { name: 'ok', targets: ['127.0.0.0/24'], ports: '80' } })).statusCode, 201);
    });

    it('refuses a run whose host names resolve outside the scope, before any probe', async () => {
      const created = await call(f.app, f.a.analyst, 'POST', '/assessments', { body: { name: 'names', targets: ['inside.test', 'outside.test'], ports: '80', options: { discovery: 'off' } } });
      assert.equal(created.statusCode, 201, 'host names are checked when they resolve, at run time');
      const id = String(json(created)['id']);
      const run = await call(f.app, f.a.analyst, 'POST', `/assessments/${id}/run`);
      assert.equal(run.statusCode, 403);
      assert.equal(json(run)['code'], 'TRAWL_E_OUT_OF_SCOPE');
      assert.equal(json(run)['address'], '127.0.9.9');
      const a = json(await call(f.app, f.a.viewer, 'GET', `/assessments/${id}`));
      assert.equal(a['state'], 'idle');
      assert.equal(a['lastScanId'], null, 'no scan was created');
      assert.deepEqual(json<{ items: unknown[] }>(await call(f.app, f.a.viewer, 'GET', `/scans?assessmentId=${id}`)).items, []);
    });

    it('narrowing the scope makes existing assessments refuse to run', async () => {
      const created = await call(f.app, f.a.analyst, 'POST', '/assessments', { body: { name: 'shrink', targets: ['127.0.0.200'], ports: '80' } });
      const id = String(json(created)['id']);
      const set = await call(f.app, f.a.admin, 'PUT', '/org/scope', { body: { scope: ['127.0.0.0/25'] } });
      assert.equal(set.statusCode, 200);
      assert.deepEqual(json(set)['scope'], ['127.0.0.0/25']);
      const run = await call(f.app, f.a.analyst, 'POST', `/assessments/${id}/run`);
      assert.equal(run.statusCode, 403);
      assert.equal(json(run)['address'], '127.0.0.200');
      const bad = await call(f.app, f.a.admin, 'PUT', '/org/scope', { body: { scope: ['not-an-address!'] } });
      assert.equal(bad.statusCode, 400);
      assert.equal(json(bad)['field'], 'body.scope[0]');
    });

    it('an empty scope allows nothing', async () => {
      await call(f.app, f.b.admin, 'PUT', '/org/scope', { body: { scope: [] } });
      const r = await call(f.app, f.b.analyst, 'POST', '/assessments', { body: { name: 'x', targets: ['127.0.1.1'], ports: '80' } });
      assert.equal(r.statusCode, 403);
      assert.equal(json(r)['address'], '127.0.1.1');
    });
  });
}
