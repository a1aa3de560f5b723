/**
 * Execution of the compatibility features against local servers on 127.0.0.1: flow chains (&& stops
 * at the first step that fails, || at the first that succeeds; internal-only steps report nothing),
 * tcp flows, @tls-sni, hex network data written as a bare number in YAML, dashed variables, the new
 * DSL helpers inside requests, and aggression-level payloads. Every template is written here.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { NucleiTarget } from '../../../src/checks/nuclei/index.js';
import { inlineTemplate, run, selfSignedPems, startTcp, type TcpServer } from './nuclei-lab.js';

interface Seen {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingMessage['headers'];
  readonly body: string;
  readonly sni: string | false | null | undefined;
}

interface App {
  readonly seen: Seen[];
  target(host?: string): NucleiTarget;
  close(): Promise<void>;
}

/** A small app for chains: /login hands out a nonce, /skip checks it, /profile is the prize. */
function handler(opts: { nonce: boolean; skip: boolean; alpha: boolean }, seen: Seen[]) {
  return (req: IncomingMessage, res: ServerResponse): void => {
    const chunks: Buffer[] = [];
    req.on('data', (d: Buffer) => chunks.push(d));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const sock = req.socket as Socket & Partial<TLSSocket>;
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body, sni: sock.servername });
      const u = new URL(req.url ?? '/', 'http://app');
      const send = (status: number, text: string, type = 'text/html'): void => {
        res.writeHead(status, { 'Content-Type': type });
        res.end(text);
      };
      if (u.pathname === '/login') return send(200, opts.nonce ? '{"nonce":"n0nce42"}' : '{"error":"none"}', 'application/json');
      if (u.pathname === '/skip') return opts.skip && body.includes('n0nce42') ? send(200, '{"redirect_to":"/wp-admin/"}', 'application/json') : send(403, 'denied');
      if (u.pathname === '/profile') return send(200, '<h2>Personal Options</h2>');
      if (u.pathname === '/a') return opts.alpha ? send(200, 'alpha') : send(404, 'no');
      if (u.pathname === '/b') return send(200, 'beta');
      return send(200, 'ok');
    });
  };
}

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

async function startApp(opts: { nonce?: boolean; skip?: boolean; alpha?: boolean; tls?: { key: string; cert: string } } = {}): Promise<App> {
  const seen: Seen[] = [];
  const h = handler({ nonce: opts.nonce ?? true, skip: opts.skip ?? true, alpha: opts.alpha ?? true }, seen);
  const server = opts.tls ? createHttpsServer({ key: opts.tls.key, cert: opts.tls.cert }, h) : createServer(h);
  const port = await listen(server);
  return {
    seen,
    target: (host = '127.0.0.1') => ({ host, port, ip: '127.0.0.1', tls: opts.tls !== undefined }),
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const CHAIN = `id: flow-and-chain
info: { name: Flow chain, author: trawl, severity: high }
flow: http(1) && http(2) && http(3)
http:
  - raw:
      - |
        GET /login HTTP/1.1
        Host: {{Hostname}}
    extractors:
      - type: regex
        name: nonce
        part: body
        group: 1
        regex: ['"nonce":"([a-z0-9]+)"']
        internal: true
  - raw:
      - |
        POST /skip HTTP/1.1
        Host: {{Hostname}}
        Content-Type: application/json

        {"nonce":"{{nonce}}"}
    matchers:
      - type: word
        words: ['"redirect_to":"/wp-admin/"']
        internal: true
  - method: GET
    path: ["{{BaseURL}}/profile"]
    matchers:
      - type: word
        words: ["Personal Options"]
`;

const paths = (app: App): string[] => app.seen.map((s) => `${s.method} ${s.url}`);

describe('flow: http chains', () => {
  const apps: App[] = [];
  after(async () => {
    for (const a of apps) await a.close();
  });

  it('&&: every step succeeds — the nonce flows on, only the last (non-internal) step is a finding', async () => {
    const app = await startApp();
    apps.push(app);
    const out = await run([inlineTemplate(CHAIN)], [app.target()]);
    assert.deepEqual(paths(app), ['GET /login', 'POST /skip', 'GET /profile']);
    assert.equal(JSON.parse(app.seen[1]!.body).nonce, 'n0nce42');
    assert.equal(out.matches.length, 1);
    assert.match(out.matches[0]!.matchedAt, /\/profile$/);
    assert.equal(out.records[0]?.outcome, 'matched');
  });

  it('&&: a step whose matcher fails stops the chain (nothing after it is sent); without flow it would run on', async () => {
    const app = await startApp({ skip: false });
    apps.push(app);
    const out = await run([inlineTemplate(CHAIN)], [app.target()]);
    assert.deepEqual(paths(app), ['GET /login', 'POST /skip']);
    assert.equal(out.matches.length, 0);
    assert.equal(out.records[0]?.outcome, 'clean');
    assert.match(out.records[0]!.notes.join(' '), /flow stopped after step 2 of 3/);
    app.seen.length = 0;
    const noFlow = await run([inlineTemplate(CHAIN.replace('flow: http(1) && http(2) && http(3)\n', ''))], [app.target()]);
    assert.deepEqual(paths(app), ['GET /login', 'POST /skip', 'GET /profile']);
    assert.equal(noFlow.matches.length, 1, 'the same blocks without flow report /profile');
  });

  it('&&: an extractor-only step that extracts nothing fails the chain', async () => {
    const app = await startApp({ nonce: false });
    apps.push(app);
    const out = await run([inlineTemplate(CHAIN)], [app.target()]);
    assert.deepEqual(paths(app), ['GET /login']);
    assert.equal(out.matches.length, 0);
  });

  it('||: the first step that succeeds ends the chain; a failing one lets the next run', async () => {
    const tpl = inlineTemplate(`id: flow-or
info: { name: Flow or, author: trawl, severity: info }
flow: http(1) || http("second")
http:
  - method: GET
    path: ["{{BaseURL}}/a"]
    matchers: [{ type: word, words: [alpha] }]
  - id: second
    method: GET
    path: ["{{BaseURL}}/b"]
    matchers: [{ type: word, words: [beta] }]
`);
    const hit = await startApp();
    const miss = await startApp({ alpha: false });
    apps.push(hit, miss);
    const a = await run([tpl], [hit.target()]);
    assert.deepEqual(paths(hit), ['GET /a']);
    assert.deepEqual(a.matches.map((m) => new URL(m.matchedAt).pathname), ['/a']);
    const b = await run([tpl], [miss.target()]);
    assert.deepEqual(paths(miss), ['GET /a', 'GET /b']);
    assert.deepEqual(b.matches.map((m) => new URL(m.matchedAt).pathname), ['/b']);
  });

  it('a template whose matchers are all internal reports nothing (as nuclei prints nothing)', async () => {
    const app = await startApp();
    apps.push(app);
    const out = await run([inlineTemplate('id: internal-only\ninfo: { name: x, author: t, severity: info }\nhttp:\n  - method: GET\n    path: ["{{BaseURL}}/a"]\n    matchers: [{ type: word, words: [alpha], internal: true }]\n')], [app.target()]);
    assert.deepEqual(paths(app), ['GET /a']);
    assert.equal(out.matches.length, 0);
  });
});

describe('flow: tcp chains', () => {
  let good: TcpServer;
  let bad: TcpServer;
  before(async () => {
    const service = (pong: string) => (s: Socket, received: Buffer[]) =>
      s.on('data', (d: Buffer) => {
        received.push(d);
        s.end(d.toString().startsWith('PING') ? `${pong}\r\n` : 'uptime:42\r\n');
      });
    good = await startTcp(service('PONG'));
    bad = await startTcp(service('NOPE'));
  });
  after(async () => {
    await good.close();
    await bad.close();
  });

  it('tcp(1) && tcp(2): the second exchange happens only when the first matched', async () => {
    const tpl = inlineTemplate(`id: tcp-flow
info: { name: tcp flow, author: trawl, severity: info }
flow: tcp(1) && network(2)
tcp:
  - host: ["{{Hostname}}"]
    inputs: [{ data: "PING\\r\\n" }]
    matchers: [{ type: word, words: [PONG], internal: true }]
  - host: ["{{Hostname}}"]
    inputs: [{ data: "STATS\\r\\n" }]
    matchers: [{ type: word, words: ["uptime:"] }]
`);
    const a = await run([tpl], [good.target()]);
    assert.deepEqual(good.received.map((b) => b.toString()), ['PING\r\n', 'STATS\r\n']);
    assert.equal(a.matches.length, 1);
    const b = await run([tpl], [bad.target()]);
    assert.deepEqual(bad.received.map((x) => x.toString()), ['PING\r\n']);
    assert.equal(b.matches.length, 0);
  });
});

describe('requests built from the new shapes', () => {
  const closers: Array<() => Promise<void>> = [];
  after(async () => {
    for (const c of closers) await c();
  });

  it('hex data written as a bare YAML number reaches the wire byte for byte; so does "0010"', async () => {
    const srv = await startTcp((s, received) =>
      s.on('data', (d: Buffer) => {
        received.push(d);
        if (Buffer.concat(received).length >= 16) s.end('ACK');
      }),
    );
    closers.push(() => srv.close());
    const tpl = inlineTemplate(`id: hex-number
info: { name: hex, author: trawl, severity: info }
tcp:
  - host: ["{{Hostname}}"]
    inputs:
      - data: 444953543030303030303031
        type: hex
      - data: 0010
    matchers: [{ type: word, words: [ACK] }]
`);
    const out = await run([tpl], [srv.target()]);
    assert.equal(Buffer.concat(srv.received).toString('latin1'), 'DIST000000010010');
    assert.equal(out.matches.length, 1);
  });

  it('@tls-sni sets the TLS server name (port stripped); the connection still goes to the target', async () => {
    const app = await startApp({ tls: await selfSignedPems('lab.test') });
    closers.push(() => app.close());
    const tpl = inlineTemplate(`id: tls-sni
info: { name: sni, author: trawl, severity: info }
http:
  - raw:
      - |
        @tls-sni: sni.lab.test
        GET /one HTTP/1.1
        Host: {{Hostname}}
      - |
        @tls-sni: {{Hostname}}
        GET /two HTTP/1.1
        Host: {{Hostname}}
      - |
        GET /three HTTP/1.1
        Host: {{Hostname}}
    matchers: [{ type: status, status: [200] }]
`);
    await run([tpl], [app.target('lab.test')]);
    const sni = Object.fromEntries(app.seen.map((s) => [s.url, s.sni]));
    assert.deepEqual(sni, { '/one': 'sni.lab.test', '/two': 'lab.test', '/three': 'lab.test' });
    app.seen.length = 0;
    await run([tpl], [app.target('127.0.0.1')]);
    // An address is never sent as SNI; the annotation still names its host.
    assert.deepEqual(app.seen.map((s) => [s.url, s.sni]), [['/one', 'sni.lab.test'], ['/two', false], ['/three', false]]);
  });

  it('dashed variables, tolower/padding/date_time inside requests, aggression-level payloads (low only)', async () => {
    const app = await startApp();
    closers.push(() => app.close());
    const tpl = inlineTemplate(`id: shapes
info: { name: shapes, author: trawl, severity: info }
variables:
  x-wp-nonce: "{{tolower('ABC')}}"
http:
  - raw:
      - |
        GET /echo?p={{padding("ab", "x", 5, "suffix")}}&y={{date_time("%Y", 0)}}&e={{esc}} HTTP/1.1
        Host: {{Hostname}}
        X-WP-Nonce: {{x-wp-nonce}}
    payloads:
      esc:
        low: ["%0a", "%0d%0a"]
        medium: ["%23%0a"]
        high: ["%e5%98%8a"]
    matchers: [{ type: status, status: [200] }]
`);
    const out = await run([tpl], [app.target()]);
    assert.deepEqual(app.seen.map((s) => s.url), ['/echo?p=abxxx&y=1970&e=%0a', '/echo?p=abxxx&y=1970&e=%0d%0a']);
    assert.deepEqual(app.seen.map((s) => s.headers['x-wp-nonce']), ['abc', 'abc']);
    assert.equal(out.matches.length, 2);
  });
});
