import { Readable, type Transform } from 'node:stream';
import zlib from 'node:zlib';
import { TrawlError } from '../../errors/trawl-error.js';

export type Compression = 'none' | 'gzip' | 'zstd';

type ZstdFactory = (options?: zlib.ZstdOptions) => Transform;

/** Node grew zstd in 22.15; older runtimes get a clear error rather than a TypeError. */
export function zstdAvailable(): boolean {
  return typeof (zlib as unknown as { createZstdDecompress?: unknown }).createZstdDecompress === 'function';
}

export function decompressor(kind: Exclude<Compression, 'none'>, where: string): Transform {
  if (kind === 'gzip') return zlib.createGunzip();
  const create = (zlib as unknown as { createZstdDecompress?: ZstdFactory }).createZstdDecompress;
  if (create === undefined) {
    throw new TrawlError('TRAWL_E_ARTIFACT_FORMAT', `${where} is zstd-compressed and this Node.js (${process.version}) has no zstd decoder (needs 22.15+)`, { archive: where });
  }
  return create();
}

/**
 * Reads the first `n` bytes of a stream and hands back a stream that still yields everything. Works
 * for Node and streamx readables alike (both are async iterables); destroying the returned stream
 * destroys the input.
 */
export async function sniff(input: Readable, n: number): Promise<{ head: Buffer; stream: Readable }> {
  const it = (input as AsyncIterable<Buffer>)[Symbol.asyncIterator]();
  const chunks: Buffer[] = [];
  let length = 0;
  let ended = false;
  while (length < n) {
    const r = await it.next();
    if (r.done === true) {
      ended = true;
      break;
    }
    chunks.push(r.value);
    length += r.value.length;
  }
  const head = Buffer.concat(chunks, length);
  async function* rest(): AsyncGenerator<Buffer> {
    let finished = ended;
    try {
      if (head.length > 0) yield head;
      while (!finished) {
        const r = await it.next();
        if (r.done === true) {
          finished = true;
          return;
        }
        yield r.value;
      }
    } finally {
      if (!finished) await it.return?.();
    }
  }
  return { head, stream: Readable.from(rest(), { objectMode: false }) };
}
