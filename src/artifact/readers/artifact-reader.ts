import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, open, rm, stat, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { TrawlError } from '../../errors/trawl-error.js';
import { resolveOptions, type ArtifactFile, type ArtifactFormat, type ArtifactOptions, type ResolvedOptions } from './artifact-file.js';
import { ArtifactGuard, counter } from './artifact-guard.js';
import { decompressor } from './compression.js';
import { fileSource, walkDirectory } from './directory-walker.js';
import { handleEntry, pumpToStream, type EntrySource, type NestedKind, type WalkScope } from './entry-handler.js';
import { applyLayers, directoryImageSource, planImage, tarImageSource, type ImageSource } from './image-reader.js';
import { OverlayFs } from './overlay-fs.js';
import { indexTar, looksLikeTar } from './tar-index.js';
import { detectCompression, walkTar, walkTarStream } from './tar-walker.js';
import { walkZip } from './zip-walker.js';

/** Nested zips up to this size are opened from memory; larger ones are spooled to a temp file. */
const IN_MEMORY_NESTED = 32 << 20;

/** A lazily created private temp directory, removed when the artifact is done. */
class TempSpace {
  private dir: Promise<string> | undefined;
  private n = 0;

  async file(): Promise<string> {
    this.dir ??= mkdtemp(join(tmpdir(), 'trawl-artifact-'));
    return join(await this.dir, `spool-${++this.n}`);
  }

  async cleanup(): Promise<void> {
    if (this.dir === undefined) return;
    const dir = await this.dir.catch(() => undefined);
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  }
}

/**
 * Opens a function package, layer, image or directory, detected by content (PK, gzip 1f8b, zstd
 * 28b52ffd, ustar, directory; anything else is one file), and yields its final files: the ones
 * `options.interesting` selected, after layers, whiteouts and nested archives. Nothing else is held
 * in memory. Limits throw TRAWL_E_ARTIFACT_LIMIT; unsafe or unreadable entries are skipped and
 * reported through `options.onWarning`.
 */
export async function* openArtifact(path: string, options?: ArtifactOptions): AsyncGenerator<ArtifactFile> {
  const opts = resolveOptions(options);
  const guard = new ArtifactGuard(opts, path);
  const overlay = new OverlayFs((n) => guard.release(n));
  const temp = new TempSpace();
  const layerDigests: string[] = [];
  try {
    await walkArtifact(path, opts, guard, overlay, temp, layerDigests);
    const wantLink = (p: string): boolean => opts.interesting(p, { size: 0, symlink: true }) === true;
    for (const { path: filePath, node, linkTarget } of overlay.files(wantLink)) {
      const data = node.data;
      const layer = layerDigests[node.layer];
      const file: ArtifactFile = {
        path: filePath,
        size: node.size,
        read: async (max?: number) => (max === undefined || max >= data.length ? data : data.subarray(0, Math.max(0, max))),
        ...(layer !== undefined ? { layer } : {}),
        ...(linkTarget !== undefined ? { linkTarget } : {}),
        ...(node.partial ? { partial: true } : {}),
      };
      yield file;
    }
  } finally {
    await temp.cleanup();
  }
}

async function walkArtifact(path: string, opts: ResolvedOptions, guard: ArtifactGuard, overlay: OverlayFs, temp: TempSpace, layerDigests: string[]): Promise<void> {
  let st;
  try {
    st = await stat(path);
  } catch (e) {
    throw new TrawlError('TRAWL_E_ARTIFACT_READ', `cannot open artifact ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, { artifact: path });
  }
  const root: WalkScope = {
    opts,
    guard,
    overlay,
    layer: 0,
    layered: false,
    prefix: '',
    depth: 0,
    archive: path,
    expand: (kind, entry, child) => expandNested(kind, entry, child, temp),
  };
  const format = (f: ArtifactFormat): void => opts.onFormat(f);

  if (st.isDirectory()) {
    const image = await directoryImageSource(path);
    const plan = await planImage(image, root);
    if (plan !== undefined) {
      format(plan.format);
      await applyLayers(image, plan, root, layerDigests);
    } else {
      format('directory');
      await walkDirectory(path, root);
    }
    return;
  }
  if (!st.isFile()) throw new TrawlError('TRAWL_E_ARTIFACT_READ', `artifact ${path} is neither a file nor a directory`, { artifact: path });

  const head = Buffer.alloc(512);
  const fh = await open(path, 'r');
  try {
    const { bytesRead } = await fh.read(head, 0, 512, 0);
    const magic = head.subarray(0, bytesRead);
    if (magic.length >= 4 && magic[0] === 0x50 && magic[1] === 0x4b && (magic[2] === 3 || magic[2] === 5) && (magic[3] === 4 || magic[3] === 6)) {
      format('zip');
      await walkZip({ file: path }, root);
      return;
    }
    const compression = detectCompression(magic);
    if (compression !== 'none') {
      format(compression === 'gzip' ? 'tar.gz' : 'tar.zst');
      await walkCompressedTar(path, compression, root, temp, layerDigests, format);
      return;
    }
    if (looksLikeTar(magic)) {
      const entries = await indexTar(fh, st.size, path, opts.maxEntries);
      const image = tarImageSource(fh, path, entries);
      const plan = await planImage(image, root);
      if (plan !== undefined) {
        format(plan.format);
        await applyLayers(image, plan, root, layerDigests);
      } else {
        format('tar');
        await walkTar(createReadStream(path, { highWaterMark: 1 << 20 }), root);
      }
      return;
    }
  } finally {
    await fh.close();
  }
  // Not an archive: a lone lockfile, binary or jar-less manifest is an artifact of one file.
  format('file');
  await handleEntry(root, fileSource(basename(path), path, st.size));
}

class ImageInsideCompressedTar extends Error {}

/**
 * A compressed tar is walked as one layer in a single pass. If it turns out to hold an image
 * (`docker save | gzip`), whose layers must be applied in manifest order, it is decompressed to a
 * temp file and handled as an image tar.
 */
async function walkCompressedTar(path: string, compression: 'gzip' | 'zstd', root: WalkScope, temp: TempSpace, layerDigests: string[], format: (f: ArtifactFormat) => void): Promise<void> {
  // Members only an image archive has at its root: OCI blobs, classic `docker save` layer dirs.
  const imageMember = (p: string): boolean => p === 'oci-layout' || /^blobs\/sha256\/[a-f0-9]{64}$/.test(p) || /^[a-f0-9]{64}\/layer\.tar$/.test(p);
  const watching: WalkScope = {
    ...root,
    opts: {
      ...root.opts,
      nested: (p) => {
        if (imageMember(p)) throw new ImageInsideCompressedTar();
        return root.opts.nested(p);
      },
      interesting: (p, meta) => {
        if (imageMember(p)) throw new ImageInsideCompressedTar();
        return root.opts.interesting(p, meta);
      },
    },
  };
  try {
    await walkTarStream(createReadStream(path, { highWaterMark: 1 << 20 }), watching);
    return;
  } catch (e) {
    if (!(e instanceof ImageInsideCompressedTar) && !(e instanceof TrawlError && e.cause instanceof ImageInsideCompressedTar)) throw e;
  }
  // Start over on the decompressed copy.
  const spool = await temp.file();
  const counted = { bytes: 0 };
  await pipeline(createReadStream(path), counter(counted), decompressor(compression, path), root.guard.meter(path, counted), createWriteStream(spool));
  const st = await stat(spool);
  // The first pass's partial results and counts are void.
  root.overlay.clear();
  root.guard.entries = 0;
  root.guard.totalBytes = 0;
  const scope = root;
  const fh = await open(spool, 'r');
  try {
    const entries = await indexTar(fh, st.size, path, root.opts.maxEntries);
    const image: ImageSource = { ...tarImageSource(fh, spool, entries), where: path };
    const plan = await planImage(image, scope);
    if (plan === undefined) throw new TrawlError('TRAWL_E_ARTIFACT_FORMAT', `${path}: looked like an image archive but has no usable manifest`, { artifact: path });
    format(plan.format);
    await applyLayers(image, plan, scope, layerDigests);
  } finally {
    await fh.close();
  }
}

async function expandNested(kind: NestedKind, entry: EntrySource, child: WalkScope, temp: TempSpace): Promise<void> {
  if (kind === 'stream') {
    const { stream, done } = pumpToStream(entry);
    try {
      await walkTarStream(stream, child);
    } finally {
      stream.destroy();
      await done.catch(() => undefined);
    }
    return;
  }
  if (entry.filePath !== undefined) {
    await walkZip({ file: entry.filePath }, child);
    return;
  }
  if (entry.size <= IN_MEMORY_NESTED) {
    const chunks: Buffer[] = [];
    let total = 0;
    await entry.pump((chunk) => {
      total += chunk.length;
      chunks.push(chunk);
      return total <= IN_MEMORY_NESTED;
    });
    if (total > IN_MEMORY_NESTED) throw child.guard.limit(`nested archive ${child.archive} is larger than its header said`, { entry: child.archive });
    child.guard.hold(child.archive, total);
    try {
      await walkZip({ buffer: Buffer.concat(chunks, total) }, child);
    } finally {
      child.guard.release(total);
    }
    return;
  }
  const spool = await temp.file();
  const out = createWriteStream(spool);
  try {
    await entry.pump(
      (chunk) =>
        new Promise<boolean>((resolve, reject) => {
          out.write(chunk, (err) => (err ? reject(err) : resolve(true)));
        }),
    );
    await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
    await walkZip({ file: spool }, child);
  } finally {
    out.destroy();
    await unlink(spool).catch(() => undefined);
  }
}
