/**
 * The inventory end to end, on a real field: servers this test starts on loopback addresses of a
 * random 127.x.y.0/24, an organisation, a webhook rule and an assessment created through the REST
 * API (real HTTP), runs with the default stages (discovery, identification, the safe checks) started
 * and awaited through the API only, so the test holds whichever runner the server uses.
 *
 * Round 1 scans the field. Between rounds 1 and 2 the field changes: a port opens, a service stops
 * (its port then answers RST, the evidence that closes it), the HTTPS certificate is rotated (new
 * key, new serial) and a weakness is fixed (directory listing turned off). Round 2 must report
 * exactly that — in the stored change events, in the diff of the two scans, in `trawl diff` over the
 * same store, and to the webhook receiver, every delivery carrying a valid HMAC-SHA256 signature
 * (recomputed here with the rule's secret, not with the code under test). Round 3 changes the field
 * again so that the remaining event kinds happen for real: a version and a service change, a
 * certificate close to expiry, a weakness coming back, a host going away and one appearing.
 *
 * Only 127.0.0.0/8 is ever contacted.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHmac, randomInt, timingSafeEqual, X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import { createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { generate } from 'selfsigned';
import { buildApi } from '../../src/api/build-api.js';
import { openApiDatabase } from '../../src/api/database/open-api-database.js';
import { serve, type RunningService } from '../../src/lab/services/lab-service.js';
import { redisService } from '../../src/lab/services/redis-service.js';
import { OPENSSH_DEBIAN12, sshService } from '../../src/lab/services/ssh-service.js';
import { dialects, openTestDatabase, postgresProblem, seedOrg, type DialectName, type OrgKeys, type TestDatabase } from '../api/api-harness.js';
import { startWebhookReceiver, type ReceivedRequest, type WebhookReceiver } from '../notify/local-receivers.js';

const pgProblem = await postgresProblem();
const DAY_MS = 86_400_000;
const ZONE = 'field-lab';
const TAGS = ['e2e', 'field'];
/** The CLI of this very build (bin/trawl.js would load dist/, not the build under test). */
const CLI_MAIN = new URL('../../src/apps/cli/main.js', import.meta.url).href;

// ---- the field --------------------------------------------------------------------------------------

interface Cert {
  readonly key: string;
  readonly cert: string;
  /** SHA-256 of the DER, 64 lower-case hex digits: what the inventory stores. */
  readonly sha256: string;
  readonly serial: string;
  readonly notAfter: string;
}

async function makeCert(ip: string, validDays: number): Promise<Cert> {
  const now = Date.now();
  const pems = await generate([{ name: 'commonName', value: 'portal.field.test' }, { name: 'organizationName', value: 'Trawl Field' }], {
    keyType: 'rsa', keySize: 2048, algorithm: 'sha256',
    notBeforeDate: new Date(now - DAY_MS), notAfterDate: new Date(now + validDays * DAY_MS),
    extensions: [{ name: 'basicConstraints', cA: false }, { name: 'subjectAltName', altNames: [{ type: 2, value: 'portal.field.test' }, { type: 7, ip }] }],
  });
  const x = new X509Certificate(pems.cert);
  return { key: pems.private, cert: pems.cert, sha256: x.fingerprint256.replace(/:/g, '').toLowerCase(), serial: x.serialNumber, notAfter: new Date(x.validTo).toISOString() };
}

function page(title: string, body: string): string {
  return `<!DOCTYPE html>\n<html>\n<head>\n<title>${title}</title>\n</head>\n<body>\n${body}\n</body>\n</html>\n`;
}

/** nginx's autoindex page for /backup/. */
const LISTING = '<html>\r\n<head><title>Index of /backup/</title></head>\r\n<body>\r\n<h1>Index of /backup/</h1><hr><pre><a href="../">../</a>\r\n'
  + '<a href="db-2024-05-01.sql.gz">db-2024-05-01.sql.gz</a>                               01-May-2024 02:00            18233411\r\n'
  + '<a href="www.tar.gz">www.tar.gz</a>                                         01-May-2024 02:10            90412233\r\n</pre><hr></body>\r\n</html>\r\n';

/** An nginx-like site whose Server header and autoindex of /backup/ can be changed while it runs. */
function webHandler(state: { server: string; listing: boolean }): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    req.on('error', () => undefined);
    req.resume();
    const path = (req.url ?? '/').split('?')[0];
    let status = 200;
    let body: string;
    if (path === '/' || path === '/index.html') body = page('Field Web', '<h1>Field Web</h1><p><a href="/login">Sign in</a></p>');
    else if (path === '/backup/' && state.listing) body = LISTING;
    else {
      status = 404;
      body = page('404 Not Found', `<center><h1>404 Not Found</h1></center><hr><center>${state.server}</center>`);
    }
    res.writeHead(status, { Server: state.server, 'Content-Type': 'text/html', 'Content-Length': Buffer.byteLength(body) });
    res.end(req.method === 'HEAD' ? undefined : body);
  };
}

interface Field {
  readonly net: string;
  readonly web: string;
  readonly tls: string;
  readonly ctrl: string;
  readonly spare: string;
  readonly port: { readonly http: number; readonly https: number; readonly redis: number; readonly extra: number; readonly ssh: number };
  readonly webState: { server: string; listing: boolean };
  readonly https: HttpsServer;
  cert: Cert;
  readonly running: Map<string, RunningService>;
  start(name: string, svc: Promise<RunningService>): Promise<void>;
  stop(name: string): Promise<void>;
  close(): Promise<void>;
}

async function canBind(ip: string, port: number): Promise<boolean> {
  const s = createNetServer();
  return new Promise((resolve) => {
    s.once('error', () => resolve(false));
    s.listen({ host: ip, port, exclusive: true }, () => s.close(() => resolve(true)));
  });
}

/**
 * Picks a random /24 of 127/8 and five ports, checking that nothing (ours or a wildcard listener of
 * the machine) holds any (address, port) of the probe space, then starts the round-1 field.
 */
async function startField(): Promise<Field> {
  for (let attempt = 0; ; attempt++) {
    const net = `127.${randomInt(100, 200)}.${randomInt(0, 256)}`;
    const base = randomInt(20_000, 60_000);
    const port = { http: base, https: base + 1, redis: base + 2, extra: base + 3, ssh: base + 4 };
    const hosts = [`${net}.10`, `${net}.20`, `${net}.30`, `${net}.40`];
    let free = true;
    for (const ip of hosts) for (const p of Object.values(port)) if (free && !(await canBind(ip, p))) free = false;
    if (!free) {
      if (attempt >= 10) throw new Error('no free loopback subnet and port range found');
      continue;
    }
    const [web, tls, ctrl, spare] = hosts as [string, string, string, string];
    const running = new Map<string, RunningService>();
    const webState = { server: 'nginx/1.24.0', listing: true };
    const cert = await makeCert(tls, 365);
    const https = createHttpsServer({ key: cert.key, cert: cert.cert, minVersion: 'TLSv1.2' }, webHandler({ server: 'nginx/1.24.0', listing: false }));
    https.on('tlsClientError', (_e, socket) => socket.destroy());
    const field: Field = {
      net, web, tls, ctrl, spare, port, webState, https, cert, running,
      async start(name, svc) {
        running.set(name, await svc);
      },
      async stop(name) {
        const r = running.get(name);
        assert.ok(r, `${name} is running`);
        running.delete(name);
        await r.close();
      },
      async close() {
        for (const r of running.values()) await r.close();
        running.clear();
      },
    };
    await field.start('web-http', serve(createHttpServer(webHandler(webState)), web, port.http, 'field web'));
    await field.start('tls-https', serve(https, tls, port.https, 'field https'));
    await field.start('tls-redis', redisService({ version: '7.0.15', requirePass: 'field-secret' }).start(tls, port.redis));
    await field.start('ctrl-ssh', sshService(OPENSSH_DEBIAN12).start(ctrl, port.ssh));
    return field;
  }
}

// ---- the API, over real HTTP --------------------------------------------------------------------------

interface Reply<T> {
  readonly status: number;
  readonly body: T;
}

type Json = Record<string, unknown>;

interface ChangeView {
  id: string | null;
  kind: string;
  scanId: string;
  prevScanId: string | null;
  at: string;
  address: string;
  port: number | null;
  proto: string | null;
  checkId: string | null;
  before: unknown;
  after: unknown;
  evidence: string | null;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Signature check written here from the definition (HMAC-SHA256 of the raw body, hex, `sha256=` prefix). */
function signatureValid(r: ReceivedRequest, secret: string): boolean {
  const header = r.headers['x-trawl-signature'];
  if (typeof header !== 'string' || !header.startsWith('sha256=')) return false;
  const expected = Buffer.from(createHmac('sha256', secret).update(Buffer.from(r.body, 'utf8')).digest('hex'), 'utf8');
  const given = Buffer.from(header.slice('sha256='.length), 'utf8');
  return expected.length === given.length && timingSafeEqual(expected, given);
}

/** An event in one line — kind, where, check, evidence — to compare lists by and to read in failures. */
function key(c: Pick<ChangeView, 'kind' | 'address' | 'port' | 'checkId' | 'evidence'>): string {
  return `${c.kind} ${c.address}${c.port === null ? '' : `:${c.port}`}${c.checkId !== null ? ` ${c.checkId}` : ''} (${c.evidence ?? '-'})`;
}

function withoutId(c: ChangeView): Omit<ChangeView, 'id'> {
  const { id: _id, ...rest } = c;
  return rest;
}

function byKey<T extends Pick<ChangeView, 'kind' | 'address' | 'port' | 'checkId' | 'evidence'>>(list: readonly T[]): T[] {
  return [...list].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}

/** Runs `trawl diff` of this very build in a child process. */
function trawlDiff(args: readonly string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const launcher = `const { main } = await import(${JSON.stringify(CLI_MAIN)}); process.exitCode = await main(['node', 'trawl', ...process.argv.slice(1)]);`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', launcher, 'diff', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

for (const kind of dialects) describe(`a changed field, scanned through the REST API (${kind})`, { skip: kind === 'postgres' ? pgProblem ?? false : false }, () => {
  let field: Field;
  let d: TestDatabase;
  let dbPath: string | undefined;
  let tmp: string | undefined;
  let app: FastifyInstance;
  let base: string;
  let org: OrgKeys;
  let hook: WebhookReceiver;
  let secret: string;
  let assessmentId: string;
  const scans: string[] = [];
  let certA: Cert;

  async function api<T = Json>(method: string, path: string, body?: unknown): Promise<Reply<T>> {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: { authorization: `Bearer ${org.admin}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    return { status: res.status, body: (text.length > 0 ? JSON.parse(text) : null) as T };
  }

  /** POST run, then wait for the run to end, reading only what the API serves. */
  async function runOnce(): Promise<string> {
    const run = await api('POST', `/assessments/${assessmentId}/run`);
    assert.equal(run.status, 202, JSON.stringify(run.body));
    const deadline = Date.now() + 180_000;
    let scanId = typeof run.body['scanId'] === 'string' ? run.body['scanId'] : undefined;
    for (;;) {
      assert.ok(Date.now() < deadline, `run of ${assessmentId} did not finish in time`);
      const a = await api('GET', `/assessments/${assessmentId}`);
      assert.equal(a.status, 200);
      scanId ??= typeof a.body['lastScanId'] === 'string' && !scans.includes(a.body['lastScanId']) ? a.body['lastScanId'] : undefined;
      if (scanId !== undefined && a.body['state'] === 'idle') {
        const s = await api('GET', `/scans/${scanId}`);
        assert.equal(s.status, 200);
        if (s.body['status'] !== 'running') {
          assert.equal(s.body['status'], 'done', JSON.stringify(s.body));
          scans.push(scanId);
          return scanId;
        }
      }
      await sleep(200);
    }
  }

  async function changesOf(scanId: string): Promise<ChangeView[]> {
    const r = await api<{ items: ChangeView[]; nextCursor: string | null }>('GET', `/changes?scanId=${scanId}&limit=500&order=asc`);
    assert.equal(r.status, 200);
    assert.equal(r.body.nextCursor, null);
    return r.body.items;
  }

  async function diffOf(a: string, b: string): Promise<{ counts: Record<string, number>; changes: ChangeView[] }> {
    const r = await api<{ counts: Record<string, number>; changes: ChangeView[]; truncated: boolean }>('GET', `/scans/${a}/diff/${b}`);
    assert.equal(r.status, 200);
    assert.equal(r.body.truncated, false);
    return r.body;
  }

  /**
   * Webhook deliveries about one scan, once all that the scan's stored events call for have arrived
   * (the notifier sends after the fold, each delivery on its own): scan.finished, one notification per
   * finding event, and one change.detected when there are other events.
   */
  async function deliveriesFor(scanId: string, stored: readonly ChangeView[]): Promise<{ req: ReceivedRequest; body: Json }[]> {
    const findingEvents = stored.filter((c) => c.kind.startsWith('finding_')).length;
    const summaries = stored.some((c) => !c.kind.startsWith('finding_')) ? 1 : 0;
    const deadline = Date.now() + 30_000;
    for (;;) {
      const mine = hook.requests
        .map((req) => ({ req, body: JSON.parse(req.body) as Json }))
        .filter((x) => (x.body['data'] as Json | undefined)?.['scanId'] === scanId);
      const count = (f: (type: string) => boolean): number => mine.filter((x) => f(String(x.body['type']))).length;
      if (count((t) => t === 'scan.finished') >= 1 && count((t) => t.startsWith('finding.')) >= findingEvents && count((t) => t === 'change.detected') >= summaries) {
        // Anything more than that would be a duplicate: give it a moment to show up.
        await sleep(300);
        return hook.requests.map((req) => ({ req, body: JSON.parse(req.body) as Json })).filter((x) => (x.body['data'] as Json | undefined)?.['scanId'] === scanId);
      }
      assert.ok(Date.now() < deadline, `webhooks for ${scanId}: got ${mine.map((x) => String(x.body['type'])).join(', ')}`);
      await sleep(100);
    }
  }

  /** Every delivery signed with the rule's secret, for the org, zone and tags of the assessment; finding events match stored ones. */
  function checkDeliveries(delivered: readonly { req: ReceivedRequest; body: Json }[], stored: readonly ChangeView[]): void {
    for (const { req, body } of delivered) {
      assert.ok(signatureValid(req, secret), `valid signature on ${String(body['type'])}`);
      assert.ok(!signatureValid(req, `${secret}x`), 'a wrong secret does not verify');
      assert.equal(req.headers['x-trawl-event'], body['type']);
      assert.equal(body['orgId'], org.id);
      assert.equal(body['zone'], ZONE);
      assert.deepEqual(body['tags'], TAGS);
    }
    const findingTypes: Record<string, string> = { 'finding.opened': 'finding_opened', 'finding.fixed': 'finding_fixed', 'finding.reopened': 'finding_reopened' };
    const types = delivered.map((x) => String(x.body['type']));
    assert.ok(types.every((t) => t === 'scan.finished' || t === 'change.detected' || findingTypes[t] !== undefined), types.join(', '));
    assert.equal(types.filter((t) => t === 'scan.finished').length, 1);
    const findingEvents = stored.filter((c) => Object.values(findingTypes).includes(c.kind));
    const notified = delivered.filter((x) => typeof x.body['type'] === 'string' && findingTypes[x.body['type']] !== undefined);
    assert.deepEqual(
      byKey(notified.map((x) => ({ ...(x.body['data'] as ChangeView), kind: findingTypes[x.body['type'] as string]! }))).map((c) => ({ k: key(c), before: c.before, after: c.after })),
      byKey(findingEvents).map((c) => ({ k: key(c), before: c.before, after: c.after })),
      'one finding notification per finding event, saying the same',
    );
    const others = stored.filter((c) => !findingEvents.includes(c));
    const summary = delivered.filter((x) => x.body['type'] === 'change.detected');
    if (others.length === 0) {
      assert.equal(summary.length, 0);
      return;
    }
    assert.equal(summary.length, 1, 'one change summary per scan');
    const data = summary[0]!.body['data'] as { counts: Record<string, number>; sample: ChangeView[] };
    const counts: Record<string, number> = {};
    for (const c of stored) counts[c.kind] = (counts[c.kind] ?? 0) + 1;
    assert.deepEqual(data.counts, counts);
    assert.deepEqual(byKey(data.sample), byKey(others), 'the summary carries every other event as stored');
  }

  before(async () => {
    field = await startField();
    certA = field.cert;
    hook = await startWebhookReceiver();
    if (kind === 'sqlite') {
      tmp = mkdtempSync(join(tmpdir(), 'trawl-field-'));
      dbPath = join(tmp, 'field.db');
      const o = await openApiDatabase(dbPath);
      await o.store.migrate();
      d = { ...o, dispose: () => o.close() };
    } else {
      d = await openTestDatabase(kind as DialectName);
    }
    org = await seedOrg(d, 'field org', [`${field.net}.0/24`]);
    // The default runner and stages: nothing stands in for discovery, identification or the checks.
    app = buildApi({ db: d.db, store: d.store, rateLimit: false });
    base = await app.listen({ host: '127.0.0.1', port: 0 });

    const rule = await api('POST', '/notification-rules', { name: 'field changes', channel: 'webhook', target: hook.url });
    assert.equal(rule.status, 201, JSON.stringify(rule.body));
    secret = String(rule.body['secret']);
    assert.ok(secret.length >= 16);
    const created = await api('POST', '/assessments', {
      name: 'field', targets: [field.web, field.tls, field.ctrl, field.spare], ports: Object.values(field.port).join(','),
      options: { discovery: 'off' }, zone: ZONE, tags: TAGS,
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assessmentId = String(created.body['id']);
  });

  after(async () => {
    await app?.close();
    await field?.close();
    await hook?.close();
    await d?.dispose();
    if (tmp !== undefined) rmSync(tmp, { recursive: true, force: true });
  });

  it('round 1: the field as it is, with its org, zone and tags on every asset', async () => {
    const first = await runOnce();
    const stored = await changesOf(first);
    const k = stored.map(key);
    const { web, tls, ctrl, port } = field;
    for (const e of [
      `asset_appeared ${web} (seen)`, `asset_appeared ${tls} (seen)`, `asset_appeared ${ctrl} (seen)`,
      `port_opened ${web}:${port.http} (syn-ack)`, `port_opened ${tls}:${port.https} (syn-ack)`, `port_opened ${tls}:${port.redis} (syn-ack)`, `port_opened ${ctrl}:${port.ssh} (syn-ack)`,
      `finding_opened ${web}:${port.http} http-directory-listing (reported)`,
    ]) assert.ok(k.includes(e), `${e} in ${k.join('; ')}`);
    assert.deepEqual([...new Set(stored.map((c) => c.kind))].sort(), ['asset_appeared', 'finding_opened', 'port_opened']);
    assert.equal(stored.filter((c) => c.kind === 'port_opened').length, 4, 'only the four listening ports are open');
    assert.ok(stored.every((c) => c.address !== field.spare), 'nothing on the empty address');

    const assets = await api<{ items: { address: string; zone: string; tags: string[]; state: string }[] }>('GET', '/assets?limit=500');
    assert.deepEqual(assets.body.items.map((a) => [a.address, a.state, a.zone, a.tags]).sort(), [web, tls, ctrl].sort().map((a) => [a, 'up', ZONE, TAGS]));
    // The scan itself records what it was run for.
    const scan = await d.store.getScan(first);
    assert.equal(scan?.spec.options['org'], org.id);
    assert.equal(scan?.spec.options['zone'], ZONE);
    assert.deepEqual(scan?.spec.options['tags'], TAGS);

    const services = await api<{ items: { address: string; port: number; identity: { name: string } | null; tls: { fingerprint: string } | null }[] }>('GET', `/services?asset=${tls}`);
    const httpsSvc = services.body.items.find((s) => s.port === port.https);
    assert.equal(httpsSvc?.tls?.fingerprint, certA.sha256, 'the stored fingerprint is the SHA-256 of certificate A');
    assert.equal(services.body.items.find((s) => s.port === port.redis)?.identity?.name, 'redis');

    const delivered = await deliveriesFor(first, stored);
    checkDeliveries(delivered, stored);
  });

  it('round 2: a port opened, a service stopped, a certificate rotated, a weakness fixed — and nothing else', async () => {
    const [first] = scans;
    assert.ok(first, 'round 1 ran');
    const { web, tls, port } = field;
    // The changes, all of them real.
    await field.start('web-extra', redisService({ version: '7.2.4', requirePass: 'field-secret' }).start(web, port.extra));
    await field.stop('tls-redis');
    const certB = await makeCert(tls, 365);
    assert.notEqual(certB.serial, certA.serial);
    assert.notEqual(certB.sha256, certA.sha256);
    field.https.setSecureContext({ key: certB.key, cert: certB.cert });
    field.cert = certB;
    field.webState.listing = false;

    const second = await runOnce();
    const stored = await changesOf(second);
    assert.deepEqual(byKey(stored).map(key), byKey([
      { kind: 'port_opened', address: web, port: port.extra, checkId: null, evidence: 'syn-ack' },
      { kind: 'finding_fixed', address: web, port: port.http, checkId: 'http-directory-listing', evidence: 'check-ran-clean' },
      { kind: 'cert_rotated', address: tls, port: port.https, checkId: null, evidence: 'tls-handshake' },
      { kind: 'port_closed', address: tls, port: port.redis, checkId: null, evidence: 'reset' },
    ]).map(key), 'exactly the four changes, nothing for the unchanged services');
    for (const c of stored) {
      assert.equal(c.scanId, second);
      assert.equal(c.prevScanId, first);
      assert.equal(c.proto, 'tcp');
    }
    const get = (kind: string): ChangeView => stored.find((c) => c.kind === kind)!;
    assert.deepEqual(get('cert_rotated').before, { fingerprint: certA.sha256, notAfter: certA.notAfter });
    assert.deepEqual(get('cert_rotated').after, { fingerprint: certB.sha256, notAfter: certB.notAfter });
    const closed = get('port_closed');
    assert.deepEqual(closed.after, { state: 'closed' });
    assert.equal((closed.before as Json)['lastScanId'], first);
    const opened = get('port_opened');
    assert.equal(((opened.after as Json)['identity'] as Json | null)?.['name'], 'redis');
    assert.deepEqual(get('finding_fixed').before, { status: 'open', severity: 'medium' });
    assert.deepEqual(get('finding_fixed').after, { status: 'fixed' });

    // The diff of the two scans says exactly the same.
    const diff = await diffOf(first, second);
    assert.deepEqual(diff.counts, { port_opened: 1, port_closed: 1, cert_rotated: 1, finding_fixed: 1 });
    assert.deepEqual(byKey(diff.changes).map(withoutId), byKey(stored).map(withoutId));
    assert.ok(diff.changes.every((c) => c.id === null));

    // The view moved with it.
    const services = await api<{ items: { address: string; port: number; state: string; tls: { fingerprint: string } | null }[] }>('GET', '/services?limit=500');
    const svc = (a: string, p: number) => services.body.items.find((s) => s.address === a && s.port === p);
    assert.equal(svc(tls, port.redis)?.state, 'closed');
    assert.equal(svc(tls, port.https)?.tls?.fingerprint, certB.sha256);
    assert.equal(svc(web, port.extra)?.state, 'open');
    const listing = await api<{ items: { status: string; fixedAt: string | null }[] }>('GET', `/findings?check=http-directory-listing&asset=${web}`);
    assert.deepEqual(listing.body.items.map((f) => f.status), ['fixed']);

    // The webhook receiver got these events, signed.
    const delivered = await deliveriesFor(second, stored);
    checkDeliveries(delivered, stored);
    const fixed = delivered.find((x) => x.body['type'] === 'finding.fixed')!;
    assert.equal(fixed.body['severity'], 'medium');
    assert.equal((fixed.body['data'] as Json)['checkId'], 'http-directory-listing');

    // `trawl diff` over the same store prints the same events.
    if (dbPath !== undefined) {
      const jl = await trawlDiff([first, second, '--db', dbPath, '--output-json', '-']);
      assert.equal(jl.code, 0, jl.stderr);
      const lines = jl.stdout.trim().split('\n').map((l) => JSON.parse(l) as ChangeView & { orgId: string });
      assert.ok(lines.every((l) => l.orgId === org.id));
      assert.deepEqual(byKey(lines.map(({ orgId: _o, ...c }) => c)).map(withoutId), byKey(stored).map(withoutId));
      const text = await trawlDiff([first.slice(0, 20), second, '--db', dbPath]);
      assert.equal(text.code, 0, text.stderr);
      const printed = text.stdout.trim().split('\n');
      assert.equal(printed.length, 4, text.stdout);
      for (const [kindName, where] of [['port_opened', `${web}:${port.extra}/tcp`], ['port_closed', `${tls}:${port.redis}/tcp`], ['cert_rotated', `${tls}:${port.https}/tcp`], ['finding_fixed', `${web}:${port.http}/tcp`]] as const) {
        assert.ok(printed.some((l) => l.includes(kindName) && l.includes(where)), `${kindName} ${where} in\n${text.stdout}`);
      }
    }
  });

  it('round 3: the other kinds, for real: version and service changed, certificate expiring, weakness back, a host gone, a host new', async () => {
    const [, second] = scans;
    assert.ok(second, 'round 2 ran');
    const { web, tls, ctrl, spare, port } = field;
    const before = await api<{ items: { checkId: string; status: string }[] }>('GET', `/findings?asset=${ctrl}&limit=500`);
    const ctrlOpen = before.body.items.filter((f) => f.status === 'open').map((f) => f.checkId);

    field.webState.server = 'nginx/1.26.2';
    field.webState.listing = true;
    await field.stop('web-extra');
    // A web server where the Redis was: the service on the port changed.
    await field.start('web-extra-http', serve(createHttpServer(webHandler({ server: 'nginx/1.26.2', listing: false })), web, port.extra, 'field web 2'));
    const certC = await makeCert(tls, 10);
    field.https.setSecureContext({ key: certC.key, cert: certC.cert });
    await field.stop('ctrl-ssh');
    await field.start('spare-redis', redisService({ version: '7.2.4', requirePass: 'field-secret' }).start(spare, port.redis));

    const third = await runOnce();
    const stored = await changesOf(third);
    const kinds = byKey(stored).map(key);
    const expected = [
      `version_changed ${web}:${port.http} (identify)`,
      `finding_reopened ${web}:${port.http} http-directory-listing (reported)`,
      `service_changed ${web}:${port.extra} (identify)`,
      `cert_rotated ${tls}:${port.https} (tls-handshake)`,
      `port_closed ${ctrl}:${port.ssh} (reset)`,
      ...ctrlOpen.map((c) => `finding_fixed ${ctrl}:${port.ssh} ${c} (port-closed)`),
      `asset_disappeared ${ctrl} (ports-closed)`,
      `asset_appeared ${spare} (seen)`,
      `port_opened ${spare}:${port.redis} (syn-ack)`,
    ];
    const expiring = stored.find((c) => c.kind === 'cert_expiring');
    assert.ok(expiring, `cert_expiring in ${kinds.join('; ')}`);
    assert.match(String(expiring.evidence), /^expires-in-(9|10)d$/);
    assert.deepEqual(expiring.after, { fingerprint: certC.sha256, notAfter: certC.notAfter, daysLeft: Number(/\d+/.exec(String(expiring.evidence))![0]) });
    // The new web server on the Redis port is as bare as the other: its missing headers are a new finding.
    const extra = stored.filter((c) => c.kind === 'finding_opened');
    assert.deepEqual(extra.map(key), [`finding_opened ${web}:${port.extra} http-missing-security-headers (reported)`]);
    assert.deepEqual(kinds, [...expected, key(expiring), key(extra[0]!)].sort(), 'exactly these changes');
    assert.deepEqual(stored.find((c) => c.kind === 'version_changed')?.before, { name: 'http', product: 'nginx', version: '1.24.0' });
    assert.deepEqual(stored.find((c) => c.kind === 'version_changed')?.after, { name: 'http', product: 'nginx', version: '1.26.2' });
    assert.equal((stored.find((c) => c.kind === 'service_changed')?.before as Json)['name'], 'redis');
    assert.equal((stored.find((c) => c.kind === 'service_changed')?.after as Json)['name'], 'http');

    const all = new Set<string>();
    for (const s of scans) for (const c of await changesOf(s)) all.add(c.kind);
    assert.deepEqual([...all].sort(), [
      'asset_appeared', 'asset_disappeared', 'cert_expiring', 'cert_rotated', 'finding_fixed', 'finding_opened', 'finding_reopened',
      'port_closed', 'port_opened', 'service_changed', 'version_changed',
    ], 'three real scans produced every kind of change event');

    // The diff of the two scans agrees, with its documented differences from the fold, which knows the
    // history: a reopened finding is simply reported (no history before A), and a finding is opened only
    // where A ran its check (A ran no HTTP check on the port that was Redis then).
    const diff = await diffOf(second, third);
    const asDiff = stored
      .filter((c) => !(c.kind === 'finding_opened' && c.port === port.extra))
      .map((c): ChangeView => (c.kind === 'finding_reopened' ? { ...c, kind: 'finding_opened', before: null } : c));
    assert.deepEqual(byKey(diff.changes).map(withoutId), byKey(asDiff).map(withoutId));

    const delivered = await deliveriesFor(third, stored);
    checkDeliveries(delivered, stored);
  });
});
