import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import tar from 'tar-stream';
import { TrawlError } from '../../errors/trawl-error.js';
import { handleEntry, type ChunkSink, type EntrySource, type WalkScope } from './entry-handler.js';
import { counter } from './artifact-guard.js';
import { decompressor, sniff, type Compression } from './compression.js';

/**
 * Walks a tar stream, decompressing gzip or zstd first when the magic bytes say so. Every entry's
 * bytes are always read to the end (tar-stream ties the archive's progress to each entry stream, and
 * destroying one destroys the whole extract), so a pump that stops early just discards the rest.
 */
export async function walkTarStream(input: Readable, scope: WalkScope): Promise<Compression> {
  const { head, stream } = await sniff(input, 512);
  const compression = detectCompression(head);
  const source = compression === 'none' ? stream : decompress(stream, compression, scope);
  await walkTar(source, scope);
  return compression;
}

export function detectCompression(head: Buffer): Compression {
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  if (head.length >= 4 && head.readUInt32BE(0) === 0x28b52ffd) return 'zstd';
  return 'none';
}

function decompress(stream: Readable, compression: Exclude<Compression, 'none'>, scope: WalkScope): Readable {
  const counted = { bytes: 0 };
  const out = scope.guard.meter(`${scope.archive} (${compression})`, counted);
  const z = decompressor(compression, scope.archive);
  pipeline(stream, counter(counted), z, out).catch((e: unknown) => {
    out.destroy(e as Error);
  });
  return out;
}

function formatError(scope: WalkScope, e: unknown): TrawlError {
  if (e instanceof TrawlError) return e;
  return new TrawlError('TRAWL_E_ARTIFACT_FORMAT', `${scope.archive}: not a readable tar: ${(e as Error).message}`, { archive: scope.archive }, { cause: e });
}

export async function walkTar(source: Readable, scope: WalkScope): Promise<void> {
  const extract = tar.extract();
  let feedError: unknown;
  let handlerError: { error: unknown } | undefined;
  const feeding = pipeline(source, extract).catch((e: unknown) => {
    feedError = e;
  });
  try {
    for await (const entry of extract) {
      const h = entry.header;
      let pumped = false;
      const src: EntrySource = {
        rawName: h.name,
        type: tarType(h.type),
        size: h.size ?? 0,
        mode: h.mode ?? 0,
        ...(h.linkname !== undefined && h.linkname !== null ? { linkName: h.linkname } : {}),
        async pump(sink: ChunkSink): Promise<void> {
          pumped = true;
          let active = true;
          for await (const chunk of entry) {
            if (active && !(await sink(chunk as Buffer))) active = false;
          }
        },
      };
      try {
        await handleEntry(scope, src);
      } catch (e) {
        handlerError = { error: e };
        throw e;
      }
      if (!pumped && !entry.destroyed) await drain(entry);
    }
  } catch (e) {
    source.destroy();
    // What the entry handler threw (a limit, a caller's sentinel) goes out unchanged.
    if (handlerError !== undefined) throw handlerError.error;
    if (!(e instanceof TrawlError)) await feeding;
    // The decompressor's own error (a bomb caught by the meter, bad gzip data) says more than the
    // extract's "premature close".
    const cause = e instanceof TrawlError ? e : feedError instanceof TrawlError ? feedError : (feedError ?? e);
    throw formatError(scope, cause);
  }
  await feeding;
  if (feedError !== undefined) throw formatError(scope, feedError);
}

function drain(entry: { on(event: string, fn: () => void): unknown; resume(): unknown }): Promise<void> {
  return new Promise((resolve) => {
    entry.on('end', resolve);
    entry.on('close', resolve);
    entry.on('error', () => resolve());
    entry.resume();
  });
}

function tarType(type: string | null | undefined): EntrySource['type'] {
  switch (type) {
    case 'file':
    case 'contiguous-file':
    case null:
    case undefined:
      return 'file';
    case 'directory':
      return 'dir';
    case 'symlink':
      return 'symlink';
    case 'link':
      return 'hardlink';
    default:
      return 'other';
  }
}

