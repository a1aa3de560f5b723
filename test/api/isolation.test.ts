import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { call, dialects, fixture, json, postgresProblem, seedFinishedScan, type ApiFixture } from './api-harness.js';

const pgProblem = await postgresProblem();

interface Page {
  items: Record<string, unknown>[];
  nextCursor: string | null;
}

/**
 * Org A's key and org B's key against every resource type: B never sees A's rows in lists, gets 404
 * for A's ids on every read and write route, and A's data is unchanged afterwards.
 */
for (const kind of dialects) {
  describe(`API org isolation (${kind})`, { skip: kind === 'postgres' ? pgProblem ?? false : false }, () => {
    let f: ApiFixture;
    const ids: Record<string, string> = {};

    before(async () => {
      f = await fixture(kind);
      const { app, a } = f;
      const assessment = json(await call(app, a.admin, 'POST', '/assessments', { body: { name: 'a-web', targets: ['127.0.0.1'], ports: '80,443', schedule: { cron: '0 4 * * *' } } }));
      ids['assessment'] = String(assessment['id']);
      ids['schedule'] = String((assessment['schedule'] as { id: string }).id);
      const rule = json(await call(app, a.admin, 'POST', '/notification-rules', { body: { name: 'a-hook', channel: 'webhook', target: 'http://127.0.0.1:9/hook', enabled: false } }));
      ids['rule'] = String((rule['rule'] as { id: string }).id);
      const key = json(await call(app, a.admin, 'POST', '/api-keys', { body: { name: 'a-extra', role: 'viewer' } }));
      ids['key'] = String((key['key'] as { id: string }).id);
      const user = json(await call(app, a.admin, 'POST', '/users', { body: { email: 'a@example.test', role: 'viewer' } }));
      ids['user'] = String(user['id']);
      const s1 = await seedFinishedScan(f.d, a.id, [{
        ip: '127.0.0.5', ports: [22, 80],
        findings: [{ port: 80, checkId: 'http-title', severity: 'high', title: 'exposed admin' }, { port: 22, checkId: 'ssh-weak', severity: 'low' }],
      }], new Date(Date.now() - 60_000));
      const s2 = await seedFinishedScan(f.d, a.id, [{ ip: '127.0.0.5', ports: [22, 443], findings: [{ port: 443, checkId: 'tls-old', severity: 'medium' }], cleanChecks: [{ port: 22, checkId: 'ssh-weak' }] }], new Date());
      ids['scan'] = s1.scanId;
      ids['scan2'] = s2.scanId;
      const findings = json<Page>(await call(app, a.viewer, 'GET', '/findings'));
      assert.ok(findings.items.length >= 1, 'org A has findings');
      ids['finding'] = String(findings.items[0]!['id']);
    });
    after(async () => {
      await f.close();
    });

    it('lists of org B hold none of org A\'s rows', async () => {
      for (const url of ['/assessments', '/scans', '/schedules', '/notification-rules', '/notification-deliveries', '/assets', '/services', '/findings', '/changes']) {
        const mine = json<Page>(await call(f.app, f.a.viewer, 'GET', url));
        const theirs = json<Page>(await call(f.app, f.b.viewer, 'GET', url));
        if (url !== '/notification-deliveries') assert.ok(mine.items.length > 0, `org A sees its ${url}`);
        assert.deepEqual(theirs.items, [], `org B sees nothing at ${url}`);
      }
      for (const url of ['/api-keys', '/users', '/audit-log']) {
        const theirs = json<Page>(await call(f.app, f.b.admin, 'GET', url));
        const leaked = JSON.stringify(theirs.items);
        for (const id of [ids['key']!, ids['user']!, ids['assessment']!]) assert.equal(leaked.includes(id), false, `${url} of org B mentions ${id}`);
      }
      const riskA = json<{ assets: { address: string }[] }>(await call(f.app, f.a.viewer, 'GET', '/risk'));
      assert.deepEqual(riskA.assets.map((x) => x.address), ['127.0.0.5']);
      assert.deepEqual(json<{ assets: unknown[] }>(await call(f.app, f.b.viewer, 'GET', '/risk')).assets, []);
      const trendA = json<{ points: { openTotal: number }[] }>(await call(f.app, f.a.viewer, 'GET', '/trends?days=3'));
      const trendB = json<{ points: { openTotal: number }[] }>(await call(f.app, f.b.viewer, 'GET', '/trends?days=3'));
      assert.ok(trendA.points.some((p) => p.openTotal > 0));
      assert.ok(trendB.points.every((p) => p.openTotal === 0));
      const org = json(await call(f.app, f.b.viewer, 'GET', '/org'));
      assert.equal(org['id'], f.b.id);
    });

    it('every read of an org A id by org B is a 404', async () => {
      const reads = [
        `/assessments/${ids['assessment']}`, `/assessments/${ids['assessment']}/events`,
        `/scans/${ids['scan']}`, `/scans/${ids['scan']}/results`, `/scans/${ids['scan']}/export?format=jsonl`, `/scans/${ids['scan']}/export?format=sarif`,
        `/scans/${ids['scan']}/diff/${ids['scan2']}`,
        `/schedules/${ids['schedule']}`, `/notification-rules/${ids['rule']}`, `/findings/${ids['finding']}`, '/assets/127.0.0.5',
      ];
      for (const url of reads) {
        const r = await call(f.app, f.b.admin, 'GET', url);
        assert.equal(r.statusCode, 404, url);
        assert.match(String(r.headers['content-type']), /problem\+json/);
        assert.equal((await call(f.app, f.a.admin, 'GET', url.replace('/events', ''))).statusCode, 200, `org A reads ${url}`);
      }
      for (const url of [`/api-keys/${ids['key']}`, `/users/${ids['user']}`]) {
        assert.equal((await call(f.app, f.b.admin, 'GET', url)).statusCode, 404, url);
      }
      // Filters naming another org's ids find nothing either.
      const byAssessment = json<Page>(await call(f.app, f.b.viewer, 'GET', `/scans?assessmentId=${ids['scan']}`));
      assert.deepEqual(byAssessment.items, []);
      const byAsset = json<Page>(await call(f.app, f.b.viewer, 'GET', '/findings?asset=127.0.0.5'));
      assert.deepEqual(byAsset.items, []);
    });

    it('every write to an org A id by org B is a 404 and changes nothing', async () => {
      const writes: [ 'POST' | 'PATCH' | 'DELETE', string, unknown][] = [
        ['PATCH', `/assessments/${ids['assessment']}`, { name: 'pwned' }],
        ['POST', `/assessments/${ids['assessment']}/run`, undefined],
        ['POST', `/assessments/${ids['assessment']}/cancel`, undefined],
        ['DELETE', `/assessments/${ids['assessment']}`, undefined],
        ['PATCH', `/schedules/${ids['schedule']}`, { enabled: false }],
        ['DELETE', `/schedules/${ids['schedule']}`, undefined],
        ['PATCH', `/notification-rules/${ids['rule']}`, { name: 'pwned' }],
        ['POST', `/notification-rules/${ids['rule']}/test`, undefined],
        ['DELETE', `/notification-rules/${ids['rule']}`, undefined],
        ['DELETE', `/api-keys/${ids['key']}`, undefined],
        ['PATCH', `/users/${ids['user']}`, { role: 'admin' }],
        ['PATCH', `/findings/${ids['finding']}`, { status: 'accepted_risk', reason: 'not ours' }],
        ['PATCH', '/assets/127.0.0.5', { owner: 'mallory' }],
      ];
      for (const [method, url, body] of writes) {
        const r = await call(f.app, f.b.admin, method, url, body !== undefined ? { body } : {});
        assert.equal(r.statusCode, 404, `${method} ${url}`);
      }
      // Org B cannot schedule org A's assessment either.
      const sched = await call(f.app, f.b.admin, 'POST', '/schedules', { body: { assessmentId: ids['assessment'], cron: '0 1 * * *' } });
      assert.equal(sched.statusCode, 404);
      assert.equal(json(sched)['field'], 'body.assessmentId');

      const a = json(await call(f.app, f.a.viewer, 'GET', `/assessments/${ids['assessment']}`));
      assert.equal(a['name'], 'a-web');
      assert.equal(a['state'], 'idle');
      assert.equal(json(await call(f.app, f.a.viewer, 'GET', `/schedules/${ids['schedule']}`))['enabled'], true);
      assert.equal(json(await call(f.app, f.a.viewer, 'GET', `/notification-rules/${ids['rule']}`))['name'], 'a-hook');
      assert.equal(json(await call(f.app, f.a.admin, 'GET', `/api-keys/${ids['key']}`))['revokedAt'], null);
      assert.equal(json(await call(f.app, f.a.admin, 'GET', `/users/${ids['user']}`))['role'], 'viewer');
      const finding = json(await call(f.app, f.a.viewer, 'GET', `/findings/${ids['finding']}`));
      assert.equal(finding['triage'], null);
      assert.equal(json(await call(f.app, f.a.viewer, 'GET', '/assets/127.0.0.5'))['owner'], null);
    });

    it('triage: analysts of the owning org can, viewers cannot; fixed findings are a conflict', async () => {
      const url = `/findings/${ids['finding']}`;
      assert.equal((await call(f.app, f.a.viewer, 'PATCH', url, { body: { status: 'accepted_risk', reason: 'lab only' } })).statusCode, 403);
      const bad = await call(f.app, f.a.analyst, 'PATCH', url, { body: { status: 'fixed', reason: 'x' } });
      assert.equal(bad.statusCode, 400);
      assert.equal(json(bad)['field'], 'body.status');
      const ok = await call(f.app, f.a.analyst, 'PATCH', url, { body: { status: 'accepted_risk', reason: 'lab only', until: '2099-01-01T00:00:00Z' } });
      assert.equal(ok.statusCode, 200, ok.body);
      const t = json(ok);
      assert.equal(t['status'], 'accepted_risk');
      const analystKey = /^trawl_([^_]+)_/.exec(f.a.analyst)![1];
      assert.deepEqual(t['triage'], { by: `key:${analystKey}`, reason: 'lab only', until: '2099-01-01T00:00:00.000Z', at: (t['triage'] as { at: string }).at });
      const accepted = json<Page>(await call(f.app, f.a.viewer, 'GET', '/findings?status=accepted_risk'));
      assert.deepEqual(accepted.items.map((i) => i['id']), [ids['finding']]);
      // The second scan ran ssh-weak on port 22 and did not report it: fixed, so nothing to triage.
      const fixed = json<Page>(await call(f.app, f.a.viewer, 'GET', '/findings?status=fixed'));
      assert.deepEqual(fixed.items.map((i) => i['checkId']), ['ssh-weak']);
      for (const item of fixed.items) {
        const r = await call(f.app, f.a.analyst, 'PATCH', `/findings/${String(item['id'])}`, { body: { status: 'false_positive', reason: 'x' } });
        assert.equal(r.statusCode, 409);
      }
    });

    it('org B cannot scan inside org A\'s scope', async () => {
      const r = await call(f.app, f.b.analyst, 'POST', '/assessments', { body: { name: 'b-steal', targets: ['127.0.0.5'], ports: '80' } });
      assert.equal(r.statusCode, 403);
      assert.equal(json(r)['code'], 'TRAWL_E_OUT_OF_SCOPE');
      assert.equal(json(r)['address'], '127.0.0.5');
    });
  });
}
