/** A bounded parser for one HTTP/1.x response read off a raw socket. */

export interface HttpResponse {
  readonly httpVersion: string;
  readonly status: number;
  readonly reason: string;
  /** Header lines in order, names as sent. */
  readonly headers: readonly (readonly [string, string])[];
  readonly body: Buffer;
  /** The body stopped at the byte limit (or the stream ended early), so it is not the whole body. */
  readonly bodyTruncated: boolean;
}

const MAX_HEADERS = 100;
const MAX_HEADER_LINE = 8192;

/** Offset just past the blank line that ends the header block, or -1. */
export function headerEnd(buf: Buffer): number {
  const crlf = buf.indexOf('\r\n\r\n');
  const lf = buf.indexOf('\n\n');
  if (crlf < 0 && lf < 0) return -1;
  if (crlf < 0) return lf + 2;
  if (lf < 0) return crlf + 4;
  return Math.min(crlf + 4, lf + 2);
}

export function looksLikeHttp(buf: Buffer): boolean {
  return /^HTTP\/\d(\.\d)? \d{3}/.test(buf.subarray(0, 16).toString('latin1'));
}

interface Head {
  readonly httpVersion: string;
  readonly status: number;
  readonly reason: string;
  readonly headers: [string, string][];
  readonly bodyStart: number;
}

function parseHead(buf: Buffer): Head | undefined {
  const end = headerEnd(buf);
  if (end < 0) return undefined;
  const lines = buf.subarray(0, end).toString('latin1').split(/\r?\n/);
  const m = /^HTTP\/(\d(?:\.\d)?) (\d{3})(?: (.*))?$/.exec(lines[0] ?? '');
  if (m === null) return undefined;
  const headers: [string, string][] = [];
  for (const line of lines.slice(1)) {
    if (line === '') continue;
    if (headers.length >= MAX_HEADERS) break;
    const i = line.indexOf(':');
    if (i <= 0) continue;
    headers.push([line.slice(0, i).trim(), line.slice(i + 1).trim().slice(0, MAX_HEADER_LINE)]);
  }
  return { httpVersion: m[1]!, status: Number(m[2]), reason: (m[3] ?? '').slice(0, 256), headers, bodyStart: end };
}

export function header(headers: readonly (readonly [string, string])[], name: string): string | undefined {
  const lower = name.toLowerCase();
  return headers.find(([k]) => k.toLowerCase() === lower)?.[1];
}

/**
 * Decodes a chunked body as far as it is complete. `done` once the last chunk arrived; bodies that
 * reach `limit` bytes stop there.
 */
function dechunk(data: Buffer, limit: number): { body: Buffer; done: boolean } {
  const parts: Buffer[] = [];
  let size = 0;
  let off = 0;
  for (;;) {
    const nl = data.indexOf('\r\n', off);
    if (nl < 0) return { body: Buffer.concat(parts), done: false };
    const n = Number.parseInt(data.subarray(off, nl).toString('latin1').split(';')[0]!.trim(), 16);
    if (!Number.isFinite(n) || n < 0) return { body: Buffer.concat(parts), done: true };
    if (n === 0) return { body: Buffer.concat(parts), done: true };
    const start = nl + 2;
    const chunk = data.subarray(start, Math.min(start + n, data.length));
    parts.push(chunk.subarray(0, Math.max(0, limit - size)));
    size += chunk.length;
    if (size >= limit) return { body: Buffer.concat(parts).subarray(0, limit), done: true };
    if (start + n + 2 > data.length) return { body: Buffer.concat(parts), done: false };
    off = start + n + 2;
  }
}

function framing(head: Head, rest: Buffer, limit: number, closed = false): { body: Buffer; complete: boolean; truncated: boolean } {
  const noBody = head.status === 204 || head.status === 304 || (head.status >= 100 && head.status < 200);
  if (noBody) return { body: Buffer.alloc(0), complete: true, truncated: false };
  const te = header(head.headers, 'transfer-encoding');
  if (te !== undefined && /chunked/i.test(te)) {
    const d = dechunk(rest, limit);
    return { body: d.body, complete: d.done, truncated: d.body.length >= limit };
  }
  const cl = header(head.headers, 'content-length');
  if (cl !== undefined && /^\d{1,15}$/.test(cl)) {
    const n = Number(cl);
    if (n <= limit) return { body: rest.subarray(0, n), complete: rest.length >= n, truncated: false };
    return { body: rest.subarray(0, limit), complete: rest.length >= limit, truncated: true };
  }
  // Delimited by close: complete when the peer closed, or cut off at the limit.
  return { body: rest.subarray(0, limit), complete: closed || rest.length >= limit, truncated: rest.length >= limit };
}

/** True once `buf` holds a whole response (or as much of the body as `bodyLimit` allows). */
export function httpResponseComplete(buf: Buffer, bodyLimit: number): boolean {
  const head = parseHead(buf);
  if (head === undefined) return false;
  return framing(head, buf.subarray(head.bodyStart), bodyLimit).complete;
}

/**
 * Parses what was read. `closed` says the peer closed the stream, which completes a body delimited
 * by close; a declared length (or chunk) that never arrived is reported as truncated.
 */
export function parseHttpResponse(buf: Buffer, bodyLimit: number, closed = false): HttpResponse | undefined {
  const head = parseHead(buf);
  if (head === undefined) return undefined;
  const f = framing(head, buf.subarray(head.bodyStart), bodyLimit, closed);
  return {
    httpVersion: head.httpVersion,
    status: head.status,
    reason: head.reason,
    headers: head.headers,
    body: f.body,
    bodyTruncated: f.truncated || !f.complete,
  };
}

const ENTITIES: Readonly<Record<string, string>> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ' };

export function decodeEntities(s: string): string {
  return s.replace(/&(#x[0-9a-f]{1,6}|#\d{1,7}|[a-z]{2,8});/gi, (all, e: string) => {
    if (e[0] === '#') {
      const code = e[1] === 'x' || e[1] === 'X' ? Number.parseInt(e.slice(2), 16) : Number(e.slice(1));
      return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : all;
    }
    return ENTITIES[e.toLowerCase()] ?? all;
  });
}

/** The document title, whitespace collapsed, at most 256 characters. */
export function htmlTitle(body: Buffer): string | undefined {
  const m = /<title[^>]*>([\s\S]{0,2048}?)<\/title\s*>/i.exec(body.toString('utf8'));
  if (m === null) return undefined;
  const t = decodeEntities(m[1]!).replace(/\s+/g, ' ').trim();
  return t === '' ? undefined : t.slice(0, 256);
}
