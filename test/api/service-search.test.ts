/**
 * GET /services: free-text search, the asset's zone and tag, open findings (any, by check, at least a
 * severity), exact port/service/product, and every sort, walked page by page — on SQLite and
 * PostgreSQL. The inventory is built by the real fold from port, service and check observations.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import type { ServiceIdentity } from '../../src/engines/identify/service-identity.js';
import { call, dialects, fixture, json, postgresProblem, seedFinishedScan, type ApiFixture } from './api-harness.js';

const pgProblem = await postgresProblem();

interface Item {
  address: string;
  port: number;
  identity: { name: string; product: string | null; version: string | null; banner: string | null } | null;
  hostnames: string[];
  zone: string | null;
  tags: string[];
  findings: { open: number; maxSeverity: string | null };
  lastSeen: string;
}

const id = (name: string, product?: string, version?: string, facts?: Record<string, unknown>): ServiceIdentity => ({
  name, ...(product !== undefined ? { product } : {}), ...(version !== undefined ? { version } : {}), cpe: [], method: 'handshake', confidence: 10, ...(facts ? { facts } : {}),
});

const key = (i: Item): string => `${i.address}:${i.port}`;

for (const kind of dialects) {
  describe(`GET /services search, filters and sorts (${kind})`, { skip: kind === 'postgres' ? pgProblem ?? false : false }, () => {
    let f: ApiFixture;

    const list = async (query: string, token = f.a.viewer): Promise<Item[]> => {
      const items: Item[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const url: string = `/services?limit=2${query ? `&${query}` : ''}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
        const r = await call(f.app, token, 'GET', url);
        assert.equal(r.statusCode, 200, `${url}: ${r.body}`);
        const page = json<{ items: Item[]; nextCursor: string | null }>(r);
        items.push(...page.items);
        cursor = page.nextCursor;
        assert.ok(++pages < 100);
      } while (cursor !== null);
      assert.equal(new Set(items.map(key)).size, items.length, `${query}: every service once`);
      return items;
    };
    const keys = async (query: string): Promise<string[]> => (await list(query)).map(key).sort();

    before(async () => {
      f = await fixture(kind);
      await seedFinishedScan(f.d, f.a.id, [
        {
          ip: '127.0.0.10', ports: [22, 80],
          services: [
            { port: 22, identity: id('ssh', 'OpenSSH', '9.2p1 Debian 2+deb12u3', { ssh: { banner: 'SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3' } }) },
            { port: 80, identity: id('http', 'nginx', '1.24.0', { http: { status: 200, url: 'http://portal.lab.test/', headers: [['Server', 'nginx/1.24.0']] } }), hostname: 'portal.lab.test' },
          ],
          findings: [{ port: 80, checkId: 'http-missing-security-headers', severity: 'low', title: 'HTTP security headers missing' }],
        },
        {
          ip: '127.0.0.11', ports: [443, 6379],
          services: [{ port: 443, identity: id('http', 'nginx', '1.24.0') }, { port: 6379, identity: id('redis', 'Redis key-value store', '7.0.15') }],
          findings: [
            { port: 443, checkId: 'tls-self-signed-cert', severity: 'medium', title: 'TLS certificate is self-signed' },
            { port: 6379, checkId: 'redis-no-auth', severity: 'critical', title: 'Redis accepts commands without authentication' },
          ],
        },
        {
          ip: '127.0.0.12', ports: [21, 8080],
          services: [
            { port: 21, identity: id('ftp', 'vsftpd', '3.0.3', { ftp: { banner: ['220 (vsFTPd 3.0.3)'] } }) },
            { port: 8080, identity: id('http', 'Apache httpd', '2.4.57') },
          ],
          findings: [{ port: 8080, checkId: 'http-directory-listing', severity: 'medium', title: 'HTTP directory listing enabled' }],
        },
        { ip: '127.0.0.13', ports: [5432] },
      ], new Date());
      await seedFinishedScan(f.d, f.b.id, [{ ip: '127.0.1.10', ports: [80], services: [{ port: 80, identity: id('http', 'nginx', '1.24.0') }] }], new Date());
      for (const [address, body] of [
        ['127.0.0.10', { tags: ['web'] }],
        ['127.0.0.11', { zone: 'dmz', tags: ['pci', 'web'] }],
        ['127.0.0.12', { zone: 'dmz' }],
      ] as const) {
        const r = await call(f.app, f.a.analyst, 'PATCH', `/assets/${address}`, { body });
        assert.equal(r.statusCode, 200, r.body);
      }
    });
    after(async () => {
      await f.close();
    });

    it('returns the asset\'s zone, tags and host names, the banner and the open findings with each service', async () => {
      const all = await list('');
      assert.deepEqual(all.map(key), ['127.0.0.10:22', '127.0.0.10:80', '127.0.0.11:443', '127.0.0.11:6379', '127.0.0.12:21', '127.0.0.12:8080', '127.0.0.13:5432']);
      const by = new Map(all.map((i) => [key(i), i]));
      assert.deepEqual(by.get('127.0.0.10:80')!.hostnames, ['portal.lab.test']);
      assert.deepEqual(by.get('127.0.0.10:80')!.tags, ['web']);
      assert.equal(by.get('127.0.0.11:6379')!.zone, 'dmz');
      assert.deepEqual(by.get('127.0.0.11:6379')!.findings, { open: 1, maxSeverity: 'critical' });
      assert.deepEqual(by.get('127.0.0.10:22')!.findings, { open: 0, maxSeverity: null });
      assert.equal(by.get('127.0.0.10:22')!.identity!.banner, 'SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3');
      assert.equal(by.get('127.0.0.12:21')!.identity!.banner, '220 (vsFTPd 3.0.3)');
      assert.equal(by.get('127.0.0.10:80')!.identity!.banner, 'nginx/1.24.0');
      assert.equal(by.get('127.0.0.13:5432')!.identity, null);
    });

    it('searches address, host names, service, product, version and banner, in any case, wildcards taken literally', async () => {
      assert.deepEqual(await keys('q=NGINX'), ['127.0.0.10:80', '127.0.0.11:443']);
      assert.deepEqual(await keys('q=portal.LAB'), ['127.0.0.10:22', '127.0.0.10:80'], 'a host name matches every service of its asset');
      assert.deepEqual(await keys('q=220%20(vsftpd'), ['127.0.0.12:21'], 'only the banner says this');
      assert.deepEqual(await keys('q=deb12u3'), ['127.0.0.10:22']);
      assert.deepEqual(await keys('q=0.0.12'), ['127.0.0.12:21', '127.0.0.12:8080']);
      assert.deepEqual(await keys('q=redis'), ['127.0.0.11:6379']);
      assert.deepEqual(await keys('q=%25'), [], '% is a character, not a wildcard');
      assert.deepEqual(await keys('q=open_sh'), [], '_ is a character, not a wildcard');
      assert.deepEqual(await keys('q=openssh_9'), ['127.0.0.10:22'], 'and found where it is one (the SSH banner)');
      assert.deepEqual(await keys('q=nginx&zone=dmz'), ['127.0.0.11:443'], 'filters combine');
    });

    it('filters by the asset\'s zone and tag, and by exact port, service and product', async () => {
      assert.deepEqual(await keys('zone=dmz'), ['127.0.0.11:443', '127.0.0.11:6379', '127.0.0.12:21', '127.0.0.12:8080']);
      assert.deepEqual(await keys('tag=pci'), ['127.0.0.11:443', '127.0.0.11:6379']);
      assert.deepEqual(await keys('tag=web'), ['127.0.0.10:22', '127.0.0.10:80', '127.0.0.11:443', '127.0.0.11:6379']);
      assert.deepEqual(await keys('tag=we'), [], 'a whole tag, not a prefix');
      assert.deepEqual(await keys('port=443'), ['127.0.0.11:443']);
      assert.deepEqual(await keys('service=http'), ['127.0.0.10:80', '127.0.0.11:443', '127.0.0.12:8080']);
      assert.deepEqual(await keys('product=nginx'), ['127.0.0.10:80', '127.0.0.11:443']);
      assert.deepEqual(await keys('product=nginx&port=80'), ['127.0.0.10:80']);
    });

    it('filters by open findings: any, of a check, at least a severity; triaged ones no longer count', async () => {
      assert.deepEqual(await keys('hasFinding=true'), ['127.0.0.10:80', '127.0.0.11:443', '127.0.0.11:6379', '127.0.0.12:8080']);
      assert.deepEqual(await keys('hasFinding=false'), ['127.0.0.10:22', '127.0.0.12:21', '127.0.0.13:5432']);
      assert.deepEqual(await keys('minSeverity=medium'), ['127.0.0.11:443', '127.0.0.11:6379', '127.0.0.12:8080']);
      assert.deepEqual(await keys('minSeverity=critical'), ['127.0.0.11:6379']);
      assert.deepEqual(await keys('check=redis-no-auth'), ['127.0.0.11:6379']);
      assert.deepEqual(await keys('check=redis-no-auth&minSeverity=critical&zone=dmz&tag=pci'), ['127.0.0.11:6379']);

      const listing = json<{ items: { id: string }[] }>(await call(f.app, f.a.viewer, 'GET', '/findings?check=http-directory-listing'));
      const r = await call(f.app, f.a.analyst, 'PATCH', `/findings/${listing.items[0]!.id}`, { body: { status: 'false_positive', reason: 'a test fixture' } });
      assert.equal(r.statusCode, 200, r.body);
      assert.deepEqual(await keys('minSeverity=medium'), ['127.0.0.11:443', '127.0.0.11:6379']);
      const svc = (await list('port=8080'))[0]!;
      assert.deepEqual(svc.findings, { open: 0, maxSeverity: null });
    });

    it('sorts by address, port, service, product and last sighting, each way, across pages', async () => {
      const ports = (await list('sort=port')).map((i) => i.port);
      assert.deepEqual(ports, [...ports].sort((a, b) => a - b));
      const portsDesc = (await list('sort=port&order=desc')).map((i) => i.port);
      assert.deepEqual(portsDesc, [...ports].reverse());
      for (const sort of ['address', 'service', 'product', 'lastSeen']) {
        const asc = (await list(`sort=${sort}&order=asc`)).map(key);
        const desc = (await list(`sort=${sort}&order=desc`)).map(key);
        assert.equal(asc.length, 7, sort);
        assert.deepEqual(desc, [...asc].reverse(), `${sort}: desc is asc reversed`);
      }
      const byProduct = await list('sort=product');
      assert.equal(key(byProduct[0]!), '127.0.0.13:5432', 'no product sorts first');
      const groups = byProduct.map((i) => i.identity?.product ?? '');
      assert.deepEqual(groups.filter((p, i) => i === 0 || p !== groups[i - 1]).length, new Set(groups).size, 'each product together');
      assert.deepEqual((await list('sort=service&service=http')).map((i) => i.identity!.name), ['http', 'http', 'http']);
      const latest = await list('sort=lastSeen');
      assert.ok(latest.every((x, i) => i === 0 || x.lastSeen <= latest[i - 1]!.lastSeen), 'lastSeen defaults to newest first');
    });

    it('finds through the trigram indexes exactly what the plain per-column filter finds', async () => {
      if (kind === 'postgres') {
        const r = await sql<{ s: string | null; h: string | null }>`select to_regclass('services_search_trgm_idx')::text as s, to_regclass('assets_hostnames_trgm_idx')::text as h`.execute(f.d.db);
        assert.deepEqual(r.rows[0], { s: 'services_search_trgm_idx', h: 'assets_hostnames_trgm_idx' }, 'migration 0007 creates both indexes where pg_trgm is available');
      }
      const orgId = f.a.id;
      for (const q of ['nginx', 'portal.lab', '220 (vsftpd', 'deb12u3', '0.0.12', 'redis', 'openssh_9', 'http', '1.24', 'nginx 1.24', 'zz-none']) {
        const pattern = `%${q.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
        const like = (e: ReturnType<typeof sql>) => sql`${e} like ${pattern} escape '\\'`;
        const plain = await sql<{ address: string; port: number }>`select s.address, s.port from services s left join assets a on a.org_id = s.org_id and a.ip_key = s.ip_key
          where s.org_id = ${orgId} and (${like(sql`lower(s.address)`)} or ${like(sql`lower(coalesce(s.service_name, ''))`)} or ${like(sql`lower(coalesce(s.product, ''))`)}
          or ${like(sql`lower(coalesce(s.version, ''))`)} or ${like(sql`lower(coalesce(s.identity_json, ''))`)} or ${like(sql`lower(coalesce(a.hostnames_json, ''))`)})`.execute(f.d.db);
        assert.deepEqual(await keys(`q=${encodeURIComponent(q)}`), plain.rows.map((x) => `${x.address}:${Number(x.port)}`).sort(), q);
      }
    });

    it('keeps to the caller\'s organisation and explains bad parameters', async () => {
      assert.deepEqual(await keys('q=nginx&port=80'), ['127.0.0.10:80']);
      const b = await call(f.app, f.b.viewer, 'GET', '/services?q=nginx');
      assert.deepEqual(json<{ items: Item[] }>(b).items.map(key), ['127.0.1.10:80']);
      for (const [query, field] of [['minSeverity=severe', 'querystring.minSeverity'], ['sort=banner', 'querystring.sort'], ['zone=no%20spaces', 'querystring.zone'], ['hasFinding=maybe', 'querystring.hasFinding']] as const) {
        const r = await call(f.app, f.a.viewer, 'GET', `/services?${query}`);
        assert.equal(r.statusCode, 400, query);
        const p = json(r);
        assert.equal(p['code'], 'TRAWL_E_VALIDATION');
        assert.equal(p['field'], field, `${query}: ${String(p['detail'])}`);
      }
    });
  });
}
