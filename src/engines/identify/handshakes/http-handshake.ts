import { createHash } from 'node:crypto';
import type { IdentifyTarget } from '../service-identity.js';
import { withBudget, type HandshakeBudget } from './handshake-budget.js';
import { withConnection, type HandshakeConnection } from './handshake-connection.js';
import { handshakeIdentity, linuxHint } from './handshake-identity.js';
import type { HandshakeOptions, HandshakeResult } from './handshake-types.js';
import { header, htmlTitle, httpResponseComplete, looksLikeHttp, parseHttpResponse, type HttpResponse } from './http-response.js';
import { shodanFaviconHash } from './murmur3.js';

export interface HttpRedirect {
  readonly status: number;
  readonly location: string;
  /** The Location resolved against the page that sent it. */
  readonly url?: string;
  readonly followed: boolean;
  /** Why a redirect was not followed (other host, scheme or port; limit reached). */
  readonly reason?: string;
}

export interface FaviconFacts {
  readonly url: string;
  readonly status: number;
  readonly bytes: number;
  /** Shodan's http.favicon.hash (signed mmh3 of the MIME base64); absent when the icon was cut off. */
  readonly mmh3?: number;
  readonly md5?: string;
  readonly contentType?: string;
  readonly truncated: boolean;
}

export interface HttpFacts {
  /** The URL of the final response (after same-host redirects). */
  readonly url: string;
  /** The Host header sent: the target's hostname, or its address. */
  readonly host: string;
  readonly httpVersion: string;
  readonly status: number;
  readonly reason: string;
  readonly headers: readonly (readonly [string, string])[];
  readonly server?: string;
  readonly poweredBy?: string;
  readonly contentType?: string;
  readonly title?: string;
  readonly redirects: readonly HttpRedirect[];
  /** Body text as read, at most `maxBodyBytes`. */
  readonly body: string;
  readonly bodyBytes: number;
  readonly bodyTruncated: boolean;
  readonly bodySha256: string;
  readonly favicon?: FaviconFacts;
  readonly tls: boolean;
}

export interface HttpHandshakeExtras {
  /** Body bytes kept in facts. Default 4096. */
  readonly maxBodyBytes?: number;
  /** Same-host redirects followed. Default 3 (at most 3). */
  readonly maxRedirects?: number;
  /** Fetch /favicon.ico and hash it. Default true. */
  readonly favicon?: boolean;
  /** Path of the first request. Default "/". */
  readonly path?: string;
}

export const HTTP_USER_AGENT = 'Mozilla/5.0 (compatible; Trawl/0.1)';
const MAX_REDIRECTS = 3;

export async function httpHandshake(target: IdentifyTarget, opts: HandshakeOptions & HttpHandshakeExtras): Promise<HandshakeResult<HttpFacts> | undefined> {
  return withBudget(opts, (b) => httpWithBudget(target, b, opts));
}

/** The Host header value and the base URL for a target. */
export function httpOrigin(target: IdentifyTarget, tls: boolean): { host: string; base: URL } {
  const literal = target.family === 6 ? `[${target.ip}]` : target.ip;
  const defaultPort = tls ? 443 : 80;
  const scheme = tls ? 'https' : 'http';
  const withPort = (n: string): string => (target.port === defaultPort ? n : `${n}:${target.port}`);
  if (target.hostname !== undefined && /^[A-Za-z0-9.-]{1,253}$/.test(target.hostname)) {
    try {
      return { host: withPort(target.hostname), base: new URL(`${scheme}://${withPort(target.hostname)}/`) };
    } catch {
      // fall back to the address
    }
  }
  return { host: withPort(literal), base: new URL(`${scheme}://${withPort(literal)}/`) };
}

export function httpRequest(path: string, host: string): string {
  return `GET ${path} HTTP/1.1\r\nHost: ${host}\r\nUser-Agent: ${HTTP_USER_AGENT}\r\nAccept: */*\r\nAccept-Encoding: identity\r\nConnection: close\r\n\r\n`;
}

/** Sends one GET on `conn` and reads the response within limits. */
export async function httpExchange(conn: HandshakeConnection, path: string, host: string, bodyLimit: number): Promise<HttpResponse | undefined> {
  conn.write(httpRequest(path, host));
  await conn.fill((b) => (b.length >= 16 && !looksLikeHttp(b)) || httpResponseComplete(b, bodyLimit));
  if (!looksLikeHttp(conn.buffer)) return undefined;
  return parseHttpResponse(conn.buffer, bodyLimit, conn.ended === 'closed');
}

export async function httpWithBudget(target: IdentifyTarget, budget: HandshakeBudget, extras: HttpHandshakeExtras = {}): Promise<HandshakeResult<HttpFacts> | undefined> {
  const tls = budget.opts.tls;
  const { host, base } = httpOrigin(target, tls);
  const bodyLimit = budget.opts.maxResponseBytes;
  const get = (path: string): Promise<HttpResponse | undefined> =>
    withConnection(target, budget, tls ? { alpn: ['http/1.1'] } : undefined, (c) => httpExchange(c, path, host, bodyLimit));

  const url = new URL(extras.path ?? '/', base);
  const res = await get(url.pathname + url.search);
  if (res === undefined) return undefined;
  return httpFollowAndDescribe(budget, extras, res, url, get, { host, base, tls });
}

/** Follows same-host redirects from a first response, fetches the favicon and builds the result. */
export async function httpFollowAndDescribe(
  budget: HandshakeBudget,
  extras: HttpHandshakeExtras,
  first: HttpResponse,
  firstUrl: URL,
  get: (path: string) => Promise<HttpResponse | undefined>,
  origin: { host: string; base: URL; tls: boolean },
): Promise<HandshakeResult<HttpFacts>> {
  let res = first;
  let url = firstUrl;
  const redirects: HttpRedirect[] = [];
  const maxRedirects = Math.min(MAX_REDIRECTS, Math.max(0, extras.maxRedirects ?? MAX_REDIRECTS));
  while (res.status >= 300 && res.status < 400) {
    const location = header(res.headers, 'location');
    if (location === undefined) break;
    let next: URL | undefined;
    try {
      next = new URL(location, url);
    } catch {
      next = undefined;
    }
    const loc = location.slice(0, 1024);
    if (next === undefined) {
      redirects.push({ status: res.status, location: loc, followed: false, reason: 'unparseable Location' });
      break;
    }
    if (next.protocol !== origin.base.protocol || next.host !== origin.base.host) {
      redirects.push({ status: res.status, location: loc, url: next.href.slice(0, 1024), followed: false, reason: 'other host, scheme or port' });
      break;
    }
    if (redirects.length >= maxRedirects || budget.exhausted) {
      redirects.push({ status: res.status, location: loc, url: next.href.slice(0, 1024), followed: false, reason: 'redirect limit reached' });
      break;
    }
    const r = await get((next.pathname + next.search).slice(0, 2048));
    redirects.push({ status: res.status, location: loc, url: next.href.slice(0, 1024), followed: r !== undefined, ...(r === undefined ? { reason: 'no HTTP response' } : {}) });
    if (r === undefined) break;
    res = r;
    url = next;
  }

  let favicon: FaviconFacts | undefined;
  if (extras.favicon !== false && !budget.exhausted) {
    const icon = new URL('/favicon.ico', origin.base);
    const r = await get('/favicon.ico');
    if (r !== undefined) {
      const ct = header(r.headers, 'content-type');
      const ok = r.status === 200 && r.body.length > 0;
      favicon = {
        url: icon.href,
        status: r.status,
        bytes: r.body.length,
        ...(ok && !r.bodyTruncated ? { mmh3: shodanFaviconHash(r.body), md5: createHash('md5').update(r.body).digest('hex') } : {}),
        ...(ct !== undefined ? { contentType: ct.slice(0, 128) } : {}),
        truncated: r.bodyTruncated,
      };
    }
  }

  const keep = Math.max(0, extras.maxBodyBytes ?? 4096);
  const server = header(res.headers, 'server');
  const poweredBy = header(res.headers, 'x-powered-by');
  const contentType = header(res.headers, 'content-type');
  const title = htmlTitle(res.body);
  const facts: HttpFacts = {
    url: url.href,
    host: origin.host,
    httpVersion: res.httpVersion,
    status: res.status,
    reason: res.reason,
    headers: res.headers,
    ...(server !== undefined ? { server } : {}),
    ...(poweredBy !== undefined ? { poweredBy } : {}),
    ...(contentType !== undefined ? { contentType } : {}),
    ...(title !== undefined ? { title } : {}),
    redirects,
    body: res.body.subarray(0, keep).toString('utf8'),
    bodyBytes: res.body.length,
    bodyTruncated: res.bodyTruncated,
    bodySha256: createHash('sha256').update(res.body).digest('hex'),
    ...(favicon !== undefined ? { favicon } : {}),
    tls: origin.tls,
  };
  // Server of the first response: a same-host redirect rarely changes it, and it may be absent later.
  const serverHeader = server ?? header(first.headers, 'server');
  const product = httpProduct(serverHeader);
  return {
    identity: handshakeIdentity({
      name: 'http',
      product: product?.product,
      version: product?.version,
      extrainfo: product?.extrainfo,
      ostype: serverHeader !== undefined && linuxHint(serverHeader) ? 'Linux' : undefined,
      tunnel: origin.tls ? 'ssl' : undefined,
      facts: { http: facts },
    }),
    facts,
  };
}

const SERVER_PRODUCTS: Readonly<Record<string, string>> = {
  nginx: 'nginx',
  apache: 'Apache httpd',
  'microsoft-iis': 'Microsoft IIS httpd',
  lighttpd: 'lighttpd',
  openresty: 'OpenResty web app server',
  caddy: 'Caddy httpd',
  'cloudflare': 'cloudflare',
  'gunicorn': 'Gunicorn',
  'jetty': 'Jetty',
  'envoy': 'Envoy',
  'tengine': 'Tengine httpd',
  'litespeed': 'LiteSpeed httpd',
};

/** "nginx/1.22.1" → nginx 1.22.1; "Apache/2.4.57 (Debian)" → Apache httpd 2.4.57, extrainfo "Debian". */
export function httpProduct(server: string | undefined): { product: string; version?: string; extrainfo?: string } | undefined {
  if (server === undefined) return undefined;
  const m = /^([A-Za-z][\w.-]{0,63})(?:\/([\w.-]{1,32}))?(?:\s+\(([^)]{1,64})\))?/.exec(server.trim());
  if (m === null) return undefined;
  const token = m[1]!;
  const product = SERVER_PRODUCTS[token.toLowerCase()] ?? token;
  return { product, ...(m[2] !== undefined ? { version: m[2] } : {}), ...(m[3] !== undefined ? { extrainfo: m[3] } : {}) };
}
