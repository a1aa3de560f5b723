import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { lstat, open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { TrawlError } from '../../errors/trawl-error.js';
import type { ArtifactFormat, LayerInfo } from './artifact-file.js';
import { warn, type WalkScope } from './entry-handler.js';
import { normaliseEntryPath } from './entry-path.js';
import type { TarIndexEntry } from './tar-index.js';
import { walkTarStream } from './tar-walker.js';

/** Random access to the members of an image archive, whether a directory or an indexed tar. */
export interface ImageSource {
  readonly where: string;
  has(path: string): boolean;
  /** Throws TRAWL_E_ARTIFACT_FORMAT unless `path` is a regular file member. */
  prepare(path: string): Promise<void>;
  size(path: string): number;
  read(path: string, max: number): Promise<Buffer>;
  open(path: string): Readable;
}

const MAX_JSON = 4 << 20;
const DIGEST = /^(sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})$/;
const INDEX_TYPES = new Set(['application/vnd.oci.image.index.v1+json', 'application/vnd.docker.distribution.manifest.list.v2+json']);

export function tarImageSource(fh: FileHandle, file: string, entries: TarIndexEntry[]): ImageSource {
  const byName = new Map<string, TarIndexEntry>();
  for (const e of entries) if (e.type === 'file') byName.set(e.name, e);
  const get = (path: string): TarIndexEntry => {
    const e = byName.get(path);
    if (e === undefined) throw new TrawlError('TRAWL_E_ARTIFACT_FORMAT', `${file}: image member ${path} is missing`, { archive: file, entry: path });
    return e;
  };
  return {
    where: file,
    has: (path) => byName.has(path),
    prepare: async (path) => {
      get(path);
    },
    size: (path) => get(path).size,
    async read(path, max) {
      const e = get(path);
      if (e.size > max) throw new TrawlError('TRAWL_E_ARTIFACT_LIMIT', `${file}: ${path} is ${e.size} bytes, over ${max}`, { archive: file, entry: path });
      const buf = Buffer.alloc(e.size);
      await fh.read(buf, 0, e.size, e.offset);
      return buf;
    },
    open(path) {
      const e = get(path);
      if (e.size === 0) return Readable.from([]);
      return createReadStream(file, { start: e.offset, end: e.offset + e.size - 1, highWaterMark: 1 << 20 });
    },
  };
}

/** A directory layout; members are regular files only, never followed through symlinks. */
export async function directoryImageSource(root: string): Promise<ImageSource> {
  const sizes = new Map<string, number>();
  const probe = async (path: string): Promise<number | undefined> => {
    if (sizes.has(path)) return sizes.get(path);
    try {
      const st = await lstat(join(root, path));
      const size = st.isFile() ? st.size : undefined;
      if (size !== undefined) sizes.set(path, size);
      return size;
    } catch {
      return undefined;
    }
  };
  for (const name of ['oci-layout', 'index.json', 'manifest.json']) await probe(name);
  const src: ImageSource = {
    where: root,
    has: (path) => sizes.has(path),
    size: (path) => sizes.get(path) ?? 0,
    async prepare(path) {
      if ((await probe(path)) === undefined) {
        throw new TrawlError('TRAWL_E_ARTIFACT_FORMAT', `${root}: image member ${path} is missing or not a regular file`, { archive: root, entry: path });
      }
    },
    async read(path, max) {
      await src.prepare(path);
      const size = sizes.get(path) ?? 0;
      if (size > max) throw new TrawlError('TRAWL_E_ARTIFACT_LIMIT', `${root}: ${path} is ${size} bytes, over ${max}`, { archive: root, entry: path });
      const fh = await open(join(root, path), 'r');
      try {
        const buf = Buffer.alloc(size);
        const { bytesRead } = await fh.read(buf, 0, size, 0);
        return buf.subarray(0, bytesRead);
      } finally {
        await fh.close();
      }
    },
    open: (path) => createReadStream(join(root, path), { highWaterMark: 1 << 20 }),
  };
  return src;
}

export interface ImagePlan {
  readonly format: Extract<ArtifactFormat, 'oci-layout' | 'docker-save'>;
  readonly layers: { path: string; digest?: string }[];
}

function jsonOf(buf: Buffer, where: string, what: string): unknown {
  try {
    return JSON.parse(buf.toString('utf8')) as unknown;
  } catch (e) {
    throw new TrawlError('TRAWL_E_ARTIFACT_FORMAT', `${where}: ${what} is not valid JSON: ${(e as Error).message}`, { archive: where, entry: what });
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function blobPath(digest: unknown, where: string): string {
  if (typeof digest !== 'string' || !DIGEST.test(digest)) {
    // The digest becomes a path: anything but a plain hex digest could point outside blobs/.
    throw new TrawlError('TRAWL_E_ARTIFACT_FORMAT', `${where}: invalid descriptor digest ${JSON.stringify(digest)}`, { archive: where });
  }
  const [alg, hex] = digest.split(':') as [string, string];
  return `blobs/${alg}/${hex}`;
}

/** Whether the members found make this an image, and the layers to apply in order. */
export async function planImage(src: ImageSource, scope: WalkScope): Promise<ImagePlan | undefined> {
  if (src.has('oci-layout') && src.has('index.json')) return planOci(src, scope);
  if (src.has('manifest.json')) {
    const manifest = jsonOf(await src.read('manifest.json', MAX_JSON), src.where, 'manifest.json');
    if (Array.isArray(manifest) && manifest.some((m) => isObject(m) && Array.isArray(m.Layers))) return planDockerSave(src, manifest, scope);
  }
  return undefined;
}

async function planOci(src: ImageSource, scope: WalkScope): Promise<ImagePlan> {
  const where = src.where;
  let doc = jsonOf(await src.read('index.json', MAX_JSON), where, 'index.json');
  // index.json → (nested indexes) → one image manifest.
  for (let hop = 0; hop < 8; hop++) {
    if (!isObject(doc)) throw new TrawlError('TRAWL_E_ARTIFACT_FORMAT', `${where}: image index is not an object`, { archive: where });
    if (Array.isArray(doc.layers)) {
      const layers = doc.layers.map((l: unknown) => {
        if (!isObject(l)) throw new TrawlError('TRAWL_E_ARTIFACT_FORMAT', `${where}: layer descriptor is not an object`, { archive: where });
        return { path: blobPath(l.digest, where), digest: l.digest as string };
      });
      return { format: 'oci-layout', layers };
    }
    const manifests = Array.isArray(doc.manifests) ? doc.manifests.filter(isObject) : [];
    const chosen = chooseManifest(manifests, scope);
    if (chosen === undefined) throw new TrawlError('TRAWL_E_ARTIFACT_FORMAT', `${where}: image index lists no image manifest`, { archive: where });
    const path = blobPath(chosen.digest, where);
    doc = jsonOf(await src.read(path, MAX_JSON), where, path);
    if (INDEX_TYPES.has(String(chosen.mediaType)) && isObject(doc) && !Array.isArray(doc.manifests)) {
      throw new TrawlError('TRAWL_E_ARTIFACT_FORMAT', `${where}: ${path} was described as an index but lists no manifests`, { archive: where });
    }
  }
  throw new TrawlError('TRAWL_E_ARTIFACT_FORMAT', `${where}: image indexes nest too deep`, { archive: where });
}

function chooseManifest(manifests: Record<string, unknown>[], scope: WalkScope): Record<string, unknown> | undefined {
  // Buildx stores attestations as unknown/unknown manifests beside the images.
  const images = manifests.filter((m) => {
    const p = m.platform;
    const annotations = isObject(m.annotations) ? m.annotations : {};
    if (annotations['vnd.docker.reference.type'] === 'attestation-manifest') return false;
    return !(isObject(p) && p.os === 'unknown');
  });
  if (images.length === 0) return undefined;
  const want = scope.opts.platform;
  const match = images.find((m) => isObject(m.platform) && m.platform.os === want.os && m.platform.architecture === want.architecture);
  const chosen = match ?? images[0];
  if (images.length > 1) {
    warn(scope, 'TRAWL_E_ARTIFACT_FORMAT', `${images.length} images in the layout; scanned ${String(chosen?.digest)}${match ? ` (${want.os}/${want.architecture})` : ' (the first)'}`, 'index.json');
  }
  return chosen;
}

function planDockerSave(src: ImageSource, manifest: unknown[], scope: WalkScope): ImagePlan {
  const images = manifest.filter((m): m is Record<string, unknown> => isObject(m) && Array.isArray(m.Layers));
  const image = images[0] as Record<string, unknown>;
  if (images.length > 1) warn(scope, 'TRAWL_E_ARTIFACT_FORMAT', `${images.length} images in the archive; scanned the first (${JSON.stringify(image.RepoTags ?? [])})`, 'manifest.json');
  const layers = (image.Layers as unknown[]).map((l) => {
    const norm = typeof l === 'string' ? normaliseEntryPath(l) : undefined;
    if (norm === undefined || !norm.ok || norm.dir) {
      throw new TrawlError('TRAWL_E_ARTIFACT_FORMAT', `${src.where}: manifest.json names an invalid layer path ${JSON.stringify(l)}`, { archive: src.where });
    }
    const m = /^blobs\/(sha256|sha512)\/([a-f0-9]+)$/.exec(norm.path);
    return m ? { path: norm.path, digest: `${m[1]}:${m[2]}` } : { path: norm.path };
  });
  return { format: 'docker-save', layers };
}

/** Applies the layers in order; each layer's blob is hashed as it streams and checked against its digest. */
export async function applyLayers(src: ImageSource, plan: ImagePlan, scope: WalkScope, layerDigests: string[]): Promise<void> {
  if (plan.layers.length > scope.opts.maxLayers) {
    throw scope.guard.limit(`${plan.layers.length} layers, over the ${scope.opts.maxLayers}-layer cap`, { limit: 'maxLayers' });
  }
  for (const [index, layer] of plan.layers.entries()) {
    await src.prepare(layer.path);
    const alg = layer.digest?.startsWith('sha512:') ? 'sha512' : 'sha256';
    const hash = createHash(alg);
    const hasher = new Transform({
      transform(chunk: Buffer, _e, cb) {
        hash.update(chunk);
        cb(null, chunk);
      },
    });
    const file = src.open(layer.path);
    file.on('error', (e) => hasher.destroy(e));
    const stream = file.pipe(hasher);
    const provisional = layer.digest ?? `layer ${index}`;
    layerDigests[index] = provisional;
    const child: WalkScope = { ...scope, layer: index, layered: true, archive: `${src.where} layer ${index} (${provisional})` };
    try {
      await walkTarStream(stream, child);
    } finally {
      stream.destroy();
      file.destroy();
    }
    const computed = `${alg}:${hash.digest('hex')}`;
    if (layer.digest !== undefined && layer.digest !== computed) {
      warn(scope, 'TRAWL_E_ARTIFACT_FORMAT', `layer ${index} digest mismatch: descriptor says ${layer.digest}, blob hashes to ${computed}`, layer.path);
    }
    const digest = layer.digest ?? computed;
    layerDigests[index] = digest;
    const info: LayerInfo = { index, digest, size: src.size(layer.path) };
    scope.opts.onLayer(info);
  }
}
