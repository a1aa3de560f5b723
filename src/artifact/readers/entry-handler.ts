import { PassThrough, type Readable } from 'node:stream';
import { TrawlError } from '../../errors/trawl-error.js';
import type { EntryExtractor, EntryMeta, ResolvedOptions } from './artifact-file.js';
import type { ArtifactGuard } from './artifact-guard.js';
import { basename, dirname, joinLinkTarget, normaliseEntryPath } from './entry-path.js';
import type { OverlayFs } from './overlay-fs.js';

/** Receives an entry's bytes; returning false stops the pump (the rest is skipped). */
export type ChunkSink = (chunk: Buffer) => boolean | Promise<boolean>;

/** One member of an archive or directory, as a walker sees it, before any byte is read. */
export interface EntrySource {
  readonly rawName: string;
  readonly type: 'file' | 'dir' | 'symlink' | 'hardlink' | 'other';
  readonly size: number;
  /** Stored size, for zip entries (compression ratio check). */
  readonly compressedSize?: number;
  readonly mode?: number;
  /** Symlink or hardlink target when the format keeps it in the header (tar). */
  readonly linkName?: string;
  /** Feeds the entry's bytes to `sink` until it returns false or the entry ends. Single use. */
  pump(sink: ChunkSink): Promise<void>;
  /** Where a nested zip can be opened with random access without copying, when it is a plain file. */
  readonly filePath?: string;
  /** Why the bytes cannot be read (encrypted, unsupported compression), if so. */
  readonly unreadable?: string;
}

export type NestedKind = 'zip' | 'stream';

export interface WalkScope {
  readonly opts: ResolvedOptions;
  readonly guard: ArtifactGuard;
  readonly overlay: OverlayFs;
  /** Index of the image layer being applied (0 for a plain archive). */
  readonly layer: number;
  /** Whether `.wh.` whiteouts apply (image layers only). */
  readonly layered: boolean;
  /** '' at the top, `outer.jar!/` inside a nested archive. */
  readonly prefix: string;
  readonly depth: number;
  /** The archive being walked, for messages. */
  readonly archive: string;
  /** Opens a nested archive; injected so walkers and this module do not import each other. */
  readonly expand: (kind: NestedKind, entry: EntrySource, child: WalkScope) => Promise<void>;
}

export function warn(scope: WalkScope, code: 'TRAWL_E_ARTIFACT_PATH' | 'TRAWL_E_ARTIFACT_LIMIT' | 'TRAWL_E_ARTIFACT_FORMAT', message: string, entry: string): void {
  const err = new TrawlError(code, `${scope.archive}: ${message}`, { archive: scope.archive, entry });
  if (scope.opts.strict) throw err;
  scope.opts.onWarning(err);
}

const WHITEOUT = '.wh.';
const OPAQUE = '.wh..wh..opq';
const ZIP_NAME = /\.(jar|war|ear|zip)$/i;
const MAX_LINK_TARGET = 4096;

/** Applies one entry to the overlay: the rules every format shares live here, once. */
export async function handleEntry(scope: WalkScope, src: EntrySource): Promise<void> {
  const norm = normaliseEntryPath(src.rawName);
  if (!norm.ok) {
    warn(scope, 'TRAWL_E_ARTIFACT_PATH', `entry ${JSON.stringify(src.rawName)} rejected: ${norm.reason}`, src.rawName);
    return;
  }
  const path = norm.path;
  const full = scope.prefix + path;
  scope.guard.entry(full, src.size, src.compressedSize);
  if (path === '' || src.type === 'dir' || norm.dir) return;

  const name = basename(path);
  if (name.startsWith(WHITEOUT)) {
    // A whiteout outside an image layer (a layer blob scanned alone) has no lower layer to act on.
    if (!scope.layered) return;
    if (name === OPAQUE) scope.overlay.opaque(scope.prefix + dirname(path), scope.layer);
    else {
      const victim = name.slice(WHITEOUT.length);
      if (victim !== '' && victim !== '.' && victim !== '..') {
        const dir = dirname(path);
        scope.overlay.whiteout(scope.prefix + (dir === '' ? victim : `${dir}/${victim}`), scope.layer);
      }
    }
    return;
  }

  if (src.type === 'symlink') {
    await handleSymlink(scope, src, path, full);
    return;
  }
  if (src.type === 'hardlink') {
    handleHardlink(scope, src, full);
    return;
  }
  if (src.type !== 'file') return;

  if (scope.layered) scope.overlay.replace(full, scope.layer);
  const meta: EntryMeta = { size: src.size, ...(src.mode !== undefined ? { mode: src.mode } : {}) };

  if (scope.opts.nested(full)) {
    if (scope.depth >= scope.opts.maxDepth) {
      warn(scope, 'TRAWL_E_ARTIFACT_LIMIT', `nested archive ${full} not opened: nesting depth cap ${scope.opts.maxDepth} reached`, full);
    } else if (src.size > scope.opts.maxNestedArchiveBytes) {
      warn(scope, 'TRAWL_E_ARTIFACT_LIMIT', `nested archive ${full} not opened: ${src.size} bytes is over the ${scope.opts.maxNestedArchiveBytes}-byte cap`, full);
    } else if (src.unreadable !== undefined) {
      warn(scope, 'TRAWL_E_ARTIFACT_FORMAT', `nested archive ${full} not opened: ${src.unreadable}`, full);
    } else {
      const child: WalkScope = { ...scope, prefix: `${full}!/`, depth: scope.depth + 1, archive: `${scope.archive}!/${path}`, layered: false };
      try {
        await scope.expand(ZIP_NAME.test(name) ? 'zip' : 'stream', src, child);
      } catch (e) {
        // A corrupt jar is one unreadable file; a bomb inside it is still a bomb.
        if (e instanceof TrawlError && e.code !== 'TRAWL_E_ARTIFACT_FORMAT') throw e;
        warn(scope, 'TRAWL_E_ARTIFACT_FORMAT', `nested archive ${full} skipped: ${(e as Error).message}`, full);
      }
      return;
    }
  }

  const selection = scope.opts.interesting(full, meta);
  if (selection === false) return;
  if (src.unreadable !== undefined) {
    warn(scope, 'TRAWL_E_ARTIFACT_FORMAT', `${full} not read: ${src.unreadable}`, full);
    return;
  }
  if (selection === true) {
    if (src.size > scope.opts.maxReadBytes) {
      warn(scope, 'TRAWL_E_ARTIFACT_LIMIT', `${full} skipped: ${src.size} bytes is over the ${scope.opts.maxReadBytes}-byte read cap`, full);
      return;
    }
    const data = await readEntry(scope, src, full, scope.opts.maxReadBytes);
    if (data === undefined) return;
    scope.guard.hold(full, data.length);
    scope.overlay.setFile(full, scope.layer, src.size, data, false);
    return;
  }
  const kept = await extractEntry(scope, src, full, selection);
  if (kept === undefined) return;
  scope.guard.hold(full, kept.length);
  scope.overlay.setFile(full, scope.layer, src.size, kept, true);
}

async function handleSymlink(scope: WalkScope, src: EntrySource, path: string, full: string): Promise<void> {
  let target = src.linkName;
  if (target === undefined) {
    // zip keeps the target as the entry's content.
    if (src.size > MAX_LINK_TARGET) {
      warn(scope, 'TRAWL_E_ARTIFACT_PATH', `symlink ${full} has a ${src.size}-byte target; ignored`, full);
      return;
    }
    const data = await readEntry(scope, src, full, MAX_LINK_TARGET);
    if (data === undefined) return;
    target = data.toString('utf8');
  }
  if (target === '' || target.includes('\0')) return;
  if (joinLinkTarget(path, target) === undefined) {
    warn(scope, 'TRAWL_E_ARTIFACT_PATH', `symlink ${full} -> ${target} escapes the artifact root; not followed`, full);
  }
  // Links inside nested archives are only checked: nothing resolves through a jar's symlinks.
  if (scope.prefix === '') scope.overlay.setLink(full, scope.layer, target);
}

function handleHardlink(scope: WalkScope, src: EntrySource, full: string): void {
  const norm = src.linkName === undefined ? undefined : normaliseEntryPath(src.linkName);
  if (norm === undefined || !norm.ok) {
    warn(scope, 'TRAWL_E_ARTIFACT_PATH', `hard link ${full} -> ${JSON.stringify(src.linkName ?? '')} rejected`, full);
    return;
  }
  if (scope.layered) scope.overlay.replace(full, scope.layer);
  const target = scope.overlay.get(scope.prefix + norm.path);
  if (target?.kind !== 'file') return;
  scope.guard.hold(full, target.data.length);
  scope.overlay.setFile(full, scope.layer, target.size, target.data, target.partial);
}

/** The whole entry, or undefined (with a warning) when it runs past `max` or cannot be read. */
export async function readEntry(scope: WalkScope, src: EntrySource, full: string, max: number): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let total = 0;
  let over = false;
  try {
    await src.pump((chunk) => {
      total += chunk.length;
      if (total > max) {
        over = true;
        return false;
      }
      chunks.push(chunk);
      return true;
    });
  } catch (e) {
    if (e instanceof TrawlError && e.code === 'TRAWL_E_ARTIFACT_LIMIT') throw e;
    warn(scope, 'TRAWL_E_ARTIFACT_FORMAT', `${full} cannot be read: ${(e as Error).message}`, full);
    return undefined;
  }
  if (over) {
    warn(scope, 'TRAWL_E_ARTIFACT_LIMIT', `${full} skipped: more than ${max} bytes (its header said ${src.size})`, full);
    return undefined;
  }
  return Buffer.concat(chunks, total);
}

async function extractEntry(scope: WalkScope, src: EntrySource, full: string, extractor: EntryExtractor): Promise<Buffer | undefined> {
  try {
    await src.pump((chunk) => extractor.push(chunk));
  } catch (e) {
    if (e instanceof TrawlError && e.code === 'TRAWL_E_ARTIFACT_LIMIT') throw e;
    warn(scope, 'TRAWL_E_ARTIFACT_FORMAT', `${full} cannot be read: ${(e as Error).message}`, full);
    return undefined;
  }
  const kept = extractor.finish();
  if (kept !== undefined && kept.length > scope.opts.maxReadBytes) {
    warn(scope, 'TRAWL_E_ARTIFACT_LIMIT', `${full}: extractor kept ${kept.length} bytes, over the read cap`, full);
    return undefined;
  }
  return kept;
}

/**
 * Turns a pump into a Readable for a nested tar walker. Backpressure is honoured; if the consumer
 * gives up (corrupt inner archive) the pump stops, and a tar source simply discards the rest.
 */
export function pumpToStream(src: EntrySource): { stream: Readable; done: Promise<void> } {
  const pass = new PassThrough({ highWaterMark: 1 << 20 });
  let closed = false;
  pass.on('close', () => {
    closed = true;
  });
  const done = src
    .pump(async (chunk) => {
      if (closed || pass.destroyed) return false;
      if (!pass.write(chunk)) {
        await new Promise<void>((resolve) => {
          const finish = (): void => {
            pass.off('drain', finish);
            pass.off('close', finish);
            resolve();
          };
          pass.on('drain', finish);
          pass.on('close', finish);
        });
      }
      return !closed && !pass.destroyed;
    })
    .then(
      () => {
        if (!pass.destroyed) pass.end();
      },
      (e: unknown) => {
        pass.destroy(e as Error);
        throw e;
      },
    );
  return { stream: pass, done };
}
