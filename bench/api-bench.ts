/**
 * API latency benchmark: the findings list endpoint over 1,000,000 findings in PostgreSQL.
 *
 *   node dist/bench/api-bench.js [--findings 1000000] [--requests 300] [--pg postgres://postgres@127.0.0.1:5432/postgres]
 *        [--transport inject|http] [--keep]
 *
 * Creates its own database (dropped afterwards unless --keep), migrates it, seeds two orgs — 90% of
 * the findings in org A, the rest in org B, so every query has to scope by org — with a bulk
 * INSERT … SELECT from generate_series (the bench measures reads, not the fold), then times
 * GET /findings through the real API (auth, validation, keyset query, serialisation):
 * the first page and pages at random deep cursors, for each sort and a filtered query. Prints
 * p50/p90/p99 and the plan PostgreSQL chose for the deep page. Traffic: 127.0.0.1 only.
 */
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { sql } from 'kysely';
import pg from 'pg';
import { buildApi } from '../src/api/build-api.js';
import { openApiDatabase } from '../src/api/database/open-api-database.js';
import { encodeCursor, type CursorValue } from '../src/api/pagination/cursor.js';
import { createApiKey } from '../src/api/queries/key-queries.js';
import { createOrg } from '../src/api/queries/org-queries.js';
import { severityRankSql } from '../src/api/queries/inventory-list.js';

const { values: args } = parseArgs({
  options: {
    findings: { type: 'string', default: '1000000' },
    requests: { type: 'string', default: '300' },
    pg: { type: 'string', default: process.env['TRAWL_TEST_PG_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres' },
    transport: { type: 'string', default: 'inject' },
    keep: { type: 'boolean', default: false },
  },
});

const TOTAL = Number(args.findings);
const REQUESTS = Number(args.requests);
const adminUrl = args.pg!;
const dbName = `trawl_api_bench_${randomBytes(3).toString('hex')}`;

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

function summary(label: string, ms: number[]): void {
  const s = [...ms].sort((a, b) => a - b);
  const mean = s.reduce((a, b) => a + b, 0) / s.length;
  console.log(`${label.padEnd(46)} n=${String(s.length).padStart(4)}  p50 ${percentile(s, 50).toFixed(2).padStart(7)} ms  p90 ${percentile(s, 90).toFixed(2).padStart(7)} ms  p99 ${percentile(s, 99).toFixed(2).padStart(7)} ms  mean ${mean.toFixed(2).padStart(7)} ms`);
}

async function main(): Promise<void> {
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`create database ${dbName} template template0 locale_provider icu icu_locale 'en-US' locale 'C.UTF-8'`);
  const u = new URL(adminUrl);
  u.pathname = `/${dbName}`;
  const database = await openApiDatabase(u.href, { poolSize: 10 });
  const { db, store } = database;
  try {
    await store.migrate();
    const orgA = await createOrg(db, { name: 'bench-a', scope: ['198.18.0.0/15'] });
    const orgB = await createOrg(db, { name: 'bench-b', scope: [] });
    const { token } = await createApiKey(db, { orgId: orgA.id, name: 'bench', role: 'viewer', createdBy: 'bench' });

    const seedStart = performance.now();
    const inA = Math.round(TOTAL * 0.9);
    // 10 findings per host over 198.18.0.0/15 (benchmark range; no traffic is sent anywhere).
    await sql`
      insert into findings (id, org_id, ip_key, address, port, proto, check_id, severity, title, status, first_seen, last_seen, opened_at,
                            fixed_at, times_seen, reopened_count, first_scan_id, last_scan_id, evidence_json)
      select 'f_' || substr(md5(i::text), 1, 24),
             case when i <= ${inA} then ${orgA.id} else ${orgB.id} end,
             '4' || lpad(to_hex(3323068416 + i / 10), 8, '0'),
             ((3323068416 + i / 10) >> 24) || '.' || (((3323068416 + i / 10) >> 16) & 255) || '.' || (((3323068416 + i / 10) >> 8) & 255) || '.' || ((3323068416 + i / 10) & 255),
             (array[22, 80, 443, 3306, 5432, 6379, 8080, 8443, 9200, 11211])[1 + i % 10], 'tcp',
             'check-' || (i % 97),
             (array['critical', 'high', 'high', 'medium', 'medium', 'medium', 'low', 'low', 'none', 'unknown'])[1 + (i * 7) % 10],
             'finding ' || i,
             (array['open', 'open', 'open', 'open', 'open', 'open', 'fixed', 'accepted_risk', 'open', 'false_positive'])[1 + (i * 3) % 10],
             to_char(timestamp '2030-01-01' + (i % 100000) * interval '1 second', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
             to_char(timestamp '2030-02-01' + (i % 200000) * interval '1 second', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
             to_char(timestamp '2030-01-01' + (i % 100000) * interval '1 second', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
             null, 1 + i % 5, 0, 'scan0', 'scan1', '{"banner":"x"}'
      from generate_series(1, ${TOTAL}) as g(i)`.execute(db);
    await sql`analyze findings`.execute(db);
    console.log(`seeded ${TOTAL.toLocaleString('en-US')} findings (${inA.toLocaleString('en-US')} in org A) in ${((performance.now() - seedStart) / 1000).toFixed(1)} s`);

    const app = buildApi({ db, store, rateLimit: false, afterRun: null });
    await app.ready();
    let base = '';
    if (args.transport === 'http') base = await app.listen({ host: '127.0.0.1', port: 0 });
    const get = async (url: string): Promise<{ ms: number; items: number }> => {
      const t = performance.now();
      if (args.transport === 'http') {
        const res = await fetch(`${base}${url}`, { headers: { authorization: `Bearer ${token}` } });
        const body = (await res.json()) as { items: unknown[] };
        if (res.status !== 200) throw new Error(`${url}: ${res.status}`);
        return { ms: performance.now() - t, items: body.items.length };
      }
      const res = await app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${token}` } });
      if (res.statusCode !== 200) throw new Error(`${url}: ${res.statusCode} ${res.body.slice(0, 300)}`);
      const items = (JSON.parse(res.body) as { items: unknown[] }).items.length;
      return { ms: performance.now() - t, items };
    };

    // Deep cursors: sort keys of rows in the second half of org A's order, as a client walking far
    // would hold. One window pass per sort picks every 1000th row; random ones of those are used.
    const deepKeys = async (sort: 'severity' | 'lastSeen' | 'address', n: number): Promise<CursorValue[][]> => {
      const order = sort === 'severity' ? sql`${severityRankSql} desc, id desc` : sort === 'lastSeen' ? sql`last_seen desc, id desc` : sql`ip_key, port, proto, check_id`;
      const rows = await sql<{ rank: number; id: string; last_seen: string; ip_key: string; port: number; proto: string; check_id: string }>`
        select * from (select ${severityRankSql} as rank, id, last_seen, ip_key, port, proto, check_id, row_number() over (order by ${order}) as rn
                       from findings where org_id = ${orgA.id}) t
        where rn > ${Math.floor(inA / 2)} and rn < ${inA - 100} and rn % 1000 = 0`.execute(db);
      const picked = Array.from({ length: n }, () => rows.rows[Math.floor(Math.random() * rows.rows.length)]!);
      return picked.map((r) => (sort === 'severity' ? [Number(r.rank), r.id] : sort === 'lastSeen' ? [r.last_seen, r.id] : [r.ip_key, Number(r.port), r.proto, r.check_id]));
    };

    // Warm up the connection pool, the plan cache and the JIT.
    for (let i = 0; i < 30; i++) await get('/findings?limit=50');

    console.log(`\nGET /findings through ${args.transport === 'http' ? 'a real listener on 127.0.0.1' : 'app.inject()'}, limit=50:`);
    const runs: [string, () => Promise<string[]>][] = [
      ['first page, sort=severity (default)', async () => Array.from({ length: REQUESTS }, () => '/findings?limit=50')],
      ['first page, sort=lastSeen', async () => Array.from({ length: REQUESTS }, () => '/findings?limit=50&sort=lastSeen')],
      ['first page, status=open&severity=critical,high', async () => Array.from({ length: REQUESTS }, () => '/findings?limit=50&status=open&severity=critical&severity=high')],
      ['deep cursor (50-100% in), sort=severity', async () => (await deepKeys('severity', Math.min(REQUESTS, 100))).map((k) => `/findings?limit=50&cursor=${encodeCursor('severity', 'desc', k)}`)],
      ['deep cursor (50-100% in), sort=lastSeen', async () => (await deepKeys('lastSeen', Math.min(REQUESTS, 100))).map((k) => `/findings?limit=50&sort=lastSeen&cursor=${encodeCursor('lastSeen', 'desc', k)}`)],
      ['deep cursor (50-100% in), sort=address', async () => (await deepKeys('address', Math.min(REQUESTS, 100))).map((k) => `/findings?limit=50&sort=address&order=asc&cursor=${encodeCursor('address', 'asc', k)}`)],
    ];
    for (const [label, urls] of runs) {
      const list = await urls();
      const ms: number[] = [];
      for (const url of list) {
        const r = await get(url);
        if (r.items === 0) throw new Error(`empty page for ${url}`);
        ms.push(r.ms);
      }
      summary(label, ms);
    }

    // A client walking page after page from the start, following nextCursor.
    const walk: number[] = [];
    let cursor: string | null = null;
    for (let i = 0; i < Math.min(REQUESTS, 200); i++) {
      const t = performance.now();
      const res: { body: string } = await app.inject({ method: 'GET', url: `/findings?limit=200${cursor ? `&cursor=${cursor}` : ''}`, headers: { authorization: `Bearer ${token}` } });
      cursor = (JSON.parse(res.body) as { nextCursor: string | null }).nextCursor;
      walk.push(performance.now() - t);
      if (cursor === null) break;
    }
    summary('sequential walk, limit=200, following nextCursor', walk);

    const [deep] = await deepKeys('severity', 1);
    const plan = await sql<{ 'QUERY PLAN': string }>`explain analyze select * from findings where org_id = ${orgA.id}
      and (${severityRankSql}, id) < (${deep![0]}, ${deep![1]}) order by ${severityRankSql} desc, id desc limit 51`.execute(db);
    console.log('\nPostgreSQL plan of a deep severity page:');
    for (const row of plan.rows) console.log(`  ${row['QUERY PLAN']}`);
    await app.close();
  } finally {
    await database.close();
    if (!args.keep) await admin.query(`drop database if exists ${dbName} with (force)`);
    else console.log(`kept database ${dbName}`);
    await admin.end();
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
