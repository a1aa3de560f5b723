import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { FindingSighting } from '../../src/inventory/observation-data.js';
import type { SeverityLevel } from '../../src/store/schema.js';
import { call, dialects, fixture, json, postgresProblem, seedFinishedScan, type ApiFixture } from './api-harness.js';

const pgProblem = await postgresProblem();

interface Page {
  items: Record<string, unknown>[];
  nextCursor: string | null;
}

async function walk(f: ApiFixture, token: string, url: string, between?: (page: number) => Promise<void>): Promise<{ items: Record<string, unknown>[]; pages: number }> {
  const items: Record<string, unknown>[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const sep = url.includes('?') ? '&' : '?';
    const r = await call(f.app, token, 'GET', cursor === null ? url : `${url}${sep}cursor=${encodeURIComponent(cursor)}`);
    assert.equal(r.statusCode, 200, r.body);
    const page = json<Page>(r);
    items.push(...page.items);
    cursor = page.nextCursor;
    pages++;
    if (between) await between(pages);
    assert.ok(pages < 1000, 'pagination terminates');
  } while (cursor !== null);
  return { items, pages };
}

const rank: Record<SeverityLevel, number> = { critical: 5, high: 4, medium: 3, low: 2, none: 1, unknown: 0 };

for (const kind of dialects) {
  describe(`API cursor pagination (${kind})`, { skip: kind === 'postgres' ? pgProblem ?? false : false }, () => {
    let f: ApiFixture;
    before(async () => {
      f = await fixture(kind);
      // 60 findings over 20 hosts, every severity, through a real fold.
      const sev: SeverityLevel[] = ['critical', 'high', 'medium', 'low', 'none', 'unknown'];
      const hosts = Array.from({ length: 20 }, (_, h) => ({
        ip: `127.0.0.${h + 1}`,
        ports: [80, 443, 8080],
        findings: [80, 443, 8080].map((port, i): FindingSighting & { port: number } => ({ port, checkId: `check-${(h + i) % 7}`, severity: sev[(h * 3 + i) % sev.length]!, title: `t${h}-${i}` })),
      }));
      await seedFinishedScan(f.d, f.a.id, hosts, new Date());
    });
    after(async () => {
      await f.close();
    });

    it('walks every finding exactly once in severity order, and in address order', async () => {
      const { items, pages } = await walk(f, f.a.viewer, '/findings?limit=7');
      assert.equal(items.length, 60);
      assert.equal(pages, 9);
      assert.equal(new Set(items.map((i) => i['id'])).size, 60);
      for (let i = 1; i < items.length; i++) {
        const a = items[i - 1]!;
        const b = items[i]!;
        const ra = rank[a['severity'] as SeverityLevel];
        const rb = rank[b['severity'] as SeverityLevel];
        assert.ok(ra > rb || (ra === rb && String(a['id']) > String(b['id'])), `order at ${i}`);
      }
      const asc = await walk(f, f.a.viewer, '/findings?limit=11&sort=severity&order=asc');
      assert.deepEqual(asc.items.map((i) => i['id']), items.map((i) => i['id']).reverse());
      const byAddress = await walk(f, f.a.viewer, '/findings?limit=13&sort=address&order=asc');
      assert.equal(byAddress.items.length, 60);
      const keys = byAddress.items.map((i) => `${String(i['address']).split('.').map((o) => o.padStart(3, '0')).join('.')}:${String(i['port']).padStart(5, '0')}:${String(i['checkId'])}`);
      assert.deepEqual(keys, [...keys].sort());
    });

    it('filters by severity, status, check and asset', async () => {
      const crit = await walk(f, f.a.viewer, '/findings?severity=critical&severity=high&limit=5');
      assert.ok(crit.items.length > 0);
      assert.ok(crit.items.every((i) => i['severity'] === 'critical' || i['severity'] === 'high'));
      const host = await walk(f, f.a.viewer, '/findings?asset=127.0.0.3');
      assert.equal(host.items.length, 3);
      assert.ok(host.items.every((i) => i['address'] === '127.0.0.3'));
      const check = await walk(f, f.a.viewer, '/findings?check=check-2&status=open');
      assert.ok(check.items.length > 0 && check.items.every((i) => i['checkId'] === 'check-2' && i['status'] === 'open'));
    });

    it('keeps cursors stable while rows are inserted between pages', async () => {
      const original: string[] = [];
      for (let i = 0; i < 9; i++) {
        const r = await call(f.app, f.a.analyst, 'POST', '/assessments', { body: { name: `a${i}`, targets: ['127.0.0.1'], ports: '80' } });
        original.push(String(json(r)['id']));
        await new Promise((res) => setTimeout(res, 2));
      }
      let inserted = 0;
      const newest = await walk(f, f.a.viewer, '/assessments?limit=2', async () => {
        // New rows sort before the cursor (newest first): they must not shift or repeat anything.
        await call(f.app, f.a.analyst, 'POST', '/assessments', { body: { name: `late${inserted++}`, targets: ['127.0.0.1'], ports: '80' } });
      });
      const seen = newest.items.map((i) => String(i['id']));
      assert.equal(new Set(seen).size, seen.length, 'no row twice');
      assert.deepEqual(seen.filter((id) => original.includes(id)), [...original].reverse(), 'every original row once, in order');
      // Oldest first, rows inserted meanwhile come after the cursor and are picked up at the end.
      const before = json<Page>(await call(f.app, f.a.viewer, 'GET', '/assessments?limit=500')).items.length;
      const oldest = await walk(f, f.a.viewer, '/assessments?limit=3&order=asc', async (page) => {
        if (page === 1) await call(f.app, f.a.analyst, 'POST', '/assessments', { body: { name: 'tail', targets: ['127.0.0.1'], ports: '80' } });
      });
      assert.equal(oldest.items.length, before + 1);
      assert.equal(oldest.items[oldest.items.length - 1]!['name'], 'tail');
    });

    it('refuses a cursor issued for another sort', async () => {
      const first = json<Page>(await call(f.app, f.a.viewer, 'GET', '/findings?limit=2&sort=lastSeen'));
      assert.ok(first.nextCursor);
      const r = await call(f.app, f.a.viewer, 'GET', `/findings?limit=2&sort=severity&cursor=${first.nextCursor}`);
      assert.equal(r.statusCode, 400);
      assert.equal(json(r)['field'], 'querystring.cursor');
      assert.match(String(json(r)['detail']), /issued for sort=lastSeen/);
    });
  });
}
