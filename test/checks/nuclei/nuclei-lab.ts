/**
 * Local servers for the nuclei engine tests, all on 127.0.0.1: a "dirty" web app that exposes what
 * the corpus templates look for, a "clean" hardened one that must match nothing, TLS servers with
 * self-signed / expired / CA-signed certificates and a TLS 1.0-only one, and small TCP services.
 */
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { createServer as createNetServer, isIP, type AddressInfo, type Server as NetServer, type Socket } from 'node:net';
import { createServer as createTlsServer, type TlsOptions } from 'node:tls';
import { gzipSync } from 'node:zlib';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import selfsigned from 'selfsigned';
import { TrawlError } from '../../../src/errors/trawl-error.js';
import { loadTemplates, parseTemplate, runTemplates, type NucleiEvent, type NucleiResult, type NucleiRunRecord, type NucleiTarget, type NucleiTemplate } from '../../../src/checks/nuclei/index.js';

const here = dirname(fileURLToPath(import.meta.url));
/** The corpus stays in the source tree; compiled tests run from <dist>/test/checks/nuclei. */
export const CORPUS = resolve(here, '../../../../test/checks/nuclei/corpus');

/** Only loopback may be probed from these tests. */
export const loopbackGuard = (ip: string, family: 4 | 6): void => {
  const ok = (family === 4 && ip.startsWith('127.')) || (family === 6 && ip === '::1');
  if (!ok || isIP(ip) !== family) throw new TrawlError('TRAWL_E_EGRESS_DENIED', `test guard refused ${ip}`, { ip });
};

export interface Closable {
  close(): Promise<void>;
}

export interface LoggedRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingMessage['headers'];
  readonly body: string;
}

export const FAVICON = Buffer.from(Array.from({ length: 318 }, (_, i) => (i * 7 + 3) & 0xff));
export const PNG = Buffer.concat([Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex'), Buffer.alloc(48, 0x11)]);

function listen(server: Server | NetServer): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
  });
}

function closer(server: Server | NetServer, sockets: Set<Socket>): () => Promise<void> {
  return () =>
    new Promise((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    });
}

function track(server: Server | NetServer): Set<Socket> {
  const sockets = new Set<Socket>();
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  return sockets;
}

const RE2_PAGE = 'Welcome To The Lab\nBEGIN\nmulti\nline\nEND\nstatus: ok\nlab-Version=3\nabc héllo café\n[x.y]*\nthe end.';
const GRAFANA = '<html><head><title>Grafana</title></head><body><script>window.grafanaBootData = {"settings":{"buildInfo":{"version":"8.3.0"}}}; var x = {"version":"8.3.0"};</script></body></html>';
const PHPINFO = '<html><body><table><tr><td class="e">PHP Version </td><td class="v">7.4.3</td></tr></table><h2>PHP Extension</h2><p>PHP Version 7.4.3</p></body></html>';

/** The vulnerable app. Every request is logged so tests can check what was sent. */
function dirtyHandler(log: LoggedRequest[], port: () => number) {
  const uploads = new Map<string, string>();
  return (req: IncomingMessage, res: ServerResponse, body: string): void => {
    log.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
    const u = new URL(req.url ?? '/', 'http://lab');
    res.setHeader('Server', 'nginx/1.18.0');
    res.setHeader('X-Powered-By', 'PHP/7.4.3');
    const send = (status: number, type: string, data: string | Buffer, extra: Record<string, string> = {}): void => {
      res.writeHead(status, { 'Content-Type': type, ...extra });
      res.end(data);
    };
    if (req.method === 'TRACE') {
      const echo = Object.entries(req.headers).map(([k, v]) => `${k.replace(/(^|-)([a-z])/g, (_m, a: string, b: string) => a + b.toUpperCase())}: ${String(v)}`).join('\r\n');
      return send(200, 'message/http', `TRACE ${req.url} HTTP/1.1\r\n${echo}\r\n`);
    }
    switch (u.pathname) {
      case '/':
        return send(200, 'text/html', '<html><head><link rel="stylesheet" href="/wp-content/themes/x/style.css"><script src="/js/jquery-3.5.1.min.js"></script></head><body>home</body></html>');
      case '/.git/config':
        return send(200, 'text/plain', '[core]\n\trepositoryformatversion = 0\n\tfilemode = true\n\tbare = false\n[remote "origin"]\n\turl = https://git.example.test/lab.git\n');
      case '/.env':
        return send(200, 'text/plain', 'APP_NAME=Lab\nAPP_KEY=base64:c2VjcmV0\nDB_HOST=127.0.0.1\nDB_PASSWORD=hunter2-db\n');
      case '/info.php':
        return send(200, 'text/html', PHPINFO);
      case '/server-status':
        return send(200, 'text/html', '<html><head><title>Apache Status</title></head><body><h1>Apache Server Status for lab</h1><dl><dt>Server Version: Apache/2.4.41 (Ubuntu)</dt></dl></body></html>');
      case '/files/':
        return send(200, 'text/html', '<html><head><title>Index of /files</title></head><body><h1>Index of /files</h1></body></html>');
      case '/login':
        return send(200, 'text/html', GRAFANA);
      case '/jenkins/login':
        return send(200, 'text/html', '<html><head><title>Sign in [Jenkins]</title></head><body><input name="j_username"></body></html>', { 'X-Jenkins': '2.303.1' });
      case '/api/version':
        return send(200, 'application/json', JSON.stringify({ version: '2.4.1', components: [{ name: 'core', version: '2.4.1' }, { name: 'auth', version: '1.0.0' }] }));
      case '/favicon.ico':
        return send(200, 'image/x-icon', FAVICON);
      case '/logo.png':
        return send(200, 'image/png', PNG);
      case '/gz':
        return send(200, 'text/plain', gzipSync(Buffer.from('this is the compressed secret marker, deflated')), { 'Content-Encoding': 'gzip' });
      case '/redirect':
        return send(302, 'text/plain', 'moved', { Location: '/landing' });
      case '/landing':
        return send(200, 'text/plain', 'You have landed');
      case '/hop1':
        return send(301, 'text/plain', 'moved', { Location: `http://127.0.0.1:${port()}/hop2` });
      case '/hop2':
        return send(200, 'text/plain', 'hop two reached');
      case '/re2':
        return send(200, 'text/plain', RE2_PAGE);
      case '/tokens': {
        const ok = u.searchParams.get('user') === 'bob' && u.searchParams.get('token') === 't2';
        return send(ok ? 200 : 403, 'text/plain', ok ? 'token accepted' : 'denied');
      }
      case '/backup/':
        return send(200, 'text/plain', 'backup listing');
      case '/api/login': {
        const p = new URLSearchParams(body);
        const ok = p.get('username') === 'admin' && p.get('password') === 'hunter2';
        return send(ok ? 200 : 401, 'text/plain', ok ? 'Welcome admin' : 'bad credentials');
      }
      case '/form': {
        if (req.method === 'GET') return send(200, 'text/html', '<form method="post"><input type="hidden" name="csrf" value="k3y42"></form>', { 'Set-Cookie': 'sid=abc123; HttpOnly' });
        const p = new URLSearchParams(body);
        const ok = p.get('csrf') === 'k3y42' && p.get('user') === 'admin' && p.get('pass') === 's3cret pass' && (req.headers.cookie ?? '').includes('sid=abc123');
        return send(ok ? 302 : 403, 'text/plain', ok ? 'ok' : 'no', ok ? { Location: '/dashboard' } : {});
      }
      case '/echo': {
        const lines = Object.entries(req.headers).map(([k, v]) => `${k}: ${String(v)}`);
        return send(200, 'text/plain', `${lines.join('\n')}\n\n${body}`);
      }
      default:
        break;
    }
    if (u.pathname.startsWith('/uploads/')) {
      if (req.method === 'PUT') {
        uploads.set(u.pathname, body);
        return send(201, 'text/plain', 'created');
      }
      const got = uploads.get(u.pathname);
      return got === undefined ? send(404, 'text/plain', 'no') : send(200, 'text/plain', got);
    }
    send(404, 'text/html', '<html><body>Not Found</body></html>');
  };
}

/** The hardened app: security headers, no version banners, 404 for everything but a bland home page. */
function cleanHandler(log: LoggedRequest[]) {
  return (req: IncomingMessage, res: ServerResponse, body: string): void => {
    log.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
    res.setHeader('Server', 'webserver');
    res.setHeader('Strict-Transport-Security', 'max-age=63072000');
    res.setHeader('X-Frame-Options', 'DENY');
    res.setHeader('Content-Security-Policy', "default-src 'self'");
    if (req.method === 'TRACE' || req.method === 'PUT') {
      res.writeHead(405, { 'Content-Type': 'text/plain' });
      res.end('Method Not Allowed');
      return;
    }
    if (req.url === '/') {
      res.writeHead(200, { 'Content-Type': 'text/html' });
      res.end('<html><head><title>Welcome</title></head><body>Nothing to see.</body></html>');
      return;
    }
    res.writeHead(404, { 'Content-Type': 'text/html' });
    res.end('<html><body>Forbidden or missing</body></html>');
  };
}

function withBody(h: (req: IncomingMessage, res: ServerResponse, body: string) => void) {
  return (req: IncomingMessage, res: ServerResponse): void => {
    const chunks: Buffer[] = [];
    req.on('data', (d: Buffer) => chunks.push(d));
    req.on('end', () => h(req, res, Buffer.concat(chunks).toString('utf8')));
  };
}

export interface WebServer extends Closable {
  readonly port: number;
  readonly log: LoggedRequest[];
  target(host?: string): NucleiTarget;
}

export async function startWeb(kind: 'dirty' | 'clean', tls?: { key: string; cert: string }): Promise<WebServer> {
  const log: LoggedRequest[] = [];
  let port = 0;
  const handler = withBody(kind === 'dirty' ? dirtyHandler(log, () => port) : cleanHandler(log));
  const server = tls ? createHttpsServer({ key: tls.key, cert: tls.cert }, handler) : createHttpServer(handler);
  const sockets = track(server);
  port = await listen(server);
  return {
    port,
    log,
    target: (host = '127.0.0.1') => ({ host, port, ip: '127.0.0.1', tls: tls !== undefined }),
    close: closer(server, sockets),
  };
}

export interface Pems {
  readonly key: string;
  readonly cert: string;
}

const DAY = 24 * 3600 * 1000;

export async function selfSignedPems(cn: string, opts: { expired?: boolean } = {}): Promise<Pems> {
  const p = await selfsigned.generate([{ name: 'commonName', value: cn }], {
    keySize: 2048,
    algorithm: 'sha256',
    ...(opts.expired ? { notBeforeDate: new Date(Date.now() - 400 * DAY), notAfterDate: new Date(Date.now() - 30 * DAY) } : {}),
    extensions: [{ name: 'subjectAltName', altNames: [{ type: 2, value: cn }, { type: 2, value: `www.${cn}` }] }],
  });
  return { key: p.private, cert: p.cert };
}

/** A leaf signed by a separate CA ("Trawl Lab CA"): not self-signed, not expired. */
export async function caSignedPems(cn: string): Promise<Pems> {
  const ca = await selfsigned.generate([{ name: 'commonName', value: 'Trawl Lab CA' }, { name: 'organizationName', value: 'Trawl Lab' }], {
    keySize: 2048,
    algorithm: 'sha256',
    extensions: [{ name: 'basicConstraints', cA: true, critical: true }, { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true }],
  });
  const leaf = await selfsigned.generate([{ name: 'commonName', value: cn }], {
    keySize: 2048,
    algorithm: 'sha256',
    ca: { key: ca.private, cert: ca.cert },
    extensions: [{ name: 'subjectAltName', altNames: [{ type: 2, value: cn }] }],
  });
  return { key: leaf.private, cert: `${leaf.cert.trim()}\n${ca.cert.trim()}\n` };
}

export interface TlsServer extends Closable {
  readonly port: number;
  target(host?: string): NucleiTarget;
}

export async function startTls(pems: Pems, extra: TlsOptions = {}): Promise<TlsServer> {
  const server = createTlsServer({ key: pems.key, cert: pems.cert, ...extra }, (s) => {
    s.on('error', () => undefined);
    s.end();
  });
  server.on('tlsClientError', () => undefined);
  const sockets = track(server);
  const port = await listen(server);
  return { port, target: (host = '127.0.0.1') => ({ host, port, ip: '127.0.0.1', tls: true }), close: closer(server, sockets) };
}

export interface TcpServer extends Closable {
  readonly port: number;
  readonly received: Buffer[];
  target(): NucleiTarget;
}

/** A TCP service whose behaviour is a function of each connection. */
export async function startTcp(onConnection: (s: Socket, received: Buffer[]) => void): Promise<TcpServer> {
  const received: Buffer[] = [];
  const server = createNetServer((s) => {
    s.on('error', () => undefined);
    onConnection(s, received);
  });
  const sockets = track(server);
  const port = await listen(server);
  return { port, received, target: () => ({ host: '127.0.0.1', port, ip: '127.0.0.1', tls: false }), close: closer(server, sockets) };
}

export async function loadCorpus(): Promise<Map<string, NucleiTemplate>> {
  const { templates } = await loadTemplates(CORPUS);
  return new Map(templates.map((t) => [t.id, t]));
}

export function inlineTemplate(yaml: string): NucleiTemplate {
  const { template, entry } = parseTemplate(yaml, { root: CORPUS });
  if (!template) throw new Error(`inline template not supported: ${entry.status}: ${entry.reasons.join('; ')}`);
  return template;
}

export interface RunOutput {
  readonly matches: NucleiResult[];
  readonly records: NucleiRunRecord[];
}

export async function run(templates: readonly NucleiTemplate[], targets: readonly NucleiTarget[], opts: { timeoutMs?: number; perHostRate?: number; concurrency?: number } = {}): Promise<RunOutput> {
  const matches: NucleiResult[] = [];
  const records: NucleiRunRecord[] = [];
  for await (const e of runTemplates(templates, targets, { guard: loopbackGuard, timeoutMs: opts.timeoutMs ?? 3000, perHostRate: opts.perHostRate ?? 1000, concurrency: opts.concurrency ?? 8, perHostConcurrency: 8 })) {
    push(e, matches, records);
  }
  return { matches, records };
}

function push(e: NucleiEvent, matches: NucleiResult[], records: NucleiRunRecord[]): void {
  if (e.kind === 'match') matches.push(e);
  else records.push(e);
}

export function get<K, V>(m: Map<K, V>, k: K): V {
  const v = m.get(k);
  if (v === undefined) throw new Error(`missing ${String(k)}`);
  return v;
}
