/**
 * The dashboard end to end, in Debian's Chromium against `trawl serve` run as a user runs it (a child
 * process of this build, SQLite file, bootstrapped admin key) and the real pipeline — port scan,
 * identification, the safe built-in checks — over a lab of real services on a random 127.x.y.0/24
 * (test/web/dashboard-lab.ts: the loopback lab plus a directory listing and a port that closes and
 * one that opens between two scans). It logs in, is refused with explanations, starts an assessment
 * from the form and watches it finish over SSE, opens hosts, searches and filters services, triages
 * findings one by one and in bulk, reads the diff after the lab changed, cancels a run mid-scan, and
 * checks the admin pages, contrast and labels in both themes, keyboard use and logging out.
 *
 * Screenshots of every main page are kept in test-artifacts/web/ at the repository root (git-ignored;
 * `failed-*.png` when a step fails). Only 127.0.0.0/8 is ever contacted.
 */
import assert from 'node:assert/strict';
import { readdirSync, rmSync } from 'node:fs';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { FRESH_PORT, LEGACY_PORT, startDashboardLab, type DashboardLab } from './dashboard-lab.js';
import { startTrawlServe, type ServeProcess } from './serve-process.js';
import { chromiumProblem, ensureArtifacts, launchBrowser, type Browser } from './web-harness.js';

const A11Y_AUDIT = `(() => {
  const parse = (c) => {
    let m = /^rgba?\\(([^)]+)\\)/.exec(c);
    if (m) { const p = m[1].split(/[ ,/]+/).filter(Boolean).map(Number); return [p[0], p[1], p[2], p[3] ?? 1]; }
    m = /^color\\(srgb ([^)]+)\\)/.exec(c);
    if (m) { const p = m[1].split(/[ /]+/).filter(Boolean).map(Number); return [p[0] * 255, p[1] * 255, p[2] * 255, p[3] ?? 1]; }
    return null;
  };
  const lum = (c) => { const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; }; return 0.2126 * f(c[0]) + 0.7152 * f(c[1]) + 0.0722 * f(c[2]); };
  const bgOf = (el) => { for (let e = el; e; e = e.parentElement) { const c = parse(getComputedStyle(e).backgroundColor); if (c && c[3] > 0.5) return c; } return [255, 255, 255, 1]; };
  const low = [];
  let checked = 0;
  for (const el of document.querySelectorAll('h1, h2, h3, th, td, a, .badge, .muted, .hint, label, legend, button:not(:disabled), .change-kind, p, dt, dd, code')) {
    if (el.getClientRects().length === 0 || el.closest('[aria-hidden="true"], .vt-pad, :disabled')) continue;
    const own = [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim() !== '');
    if (!own) continue;
    const fg = parse(getComputedStyle(el).color);
    if (!fg) continue;
    checked++;
    const a = lum(fg), b = lum(bgOf(el));
    const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
    if (ratio < 4.5) low.push(el.tagName.toLowerCase() + '.' + el.className + ' "' + el.textContent.trim().slice(0, 30) + '" ' + ratio.toFixed(2));
  }
  const unlabelled = [...document.querySelectorAll('input, select, textarea')]
    .filter((e) => e.type !== 'hidden' && !(e.labels && e.labels.length) && !e.getAttribute('aria-label') && !e.getAttribute('aria-labelledby'))
    .map((e) => e.outerHTML.slice(0, 80));
  const controls = document.querySelectorAll('input, select, textarea').length;
  return { low, unlabelled, checked, controls };
})()`;

interface ScanItem {
  id: string;
  status: string;
  counters: { probesPlanned: number; probesSent: number; probesAnswered: number; openFound: number };
}

describe('dashboard end to end (Chromium, trawl serve, real pipeline)', { skip: chromiumProblem() ?? false, timeout: 290_000 }, () => {
  let lab: DashboardLab;
  let server: ServeProcess;
  let browser: Browser;
  let page: Page;
  let assessmentId: string;
  let hook: HttpServer | undefined;
  let hookUrl = '';
  const hookRequests: { method: string; headers: Record<string, unknown> }[] = [];
  const shots = ensureArtifacts();
  const shot = (name: string, full = true): Promise<Buffer> => page.screenshot({ path: join(shots, `${name}.png`), fullPage: full });
  const api = <T = Record<string, unknown>>(method: 'GET' | 'POST' | 'PATCH', path: string, body?: unknown): Promise<{ status: number; body: T }> => server.api<T>(method, path, body);
  // Each step builds on the last: after a failure the rest are skipped rather than timing out one by one.
  let broken: string | undefined;
  const step = (name: string, fn: () => Promise<void>): void => {
    it(name, async (t) => {
      if (broken !== undefined) {
        t.skip(`an earlier step failed: ${broken}`);
        return;
      }
      try {
        await fn();
      } catch (e) {
        broken = name;
        await shot(`failed-${name.slice(0, 40).replace(/[^a-z0-9]+/gi, '-')}`).catch(() => undefined);
        const log = server?.log().split('\n').filter((l) => !l.includes('"reqId"')).slice(-30).join('\n') ?? '';
        if (e instanceof Error && log) e.message += `\n--- trawl serve stderr (last lines) ---\n${log}`;
        throw e;
      }
    });
  };
  const go = async (path: string): Promise<void> => {
    await page.goto(`${server.url}/ui${path}`);
  };
  const scansOf = async (id: string): Promise<ScanItem[]> => (await api<{ items: ScanItem[] }>('GET', `/scans?assessmentId=${id}&sort=createdAt&order=desc`)).body.items;
  /** Polls the API until `cond` holds: the real state, not a timer. */
  const until = async (what: string, cond: () => Promise<boolean>, ms = 60_000): Promise<void> => {
    const end = Date.now() + ms;
    while (!(await cond())) {
      if (Date.now() > end) assert.fail(`timed out after ${ms} ms waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  };
  const rows = async (testId: string): Promise<string[]> => page.getByTestId(testId).locator('tbody tr[data-index]').allInnerTexts();
  /** The table's rows once they satisfy `ok` (a refetch replaces the old rows a moment after a filter changes). */
  const settled = async (testId: string, what: string, ok: (r: string[]) => boolean): Promise<string[]> => {
    const end = Date.now() + 15_000;
    let r: string[] = [];
    while (Date.now() < end) {
      r = await rows(testId);
      if (ok(r)) return r;
      await new Promise((res) => setTimeout(res, 100));
    }
    return assert.fail(`${what}; rows now:\n${r.join('\n')}`);
  };

  before(async () => {
    // A failure screenshot from an earlier run would read as this run's.
    for (const name of readdirSync(shots)) if (name.startsWith('failed-')) rmSync(join(shots, name), { force: true });
    lab = await startDashboardLab();
    server = await startTrawlServe({ scope: [lab.subnet] });
    // A webhook receiver on loopback for the notification rule's test delivery.
    hook = createHttpServer((req, res) => {
      hookRequests.push({ method: req.method ?? '', headers: req.headers });
      req.resume();
      req.on('end', () => res.writeHead(204).end());
    });
    await new Promise<void>((resolve) => hook!.listen(0, '127.0.0.1', resolve));
    hookUrl = `http://127.0.0.1:${(hook.address() as { port: number }).port}`;
    browser = await launchBrowser();
    page = await browser.context.newPage();
    page.setDefaultTimeout(20_000);
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
    if (hook) await new Promise((resolve) => hook!.close(resolve));
    await lab?.stop();
  });

  step('asks for a login, then logs in with e-mail and password into an HttpOnly, SameSite=Strict session', async () => {
    await go('/assessments');
    await page.getByRole('heading', { name: 'Trawl' }).waitFor();
    await shot('01-login');
    await page.getByLabel('E-mail').fill(server.user.email);
    await page.getByLabel('Password').fill('not the password');
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByText('wrong e-mail or password').waitFor();
    await page.getByLabel('Password').fill(server.user.password);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('heading', { name: 'Assessments', level: 1 }).waitFor();
    const cookies = await browser.context.cookies(server.url);
    const session = cookies.find((c) => c.name === 'trawl_session');
    assert.ok(session, 'session cookie set');
    assert.equal(session.httpOnly, true);
    assert.equal(session.sameSite, 'Strict');
    assert.equal(await page.evaluate("document.cookie.includes('trawl_session')"), false, 'scripts cannot read it');
    await page.getByText(server.user.displayName).waitFor();
  });

  step('explains refused input next to the field: its own checks, then the API\'s words', async () => {
    await page.getByRole('link', { name: 'New assessment' }).click();
    await page.getByRole('heading', { name: 'New assessment' }).waitFor();
    await page.getByRole('button', { name: 'Create assessment' }).click();
    await page.getByText('Give the assessment a name.').waitFor();

    await page.getByLabel('Name').fill('Loopback lab');
    await page.getByLabel('Ports', { exact: false }).first().fill(lab.ports.join(','));
    const targets = page.locator('#f-targets');
    const base = lab.subnet.replace(/\/24$/, '');
    await targets.fill(`${lab.subnet}\n${base}/33`);
    await page.getByLabel('Host discovery').selectOption('off');
    await page.getByLabel('Rate (probes per second)').fill('1500');
    await page.getByRole('button', { name: 'Create assessment' }).click();
    const err = page.locator('#f-targets-err');
    await err.waitFor();
    assert.match(await err.innerText(), new RegExp(`^⚠?\\s*Line 2: .*${base.replace(/\./g, '\\.')}/33`, 's'));
    assert.equal(await targets.getAttribute('aria-invalid'), 'true');
    const describedBy = (await targets.getAttribute('aria-describedby')) ?? '';
    assert.ok(describedBy.split(' ').includes('f-targets-err'), 'the error is tied to the field');

    await targets.fill(`${lab.subnet}\n127.99.0.1`);
    await page.getByRole('button', { name: 'Create assessment' }).click();
    await page.getByText(/127\.99\.0\.1, which is outside the organisation's declared scope/).waitFor();

    await page.getByLabel('Ports', { exact: false }).first().fill('22,99999');
    await targets.fill(lab.subnet);
    await page.getByRole('button', { name: 'Create assessment' }).click();
    await page.locator('.field.has-error').filter({ has: page.locator('#f-ports') }).getByText(/99999/).waitFor();
    await page.getByLabel('Ports', { exact: false }).first().fill(lab.ports.join(','));

    // Checks read what identification found: the form says so before the API has to.
    await page.getByLabel('Identify services').uncheck();
    await page.getByRole('button', { name: 'Create assessment' }).click();
    await page.locator('#f-checks-err').filter({ hasText: /turn "Identify services" on, or choose no checks/ }).waitFor();
    await page.getByLabel('Identify services').check();

    // A schedule: a mistake the form explains itself, then one only the server sees (and explains).
    await page.getByLabel('Run on a schedule').check();
    await page.getByLabel('Cron expression').fill('0 25 * * *');
    await page.getByRole('button', { name: 'Create assessment' }).click();
    await page.locator('#f-cron-err').filter({ hasText: 'Field 2 (hour): 25 is out of range: hours run from 0 to 23.' }).waitFor();
    await page.getByLabel('Cron expression').fill('*/20 * * * * *');
    await page.getByRole('button', { name: 'Create assessment' }).click();
    await page.locator('#f-cron-err').filter({ hasText: /fires more than once a minute/ }).waitFor();
    assert.equal(await page.getByLabel('Cron expression').getAttribute('aria-invalid'), 'true');
    await shot('02-assessment-form-errors');
    await page.getByLabel('Run on a schedule').uncheck();
    assert.equal((await api<{ items: unknown[] }>('GET', '/assessments')).body.items.length, 0, 'nothing was created by the refused attempts');
  });

  step('creates the assessment, starts it, and shows live progress over SSE until it finishes', async () => {
    await page.getByRole('button', { name: 'Create assessment' }).click();
    await page.waitForURL((u) => /\/ui\/assessments\/[0-9a-z]+$/.test(u.pathname) && !u.pathname.endsWith('/new'));
    assessmentId = page.url().split('/').pop()!;
    const progress = page.getByRole('progressbar', { name: 'Run progress' });
    await progress.waitFor({ timeout: 15_000 });
    // Live counters arrive over SSE while the scan runs (1,500 probes/s over ~3,600 probes, then identify and checks).
    await page.getByTestId('live').getByText(/probes|ports|identif|check/i).first().waitFor();
    await shot('03-assessment-running', false);
    const finished = page.getByTestId('run-finished');
    await finished.waitFor({ timeout: 120_000 });
    assert.match(await finished.innerText(), /done/);
    await page.getByTestId('last-scan-status').filter({ hasText: 'done' }).waitFor();
    const [scan] = await scansOf(assessmentId);
    assert.ok(scan, `no scan linked to assessment ${assessmentId}`);
    assert.equal(scan.status, 'done');
    assert.equal(scan.counters.probesPlanned, 256 * lab.ports.length);
    assert.equal(scan.counters.openFound, lab.openCount());
    const digits = async (id: string): Promise<number> => Number((await page.getByTestId(id).innerText()).replace(/\D/g, ''));
    assert.equal(await digits('cov-planned'), 256 * lab.ports.length);
    assert.equal(await digits('cov-open'), lab.openCount());
    assert.equal(await digits('cov-answered'), scan.counters.probesAnswered);
    await shot('04-assessment-done');
  });

  step('opens hosts with what identification and the real checks found: services, certificates, findings, history', async () => {
    const redis = lab.lab.services.find((s) => s.name === 'redis' && s.port === 6379)!;
    await page.getByRole('link', { name: 'Assets', exact: true }).click();
    const table = page.getByTestId('assets-table');
    await table.getByRole('link', { name: redis.ip, exact: true }).click();
    await page.getByRole('heading', { name: redis.ip, level: 1 }).waitFor();
    const services = page.getByTestId('host-services');
    await services.getByText('6379/tcp').waitFor();
    assert.match(await services.innerText(), /redis[\s\S]*Redis/i);
    await page.getByTestId('host-findings').getByText('Redis accepts commands without authentication').waitFor();
    const timeline = page.getByTestId('host-timeline');
    await timeline.locator('li').filter({ hasText: 'Port opened' }).filter({ hasText: '6379' }).waitFor();
    await timeline.locator('li').filter({ hasText: 'Asset appeared' }).waitFor();
    // Annotations the services filters use below.
    await page.getByRole('textbox', { name: 'Zone' }).fill('dmz');
    await page.getByRole('textbox', { name: 'Tags' }).fill('pci, cache');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('status').filter({ hasText: 'Saved' }).waitFor();
    await page.getByTestId('host-facts').filter({ hasText: 'dmz' }).filter({ hasText: 'pci' }).waitFor();
    await shot('05-host');

    const https = lab.lab.services.find((s) => s.tls === true)!;
    await go(`/hosts/${https.ip}`);
    await page.getByRole('heading', { name: https.ip, level: 1 }).waitFor();
    await page.getByRole('heading', { name: 'Certificates (1)' }).waitFor();
    await page.getByTestId('host-findings').getByText('TLS certificate is self-signed').waitFor();
    await shot('05-host-https');

    await go(`/hosts/${lab.listing.ip}`);
    await page.getByTestId('host-findings').getByText('HTTP directory listing enabled').waitFor();
    await page.getByTestId('host-findings').getByText('HTTP security headers missing').waitFor();
    assert.match(await page.getByTestId('host-services').innerText(), /8000\/tcp[\s\S]*nginx 1\.22\.1/);
  });

  step('moves through the services table with the keyboard', async () => {
    await page.getByRole('link', { name: 'Services', exact: true }).click();
    const first = page.getByTestId('services-table').locator('tr[data-index="0"]');
    await first.waitFor();
    await first.focus();
    // Focus moves on the next animation frame (the row may have to be rendered first): poll.
    // (waitForFunction would eval a string in the page, which the dashboard's CSP rightly refuses.)
    const focused = async (i: number): Promise<void> => {
      const end = Date.now() + 5000;
      let now: unknown;
      while (Date.now() < end) {
        now = await page.evaluate('document.activeElement?.dataset.index');
        if (now === String(i)) return;
        await new Promise((r) => setTimeout(r, 50));
      }
      assert.fail(`row ${i} should have focus, row ${String(now)} has it`);
    };
    await page.keyboard.press('ArrowDown');
    await focused(1);
    await page.keyboard.press('ArrowDown');
    await focused(2);
    await page.keyboard.press('End');
    await focused(lab.openCount() - 1);
    await page.keyboard.press('Home');
    await focused(0);
    const address = (await first.locator('td').first().innerText()).trim();
    await page.keyboard.press('Enter');
    await page.waitForURL(new RegExp(`/ui/hosts/${address.replace(/\./g, '\\.')}$`));
    await shot('06-services-after-keyboard');
  });

  step('searches, filters and sorts services on the server', async () => {
    await go('/services');
    const table = page.getByTestId('services-table');
    const filters = page.getByRole('search', { name: 'Filter services' });
    await settled('services-table', `all ${lab.openCount()} services`, (r) => r.length === lab.openCount());

    // Free text: a product in any case, matching every nginx the lab runs (and only those).
    const nginx = (await api<{ items: { address: string; port: number }[] }>('GET', '/services?q=nginx&limit=100')).body.items;
    assert.ok(nginx.length >= 3, `nginx services: ${JSON.stringify(nginx)}`);
    await filters.getByLabel('Search').fill('NGINX');
    await filters.getByLabel('Search').press('Enter');
    await page.waitForURL(/[?&]q=NGINX/);
    await settled('services-table', `${nginx.length} nginx rows`, (r) => r.length === nginx.length && r.every((x) => /nginx/i.test(x)));
    // The banner is searchable too: the SSH services' identification strings.
    await filters.getByLabel('Search').fill('SSH-2.0-OpenSSH');
    await filters.getByLabel('Search').press('Enter');
    await settled('services-table', 'the OpenSSH services by their banner', (r) => r.length >= 2 && r.every((x) => /OpenSSH/.test(x)));

    // Open findings of at least medium severity, worst first within each row's badge.
    await filters.getByRole('button', { name: 'Clear filters' }).click();
    await filters.getByLabel('Findings').selectOption('medium');
    const medium = (await api<{ items: { address: string; port: number }[] }>('GET', '/services?minSeverity=medium&limit=100')).body.items;
    assert.ok(medium.some((s) => s.port === 6379) && medium.some((s) => s.port === 8000), JSON.stringify(medium));
    await settled('services-table', `${medium.length} services with medium+ findings`, (r) => r.length === medium.length && r.every((x) => /critical|high|medium/.test(x)));
    await shot('07-services-filtered');

    // The zone and tag set on the Redis host a step ago.
    await filters.getByLabel('Findings').selectOption('');
    await filters.getByLabel('Zone').fill('dmz');
    await filters.getByLabel('Zone').press('Enter');
    const redis = lab.lab.services.find((s) => s.name === 'redis' && s.port === 6379)!;
    await settled('services-table', `only ${redis.ip}, zone dmz, tagged pci`, (r) => r.length >= 1 && r.every((x) => x.includes(redis.ip) && /dmz/.test(x) && /pci/.test(x)));
    await filters.getByLabel('Zone').fill('');
    await filters.getByLabel('Tag').fill('pci');
    await filters.getByLabel('Tag').press('Enter');
    await page.waitForURL(/[?&]tag=pci/);
    await settled('services-table', `only ${redis.ip} by its tag`, (r) => r.length >= 1 && r.every((x) => x.includes(redis.ip)));

    // Sorting by port (server-side, across the whole list): lowest port first, then highest.
    await filters.getByRole('button', { name: 'Clear filters' }).click();
    await table.getByRole('button', { name: /^Port/ }).click();
    await page.waitForURL(/sort=port/);
    const lowest = Math.min(...lab.ports.filter((p) => p !== FRESH_PORT));
    await table.locator('tr[data-index="0"] td').nth(1).filter({ hasText: `${lowest}/tcp` }).waitFor();
    assert.equal(await table.getByRole('columnheader', { name: /^Port/ }).getAttribute('aria-sort'), 'ascending');
    await table.getByRole('button', { name: /^Port/ }).click();
    await table.locator('tr[data-index="0"] td').nth(1).filter({ hasText: `${Math.max(...lab.ports.filter((p) => p !== FRESH_PORT))}/tcp` }).waitFor();
    assert.equal(await table.getByRole('columnheader', { name: /^Port/ }).getAttribute('aria-sort'), 'descending');
    // A port that is not a port is explained, not sent.
    await filters.getByLabel('Port').fill('70000');
    await filters.getByLabel('Port').press('Enter');
    await page.getByText('Port must be a whole number from 0 to 65535.').waitFor();
    assert.equal(await filters.getByLabel('Port').getAttribute('aria-invalid'), 'true');
    await filters.getByLabel('Port').fill('');
    await filters.getByLabel('Port').press('Enter');
  });

  step('triages findings: accept a risk with a reason, reopen it, mark false positives in bulk, reopen one', async () => {
    await go('/findings');
    const table = page.getByTestId('findings-table');
    await table.getByText('Redis accepts commands without authentication').click();
    const panel = page.getByTestId('finding-panel');
    await panel.locator('pre.json').filter({ hasText: '"reply": "+PONG"' }).waitFor();
    await panel.getByRole('button', { name: 'Accept risk' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByRole('button', { name: 'Accept risk' }).click();
    await dialog.getByText(/Give a reason/).waitFor();
    await dialog.getByLabel('Reason').fill('Lab Redis, isolated on loopback; ticket LAB-1');
    await dialog.getByRole('button', { name: 'Accept risk' }).click();
    await panel.getByTestId('triage-info').filter({ hasText: 'ticket LAB-1' }).waitFor();
    await shot('08-findings-triaged');
    const redisId = new URL(page.url()).searchParams.get('finding')!;
    let f = await api<{ status: string; triage: { by: string; reason: string } }>('GET', `/findings/${redisId}`);
    assert.equal(f.body.status, 'accepted_risk');
    assert.equal(f.body.triage.by, `user:${server.user.id}`);

    // Reopen it from the same panel: a decision is reversible, with a reason of its own.
    await panel.getByRole('button', { name: 'Reopen' }).click();
    await dialog.getByLabel('Reason').fill('Exposure review LAB-2: not isolated after all');
    await dialog.getByRole('button', { name: 'Reopen' }).click();
    await panel.getByRole('button', { name: 'Accept risk' }).waitFor();
    f = await api('GET', `/findings/${redisId}`);
    assert.equal(f.body.status, 'open');

    // Bulk: every missing-headers finding is a false positive for this lab.
    await panel.getByRole('button', { name: 'Close finding details' }).click();
    await page.getByRole('search', { name: 'Filter findings' }).getByLabel('Check').fill('http-missing-security-headers');
    await page.getByRole('search', { name: 'Filter findings' }).getByLabel('Check').press('Enter');
    const headers = (await api<{ items: { id: string; checkId: string }[] }>('GET', '/findings?status=open&check=http-missing-security-headers&limit=100')).body.items;
    assert.ok(headers.length >= 3, `missing-headers findings: ${JSON.stringify(headers)}`);
    await settled('findings-table', `${headers.length} missing-headers findings`, (r) => r.length === headers.length && r.every((x) => x.includes('http-missing-security-headers')));
    await table.getByLabel('Select all loaded rows').check();
    await page.getByText(`${headers.length} selected`).waitFor();
    await page.getByRole('toolbar').getByRole('button', { name: 'Mark false positive' }).click();
    await dialog.getByLabel('Reason').fill('Lab web servers; headers are set by the proxy in front');
    await dialog.getByRole('button', { name: 'Mark false positive' }).click();
    await table.getByText('No findings match these filters.').waitFor();
    for (const x of headers) assert.equal((await api<{ status: string }>('GET', `/findings/${x.id}`)).body.status, 'false_positive');

    await page.getByRole('group', { name: 'Status' }).getByLabel('False positive').check();
    await page.getByRole('group', { name: 'Status' }).getByLabel('Open').uncheck();
    await table.locator('tr[data-index="0"] input[type=checkbox]').check();
    await page.getByRole('toolbar').getByRole('button', { name: 'Reopen' }).click();
    await dialog.getByLabel('Reason').fill('Re-check after the upgrade');
    await dialog.getByRole('button', { name: 'Reopen' }).click();
    await page.getByText('1 finding updated.').waitFor();
    const reopened = await api<{ items: unknown[] }>('GET', '/findings?status=open&check=http-missing-security-headers');
    assert.equal(reopened.body.items.length, 1);
  });

  step('shows the diff after the lab changes (a port closes, one opens) and a second scan', async () => {
    await lab.closeLegacyPort();
    await lab.openFreshPort();
    await go(`/assessments/${assessmentId}`);
    await page.getByRole('button', { name: 'Start run' }).click();
    await page.getByTestId('scans-table').locator('tr[data-index="1"]').waitFor();
    await page.getByTestId('run-finished').filter({ hasText: 'done' }).waitFor({ timeout: 120_000 });
    await page.getByRole('button', { name: 'Start run' }).waitFor();
    const [second] = await scansOf(assessmentId);
    assert.equal(second?.status, 'done');
    assert.equal(second?.counters.openFound, lab.openCount());
    await page.getByTestId('diff').waitFor();
    // The stopped service answers RST now: the port closes on this scan, not after rounds of silence.
    await page.getByTestId('diff-count-port_opened').filter({ hasText: ': 1' }).waitFor();
    await page.getByTestId('diff-count-port_closed').filter({ hasText: ': 1' }).waitFor();
    const ip = lab.spare.replace(/\./g, '\\.');
    const diff = await page.getByTestId('diff').innerText();
    assert.match(diff, new RegExp(`${ip}:${FRESH_PORT}`));
    assert.match(diff, new RegExp(`${ip}:${LEGACY_PORT}`));
    await page.getByTestId('diff-count-port_closed').click();
    assert.doesNotMatch(await page.getByTestId('diff').locator('tbody').innerText(), new RegExp(`:${FRESH_PORT}`));
    await shot('09-assessment-diff');
    // The new web server was identified and checked like the rest.
    await until('the fresh web server to be identified', async () => {
      const s = (await api<{ items: { identity: { product: string | null } | null }[] }>('GET', `/services?asset=${lab.spare}&port=${FRESH_PORT}`)).body.items[0];
      return s?.identity?.product === 'Apache httpd';
    }, 10_000);
  });

  step('cancels a run mid-scan: it ends as cancelled, the assessment is idle, the scan stopped short', async () => {
    // Paced to 50 probes/s the port scan alone takes over a minute: the cancel below lands in it,
    // whatever the machine's load (a fast run could otherwise end before the click).
    const r = await api('PATCH', `/assessments/${assessmentId}`, { options: { rate: 50 } });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal((r.body['options'] as Record<string, unknown>)['discovery'], 'off', 'the patch keeps the other options');
    await go(`/assessments/${assessmentId}`);
    const before = (await scansOf(assessmentId)).length;
    await page.getByRole('button', { name: 'Start run' }).click();
    const progress = page.getByRole('progressbar', { name: 'Run progress' });
    await progress.waitFor();
    // Wait until the port scan itself is under way — probes done or open ports found, not all of
    // them yet — as the API's live counters say (a runner may count finished probes only per work
    // unit, so open ports are the earlier sign); the page shows the same counters over SSE.
    await until('the port scan to be under way', async () => {
      const live = (await api<{ live: { progress: { done: number; planned: number; openFound: number } } | null }>('GET', `/assessments/${assessmentId}`)).body.live;
      return live !== null && (live.progress.done > 0 || live.progress.openFound > 0) && live.progress.done < live.progress.planned;
    }, 45_000);
    await page.getByTestId('live').getByText(/[1-9]\d* open so far|[1-9][\d,]* of [\d,]+/).first().waitFor();
    const running = (await scansOf(assessmentId))[0]!;
    assert.equal(running.status, 'running');
    assert.equal((await scansOf(assessmentId)).length, before + 1);
    await page.getByRole('button', { name: 'Cancel run' }).click();
    await page.getByTestId('run-finished').filter({ hasText: 'cancelled' }).waitFor({ timeout: 60_000 });
    await page.getByTestId('scans-table').getByText('cancelled').waitFor();
    await until('the run to be recorded as cancelled', async () => (await scansOf(assessmentId))[0]?.status === 'cancelled');
    const cancelled = (await scansOf(assessmentId))[0]!;
    assert.equal(cancelled.id, running.id);
    assert.ok(cancelled.counters.probesSent < cancelled.counters.probesPlanned, `stopped before the end: ${JSON.stringify(cancelled.counters)}`);
    assert.equal((await api<{ state: string }>('GET', `/assessments/${assessmentId}`)).body.state, 'idle');
    await page.getByRole('button', { name: 'Start run' }).waitFor();
    await shot('10-assessment-cancelled');
  });

  step('draws the overview from trends, changes and risk', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Overview' }).click();
    await page.getByTestId('latest-changes').getByText('Port opened').first().waitFor();
    await page.locator('.chart-box canvas').first().waitFor();
    const risk = await page.getByTestId('risk-score').innerText();
    assert.match(risk, /^\d+(\.\d)?\/100$/);
    await page.getByRole('heading', { name: 'Riskiest assets' }).waitFor();
    await shot('11-overview');
  });

  step('creates an API key that is shown once and works, and a notification rule that delivers', async () => {
    await go('/admin?tab=keys');
    await page.getByLabel('Name').fill('ci pipeline');
    await page.getByLabel('Role').selectOption('viewer');
    await page.getByRole('button', { name: 'Create key' }).click();
    const secret = await page.getByTestId('secret').innerText();
    assert.match(secret, /^trawl_[0-9a-z]{12}_[A-Za-z0-9_-]{43}$/);
    await shot('12-admin-key-created', false);
    const me = await server.api<{ role: string }>('GET', '/me', undefined, { authorization: `Bearer ${secret}` });
    assert.equal(me.body.role, 'viewer');
    await page.reload();
    await page.getByTestId('keys-table').getByText('ci pipeline').waitFor();
    assert.equal(await page.getByTestId('secret').count(), 0, 'not shown again');

    await go('/admin?tab=rules');
    await page.getByLabel('Name').fill('lab hook');
    await page.getByLabel('URL').fill(`${hookUrl}/hook`);
    await page.getByRole('button', { name: 'Create rule' }).click();
    assert.match(await page.getByTestId('secret').innerText(), /.{16,}/);
    await page.getByRole('row', { name: /lab hook/ }).getByRole('button', { name: 'Test' }).click();
    await page.getByText(/Test of "lab hook": delivered after 1 attempt\(s\), HTTP 204/).waitFor();
    assert.equal(hookRequests.length, 1);
    assert.equal(hookRequests[0]!.method, 'POST');
    assert.ok(Object.keys(hookRequests[0]!.headers).some((h) => /signature/i.test(h)), 'signed');
    await shot('13-admin-notifications');

    await go('/admin?tab=audit');
    await page.getByTestId('audit-table').getByText('finding.triage').first().waitFor();
    await page.getByTestId('audit-table').getByText('api-key.create').first().waitFor();
    await shot('14-admin-audit');
  });

  step('meets contrast (4.5:1) and labelling rules in the light and dark themes', async () => {
    for (const theme of ['light', 'dark'] as const) {
      for (const [path, ready] of [
        ['/findings?status=open&status=accepted_risk&status=false_positive&finding=', '[data-testid=findings-table] tr[data-index="0"]'],
        ['/services?findings=low', '[data-testid=services-table] tr[data-index="0"] .badge'],
        ['/assets', '[data-testid=assets-table] tr[data-index="0"]'],
        ['/assessments/new', '#f-targets'],
        ['/admin?tab=users', '[data-testid=users-table] tr[data-index="0"]'],
        [`/assessments/${assessmentId}`, '[data-testid=diff]'],
        [`/hosts/${lab.listing.ip}`, '[data-testid=host-findings] li'],
        ['/', '[data-testid=latest-changes] li'],
      ] as const) {
        await go(path);
        await page.getByLabel('Theme').selectOption(theme);
        await page.locator(ready).first().waitFor();
        const r = await page.evaluate<{ low: string[]; unlabelled: string[]; checked: number; controls: number }>(A11Y_AUDIT);
        assert.ok(r.checked >= 20 && r.controls >= 1, `${theme} ${path}: the audit saw ${r.checked} texts and ${r.controls} controls`);
        assert.deepEqual(r.low, [], `${theme} ${path}: text below 4.5:1`);
        assert.deepEqual(r.unlabelled, [], `${theme} ${path}: controls without a label`);
      }
    }
    await page.getByLabel('Theme').selectOption('system');
  });

  step('works from the keyboard: sortable headers, dialogs that trap and return focus', async () => {
    await go('/services');
    const table = page.getByTestId('services-table');
    await table.locator('tr[data-index="0"]').waitFor();
    // A sortable header is a button: focus it and press Enter.
    await table.getByRole('button', { name: /^Product/ }).focus();
    await page.keyboard.press('Enter');
    await page.waitForURL(/sort=product/);
    assert.equal(await table.getByRole('columnheader', { name: /^Product/ }).getAttribute('aria-sort'), 'ascending');

    await go('/findings');
    const first = page.getByTestId('findings-table').locator('tr[data-index="0"]');
    await first.waitFor();
    await first.focus();
    await page.keyboard.press(' ');
    await page.getByText('1 selected').waitFor();
    const accept = page.getByRole('toolbar').getByRole('button', { name: 'Accept risk' });
    await accept.focus();
    await page.keyboard.press('Enter');
    const dialog = page.getByRole('dialog');
    await dialog.waitFor();
    assert.equal(await page.evaluate('document.activeElement?.tagName'), 'TEXTAREA', 'focus moves into the dialog');
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'hidden' });
    assert.equal(await page.evaluate('document.activeElement?.textContent'), 'Accept risk', 'focus returns to the button that opened it');
  });

  step('switches to the dark theme and fits a laptop and a wide monitor', async () => {
    await go('/');
    await page.getByLabel('Theme').selectOption('dark');
    assert.equal(await page.evaluate('document.documentElement.dataset.theme'), 'dark');
    const bg = await page.evaluate<string>('getComputedStyle(document.body).backgroundColor');
    const [r, g, b] = (bg.match(/\d+/g) ?? []).map(Number);
    assert.ok(r! + g! + b! < 120, `dark background, got ${bg}`);
    await page.getByTestId('latest-changes').getByText('Port opened').first().waitFor();
    await page.locator('.chart-box canvas').first().waitFor();
    await shot('15-overview-dark');
    await page.setViewportSize({ width: 2560, height: 1440 });
    await go('/findings?status=open&status=accepted_risk&status=false_positive');
    await page.getByTestId('findings-table').locator('tr[data-index="0"]').waitFor();
    await shot('16-findings-wide-dark', false);
    await go('/services?findings=low');
    await page.getByTestId('services-table').locator('tr[data-index="0"]').waitFor();
    await shot('17-services-wide-dark', false);
    await page.getByLabel('Theme').selectOption('light');
    await page.setViewportSize({ width: 1280, height: 720 });
    await go('/services');
    await page.getByTestId('services-table').locator('tr[data-index="0"]').waitFor();
    const overflow = await page.evaluate('document.documentElement.scrollWidth > window.innerWidth');
    assert.equal(overflow, false, 'no horizontal scrolling on a laptop screen');
    await shot('18-services-laptop', false);
  });

  step('logs out and the session is gone on the server too', async () => {
    const cookie = (await browser.context.cookies(server.url)).find((c) => c.name === 'trawl_session')!;
    const asCookie = { cookie: `trawl_session=${cookie.value}` };
    assert.equal((await server.api('GET', '/session', undefined, asCookie)).status, 200);
    await page.getByRole('button', { name: 'Log out' }).click();
    await page.getByRole('button', { name: 'Log in' }).waitFor();
    assert.equal((await server.api('GET', '/session', undefined, asCookie)).status, 401);
  });
});
