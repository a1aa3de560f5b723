/**
 * The dashboard end to end, in Debian's Chromium against the real API over a temporary SQLite file
 * and the loopback lab on 127.77.210.0/24: log in, get refused with the API's own explanations, start
 * an assessment and watch it finish over SSE, open a host, triage findings one by one and in bulk,
 * change the lab (stop a service, open a port), run again and read the diff; then the admin pages,
 * the dark theme, keyboard navigation and logging out. Screenshots land in artifacts/web/.
 * Only 127.0.0.0/8 is ever contacted.
 */
import assert from 'node:assert/strict';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { startLoopbackLab, type LoopbackLab } from '../../src/lab/loopback-lab.js';
import { Notifier } from '../../src/notify/notifier.js';
import { labStagesAfterRun } from './lab-stages.js';
import { chromiumProblem, ensureArtifacts, launchBrowser, startDashboardServer, type Browser, type DashboardServer } from './web-harness.js';

const SUBNET = '127.77.210.0/24';

/**
 * WCAG checks run in the page: the contrast ratio of every visible text element against the first
 * opaque background behind it, and form controls without an accessible name. A string, evaluated
 * over the DevTools protocol (the page's CSP forbids eval, rightly).
 */
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

function listen(ip: string, port: number, banner: string): Promise<Server> {
  const s = createServer((sock) => {
    sock.on('error', () => undefined);
    sock.setTimeout(5000, () => sock.destroy());
    sock.write(banner);
  });
  return new Promise((resolve, reject) => {
    s.once('error', reject);
    s.listen(port, ip, () => resolve(s));
  });
}

function close(s: Server): Promise<void> {
  return new Promise((resolve) => s.close(() => resolve()));
}

describe('dashboard end to end (Chromium)', { skip: chromiumProblem() ?? false, timeout: 280_000 }, () => {
  let lab: LoopbackLab;
  let server: DashboardServer;
  let browser: Browser;
  let page: Page;
  let extraIp: string;
  let legacy: Server | undefined;
  let fresh: Server | undefined;
  let ports: number[];
  let assessmentId: string;
  let hook: HttpServer | undefined;
  let hookUrl = '';
  const hookRequests: { method: string; headers: Record<string, unknown> }[] = [];
  const shots = ensureArtifacts();
  const shot = (name: string, full = true): Promise<Buffer> => page.screenshot({ path: join(shots, `${name}.png`), fullPage: full });
  const api = async <T>(method: 'GET' | 'POST', url: string, cookie?: string): Promise<{ status: number; body: T }> => {
    const r = await server.app.inject({ method, url, headers: cookie ? { cookie } : { authorization: `Bearer ${server.adminToken}` } });
    return { status: r.statusCode, body: (r.body ? JSON.parse(r.body) : undefined) as T };
  };
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
        throw e;
      }
    });
  };
  const go = async (path: string): Promise<void> => {
    await page.goto(`${server.url}/ui${path}`);
  };

  before(async () => {
    lab = await startLoopbackLab({ subnet: SUBNET, seed: 7 });
    const used = new Set([...lab.services.map((s) => s.ip), ...lab.closed.map((c) => c.ip)]);
    extraIp = Array.from({ length: 50 }, (_, i) => `127.77.210.${200 + i}`).find((ip) => !used.has(ip))!;
    legacy = await listen(extraIp, 7001, 'SSH-2.0-OpenSSH_7.4\r\n');
    ports = [...new Set([...lab.services.map((s) => s.port), 7001, 7002])].sort((a, b) => a - b);
    server = await startDashboardServer({
      scope: [SUBNET],
      api: (d) => {
        // The stages hook ends in the inventory fold, which notifies through the app's notifier.
        const notifier = new Notifier({ db: d.db });
        // The test's own stand-in stages replace the runner's identify + checks (stable check ids for the UI steps).
        return { notifier, afterRun: labStagesAfterRun(d.db, notifier), stages: null };
      },
    });
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
    await server?.close();
    if (legacy) await close(legacy);
    if (fresh) await close(fresh);
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
    await page.getByText('Ada Analyst').waitFor();
  });

  step('explains refused input next to the field, in the API\'s words', async () => {
    await page.getByRole('link', { name: 'New assessment' }).click();
    await page.getByRole('heading', { name: 'New assessment' }).waitFor();
    await page.getByRole('button', { name: 'Create assessment' }).click();
    await page.getByText('Give the assessment a name.').waitFor();

    await page.getByLabel('Name').fill('Loopback lab');
    await page.getByLabel('Ports', { exact: false }).first().fill(ports.join(','));
    const targets = page.locator('#f-targets');
    await targets.fill(`${SUBNET}\n127.77.210.0/33`);
    await page.getByLabel('Host discovery').selectOption('off');
    await page.getByLabel('Rate (probes per second)').fill('1500');
    await page.getByRole('button', { name: 'Create assessment' }).click();
    const err = page.locator('#f-targets-err, .field.has-error .field-error').first();
    await err.waitFor();
    assert.match(await err.innerText(), /^⚠?\s*Line 2: .*127\.77\.210\.0\/33/s);
    assert.equal(await targets.getAttribute('aria-invalid'), 'true');
    const describedBy = (await targets.getAttribute('aria-describedby')) ?? '';
    assert.ok(describedBy.split(' ').some((id) => id.endsWith('-err')), 'the error is tied to the field');

    await targets.fill(`${SUBNET}\n127.99.0.1`);
    await page.getByRole('button', { name: 'Create assessment' }).click();
    await page.getByText(/127\.99\.0\.1, which is outside the organisation's declared scope/).waitFor();

    await page.getByLabel('Ports', { exact: false }).first().fill('22,99999');
    await targets.fill(SUBNET);
    await page.getByRole('button', { name: 'Create assessment' }).click();
    await page.locator('.field.has-error').filter({ has: page.locator('#f-ports') }).getByText(/99999/).waitFor();
    await shot('02-assessment-form-errors');
    await page.getByLabel('Ports', { exact: false }).first().fill(ports.join(','));
  });

  step('creates the assessment, starts it, and shows live progress until it finishes', async () => {
    await page.getByRole('button', { name: 'Create assessment' }).click();
    await page.waitForURL(/\/ui\/assessments\/[0-9a-z]+$/);
    assessmentId = page.url().split('/').pop()!;
    // Progress arrives over SSE while the scan runs (1500 probes/s over 3,840 probes: ~2.5 s).
    await page.getByRole('progressbar', { name: 'Run progress' }).waitFor({ timeout: 15_000 });
    await shot('03-assessment-running', false);
    const finished = page.getByTestId('run-finished');
    await finished.waitFor({ timeout: 90_000 });
    assert.match(await finished.innerText(), /done/);
    await page.getByTestId('last-scan-status').filter({ hasText: 'done' }).waitFor();
    // The run's scan is linked to the assessment when it starts; the assessment row names it only
    // once the after-run work (inventory fold) is done, which can lag the page under load.
    const runs = await api<{ items: { id: string; status: string }[] }>('GET', `/scans?assessmentId=${assessmentId}`);
    const scanId = runs.body.items[0]?.id;
    assert.ok(scanId, `no scan linked to assessment ${assessmentId}`);
    const scan = await api<{ counters: { probesPlanned: number; openFound: number; probesAnswered: number } }>('GET', `/scans/${scanId}`);
    assert.ok(scan.body.counters, `scan ${scanId}: ${JSON.stringify(scan.body)}`);
    assert.equal(scan.body.counters.probesPlanned, 256 * ports.length);
    assert.equal(scan.body.counters.openFound, lab.services.length + 1);
    const digits = async (id: string): Promise<number> => Number((await page.getByTestId(id).innerText()).replace(/\D/g, ''));
    assert.equal(await digits('cov-planned'), 256 * ports.length);
    assert.equal(await digits('cov-open'), lab.services.length + 1);
    assert.equal(await digits('cov-answered'), scan.body.counters.probesAnswered);
    await shot('04-assessment-done');
  });

  step('opens a host with its services, certificates, findings and history', async () => {
    const redis = lab.services.find((s) => s.name === 'redis' && s.port === 6379)!;
    await page.getByRole('link', { name: 'Assets', exact: true }).click();
    const table = page.getByTestId('assets-table');
    await table.getByRole('link', { name: redis.ip, exact: true }).click();
    await page.getByRole('heading', { name: redis.ip, level: 1 }).waitFor();
    const services = page.getByTestId('host-services');
    await services.getByText('6379/tcp').waitFor();
    assert.match(await services.innerText(), /redis/);
    await page.getByTestId('host-findings').getByText('Redis accepts commands without authentication').waitFor();
    assert.match(await page.getByTestId('host-timeline').innerText(), /Port opened[\s\S]*6379/);
    assert.match(await page.getByTestId('host-timeline').innerText(), /Asset appeared/);
    await shot('05-host');

    const https = lab.services.find((s) => s.tls === true)!;
    await go(`/hosts/${https.ip}`);
    await page.getByRole('heading', { name: https.ip, level: 1 }).waitFor();
    await page.getByRole('heading', { name: 'Certificates (1)' }).waitFor();
  });

  step('moves through the services table with the keyboard', async () => {
    await page.getByRole('link', { name: 'Services', exact: true }).click();
    const first = page.getByTestId('services-table').locator('tr[data-index="0"]');
    await first.waitFor();
    await first.focus();
    // Focus moves on the next animation frame (the row may have to be rendered first): poll.
    // (waitForFunction would eval a string in the page, which the dashboard's CSP rightly refuses.)
    const focused = async (i: number): Promise<void> => {
      const until = Date.now() + 5000;
      let now: unknown;
      while (Date.now() < until) {
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
    await focused(lab.services.length);
    await page.keyboard.press('Home');
    await focused(0);
    const address = (await first.locator('td').first().innerText()).trim();
    await page.keyboard.press('Enter');
    await page.waitForURL(new RegExp(`/ui/hosts/${address.replace(/\./g, '\\.')}$`));
    await shot('06-services-after-keyboard');
  });

  step('triages findings: accept a risk, mark false positives in bulk, reopen one', async () => {
    await go('/findings');
    const table = page.getByTestId('findings-table');
    await table.getByText('Redis accepts commands without authentication').click();
    const panel = page.getByTestId('finding-panel');
    await panel.getByText('"reply": "+PONG"').waitFor();
    await panel.getByRole('button', { name: 'Accept risk' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByRole('button', { name: 'Accept risk' }).click();
    await dialog.getByText(/Give a reason/).waitFor();
    await dialog.getByLabel('Reason').fill('Lab Redis, isolated on loopback; ticket LAB-1');
    await dialog.getByRole('button', { name: 'Accept risk' }).click();
    await panel.getByTestId('triage-info').filter({ hasText: 'ticket LAB-1' }).waitFor();
    await shot('07-findings-triaged');
    const redisId = new URL(page.url()).searchParams.get('finding')!;
    const f = await api<{ status: string; triage: { by: string; reason: string } }>('GET', `/findings/${redisId}`);
    assert.equal(f.body.status, 'accepted_risk');
    assert.equal(f.body.triage.by, `user:${server.user.id}`);

    // Bulk: every other open finding (the web servers naming their versions) is a false positive here.
    await panel.getByRole('button', { name: 'Close finding details' }).click();
    await table.getByText('Web server discloses its version').first().waitFor();
    const open = await api<{ items: { id: string; checkId: string }[] }>('GET', '/findings?status=open');
    assert.ok(open.body.items.length >= 2, `web findings: ${JSON.stringify(open.body.items)}`);
    assert.ok(open.body.items.every((x) => x.checkId === 'http.version-disclosure'));
    await table.getByLabel('Select all loaded rows').check();
    await page.getByText(`${open.body.items.length} selected`).waitFor();
    await page.getByRole('toolbar').getByRole('button', { name: 'Mark false positive' }).click();
    await dialog.getByLabel('Reason').fill('Version banners are expected in the lab');
    await dialog.getByRole('button', { name: 'Mark false positive' }).click();
    await table.getByText('No findings match these filters.').waitFor();
    for (const x of open.body.items) assert.equal((await api<{ status: string }>('GET', `/findings/${x.id}`)).body.status, 'false_positive');

    await page.getByRole('group', { name: 'Status' }).getByLabel('False positive').check();
    await page.getByRole('group', { name: 'Status' }).getByLabel('Open').uncheck();
    await table.locator('tr[data-index="0"] input[type=checkbox]').check();
    await page.getByRole('toolbar').getByRole('button', { name: 'Reopen' }).click();
    await dialog.getByLabel('Reason').fill('Re-check after the upgrade');
    await dialog.getByRole('button', { name: 'Reopen' }).click();
    await page.getByText('1 finding updated.').waitFor();
    const after = await api<{ items: unknown[] }>('GET', '/findings?status=open');
    assert.equal(after.body.items.length, 1);
  });

  step('shows the diff after the lab changes and a second scan', async () => {
    await close(legacy!);
    legacy = undefined;
    fresh = await listen(extraIp, 7002, '220 fresh.lab FTP ready\r\n');
    const ip = extraIp.replace(/\./g, '\\.');
    const runAgain = async (n: number): Promise<void> => {
      await page.getByRole('button', { name: 'Start run' }).click();
      await page.getByTestId('scans-table').locator(`tr[data-index="${n - 1}"]`).waitFor();
      await page.getByTestId('run-finished').filter({ hasText: 'done' }).waitFor({ timeout: 90_000 });
      await page.getByRole('button', { name: 'Start run' }).waitFor();
    };
    await go(`/assessments/${assessmentId}`);
    await runAgain(2);
    await page.getByTestId('diff').waitFor();
    await page.getByTestId('diff-count-port_opened').filter({ hasText: ': 1' }).waitFor();
    assert.match(await page.getByTestId('diff').innerText(), new RegExp(`${ip}:7002`));
    await shot('08-assessment-diff-run2');

    // The stopped service: the API's runner does not pass the inventory's recordClosed predicate to
    // the scan yet, so a reset is not recorded and the port closes by silence on the next covering
    // scan (silence-2). A third run shows it either way.
    await runAgain(3);
    await page.getByLabel('From').selectOption({ label: (await page.getByLabel('From').locator('option').filter({ hasText: /^Run 1 / }).innerText()).trim() });
    await page.getByTestId('diff-count-port_closed').filter({ hasText: ': 1' }).waitFor();
    await page.getByTestId('diff-count-port_opened').filter({ hasText: ': 1' }).waitFor();
    const diff = await page.getByTestId('diff').innerText();
    assert.match(diff, new RegExp(`${ip}:7002`));
    assert.match(diff, new RegExp(`${ip}:7001`));
    await page.getByTestId('diff-count-port_closed').click();
    assert.doesNotMatch(await page.getByTestId('diff').locator('tbody').innerText(), /:7002/);
    await shot('08-assessment-diff');
  });

  step('cancels a running assessment', async () => {
    // Slow it down (200 probes/s: ~17 s for the whole plan) so there is a run to cancel.
    const r = await server.app.inject({ method: 'PATCH', url: `/assessments/${assessmentId}`, headers: { authorization: `Bearer ${server.adminToken}` }, payload: { options: { rate: 200 } } });
    assert.equal(r.statusCode, 200, r.body);
    await go(`/assessments/${assessmentId}`);
    await page.getByRole('button', { name: 'Start run' }).click();
    await page.getByRole('progressbar', { name: 'Run progress' }).waitFor();
    await page.getByRole('button', { name: 'Cancel run' }).click();
    await page.getByTestId('run-finished').filter({ hasText: 'cancelled' }).waitFor({ timeout: 30_000 });
    await page.getByTestId('scans-table').getByText('cancelled').waitFor();
    const scans = await api<{ items: { status: string; counters: { probesSent: number; probesPlanned: number } }[] }>('GET', `/scans?assessmentId=${assessmentId}`);
    const cancelled = scans.body.items[0]!;
    assert.equal(cancelled.status, 'cancelled');
    assert.ok(cancelled.counters.probesSent < cancelled.counters.probesPlanned, 'stopped before the end');
  });

  step('draws the overview from trends, changes and risk', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Overview' }).click();
    await page.getByTestId('latest-changes').getByText('Port opened').first().waitFor();
    await page.locator('.chart-box canvas').first().waitFor();
    const risk = await page.getByTestId('risk-score').innerText();
    assert.match(risk, /^\d+(\.\d)?\/100$/);
    await page.getByRole('heading', { name: 'Riskiest assets' }).waitFor();
    await shot('09-overview');
  });

  step('creates an API key that is shown once and works, and a notification rule that delivers', async () => {
    await go('/admin?tab=keys');
    await page.getByLabel('Name').fill('ci pipeline');
    await page.getByLabel('Role').selectOption('viewer');
    await page.getByRole('button', { name: 'Create key' }).click();
    const secret = await page.getByTestId('secret').innerText();
    assert.match(secret, /^trawl_[0-9a-z]{12}_[A-Za-z0-9_-]{43}$/);
    await shot('10-admin-key-created', false);
    const me = await server.app.inject({ method: 'GET', url: '/me', headers: { authorization: `Bearer ${secret}` } });
    assert.equal(JSON.parse(me.body).role, 'viewer');
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
    await shot('11-admin-notifications');

    await go('/admin?tab=audit');
    await page.getByTestId('audit-table').getByText('finding.triage').first().waitFor();
    await page.getByTestId('audit-table').getByText('api-key.create').first().waitFor();
    await shot('12-admin-audit');
  });

  step('meets contrast (4.5:1) and labelling rules in the light and dark themes', async () => {
    for (const theme of ['light', 'dark'] as const) {
      for (const [path, ready] of [
        ['/findings?status=open&status=accepted_risk&status=false_positive&finding=', '[data-testid=findings-table] tr[data-index="0"]'],
        ['/assessments/new', '#f-targets'],
        ['/admin?tab=users', '[data-testid=users-table] tr[data-index="0"]'],
        [`/assessments/${assessmentId}`, '[data-testid=diff]'],
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

  step('switches to the dark theme and fits a laptop and a wide monitor', async () => {
    await go('/');
    await page.getByLabel('Theme').selectOption('dark');
    assert.equal(await page.evaluate('document.documentElement.dataset.theme'), 'dark');
    const bg = await page.evaluate<string>('getComputedStyle(document.body).backgroundColor');
    const [r, g, b] = (bg.match(/\d+/g) ?? []).map(Number);
    assert.ok(r! + g! + b! < 120, `dark background, got ${bg}`);
    await page.getByTestId('latest-changes').getByText('Port opened').first().waitFor();
    await page.locator('.chart-box canvas').first().waitFor();
    await shot('13-overview-dark');
    await page.setViewportSize({ width: 2560, height: 1440 });
    await go('/findings?status=open&status=accepted_risk&status=false_positive');
    await page.getByTestId('findings-table').locator('tr[data-index="0"]').waitFor();
    await shot('14-findings-wide-dark', false);
    await page.getByLabel('Theme').selectOption('light');
    await page.setViewportSize({ width: 1280, height: 720 });
    await go('/services');
    await page.getByTestId('services-table').locator('tr[data-index="0"]').waitFor();
    const overflow = await page.evaluate('document.documentElement.scrollWidth > window.innerWidth');
    assert.equal(overflow, false, 'no horizontal scrolling on a laptop screen');
    await shot('15-services-laptop', false);
  });

  step('logs out and the session is gone on the server too', async () => {
    const cookie = (await browser.context.cookies(server.url)).find((c) => c.name === 'trawl_session')!;
    assert.equal((await api('GET', '/session', `trawl_session=${cookie.value}`)).status, 200);
    await page.getByRole('button', { name: 'Log out' }).click();
    await page.getByRole('button', { name: 'Log in' }).waitFor();
    assert.equal((await api('GET', '/session', `trawl_session=${cookie.value}`)).status, 401);
  });
});
