import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { auditSecurityHeaders, directoryListing, dotenvShape, gitHeadContent, httpDirectoryListing, httpExposedEnv, httpExposedGit, httpMissingSecurityHeaders } from '../../src/checks/builtin/http-checks.js';
import { identifyByHandshake } from '../../src/engines/identify/cascade/index.js';
import type { ServiceIdentity } from '../../src/engines/identify/service-identity.js';
import { identity, loopbackGuard, runCheck, target, testContext } from './check-test-support.js';

/** identification's HTTP facts (http-handshake.ts) for a response. */
function httpIdentity(over: { url?: string; status?: number; headers?: [string, string][]; body?: string; tls?: boolean; contentType?: string }): ServiceIdentity {
  const headers = over.headers ?? [['Server', 'nginx/1.22.1'], ['Content-Type', over.contentType ?? 'text/html']];
  return identity('http', {
    http: {
      url: over.url ?? 'http://127.0.0.1/',
      host: '127.0.0.1',
      httpVersion: '1.1',
      status: over.status ?? 200,
      reason: 'OK',
      headers,
      contentType: over.contentType ?? 'text/html',
      redirects: [],
      body: over.body ?? '<html><head><title>x</title></head></html>',
      bodyBytes: 10,
      bodyTruncated: false,
      bodySha256: '',
      tls: over.tls ?? false,
    },
  }, over.tls === true ? { tunnel: 'ssl' } : {});
}

const NGINX_AUTOINDEX = '<html>\r\n<head><title>Index of /</title></head>\r\n<body>\r\n<h1>Index of /</h1><hr><pre><a href="../">../</a>\r\n<a href="backup/">backup/</a>                                            21-Nov-2026 07:00                   -\r\n</pre><hr></body>\r\n</html>\r\n';

describe('HTTP checks (facts and shape rules)', () => {
  it('http-missing-security-headers lists every missing or invalid protection in one finding', async () => {
    const [f] = await runCheck(httpMissingSecurityHeaders, target(443), httpIdentity({ tls: true, url: 'https://127.0.0.1/' }));
    assert.deepEqual(f?.evidence['missing'], ['Strict-Transport-Security', 'Content-Security-Policy', 'X-Content-Type-Options', 'X-Frame-Options / CSP frame-ancestors']);
    // The hardened lab's headers on plain HTTP: nothing missing (HSTS is not expected without TLS).
    const hardened: [string, string][] = [['Content-Type', 'text/html'], ['X-Content-Type-Options', 'nosniff'], ['X-Frame-Options', 'DENY'], ['Content-Security-Policy', "default-src 'self'"]];
    assert.deepEqual(await runCheck(httpMissingSecurityHeaders, target(80), httpIdentity({ headers: hardened })), []);
    // Invalid values count as missing; frame-ancestors replaces X-Frame-Options.
    const a = auditSecurityHeaders([['Strict-Transport-Security', 'max-age=0'], ['X-Content-Type-Options', 'sniff'], ['Content-Security-Policy', "default-src 'self'; frame-ancestors 'none'"]], true);
    assert.deepEqual(a.missing, ['Strict-Transport-Security', 'X-Content-Type-Options']);
    assert.deepEqual(auditSecurityHeaders([['Content-Security-Policy-Report-Only', "default-src 'self'"]], false).missing, ['Content-Security-Policy', 'X-Content-Type-Options', 'X-Frame-Options / CSP frame-ancestors']);
    // Not HTML (an API's JSON): not judged.
    assert.deepEqual(await runCheck(httpMissingSecurityHeaders, target(80), httpIdentity({ contentType: 'application/json', headers: [['Content-Type', 'application/json']] })), []);
  });

  it('directory listings are recognised for the requested path only', () => {
    assert.equal(directoryListing(NGINX_AUTOINDEX, '/'), 'autoindex (nginx/Apache/lighttpd)');
    assert.equal(directoryListing(NGINX_AUTOINDEX, '/backup/'), undefined);
    assert.equal(directoryListing('<html><title>Directory listing for /</title><a href="a.txt">a.txt</a>', '/'), 'Python http.server');
    assert.equal(directoryListing('<html><title>Index of /</title>no links here', '/'), undefined);
    assert.equal(directoryListing('<p>See the Index of / page</p><a href="x">x</a>', '/'), undefined);
    assert.equal(directoryListing('<html><title>Index of /</title><a href="/">home</a><a href="?sort=name">sort</a>', '/'), undefined);
  });

  it('Git HEAD and dotenv shapes', () => {
    assert.equal(gitHeadContent('ref: refs/heads/main\n'), 'ref: refs/heads/main');
    assert.equal(gitHeadContent('3f786850e387550fdab836ed7e6dc881de23001b\n'), '3f786850e387550fdab836ed7e6dc881de23001b');
    assert.equal(gitHeadContent('<html><body>ref: refs/heads/main</body></html>'), undefined);
    assert.equal(gitHeadContent('ref: refs/heads/main\nmore\n'), undefined);
    assert.deepEqual(dotenvShape('APP_ENV=production\nDB_PASSWORD=trawl-lab-not-a-secret\n'), { names: ['APP_ENV', 'DB_PASSWORD'], secretNames: ['DB_PASSWORD'] });
    assert.deepEqual(dotenvShape('# comment\nexport API_KEY="x"\n\nDEBUG=false\n')?.names, ['API_KEY', 'DEBUG']);
    assert.equal(dotenvShape('<!doctype html><html><body>APP_ENV=production</body></html>'), undefined);
    assert.equal(dotenvShape('Not found\n'), undefined);
    assert.equal(dotenvShape('A=1\nthis is prose\nmore prose\nand more\n'), undefined);
  });
});

/**
 * Two local web servers: one exposes what the weak lab exposes, one answers every path with the same
 * 200 HTML page (a soft 404 — the false-positive trap for shape-blind checks).
 */
describe('HTTP exposure checks against local servers', () => {
  const servers: http.Server[] = [];
  let leaky: { port: number; id: ServiceIdentity; paths: string[] };
  let soft: { port: number; id: ServiceIdentity; paths: string[] };

  async function serve(handler: (path: string, res: http.ServerResponse) => void): Promise<{ port: number; id: ServiceIdentity; paths: string[] }> {
    const paths: string[] = [];
    const server = http.createServer((req, res) => {
      paths.push(req.url ?? '');
      handler(req.url ?? '/', res);
    });
    servers.push(server);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    const id = await identifyByHandshake({ ip: '127.0.0.1', port, family: 4 }, { guard: loopbackGuard });
    assert.equal(id?.name, 'http');
    paths.length = 0;
    return { port, id: id!, paths };
  }

  before(async () => {
    leaky = await serve((path, res) => {
      if (path === '/.git/HEAD') return void res.writeHead(200, { 'content-type': 'application/octet-stream' }).end('ref: refs/heads/main\n');
      if (path === '/.env') return void res.writeHead(200, { 'content-type': 'text/plain' }).end('APP_ENV=production\nDB_PASSWORD=hunter2\n');
      if (path === '/uploads/') return void res.writeHead(200, { 'content-type': 'text/html' }).end('<html><head><title>Index of /uploads/</title></head><body><h1>Index of /uploads/</h1><a href="../">../</a><a href="cv.pdf">cv.pdf</a></body></html>');
      res.writeHead(200, { 'content-type': 'text/html' }).end('<html><head><title>Home</title></head><body><a href="/about">about</a></body></html>');
    });
    soft = await serve((_path, res) => {
      res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><html><head><title>Not Found</title></head><body><h1>Index of /</h1>Page not found. ref: refs/heads/main DB_PASSWORD=x <a href="/">home</a></body></html>');
    });
  });
  after(async () => {
    for (const s of servers) {
      s.closeAllConnections();
      await new Promise<void>((r) => s.close(() => r()));
    }
  });

  it('http-exposed-git fetches /.git/HEAD and reports the ref', async () => {
    const ctx = testContext();
    const [f] = await runCheck(httpExposedGit, target(leaky.port), leaky.id, ctx);
    assert.equal(f?.evidence['head'], 'ref: refs/heads/main');
    assert.equal(f?.evidence['url'], `http://127.0.0.1:${leaky.port}/.git/HEAD`);
    assert.equal(f?.cvss?.score, 7.5);
    assert.deepEqual(leaky.paths.splice(0), ['/.git/HEAD']);
    assert.equal(ctx.connects.length, 1);
  });

  it('http-exposed-env reports variable names, never values', async () => {
    const [f] = await runCheck(httpExposedEnv, target(leaky.port), leaky.id);
    assert.deepEqual(f?.evidence['variables'], ['APP_ENV', 'DB_PASSWORD']);
    assert.equal(f?.severity, 'critical');
    assert.ok(!JSON.stringify(f).includes('hunter2'), 'the secret value is not in the finding');
    leaky.paths.length = 0;
  });

  it('http-directory-listing tries "/" (from identification), then the common folders', async () => {
    const [f] = await runCheck(httpDirectoryListing, target(leaky.port), leaky.id);
    assert.equal(f?.evidence['url'], `http://127.0.0.1:${leaky.port}/uploads/`);
    assert.deepEqual(f?.evidence['entries'], ['cv.pdf']);
    assert.deepEqual(leaky.paths.splice(0), ['/backup/', '/uploads/'], '"/" came from identification, not a new request');
  });

  it('a soft-404 server (200 HTML for every path) raises none of them', async () => {
    for (const check of [httpExposedGit, httpExposedEnv, httpDirectoryListing]) {
      assert.deepEqual(await runCheck(check, target(soft.port), soft.id), [], check.id);
    }
    assert.deepEqual(soft.paths.sort(), ['/.env', '/.git/HEAD', '/backup/', '/uploads/']);
  });
});
