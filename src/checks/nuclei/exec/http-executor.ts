/**
 * Runs the http (legacy `requests`) blocks of a template against one target.
 *
 * Order, as nuclei: blocks in order; within a block, payload combinations outermost and the
 * block's paths/raw requests inside. Internal extractor values carry over to later requests and
 * blocks. With `req-condition`, each combination's responses are gathered (body_1, status_code_2…)
 * and operators run once after the last; otherwise operators run on every response.
 *
 * Every connection goes to the target's IP; the Host header carries the name. Redirects are followed
 * only to the same host, or (with `redirects: true`) to another host written as an IP address that
 * the egress guard accepts — a host name would need DNS, which the check stage never does.
 */
import { isIP } from 'node:net';
import { TrawlError } from '../../../errors/trawl-error.js';
import type { DslValue } from '../dsl/dsl-value.js';
import { bytesToDsl, dslByteLength, dslBytes } from '../dsl/dsl-bytes.js';
import { httpExchange, type WireResponse } from '../net/http-wire.js';
import { ConnectFailure, CUT_OFF } from '../net/wire-connect.js';
import { runOperators, type OperatorInput, type PartValue } from '../operators/operator-engine.js';
import { payloadCombinations } from '../payload-generator.js';
import type { HttpRequestSpec } from '../template-types.js';
import type { ExecContext } from './exec-context.js';
import { absorbDynamic, flowPassed, recordMatch } from './result-builder.js';

const USER_AGENT = 'Mozilla/5.0 (compatible; Trawl)';

interface BuiltRequest {
  readonly method: string;
  /** Origin-form or absolute-form target as it goes on the request line. */
  readonly target: string;
  readonly bytes: Buffer;
  readonly text: string;
  readonly body: string;
  readonly headers: ReadonlyArray<readonly [string, string]>;
  /** For redirects: the scheme/host/port this request went to. */
  readonly scheme: 'http' | 'https';
  readonly hostPort: string;
  readonly host: string;
  readonly port: number;
  readonly ip: string;
  /** TLS server name when a raw request's @tls-sni annotation sets one (else `host`). */
  readonly servername?: string;
}

interface HttpResponseData {
  readonly request: BuiltRequest;
  readonly response: WireResponse;
  readonly url: string;
}

function serialize(method: string, target: string, headers: ReadonlyArray<readonly [string, string]>, body: string): { bytes: Buffer; text: string } {
  const head = `${method} ${target} HTTP/1.1\r\n${headers.map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n`;
  const text = head + body;
  // Head and body are DSL strings: each is exactly the bytes it stands for (dsl-bytes.ts).
  return { bytes: Buffer.concat([dslBytes(head), dslBytes(body)]), text };
}

function hasHeader(h: ReadonlyArray<readonly [string, string]>, name: string): boolean {
  const n = name.toLowerCase();
  return h.some(([k]) => k.toLowerCase() === n);
}

function setHeader(h: Array<[string, string]>, name: string, value: string): void {
  const n = name.toLowerCase();
  const i = h.findIndex(([k]) => k.toLowerCase() === n);
  if (i >= 0) h[i] = [h[i]![0], value];
  else h.push([name, value]);
}

function cookieHeader(jar: ReadonlyMap<string, string>): string | undefined {
  return jar.size === 0 ? undefined : [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
}

/** Builds a structured (path) request. The interpolated path starts with the target's BaseURL/RootURL. */
function buildStructured(ctx: ExecContext, spec: HttpRequestSpec, path: string, lookup: ReturnType<ExecContext['lookup']>, jar: ReadonlyMap<string, string>): BuiltRequest | undefined {
  const url = ctx.fill(path.trim(), lookup, 'path');
  if (url === undefined) return undefined;
  const origin = `${ctx.url.scheme}://${ctx.url.hostPort}`;
  if (!url.startsWith(origin)) {
    ctx.note(`path ${JSON.stringify(url.slice(0, 80))} leaves the target: skipped`);
    return undefined;
  }
  let rest = url.slice(origin.length).replace(/^\/\/+/, '/');
  if (rest === '' || rest.startsWith('?') || rest.startsWith('#')) rest = `/${rest}`;
  if (!rest.startsWith('/')) {
    ctx.note(`path ${JSON.stringify(url.slice(0, 80))} changes the target's port or host: skipped`);
    return undefined;
  }
  const target = rest.split('#')[0]!;
  const headers: Array<[string, string]> = [
    ['Host', ctx.url.hostPort],
    ['User-Agent', USER_AGENT],
    ['Accept', '*/*'],
    ['Accept-Language', 'en'],
    ['Accept-Encoding', 'gzip, deflate'],
  ];
  for (const [k, v0] of spec.headers) {
    const v = ctx.fill(v0, lookup, `header ${k}`);
    if (v === undefined) return undefined;
    setHeader(headers, k, v);
  }
  const body = ctx.fill(spec.body, lookup, 'body');
  if (body === undefined) return undefined;
  const cookies = spec.cookieReuse ? cookieHeader(jar) : undefined;
  if (cookies !== undefined && !hasHeader(headers, 'Cookie')) headers.push(['Cookie', cookies]);
  if (body !== '' || ['POST', 'PUT', 'PATCH'].includes(spec.method)) setHeader(headers, 'Content-Length', String(dslByteLength(body)));
  setHeader(headers, 'Connection', 'close');
  const { bytes, text } = serialize(spec.method, target, headers, body);
  return { method: spec.method, target, bytes, text, body, headers, scheme: ctx.url.scheme, hostPort: ctx.url.hostPort, host: ctx.url.host, port: ctx.url.port, ip: ctx.target.ip };
}

/** Builds a raw request: the template's bytes with CRLF line ends and (unless unsafe) a fixed Content-Length. */
function buildRaw(ctx: ExecContext, spec: HttpRequestSpec, raw: string, lookup: ReturnType<ExecContext['lookup']>, jar: ReadonlyMap<string, string>): BuiltRequest | undefined {
  const filled = ctx.fill(raw, lookup, 'raw request');
  if (filled === undefined) return undefined;
  let text = filled.replace(/^\s+/, '');
  let servername: string | undefined;
  while (text.startsWith('@')) {
    const nl = text.indexOf('\n');
    const ann = (nl < 0 ? text : text.slice(0, nl)).replace(/\r$/, '');
    const sni = /^@tls-sni\s*:\s*(.*)$/i.exec(ann);
    // The name only: {{Hostname}} carries the port, and brackets wrap an IPv6 address.
    if (sni) servername = sni[1]!.trim().replace(/^\[([^\]]*)\](?::\d+)?$/, '$1').replace(/^([^:]+):\d+$/, '$1');
    text = nl < 0 ? '' : text.slice(nl + 1);
  }
  const sepAt = /\r?\n\r?\n/.exec(text);
  const headPart = sepAt ? text.slice(0, sepAt.index) : text.replace(/\s+$/, '');
  let body = sepAt ? text.slice(sepAt.index + sepAt[0].length) : '';
  body = body.replace(/[\r\n]+$/, '');
  const lines = headPart.split(/\r?\n/);
  const m = /^([A-Za-z]+) (\S+) (HTTP\/\d(?:\.\d)?)\s*$/.exec(lines[0] ?? '');
  if (!m) {
    ctx.note('raw request has no valid request line: skipped');
    return undefined;
  }
  const method = m[1]!.toUpperCase();
  const target = m[2]!;
  const headers: Array<[string, string]> = [];
  for (const line of lines.slice(1)) {
    const i = line.indexOf(':');
    if (i <= 0) continue;
    headers.push([line.slice(0, i).trim(), line.slice(i + 1).trim()]);
  }
  if (!spec.unsafe) {
    if (!hasHeader(headers, 'Host')) headers.unshift(['Host', ctx.url.hostPort]);
    const cookies = spec.cookieReuse ? cookieHeader(jar) : undefined;
    if (cookies !== undefined && !hasHeader(headers, 'Cookie')) headers.push(['Cookie', cookies]);
    if (body !== '' || hasHeader(headers, 'Content-Length')) setHeader(headers, 'Content-Length', String(dslByteLength(body)));
    setHeader(headers, 'Connection', 'close');
  }
  const head = `${method} ${target} ${m[3]}\r\n${headers.map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n`;
  const bytes = Buffer.concat([dslBytes(head), dslBytes(body)]);
  return { method, target, bytes, text: head + body, body, headers, scheme: ctx.url.scheme, hostPort: ctx.url.hostPort, host: ctx.url.host, port: ctx.url.port, ip: ctx.target.ip, ...(servername ? { servername } : {}) };
}

function absorbCookies(jar: Map<string, string>, res: WireResponse): void {
  for (const [k, v] of res.headers) {
    if (k.toLowerCase() !== 'set-cookie') continue;
    const pair = v.split(';')[0] ?? '';
    const i = pair.indexOf('=');
    if (i <= 0 || jar.size > 100) continue;
    jar.set(pair.slice(0, i).trim(), pair.slice(i + 1).trim());
  }
}

async function send(ctx: ExecContext, spec: HttpRequestSpec, req: BuiltRequest): Promise<WireResponse | undefined> {
  const x = await ctx.begin(req.ip, req.port);
  if (!x) return undefined;
  try {
    const res = await httpExchange(req.bytes, {
      ip: req.ip,
      port: req.port,
      tls: req.scheme === 'https',
      servername: req.servername ?? req.host,
      guard: ctx.env.guard,
      timeoutMs: x.timeoutMs,
      connectTimeoutMs: x.connectTimeoutMs,
      idleTimeoutMs: x.readTimeoutMs,
      method: req.method,
      ...(spec.maxSize !== undefined ? { maxBytes: spec.maxSize } : {}),
      signal: x.signal,
    });
    x.end('answered');
    return res;
  } catch (e) {
    if (e instanceof ConnectFailure) {
      x.end(e);
      ctx.note(`${req.method} ${req.target}: ${e.message}`);
      return undefined;
    }
    throw e;
  } finally {
    x.end(CUT_OFF); // no-op unless the exchange was cut off (hard deadline, abort, guard)
  }
}

/** Follows redirects as the block allows; returns the final exchange. */
async function exchange(ctx: ExecContext, spec: HttpRequestSpec, first: BuiltRequest, jar: Map<string, string>): Promise<HttpResponseData | undefined> {
  let req = first;
  let res = await send(ctx, spec, req);
  if (!res) return undefined;
  absorbCookies(jar, res);
  const urlOf = (r: BuiltRequest): string => (/^https?:\/\//i.test(r.target) ? r.target : `${r.scheme}://${r.hostPort}${r.target.startsWith('/') ? '' : '/'}${r.target}`);
  for (let hops = 0; (spec.redirects || spec.hostRedirects) && hops < spec.maxRedirects; hops++) {
    if (![301, 302, 303, 307, 308].includes(res.statusCode)) break;
    const loc = res.headers.find(([k]) => k.toLowerCase() === 'location')?.[1];
    if (!loc) break;
    let next: URL;
    try {
      next = new URL(loc, urlOf(req));
    } catch {
      ctx.note(`redirect to unparsable location ${JSON.stringify(loc.slice(0, 80))} not followed`);
      break;
    }
    if (next.protocol !== 'http:' && next.protocol !== 'https:') break;
    const scheme = next.protocol === 'https:' ? 'https' : 'http';
    const port = next.port === '' ? (scheme === 'https' ? 443 : 80) : Number(next.port);
    const host = next.hostname.replace(/^\[|\]$/g, '');
    const sameHost = host.toLowerCase() === req.host.toLowerCase() && port === req.port;
    let ip = req.ip;
    if (!sameHost) {
      if (spec.hostRedirects && !spec.redirects) break;
      if (host.toLowerCase() === ctx.url.host.toLowerCase() || host === ctx.target.ip) ip = ctx.target.ip;
      else if (isIP(host) !== 0) ip = host;
      else {
        ctx.note(`redirect to ${host} not followed: names are not resolved by the check stage`);
        break;
      }
      try {
        ctx.env.guard(ip, isIP(ip) as 4 | 6);
      } catch (e) {
        if (!(e instanceof TrawlError)) throw e;
        ctx.note(`redirect to ${ip} refused by the egress guard`);
        break;
      }
    }
    const keepBody = res.statusCode === 307 || res.statusCode === 308;
    const method = keepBody ? req.method : req.method === 'HEAD' ? 'HEAD' : 'GET';
    const body = keepBody ? req.body : '';
    const hostPort = next.port === '' ? next.host : `${next.hostname}:${port}`;
    const headers: Array<[string, string]> = req.headers.filter(([k]) => !/^(host|content-length|cookie)$/i.test(k) && (keepBody || k.toLowerCase() !== 'content-type')).map(([k, v]) => [k, v]);
    headers.unshift(['Host', hostPort]);
    const cookies = spec.cookieReuse ? cookieHeader(jar) : undefined;
    if (cookies !== undefined) headers.push(['Cookie', cookies]);
    if (body !== '') headers.push(['Content-Length', String(dslByteLength(body))]);
    const target = next.pathname + next.search;
    const { bytes, text } = serialize(method, target, headers, body);
    req = { method, target, bytes, text, body, headers, scheme, hostPort, host, port, ip };
    const r2 = await send(ctx, spec, req);
    if (!r2) break;
    res = r2;
    absorbCookies(jar, res);
  }
  return { request: req, response: res, url: urlOf(req) };
}

/** The DSL variables and parts of one response (nuclei's names). */
function responseVars(d: HttpResponseData, ctx: ExecContext): { vars: Map<string, DslValue>; parts: Map<string, PartValue> } {
  const r = d.response;
  // Byte-exact (dsl-bytes.ts): binary bodies survive helpers such as mmh3(base64_py(body)).
  const body = bytesToDsl(r.body);
  const headerText = `${r.headText}\r\n`;
  const rawBytes = Buffer.concat([dslBytes(`${headerText}\r\n`), r.body]);
  const raw = `${headerText}\r\n${body}`;
  const vars = new Map<string, DslValue>();
  for (const [k, v] of r.headers) {
    const key = k.toLowerCase().replace(/-/g, '_');
    const prev = vars.get(key);
    vars.set(key, prev === undefined ? v : `${String(prev)} ${v}`);
  }
  const cl = r.headers.find(([k]) => k.toLowerCase() === 'content-length')?.[1];
  vars.set('status_code', r.statusCode);
  vars.set('content_length', cl !== undefined && /^\d+$/.test(cl.trim()) ? Number(cl.trim()) : r.body.length);
  vars.set('body', body);
  vars.set('header', headerText);
  vars.set('all_headers', headerText);
  vars.set('raw', raw);
  vars.set('response', raw);
  vars.set('request', d.request.text);
  vars.set('duration', Math.round(r.durationMs) / 1000);
  vars.set('host', ctx.target.host);
  vars.set('matched', d.url);
  const parts = new Map<string, PartValue>([
    ['body', { text: body, bytes: r.body }],
    ['header', { text: headerText }],
    ['all_headers', { text: headerText }],
    ['raw', { text: raw, bytes: rawBytes }],
    ['all', { text: raw, bytes: rawBytes }],
    ['response', { text: raw, bytes: rawBytes }],
    ['request', { text: d.request.text, bytes: d.request.bytes }],
  ]);
  return { vars, parts };
}

function operatorInput(ctx: ExecContext, vars: ReadonlyMap<string, DslValue>, parts: ReadonlyMap<string, PartValue>, payload: ReadonlyMap<string, DslValue>): OperatorInput {
  const lookup = ctx.lookup(vars, payload);
  return {
    lookup,
    part: (name) => {
      const p = parts.get(name);
      if (p) return p;
      // Any other part names a variable (a header such as `server`, an extracted value, body_2…).
      const v = lookup(name);
      return v === undefined || v === null ? undefined : { text: typeof v === 'string' ? v : String(v) };
    },
  };
}

/** Runs one http block; true when it succeeded as a flow step (see flowPassed). */
export async function runHttpBlock(ctx: ExecContext, spec: HttpRequestSpec, jar: Map<string, string>): Promise<boolean> {
  const combos: Iterable<ReadonlyMap<string, string>> = spec.payloads ? payloadCombinations(spec.payloads) : [new Map()];
  const items = spec.raw.length > 0 ? spec.raw.map((r) => ({ raw: r })) : spec.paths.map((p) => ({ path: p }));
  let passed = false;
  for (const combo of combos) {
    if (ctx.stopped || ctx.signal.aborted) return passed;
    const history = new Map<string, DslValue>();
    const historyParts = new Map<string, PartValue>();
    let last: { vars: Map<string, DslValue>; parts: Map<string, PartValue>; data: HttpResponseData } | undefined;
    let index = 0;
    for (const item of items) {
      index++;
      if (ctx.stopped || ctx.signal.aborted) return passed;
      const lookup = ctx.lookup(history, combo);
      const req = 'raw' in item ? buildRaw(ctx, spec, item.raw!, lookup, jar) : buildStructured(ctx, spec, item.path!, lookup, jar);
      if (!req) continue;
      const data = await exchange(ctx, spec, req, jar);
      if (!data) continue;
      const { vars, parts } = responseVars(data, ctx);
      last = { vars, parts, data };
      if (spec.reqCondition) {
        for (const [k, v] of vars) history.set(`${k}_${index}`, v);
        for (const [k, v] of parts) historyParts.set(`${k}_${index}`, v);
        // Matchers wait for the last response, but internal extractors feed the next request now
        // (the CSRF-token pattern).
        absorbDynamic(ctx, runOperators({ matchers: [], extractors: spec.operators.extractors.filter((x) => x.internal), condition: 'or' }, operatorInput(ctx, vars, parts, combo)));
        continue;
      }
      const op = runOperators(spec.operators, operatorInput(ctx, vars, parts, combo));
      absorbDynamic(ctx, op);
      passed ||= flowPassed(spec.operators, op);
      if (op.matched) {
        recordMatch(ctx, op, data.url, { request: data.request.text, response: vars.get('raw') as string, payload: combo }, spec.operators);
        if (spec.stopAtFirstMatch || ctx.template.stopAtFirstMatch) {
          if (ctx.template.stopAtFirstMatch) ctx.stopped = true;
          return passed;
        }
      }
    }
    if (spec.reqCondition && last) {
      const vars = new Map([...history, ...last.vars]);
      const parts = new Map([...historyParts, ...last.parts]);
      const op = runOperators(spec.operators, operatorInput(ctx, vars, parts, combo));
      absorbDynamic(ctx, op);
      passed ||= flowPassed(spec.operators, op);
      if (op.matched) {
        recordMatch(ctx, op, last.data.url, { request: last.data.request.text, response: last.vars.get('raw') as string, payload: combo }, spec.operators);
        if (spec.stopAtFirstMatch || ctx.template.stopAtFirstMatch) {
          if (ctx.template.stopAtFirstMatch) ctx.stopped = true;
          return passed;
        }
      }
    }
  }
  return passed;
}
