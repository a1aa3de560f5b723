import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { unlink } from 'node:fs/promises';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { TrawlError } from '../../errors/trawl-error.js';

export interface DownloadOptions {
  /** Largest package accepted (Lambda caps an unzipped function at 250 MB; zips are smaller). */
  readonly maxBytes: number;
  readonly timeoutMs?: number;
  readonly fetchImpl?: typeof fetch;
}

export interface Downloaded {
  readonly bytes: number;
  /** Lower-case hex SHA-256 of what was written. */
  readonly sha256: string;
}

/** A presigned URL with its signature cut, for messages: the query string is a credential. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname}${u.search ? '?…' : ''}`;
  } catch {
    return '(unparsable URL)';
  }
}

/**
 * Streams a presigned code URL to `dest`, hashing as it goes and stopping as soon as the size cap is
 * passed (declared or actual); a partial file is removed. `what` names the function or layer.
 */
export async function downloadCode(url: string, dest: string, what: string, opts: DownloadOptions): Promise<Downloaded> {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new TrawlError('TRAWL_E_CLOUD_API', `${what}: code location is not a URL`, { what });
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') throw new TrawlError('TRAWL_E_CLOUD_API', `${what}: code location ${redactUrl(url)} is not http(s)`, { what });
  const signal = AbortSignal.timeout(opts.timeoutMs ?? 120_000);
  let res: Response;
  try {
    res = await (opts.fetchImpl ?? fetch)(url, { signal, redirect: 'follow' });
  } catch (e) {
    throw new TrawlError('TRAWL_E_CLOUD_API', `${what}: downloading ${redactUrl(url)} failed: ${(e as Error).message}`, { what }, { cause: e });
  }
  if (!res.ok || res.body === null) {
    await res.body?.cancel().catch(() => undefined);
    throw new TrawlError('TRAWL_E_CLOUD_API', `${what}: downloading ${redactUrl(url)} answered HTTP ${res.status}`, { what, status: res.status });
  }
  const declared = Number(res.headers.get('content-length') ?? NaN);
  if (Number.isFinite(declared) && declared > opts.maxBytes) {
    await res.body.cancel().catch(() => undefined);
    throw new TrawlError('TRAWL_E_CLOUD_API', `${what}: package is ${declared} bytes, more than the ${opts.maxBytes}-byte cap`, { what, bytes: declared });
  }
  const hash = createHash('sha256');
  let bytes = 0;
  const meter = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      bytes += chunk.length;
      if (bytes > opts.maxBytes) return cb(new TrawlError('TRAWL_E_CLOUD_API', `${what}: package exceeds the ${opts.maxBytes}-byte cap`, { what }));
      hash.update(chunk);
      cb(null, chunk);
    },
  });
  try {
    await pipeline(Readable.fromWeb(res.body as import('node:stream/web').ReadableStream<Uint8Array>), meter, createWriteStream(dest, { mode: 0o600 }));
  } catch (e) {
    await unlink(dest).catch(() => undefined);
    if (e instanceof TrawlError) throw e;
    throw new TrawlError('TRAWL_E_CLOUD_API', `${what}: downloading ${redactUrl(url)} failed: ${(e as Error).message}`, { what }, { cause: e });
  }
  return { bytes, sha256: hash.digest('hex') };
}
