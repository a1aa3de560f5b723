/**
 * Dashboard load benchmark: a store with 100,000 services (on 20,000 assets), 5,000 findings, change
 * events and 90 days of snapshots; the real API + dashboard on 127.0.0.1; Debian's Chromium. Prints:
 *
 * - first meaningful paint of the Services page (navigation start → first table row rendered, the
 *   app's own `trawl:services-first-row` mark), with first contentful paint and largest contentful
 *   paint, cold (empty cache) and warm;
 * - the same for the Overview (largest contentful paint);
 * - interactions: filter by a common and a rare port, reverse the sort, scroll 1,000 rows deep;
 * - the API calls those pages make, timed on their own.
 *
 *   npm run build && node dist/bench/web-load-bench.js [--services 100000] [--runs 5] [--json]
 *
 * Seeded addresses are 127.64.0.0/10 names only: nothing is scanned or contacted but 127.0.0.1.
 */
import { parseArgs } from 'node:util';
import type { Kysely } from 'kysely';
import type { Page } from 'playwright-core';
import { emptyCounters } from '../src/model/scan.js';
import { findingId } from '../src/inventory/finding-lifecycle.js';
import { ipSortKey } from '../src/store/ip-key.js';
import type { Database, SeverityLevel } from '../src/store/schema.js';
import { newScanId } from '../src/scan/scan-id.js';
import type { Store } from '../src/store/store.js';
import { chromiumProblem, launchBrowser, startDashboardServer } from '../test/web/web-harness.js';

const { values: args } = parseArgs({
  options: {
    services: { type: 'string', default: '100000' },
    'per-asset': { type: 'string', default: '5' },
    runs: { type: 'string', default: '5' },
    json: { type: 'boolean', default: false },
  },
});
const SERVICES = Number(args.services);
const PER_ASSET = Number(args['per-asset']);
const RUNS = Number(args.runs);
if (!Number.isInteger(SERVICES) || SERVICES < 1 || SERVICES > 5_000_000) throw new Error(`--services must be 1..5000000, got ${args.services}`);

const RARE_PORT = 47808;
const PORTS = [22, 80, 443, 8080, 8443, 3306, 5432, 6379, 25, 21, 3389, 9200, 27017, 11211, 5900];
const PRODUCTS: Record<number, [string, string, string]> = {
  22: ['ssh', 'OpenSSH', '9.2p1'], 80: ['http', 'nginx', '1.24.0'], 443: ['https', 'nginx', '1.24.0'], 8080: ['http', 'Apache httpd', '2.4.62'],
  8443: ['https', 'Jetty', '9.4.53'], 3306: ['mysql', 'MySQL', '8.0.36'], 5432: ['postgresql', 'PostgreSQL', '16.2'], 6379: ['redis', 'Redis', '7.0.15'],
  25: ['smtp', 'Exim smtpd', '4.96'], 21: ['ftp', 'vsftpd', '3.0.3'], 3389: ['ms-wbt-server', 'xrdp', '0.9.21'], 9200: ['http', 'Elasticsearch', '8.12.2'],
  27017: ['mongodb', 'MongoDB', '7.0.5'], 11211: ['memcached', 'memcached', '1.6.21'], 5900: ['vnc', 'LibVNCServer', '0.9.14'],
};

/** 127.64.0.1 + i: inside 127.64.0.0/10, far from any lab the tests start. */
function address(i: number): string {
  const n = 0x7f400001 + i;
  return `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}

async function seed(db: Kysely<Database>, store: Store, orgId: string): Promise<{ assets: number; services: number; findings: number }> {
  const now = Date.now();
  const iso = (msAgo: number): string => new Date(now - msAgo).toISOString();
  const scanId = newScanId(now - 3600_000);
  await store.createScan({
    id: scanId, spec: { targets: ['127.64.0.0/10'], targetFiles: [], excludes: [], excludeFiles: [], ports: PORTS, resolved: {}, seed: '1', shard: { index: 1, count: 1 }, options: {} },
    counters: emptyCounters(), createdAt: iso(3600_000),
  });
  const assets = Math.ceil(SERVICES / PER_ASSET);
  const zones = ['external', 'internal', 'dmz'];
  await db.transaction().execute(async (trx) => {
    for (let start = 0; start < assets; start += 1000) {
      const rows = [];
      for (let i = start; i < Math.min(assets, start + 1000); i++) {
        const a = address(i);
        rows.push({
          org_id: orgId, ip_key: ipSortKey(a), address: a, hostnames_json: JSON.stringify(i % 7 === 0 ? [`host-${i}.bench.test`] : []), zone: zones[i % 3]!,
          tags_json: JSON.stringify(i % 5 === 0 ? ['pci'] : []), owner: i % 11 === 0 ? 'team-a' : null, first_seen: iso(80 * 86400_000), last_seen: iso(3600_000),
          state: 'up' as const, last_scan_id: scanId,
        });
      }
      await trx.insertInto('assets').values(rows).execute();
    }
    let made = 0;
    for (let i = 0; made < SERVICES; i++) {
      const rows = [];
      for (; rows.length < 1000 && made < SERVICES; made++) {
        const assetIx = Math.floor(made / PER_ASSET);
        const a = address(assetIx);
        const port = PORTS[(assetIx * 7 + (made % PER_ASSET) * 3) % PORTS.length]!;
        const [name, product, version] = PRODUCTS[port]!;
        const tls = port === 443 || port === 8443;
        rows.push({
          org_id: orgId, ip_key: ipSortKey(a), port, proto: 'tcp' as const, address: a, service_name: name, product, version,
          identity_json: JSON.stringify({ name, product, version }), tls_fingerprint: tls ? (assetIx.toString(16).padStart(64, '0')) : null,
          tls_not_after: tls ? iso(-((assetIx % 400) - 20) * 86400_000) : null, cert_expiry_flagged: null,
          first_seen: iso(((assetIx % 80) + 1) * 86400_000), last_seen: iso(3600_000), state: 'open' as const, silent_scans: 0, last_scan_id: scanId,
        });
      }
      // Duplicate (asset, port) pairs from the round-robin are skipped: the count stays what was asked when PER_ASSET <= PORTS.length.
      await trx.insertInto('services').values(rows).onConflict((oc) => oc.doNothing()).execute();
      if (i > SERVICES) break;
    }
    // A rare port, on the last three assets only: filtering by it must walk the whole index.
    const rare = [];
    for (let k = 1; k <= 3; k++) {
      const a = address(assets - k);
      rare.push({
        org_id: orgId, ip_key: ipSortKey(a), port: RARE_PORT, proto: 'tcp' as const, address: a, service_name: 'bacnet', product: null, version: null, identity_json: JSON.stringify({ name: 'bacnet' }),
        tls_fingerprint: null, tls_not_after: null, cert_expiry_flagged: null, first_seen: iso(86400_000), last_seen: iso(3600_000), state: 'open' as const, silent_scans: 0, last_scan_id: scanId,
      });
    }
    await trx.insertInto('services').values(rare).execute();
  });
  const services = Number((await db.selectFrom('services').select((eb) => eb.fn.countAll().as('n')).where('org_id', '=', orgId).executeTakeFirstOrThrow()).n);

  const sevs: SeverityLevel[] = ['critical', 'high', 'high', 'medium', 'medium', 'medium', 'low', 'low', 'low', 'low'];
  const findings = Math.min(5000, assets);
  await db.transaction().execute(async (trx) => {
    for (let start = 0; start < findings; start += 500) {
      const rows = [];
      for (let i = start; i < Math.min(findings, start + 500); i++) {
        const a = address(i * Math.max(1, Math.floor(assets / findings)));
        const key = ipSortKey(a);
        const check = ['tls.weak-cipher', 'http.version-disclosure', 'ssh.weak-kex', 'redis.no-auth'][i % 4]!;
        const port = [443, 80, 22, 6379][i % 4]!;
        rows.push({
          id: findingId(orgId, key, port, 'tcp', check), org_id: orgId, ip_key: key, address: a, port, proto: 'tcp' as const, check_id: check, severity: sevs[i % sevs.length]!,
          title: `Bench finding ${check}`, status: i % 9 === 0 ? ('accepted_risk' as const) : ('open' as const), first_seen: iso(((i % 60) + 1) * 86400_000), last_seen: iso(3600_000),
          opened_at: iso(((i % 60) + 1) * 86400_000), fixed_at: null, times_seen: 1 + (i % 30), reopened_count: 0, first_scan_id: scanId, last_scan_id: scanId,
          evidence_json: JSON.stringify({ detail: `evidence ${i}` }), triage_by: null, triage_reason: null, triage_until: null, triaged_at: null,
        });
      }
      await trx.insertInto('findings').values(rows).execute();
    }
    const kinds = ['port_opened', 'port_closed', 'version_changed', 'finding_opened', 'asset_appeared'] as const;
    for (let start = 0; start < 2000; start += 500) {
      const rows = [];
      for (let i = start; i < start + 500; i++) {
        const a = address(i * 9);
        rows.push({
          id: `${scanId}:${i}`, org_id: orgId, scan_id: scanId, seq: i, prev_scan_id: null, kind: kinds[i % kinds.length]!, at: iso(3600_000 + i * 60_000), ip_key: ipSortKey(a), address: a,
          port: kinds[i % kinds.length] === 'asset_appeared' ? null : 443, proto: kinds[i % kinds.length] === 'asset_appeared' ? null : ('tcp' as const), check_id: null,
          before_json: null, after_json: JSON.stringify({ state: 'open', identity: { name: 'https', product: 'nginx', version: '1.24.0' } }), evidence: 'syn-ack',
        });
      }
      await trx.insertInto('changes').values(rows).execute();
    }
    const days = [];
    for (let d = 89; d >= 0; d--) {
      const day = new Date(now - d * 86400_000).toISOString().slice(0, 10);
      const grow = (90 - d) / 90;
      days.push({
        org_id: orgId, day, scan_id: scanId, at: `${day}T03:00:00.000Z`, open_critical: Math.round(500 * grow), open_high: Math.round(1000 * grow), open_medium: Math.round(1500 * grow),
        open_low: Math.round(2000 * grow), open_none: 0, open_unknown: 0, assets: Math.round(assets * grow), services: Math.round(services * grow), risk: Math.round(6000 * grow) / 100,
      });
    }
    await trx.insertInto('inventory_snapshots').values(days).execute();
  });
  return { assets, services, findings };
}

interface Timings {
  readonly fcp: number;
  readonly lcp: number;
  readonly mark: number | null;
}

/** Paint timings of the page now loaded, measured from navigation start by the browser itself. */
async function paintTimings(page: Page, mark: string): Promise<Timings> {
  // A string, not a function: evaluated over the DevTools protocol, which the page's CSP does not govern.
  return page.evaluate<Timings>(`new Promise((resolve) => {
    let lcp = 0;
    new PerformanceObserver((l) => { for (const e of l.getEntries()) lcp = Math.max(lcp, e.startTime); }).observe({ type: 'largest-contentful-paint', buffered: true });
    setTimeout(() => {
      const fcp = performance.getEntriesByName('first-contentful-paint')[0];
      const m = performance.getEntriesByName(${JSON.stringify(mark)})[0];
      resolve({ fcp: fcp ? fcp.startTime : -1, lcp, mark: m ? m.startTime : null });
    }, 300);
  })`);
}

function stats(xs: readonly number[]): { median: number; min: number; max: number } {
  const s = [...xs].sort((a, b) => a - b);
  return { median: s[Math.floor(s.length / 2)]!, min: s[0]!, max: s[s.length - 1]! };
}

const ms = (x: number): string => `${x.toFixed(0)} ms`;

async function main(): Promise<void> {
  const skip = chromiumProblem();
  if (skip) {
    process.stdout.write(`web-load-bench: ${skip}\n`);
    return;
  }
  const t0 = performance.now();
  let seeded = { assets: 0, services: 0, findings: 0 };
  const server = await startDashboardServer({
    scope: ['127.64.0.0/10'],
    seed: async (d, orgId) => {
      seeded = await seed(d.db, d.store, orgId);
    },
  });
  const seedMs = performance.now() - t0;
  const results: Record<string, unknown> = { seeded, seedMs: Math.round(seedMs) };
  try {
    const login = await fetch(`${server.url}/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: server.user.email, password: server.user.password }) });
    if (!login.ok) throw new Error(`login failed: ${login.status} ${await login.text()}`);
    const cookie = /trawl_session=([^;]+)/.exec(login.headers.get('set-cookie') ?? '')![1]!;

    // The API calls the pages make, alone (median of 20, after one warm-up).
    const apiTimes: Record<string, number> = {};
    for (const [name, path] of [
      ['services page 1', '/services?limit=100&sort=address&order=asc'], ['services port=8443', '/services?limit=100&sort=address&order=asc&port=8443'],
      ['services port=5900', '/services?limit=100&sort=address&order=asc&port=5900'], ['services port=47808 (3 rows)', `/services?limit=100&sort=address&order=asc&port=${RARE_PORT}`], ['services desc', '/services?limit=100&sort=address&order=desc'],
      // Search and the filters that are not an index seek: the worst case walks every service.
      ['services q=nginx', '/services?limit=100&q=nginx'], ['services q=bacnet (3 rows, full walk)', '/services?limit=100&q=bacnet'],
      ['services q=host-7 (host names)', '/services?limit=100&q=host-7'],
      ['services zone=dmz', '/services?limit=100&zone=dmz'], ['services tag=pci', '/services?limit=100&tag=pci'],
      ['services minSeverity=critical', '/services?limit=100&minSeverity=critical'], ['services hasFinding=true', '/services?limit=100&hasFinding=true'],
      ['services sort=product', '/services?limit=100&sort=product'], ['services sort=port desc', '/services?limit=100&sort=port&order=desc'],
      ['services sort=lastSeen', '/services?limit=100&sort=lastSeen'],
      ['trends 90 d', '/trends?days=90'], ['changes 12', '/changes?limit=12'], ['findings page 1', '/findings?limit=100&status=open&sort=severity&order=desc'], ['risk (whole inventory)', '/risk?limit=8'],
    ] as const) {
      const once = async (): Promise<number> => {
        const s = performance.now();
        const r = await fetch(`${server.url}${path}`, { headers: { cookie: `trawl_session=${cookie}` } });
        await r.arrayBuffer();
        if (!r.ok) throw new Error(`${path}: ${r.status}`);
        return performance.now() - s;
      };
      await once();
      const xs: number[] = [];
      for (let i = 0; i < (name.startsWith('risk') ? 5 : 20); i++) xs.push(await once());
      apiTimes[name] = Math.round(stats(xs).median * 10) / 10;
    }
    results['apiMedianMs'] = apiTimes;

    const browser = await launchBrowser({ viewport: { width: 1440, height: 900 } });
    try {
      const host = new URL(server.url).hostname;
      await browser.context.addCookies([{ name: 'trawl_session', value: cookie, domain: host, path: '/', httpOnly: true, sameSite: 'Strict' }]);
      const measure = async (path: string, mark: string, ready: (p: Page) => Promise<void>, cold: boolean): Promise<Timings> => {
        const page = await browser.context.newPage();
        if (cold) {
          const cdp = await browser.context.newCDPSession(page);
          await cdp.send('Network.clearBrowserCache');
          await cdp.detach();
        }
        await page.goto(`${server.url}/ui${path}`);
        await ready(page);
        const t = await paintTimings(page, mark);
        await page.close();
        return t;
      };
      const firstRow = (p: Page) => p.getByTestId('services-table').locator('tr[data-index="0"]').waitFor();
      const overviewReady = (p: Page) => p.locator('.chart-box canvas').first().waitFor();
      const pages: Record<string, unknown> = {};
      for (const [label, path, mark, ready] of [
        ['services', '/services', 'trawl:services-first-row', firstRow],
        ['overview', '/', 'trawl:none', overviewReady],
      ] as const) {
        for (const cold of [true, false]) {
          const runs: Timings[] = [];
          for (let i = 0; i < RUNS; i++) runs.push(await measure(path, mark, ready, cold));
          pages[`${label} (${cold ? 'cold cache' : 'warm cache'})`] = {
            firstRowMs: runs[0]!.mark === null ? null : stats(runs.map((r) => r.mark!)),
            fcpMs: stats(runs.map((r) => r.fcp)),
            lcpMs: stats(runs.map((r) => r.lcp)),
          };
        }
      }
      results['pages'] = pages;

      // Interactions on the Services page, timed from the key press to the new first row on screen.
      const page = await browser.context.newPage();
      await page.goto(`${server.url}/ui/services`);
      await firstRow(page);
      const table = page.getByTestId('services-table');
      const row0 = table.locator('tr[data-index="0"]');
      const portInput = page.getByRole('search', { name: 'Filter services' }).getByLabel('Port');
      const searchInput = page.getByRole('search', { name: 'Filter services' }).getByLabel('Search');
      const interactions: Record<string, number[]> = {
        'filter port=8443': [], [`filter port=${RARE_PORT} (3 rows)`]: [], 'search "bacnet" (3 rows)': [], 'clear filter': [], 'reverse sort': [], 'sort by product': [], 'scroll 1,000 rows deep': [],
      };
      for (let i = 0; i < RUNS; i++) {
        for (const [name, port] of [['filter port=8443', '8443'], [`filter port=${RARE_PORT} (3 rows)`, String(RARE_PORT)]] as const) {
          await portInput.fill(port);
          const s = performance.now();
          await portInput.press('Enter');
          await row0.filter({ hasText: `${port}/tcp` }).waitFor();
          interactions[name]!.push(performance.now() - s);
        }
        await portInput.fill('');
        await portInput.press('Enter');
        await row0.filter({ hasText: '21/tcp' }).waitFor();
        // Free text that only three services' names hold: the server walks all 100,000 to find them.
        await searchInput.fill('bacnet');
        let s = performance.now();
        await searchInput.press('Enter');
        await row0.filter({ hasText: `${RARE_PORT}/tcp` }).waitFor();
        interactions['search "bacnet" (3 rows)']!.push(performance.now() - s);
        await searchInput.fill('');
        s = performance.now();
        await searchInput.press('Enter');
        // Unfiltered, the first row is the first asset's lowest port, 21.
        await row0.filter({ hasText: '21/tcp' }).waitFor();
        interactions['clear filter']!.push(performance.now() - s);
        const first = (await row0.locator('td').first().innerText()).trim();
        s = performance.now();
        await table.getByRole('button', { name: /Address/ }).click();
        await row0.locator('td').first().filter({ hasNotText: first }).waitFor();
        interactions['reverse sort']!.push(performance.now() - s);
        await table.getByRole('button', { name: /Address/ }).click();
        await row0.locator('td').first().filter({ hasText: first }).waitFor();
        // Sorted by product, the first row is a product-less service (the three bacnet ones).
        s = performance.now();
        await table.getByRole('button', { name: /^Product/ }).click();
        await row0.filter({ hasText: `${RARE_PORT}/tcp` }).waitFor();
        interactions['sort by product']!.push(performance.now() - s);
        await table.getByRole('button', { name: /Address/ }).click();
        await row0.locator('td').first().filter({ hasText: first }).waitFor();
        s = performance.now();
        for (let k = 1; k <= 10; k++) {
          await page.locator('.vt-scroll').evaluate((el, y) => { el.scrollTop = y; }, k * 100 * 37);
          await table.locator(`tr[data-index="${k * 100}"]`).waitFor();
        }
        interactions['scroll 1,000 rows deep']!.push(performance.now() - s);
        results['domRowsForServicesTable'] = await table.locator('tbody tr').count();
        await page.goto(`${server.url}/ui/services`);
        await firstRow(page);
      }
      results['interactionsMs'] = Object.fromEntries(Object.entries(interactions).map(([k, v]) => [k, stats(v)]));
      await page.close();
    } finally {
      await browser.close();
    }
  } finally {
    await server.close();
  }

  if (args.json) {
    process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
    return;
  }
  const out: string[] = [];
  out.push(`web-load-bench: ${seeded.services.toLocaleString('en-US')} services on ${seeded.assets.toLocaleString('en-US')} assets, ${seeded.findings.toLocaleString('en-US')} findings (seeded + served in ${ms(seedMs)}); ${RUNS} runs each, medians (min–max)`);
  out.push('');
  out.push('API alone (median):');
  for (const [k, v] of Object.entries(results['apiMedianMs'] as Record<string, number>)) out.push(`  ${k.padEnd(38)} ${v} ms`);
  out.push('');
  out.push('Page loads (from navigation start):');
  for (const [k, v] of Object.entries(results['pages'] as Record<string, { firstRowMs: ReturnType<typeof stats> | null; fcpMs: ReturnType<typeof stats>; lcpMs: ReturnType<typeof stats> }>)) {
    const f = (s: ReturnType<typeof stats>): string => `${ms(s.median)} (${s.min.toFixed(0)}–${s.max.toFixed(0)})`;
    out.push(`  ${k.padEnd(28)} ${v.firstRowMs ? `first row ${f(v.firstRowMs)}  ` : ''}FCP ${f(v.fcpMs)}  LCP ${f(v.lcpMs)}`);
  }
  out.push('');
  out.push('Interactions on Services (key press → new first row rendered):');
  for (const [k, v] of Object.entries(results['interactionsMs'] as Record<string, ReturnType<typeof stats>>)) out.push(`  ${k.padEnd(28)} ${ms(v.median)} (${v.min.toFixed(0)}–${v.max.toFixed(0)})`);
  out.push('');
  out.push(`Table rows in the DOM after scrolling: ${String(results['domRowsForServicesTable'])} (virtualised)`);
  process.stdout.write(`${out.join('\n')}\n`);
}

await main();
