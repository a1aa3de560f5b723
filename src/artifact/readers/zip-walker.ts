import { open, type FileHandle } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { crc32 } from 'node:zlib';
import yauzl, { type Entry, type ZipFile } from 'yauzl';
import { TrawlError } from '../../errors/trawl-error.js';
import { handleEntry, type ChunkSink, type EntrySource, type WalkScope } from './entry-handler.js';

export type ZipInput = { file: string } | { buffer: Buffer };

const S_IFMT = 0o170000;
const S_IFLNK = 0o120000;
const S_IFDIR = 0o040000;
const UNIX_HOST = 3;

const YAUZL_OPTIONS = {
  lazyEntries: true,
  autoClose: false,
  // Names are decoded and validated by us, so one hostile name rejects one entry, not the zip.
  decodeStrings: false,
  validateEntrySizes: true,
} as const;

function formatError(scope: WalkScope, e: unknown): TrawlError {
  if (e instanceof TrawlError) return e;
  return new TrawlError('TRAWL_E_ARTIFACT_FORMAT', `${scope.archive}: not a readable zip: ${(e as Error).message}`, { archive: scope.archive });
}

const BLOCK = 1 << 20;
const MAX_BLOCKS = 8;

/**
 * yauzl reads each central-directory record and each local header with its own small read; through
 * the thread pool that is two round trips per entry, which dominates a package of ten thousand
 * files. This reader serves them from a few cached 1 MiB blocks (entries are laid out in order) and
 * streams large ranges straight from the file.
 */
class BlockCacheReader extends yauzl.RandomAccessReader {
  private readonly blocks = new Map<number, Promise<Buffer>>();

  constructor(private readonly fh: FileHandle, private readonly size: number) {
    super();
  }

  private block(i: number): Promise<Buffer> {
    const hit = this.blocks.get(i);
    if (hit !== undefined) {
      this.blocks.delete(i);
      this.blocks.set(i, hit);
      return hit;
    }
    const start = i * BLOCK;
    const len = Math.max(0, Math.min(BLOCK, this.size - start));
    const p = (async () => {
      const buf = Buffer.allocUnsafe(len);
      const { bytesRead } = await this.fh.read(buf, 0, len, start);
      return buf.subarray(0, bytesRead);
    })();
    p.catch(() => this.blocks.delete(i));
    this.blocks.set(i, p);
    while (this.blocks.size > MAX_BLOCKS) this.blocks.delete(this.blocks.keys().next().value as number);
    return p;
  }

  private async copy(target: Buffer, offset: number, length: number, position: number): Promise<number> {
    let done = 0;
    while (done < length) {
      const pos = position + done;
      const i = Math.floor(pos / BLOCK);
      const blk = await this.block(i);
      const from = pos - i * BLOCK;
      if (from >= blk.length) break;
      const n = Math.min(blk.length - from, length - done);
      blk.copy(target, offset + done, from, from + n);
      done += n;
    }
    return done;
  }

  override read(buffer: Buffer, offset: number, length: number, position: number, callback: (err: Error | null, bytesRead?: number) => void): void {
    this.copy(buffer, offset, length, position).then(
      (n) => callback(null, n),
      (e: unknown) => callback(e as Error),
    );
  }

  override _readStreamForRange(start: number, end: number): Readable {
    if (end - start > 2 * BLOCK) return this.fh.createReadStream({ start, end: end - 1, autoClose: false, highWaterMark: BLOCK });
    const self = this;
    async function* chunks(): AsyncGenerator<Buffer> {
      for (let pos = start; pos < end; ) {
        const n = Math.min(end - pos, BLOCK - (pos % BLOCK));
        const buf = Buffer.allocUnsafe(n);
        const got = await self.copy(buf, 0, n, pos);
        if (got === 0) throw new Error('unexpected end of file');
        yield buf.subarray(0, got);
        pos += got;
      }
    }
    return Readable.from(chunks(), { objectMode: false });
  }

  override close(callback: (err: Error | null) => void): void {
    this.blocks.clear();
    this.fh.close().then(
      () => callback(null),
      (e: unknown) => callback(e as Error),
    );
  }
}

async function openZip(input: ZipInput): Promise<ZipFile> {
  if ('buffer' in input) {
    return new Promise((resolve, reject) => {
      yauzl.fromBuffer(input.buffer, YAUZL_OPTIONS, (err, zip) => (err !== null || zip === undefined ? reject(err ?? new Error('no zip')) : resolve(zip)));
    });
  }
  const fh = await open(input.file, 'r');
  let size: number;
  try {
    size = (await fh.stat()).size;
  } catch (e) {
    await fh.close();
    throw e;
  }
  const reader = new BlockCacheReader(fh, size);
  return new Promise((resolve, reject) => {
    yauzl.fromRandomAccessReader(reader, size, YAUZL_OPTIONS, (err, zip) => {
      if (err !== null || zip === undefined) {
        // yauzl did not take ownership: close the file ourselves.
        fh.close().catch(() => undefined);
        reject(err ?? new Error('no zip'));
      } else resolve(zip);
    });
  });
}

/** yauzl emits 'error' at any time; one persistent listener keeps it from crashing the process. */
function entryReader(zip: ZipFile): () => Promise<Entry | undefined> {
  let failure: Error | undefined;
  let pending: { resolve: (e: Entry | undefined) => void; reject: (e: Error) => void } | undefined;
  zip.on('error', (err: Error) => {
    failure = err;
    const p = pending;
    pending = undefined;
    p?.reject(err);
  });
  zip.on('entry', (entry: Entry) => {
    const p = pending;
    pending = undefined;
    p?.resolve(entry);
  });
  zip.on('end', () => {
    const p = pending;
    pending = undefined;
    p?.resolve(undefined);
  });
  return () =>
    new Promise((resolve, reject) => {
      if (failure !== undefined) {
        reject(failure);
        return;
      }
      pending = { resolve, reject };
      zip.readEntry();
    });
}

const utf8 = new TextDecoder('utf-8', { fatal: true });
const latin1 = new TextDecoder('latin1');

/** Entry names: the UTF-8 flag, the Info-ZIP Unicode Path field, else UTF-8 if valid, else CP437-ish. */
function decodeName(entry: Entry): string {
  const raw = entry.fileNameRaw;
  for (const field of entry.extraFields) {
    if (field.id === 0x7075 && field.data.length >= 6 && field.data[0] === 1 && field.data.readUInt32LE(1) === crc32(raw)) {
      try {
        return utf8.decode(field.data.subarray(5));
      } catch {
        break;
      }
    }
  }
  try {
    return utf8.decode(raw);
  } catch {
    // Neither flagged nor valid UTF-8: legacy code page. Latin-1 keeps ASCII names exact, which is
    // all the parsers match on.
    return latin1.decode(raw);
  }
}

export async function walkZip(input: ZipInput, scope: WalkScope): Promise<void> {
  let zip: ZipFile;
  try {
    zip = await openZip(input);
  } catch (e) {
    throw formatError(scope, e);
  }
  try {
    const next = entryReader(zip);
    let prevOffset = -1;
    let prevEnd = -1;
    for (;;) {
      let entry: Entry | undefined;
      try {
        entry = await next();
      } catch (e) {
        throw formatError(scope, e);
      }
      if (entry === undefined) break;
      // Overlapping entries (the "non-recursive" zip bomb) share one compressed kernel.
      const offset = entry.relativeOffsetOfLocalHeader;
      if (offset >= prevOffset && offset < prevEnd) {
        throw scope.guard.limit(`zip entries overlap at offset ${offset}: refusing a likely overlapping-entry zip bomb`, { limit: 'overlap', offset });
      }
      if (offset > prevOffset) {
        prevOffset = offset;
        prevEnd = offset + 30 + entry.fileNameLength + entry.compressedSize;
      }
      await handleEntry(scope, zipEntrySource(zip, entry));
    }
  } finally {
    zip.close();
  }
}

function zipEntrySource(zip: ZipFile, entry: Entry): EntrySource {
  const rawName = decodeName(entry);
  const unixMode = entry.versionMadeBy >>> 8 === UNIX_HOST ? entry.externalFileAttributes >>> 16 : undefined;
  const fmt = unixMode === undefined ? 0 : unixMode & S_IFMT;
  const type = rawName.endsWith('/') || fmt === S_IFDIR ? 'dir' : fmt === S_IFLNK ? 'symlink' : 'file';
  let unreadable: string | undefined;
  if (entry.isEncrypted()) unreadable = 'encrypted entry';
  else if (!entry.canDecodeFileData()) unreadable = `unsupported compression method ${entry.compressionMethod}`;
  return {
    rawName,
    type,
    size: entry.uncompressedSize,
    compressedSize: entry.compressedSize,
    ...(unixMode !== undefined ? { mode: unixMode & 0o7777 } : {}),
    ...(unreadable !== undefined ? { unreadable } : {}),
    async pump(sink: ChunkSink): Promise<void> {
      const stream = await zip.openReadStreamPromise(entry);
      try {
        for await (const chunk of stream) {
          // Random access: stopping early just closes this stream (for-await destroys it).
          if (!(await sink(chunk as Buffer))) break;
        }
      } finally {
        stream.destroy();
      }
    },
  };
}
