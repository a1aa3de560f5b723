/**
 * Regression: the template engine must terminate against services that never finish talking. A
 * banner-first service that keeps the connection open (the lab's vsftpd look-alike), one that
 * drip-feeds bytes, one that accepts and never answers, and a TLS server that completes the
 * handshake and then says nothing — http, network and ssl templates against each must end within
 * their budgets and say what happened (timeout / error / no match), never "clean" for silence.
 *
 * No timing is asserted; each test's own timeout is the proof of termination.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer as createTlsServer } from 'node:tls';
import { createServer as createNetServer, type AddressInfo, type Socket } from 'node:net';
import { ftpService } from '../../../src/lab/services/ftp-service.js';
import { runTemplates, type NucleiEvent, type NucleiResult, type NucleiRunRecord, type NucleiTarget, type NucleiTemplate, type RunTemplatesOptions } from '../../../src/checks/nuclei/index.js';
import { TrawlError } from '../../../src/errors/trawl-error.js';
import { inlineTemplate, loadCorpus, loopbackGuard, selfSignedPems, startTcp, type Closable, type TcpServer } from './nuclei-lab.js';

/** Generous bound per test: several budgets' worth, far below "hangs". */
const BOUND = { timeout: 60_000 };

const FAST: Partial<RunTemplatesOptions> = { timeoutMs: 1500, connectTimeoutMs: 800, readTimeoutMs: 500, templateTimeoutMs: 4000, perHostRate: 1000, perHostConcurrency: 8, concurrency: 8 };

interface Out {
  readonly matches: NucleiResult[];
  readonly records: NucleiRunRecord[];
}

async function runAll(templates: readonly NucleiTemplate[], targets: readonly NucleiTarget[], opts: Partial<RunTemplatesOptions> = {}): Promise<Out> {
  const matches: NucleiResult[] = [];
  const records: NucleiRunRecord[] = [];
  for await (const e of runTemplates(templates, targets, { guard: loopbackGuard, ...FAST, ...opts }) as AsyncIterable<NucleiEvent>) {
    if (e.kind === 'match') matches.push(e);
    else records.push(e);
  }
  return { matches, records };
}

function show(r: readonly NucleiRunRecord[]): string {
  return JSON.stringify(r.map((x) => [x.templateId, x.outcome, x.notes.slice(0, 2)]));
}

let corpus: Map<string, NucleiTemplate>;
const closers: Closable[] = [];
let banner: TcpServer;
let drip: TcpServer;
let dripHttp: TcpServer;
let silent: TcpServer;
let ftpPort: number;
let tlsSilentPort: number;

const FTP_IP = '127.88.41.21';

async function freePort(ip: string): Promise<number> {
  const s = createNetServer();
  await new Promise<void>((r, j) => s.once('error', j).listen(0, ip, r));
  const port = (s.address() as AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

before(async () => {
  corpus = await loadCorpus();
  // A banner, then nothing, ever: the connection stays open and input is ignored.
  banner = await startTcp((s) => s.write('220 (vsFTPd 3.0.3)\r\n'));
  // One byte every 100 ms, forever, from the moment of connection.
  drip = await startTcp((s) => {
    const t = setInterval(() => s.write('2'), 100);
    s.on('close', () => clearInterval(t));
  });
  // A status line, then a header that never ends, a byte at a time.
  dripHttp = await startTcp((s: Socket) =>
    s.once('data', () => {
      s.write('HTTP/1.1 200 OK\r\nX-Slow: ');
      const t = setInterval(() => s.write('a'), 100);
      s.on('close', () => clearInterval(t));
    }),
  );
  // Accepts, reads, never writes.
  silent = await startTcp((s) => s.resume());
  closers.push(banner, drip, dripHttp, silent);
  // The loopback lab's FTP service (vsftpd's pre-login dialogue), on its own loopback address.
  ftpPort = await freePort(FTP_IP);
  closers.push(await ftpService().start(FTP_IP, ftpPort));
  // TLS that completes the handshake, then never answers a request.
  const pems = await selfSignedPems('mute.test');
  const mute = createTlsServer({ key: pems.key, cert: pems.cert }, (s) => {
    s.on('error', () => undefined);
    s.resume();
  });
  mute.on('tlsClientError', () => undefined);
  const sockets = new Set<Socket>();
  mute.on('secureConnection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => mute.listen(0, '127.0.0.1', r));
  tlsSilentPort = (mute.address() as AddressInfo).port;
  closers.push({ close: () => new Promise((r) => { for (const s of sockets) s.destroy(); mute.close(() => r()); }) });
});

after(async () => {
  for (const c of closers.reverse()) await c.close();
});

const get = (id: string): NucleiTemplate => {
  const t = corpus.get(id);
  assert.ok(t, `corpus template ${id}`);
  return t;
};

const readAllTemplate = (): NucleiTemplate =>
  inlineTemplate(`
id: read-all-banner
info: { name: read everything, author: t, severity: info }
tcp:
  - host: ["{{Hostname}}"]
    inputs:
      - data: "HELP\\r\\n"
    read-all: true
    matchers:
      - type: word
        words: ["never-sent-marker"]
`);

const readSizeTemplate = (): NucleiTemplate =>
  inlineTemplate(`
id: read-size-banner
info: { name: read some, author: t, severity: info }
tcp:
  - host: ["{{Hostname}}"]
    inputs:
      - data: "QUIT\\r\\n"
        read: 64
        name: first
    read-size: 4096
    matchers:
      - type: word
        words: ["never-sent-marker"]
`);

describe('template engine against services that never finish', () => {
  it('banner-first service that keeps the connection open: http is "not HTTP" (error), network reads the banner (clean), ssl fails the handshake', BOUND, async () => {
    const http = [get('git-config'), get('nginx-version'), get('lab-admin-default-login'), get('backup-directories')];
    const net = [get('lab-banner-then-command'), get('memcached-stats'), readAllTemplate(), readSizeTemplate()];
    const out = await runAll([...http, ...net], [banner.target()]);
    assert.equal(out.matches.length, 0);
    const byId = new Map(out.records.map((r) => [r.templateId, r]));
    for (const t of http) {
      const r = byId.get(t.id)!;
      assert.equal(r.outcome, 'error', show(out.records));
      assert.match(r.notes.join(' '), /not HTTP/);
    }
    for (const t of net) assert.equal(byId.get(t.id)?.outcome, 'clean', show(out.records));
    const ssl = await runAll([get('self-signed-ssl'), get('deprecated-tls')], [{ ...banner.target(), tls: true }]);
    // A non-TLS answer to a ClientHello is the service's answer: the templates looked, nothing matched.
    assert.deepEqual(ssl.records.map((r) => r.outcome), ['clean', 'clean'], show(ssl.records));
    assert.match(ssl.records[0]!.notes.join(' '), /TLS handshake failed/);
  });

  it("the loopback lab's FTP service (answers every line, never closes): all protocols terminate, no false clean for http", BOUND, async () => {
    const target: NucleiTarget = { host: FTP_IP, ip: FTP_IP, port: ftpPort, tls: false };
    const templates = [get('git-config'), get('tech-detect'), get('lab-banner-then-command'), get('redis-unauth-info'), readAllTemplate(), readSizeTemplate()];
    const out = await runAll(templates, [target]);
    assert.equal(out.records.length, templates.length);
    for (const r of out.records) {
      if (r.protocol === 'http') assert.equal(r.outcome, 'error', show(out.records));
      else assert.equal(r.outcome, 'clean', show(out.records));
    }
    const ssl = await runAll([get('expired-ssl')], [{ ...target, tls: true }]);
    assert.equal(ssl.records[0]?.outcome, 'clean', show(ssl.records));
  });

  it('drip-feeding services: the read and exchange deadlines end every request', BOUND, async () => {
    const out = await runAll([get('git-config'), get('nginx-version'), get('lab-banner-then-command'), readAllTemplate(), readSizeTemplate()], [drip.target()]);
    const byId = new Map(out.records.map((r) => [r.templateId, r]));
    // '2' cannot start a status line: refused as not HTTP from the first byte.
    assert.equal(byId.get('git-config')?.outcome, 'error', show(out.records));
    // Network reads take what dripped in before their deadline and are judged on it.
    assert.equal(byId.get('read-all-banner')?.outcome, 'clean', show(out.records));
    assert.equal(byId.get('read-size-banner')?.outcome, 'clean', show(out.records));
    const head = await runAll([get('git-config'), get('lab-admin-default-login')], [dripHttp.target()]);
    for (const r of head.records) {
      assert.equal(r.outcome, 'timeout', show(head.records));
      assert.match(r.notes.join(' '), /within \d+ ms|no data/);
    }
  });

  it('a service that accepts and never answers: every protocol times out (never clean)', BOUND, async () => {
    const templates = [get('git-config'), get('lab-admin-default-login'), get('memcached-stats'), readAllTemplate(), readSizeTemplate()];
    const out = await runAll(templates, [silent.target()]);
    assert.equal(out.records.length, templates.length);
    for (const r of out.records) assert.equal(r.outcome, 'timeout', show(out.records));
    const ssl = await runAll([get('self-signed-ssl'), get('ssl-dns-names')], [{ ...silent.target(), tls: true }]);
    for (const r of ssl.records) {
      assert.equal(r.outcome, 'timeout', show(ssl.records));
      assert.match(r.notes.join(' '), /handshake timed out/);
    }
  });

  it('TLS that completes the handshake and then stays silent: https requests time out, ssl templates still read the certificate', BOUND, async () => {
    const target: NucleiTarget = { host: 'mute.test', ip: '127.0.0.1', port: tlsSilentPort, tls: true };
    const out = await runAll([get('git-config'), get('self-signed-ssl')], [target]);
    const byId = new Map(out.records.map((r) => [r.templateId, r]));
    assert.equal(byId.get('git-config')?.outcome, 'timeout', show(out.records));
    assert.equal(byId.get('self-signed-ssl')?.outcome, 'matched', show(out.records));
  });

  it("a template's time budget caps all its requests together; it reports a timeout", BOUND, async () => {
    const many = inlineTemplate(`
id: many-slow-paths
info: { name: x, author: t, severity: info }
http:
  - method: GET
    path: [${Array.from({ length: 40 }, (_, i) => `"{{BaseURL}}/p${i}"`).join(', ')}]
    matchers: [{ type: word, words: ["hit"] }]
`);
    const out = await runAll([many], [silent.target()], { timeoutMs: 400, readTimeoutMs: 400, templateTimeoutMs: 1200, maxHostErrors: 0 });
    const r = out.records[0]!;
    assert.equal(r.outcome, 'timeout');
    assert.ok(r.requests < 40, `${r.requests} requests despite the budget`);
    assert.match(r.notes.join(' '), /time budget of 1200 ms/);
    assert.equal(r.complete, false);
  });

  it('a service that keeps failing is given up on after maxHostErrors; the rest are reported, not run', BOUND, async () => {
    const templates = ['git-config', 'nginx-version', 'tech-detect', 'favicon-detect', 'x-powered-by-disclosure', 'directory-listing', 'apache-server-status', 'jenkins-login'].map(get);
    const out = await runAll(templates, [silent.target()], { maxHostErrors: 3, concurrency: 1, timeoutMs: 300, readTimeoutMs: 300 });
    assert.equal(out.records.length, templates.length);
    const given = out.records.filter((r) => r.notes.some((n) => /given up after 3 consecutive/.test(n)));
    assert.ok(given.length >= templates.length - 3, show(out.records));
    assert.ok(out.records.every((r) => r.outcome !== 'clean' && r.outcome !== 'matched'));
  });

  it('abort ends a run stuck on silent services at once, with TRAWL_E_INTERRUPTED', BOUND, async () => {
    const ac = new AbortController();
    const templates = [get('git-config'), get('memcached-stats'), get('lab-admin-default-login')];
    const pending = runAll(templates, [silent.target(), banner.target()], { signal: ac.signal, timeoutMs: 30_000, readTimeoutMs: 30_000, connectTimeoutMs: 30_000, templateTimeoutMs: 120_000 });
    setTimeout(() => ac.abort(), 300);
    await assert.rejects(pending, (e: unknown) => e instanceof TrawlError && e.code === 'TRAWL_E_INTERRUPTED');
  });
});
