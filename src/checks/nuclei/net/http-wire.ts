/**
 * A bounded HTTP/1.x exchange over a raw socket: the request is sent as the exact bytes the
 * template produced (raw requests keep odd paths such as /..;/ that a URL library would normalise),
 * and the response is read within a byte cap and a deadline. One request per connection
 * (Connection: close), which keeps framing errors from leaking between requests.
 */
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { brotliDecompressSync, gunzipSync, inflateRawSync, inflateSync } from 'node:zlib';
import { TrawlError } from '../../../errors/trawl-error.js';
import { connectWire, ConnectFailure, type Guard } from './wire-connect.js';
import { bytesToDsl } from '../dsl/dsl-bytes.js';

export const MAX_RESPONSE_BYTES = 1 << 20;
const MAX_HEAD_BYTES = 64 * 1024;
const MAX_HEADERS = 200;

export interface WireResponse {
  readonly statusCode: number;
  readonly statusLine: string;
  /** Header fields in order, names as sent. */
  readonly headers: ReadonlyArray<readonly [string, string]>;
  /** Status line and header lines, CRLF-joined, as received. */
  readonly headText: string;
  /** Decoded body (chunked framing removed, content-encoding undone), capped. */
  readonly body: Buffer;
  readonly truncated: boolean;
  readonly durationMs: number;
}

export interface HttpExchangeOptions {
  readonly ip: string;
  readonly port: number;
  readonly tls: boolean;
  readonly servername?: string;
  readonly guard: Guard;
  /** The whole exchange: connect, send, and the complete response. */
  readonly timeoutMs: number;
  /** TCP connect plus TLS handshake (default: timeoutMs). */
  readonly connectTimeoutMs?: number;
  /** Longest silence while a response is awaited or arriving (default: timeoutMs). */
  readonly idleTimeoutMs?: number;
  readonly signal?: AbortSignal;
  readonly maxBytes?: number;
  /** HEAD responses carry no body whatever their headers say. */
  readonly method: string;
}

interface Head {
  statusCode: number;
  statusLine: string;
  headers: [string, string][];
  headText: string;
  bodyStart: number;
}

const HTTP_PREFIX = Buffer.from('HTTP/');

/**
 * False as soon as the first bytes cannot begin a status line. A banner-first service (FTP, SMTP,
 * SSH) answers "220 …" without a blank line, so waiting for the end of a head would wait for the
 * deadline; this says "not HTTP" from the first five bytes instead.
 */
function couldBeHttp(buf: Buffer): boolean {
  let i = 0;
  while (i < buf.length && i < 16 && (buf[i] === 0x0d || buf[i] === 0x0a)) i++;
  const n = Math.min(HTTP_PREFIX.length, buf.length - i);
  return buf.subarray(i, i + n).equals(HTTP_PREFIX.subarray(0, n));
}

function parseHead(buf: Buffer): Head | 'incomplete' | 'bad' {
  if (!couldBeHttp(buf)) return 'bad';
  let end = buf.indexOf('\r\n\r\n');
  let sepLen = 4;
  const lf = buf.indexOf('\n\n');
  if (lf >= 0 && (end < 0 || lf < end)) {
    end = lf;
    sepLen = 2;
  }
  if (end < 0) return buf.length > MAX_HEAD_BYTES ? 'bad' : 'incomplete';
  const text = bytesToDsl(buf.subarray(0, end)); // byte-exact, like the body (dsl-bytes.ts)
  const lines = text.split(/\r?\n/);
  const statusLine = lines[0] ?? '';
  const m = /^HTTP\/\d(?:\.\d)?\s+(\d{3})/.exec(statusLine);
  if (!m) return 'bad';
  const headers: [string, string][] = [];
  for (const line of lines.slice(1, MAX_HEADERS + 1)) {
    const i = line.indexOf(':');
    if (i <= 0) continue;
    headers.push([line.slice(0, i).trim(), line.slice(i + 1).trim()]);
  }
  return { statusCode: Number(m[1]), statusLine, headers, headText: lines.slice(0, MAX_HEADERS + 1).join('\r\n'), bodyStart: end + sepLen };
}

function header(h: Head, name: string): string | undefined {
  const n = name.toLowerCase();
  return h.headers.find(([k]) => k.toLowerCase() === n)?.[1];
}

/** Decodes chunked framing; returns undefined while the terminating chunk has not arrived. */
function dechunk(buf: Buffer, max: number): { body: Buffer; complete: boolean; truncated: boolean } {
  const parts: Buffer[] = [];
  let size = 0;
  let off = 0;
  for (;;) {
    const nl = buf.indexOf('\r\n', off);
    if (nl < 0) return { body: Buffer.concat(parts), complete: false, truncated: false };
    const len = Number.parseInt(buf.subarray(off, nl).toString('latin1').split(';')[0]!.trim(), 16);
    if (!Number.isFinite(len) || len < 0) return { body: Buffer.concat(parts), complete: true, truncated: false };
    if (len === 0) return { body: Buffer.concat(parts), complete: true, truncated: false };
    const start = nl + 2;
    const avail = Math.min(len, buf.length - start);
    const take = Math.min(avail, max - size);
    parts.push(buf.subarray(start, start + take));
    size += take;
    if (size >= max) return { body: Buffer.concat(parts), complete: true, truncated: true };
    if (avail < len) return { body: Buffer.concat(parts), complete: false, truncated: false };
    off = start + len + 2;
  }
}

function decode(body: Buffer, encoding: string | undefined, max: number): Buffer {
  if (!encoding) return body;
  const e = encoding.toLowerCase().trim();
  try {
    if (e === 'gzip' || e === 'x-gzip') return gunzipSync(body, { maxOutputLength: max, finishFlush: 2 });
    if (e === 'deflate') {
      try {
        return inflateSync(body, { maxOutputLength: max, finishFlush: 2 });
      } catch {
        return inflateRawSync(body, { maxOutputLength: max, finishFlush: 2 });
      }
    }
    if (e === 'br') return brotliDecompressSync(body, { maxOutputLength: max });
  } catch {
    return body; // undecodable or over the cap: keep the bytes as sent
  }
  return body;
}

/**
 * Sends `request` and reads one response. Rejects with ConnectFailure when the target cannot be
 * reached or answers no HTTP; the egress guard's TrawlError and abort propagate.
 */
export async function httpExchange(request: Buffer, o: HttpExchangeOptions): Promise<WireResponse> {
  const started = performance.now();
  const max = Math.min(o.maxBytes ?? MAX_RESPONSE_BYTES, MAX_RESPONSE_BYTES);
  const connectMs = Math.max(1, Math.min(o.connectTimeoutMs ?? o.timeoutMs, o.timeoutMs));
  const idleMs = Math.max(1, Math.min(o.idleTimeoutMs ?? o.timeoutMs, o.timeoutMs));
  const sock = await connectWire({ ip: o.ip, port: o.port, tls: o.tls, guard: o.guard, timeoutMs: connectMs, ...(o.servername !== undefined ? { servername: o.servername } : {}), ...(o.signal ? { signal: o.signal } : {}) });
  return new Promise((resolve, reject) => {
    if (o.signal?.aborted) {
      sock.destroy();
      return reject(new TrawlError('TRAWL_E_INTERRUPTED', 'check run aborted'));
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const remaining = Math.max(1, o.timeoutMs - (performance.now() - started));
    // The head is parsed once; after that only cheap completeness checks run per chunk, so a
    // server dripping one byte at a time costs linear, not quadratic, work.
    let headAt: { head: Head; base: number } | undefined;
    let tail = Buffer.alloc(0);
    const finish = (closed: boolean, err?: Error): void => {
      if (settled) return;
      if (headAt === undefined) {
        const buf = Buffer.concat(chunks, size);
        let head = parseHead(buf);
        // Skip interim 1xx responses (100 Continue).
        let base = 0;
        while (typeof head === 'object' && head.statusCode >= 100 && head.statusCode < 200 && head.statusCode !== 101) {
          base += head.bodyStart;
          head = parseHead(buf.subarray(base));
        }
        if (head === 'bad' || (head === 'incomplete' && (closed || err))) {
          settled = true;
          cleanup();
          return reject(err ?? new ConnectFailure(head === 'bad' ? `response is not HTTP (${JSON.stringify(buf.subarray(0, 32).toString('latin1'))})` : 'connection closed before a complete response head', 'protocol'));
        }
        if (head === 'incomplete') return;
        headAt = { head, base };
      }
      const { head, base } = headAt;
      const noBody = o.method === 'HEAD' || head.statusCode === 204 || head.statusCode === 304 || (head.statusCode >= 100 && head.statusCode < 200);
      const te = header(head, 'transfer-encoding');
      const cl = header(head, 'content-length');
      const chunked = te !== undefined && /chunked/i.test(te);
      const bodyBytes = size - base - head.bodyStart;
      if (!closed && !err && !noBody && size < max + MAX_HEAD_BYTES) {
        if (chunked && !tail.toString('latin1').endsWith('\r\n\r\n')) return;
        if (!chunked && cl !== undefined && /^\d+$/.test(cl.trim()) && bodyBytes < Math.min(Number(cl.trim()), max)) return;
        if (!chunked && (cl === undefined || !/^\d+$/.test(cl.trim())) && bodyBytes < max) return;
      }
      const rest = Buffer.concat(chunks, size).subarray(base + head.bodyStart);
      let body: Buffer;
      let complete: boolean;
      let truncated = false;
      if (noBody) {
        body = Buffer.alloc(0);
        complete = true;
      } else if (chunked) {
        const d = dechunk(rest, max);
        body = d.body;
        complete = d.complete;
        truncated = d.truncated;
      } else if (cl !== undefined && /^\d+$/.test(cl.trim())) {
        const want = Number(cl.trim());
        body = rest.subarray(0, Math.min(want, max));
        truncated = want > max && rest.length >= max;
        complete = rest.length >= want || truncated;
      } else {
        body = rest.subarray(0, max);
        truncated = rest.length >= max;
        complete = truncated;
      }
      if (!complete && !closed && !err && size < max + MAX_HEAD_BYTES) return;
      settled = true;
      cleanup();
      if (!complete && (closed || err)) truncated = truncated || (cl !== undefined && body.length < Number(cl));
      resolve({
        statusCode: head.statusCode,
        statusLine: head.statusLine,
        headers: head.headers,
        headText: head.headText,
        body: decode(body, header(head, 'content-encoding'), max),
        truncated: truncated || size >= max + MAX_HEAD_BYTES,
        durationMs: performance.now() - started,
      });
    };
    const onData = (d: Buffer): void => {
      idle.refresh();
      const room = max + MAX_HEAD_BYTES - size;
      if (room <= 0) return;
      const piece = d.length > room ? d.subarray(0, room) : d;
      chunks.push(piece);
      size += piece.length;
      tail = Buffer.concat([tail, piece]).subarray(-8);
      // Until the head is complete only a new line can complete it (or the first bytes refute it),
      // so a server dripping a header byte by byte is not re-parsed per byte.
      const mayDecide = headAt !== undefined || size - piece.length <= 16 || size > MAX_HEAD_BYTES || piece.includes(0x0a);
      if (mayDecide) finish(false);
      if (!settled && size >= max + MAX_HEAD_BYTES) finish(true);
    };
    const onEnd = (): void => finish(true);
    const onError = (e: Error): void => finish(true, new ConnectFailure(e.message, 'protocol'));
    const onAbort = (): void => {
      if (settled) return;
      settled = true;
      cleanup();
      reject(new TrawlError('TRAWL_E_INTERRUPTED', 'check run aborted'));
    };
    // Two clocks: the whole exchange, and silence (reset by every chunk). A response already under
    // way when either fires is kept as far as it got; without a complete head it is a timeout.
    const timer = setTimeout(() => finish(true, new ConnectFailure(`no complete response within ${o.timeoutMs} ms`, 'timeout')), remaining);
    const idle = setTimeout(() => finish(true, new ConnectFailure(`no data for ${idleMs} ms`, 'timeout')), Math.min(idleMs, remaining));
    const cleanup = (): void => {
      clearTimeout(timer);
      clearTimeout(idle);
      o.signal?.removeEventListener('abort', onAbort);
      sock.off('data', onData);
      sock.destroy();
    };
    sock.on('data', onData);
    sock.once('end', onEnd);
    sock.once('close', onEnd);
    sock.on('error', onError);
    o.signal?.addEventListener('abort', onAbort, { once: true });
    (sock as Socket | TLSSocket).write(request);
  });
}
