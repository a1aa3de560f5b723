import { TrawlError } from '../../errors/trawl-error.js';

/**
 * One file of an artifact's final filesystem (after layers, whiteouts and nesting are applied).
 * Nested archive members are named `outer.jar!/inner/path`, the Java convention.
 */
export interface ArtifactFile {
  /** Normalised, relative, '/'-separated. */
  path: string;
  /** Uncompressed size the archive declared for the entry. */
  size: number;
  /** The bytes held for this file, at most `max`. */
  read(max?: number): Promise<Buffer>;
  /** Digest of the image layer that last wrote the file (images only). */
  layer?: string;
  /** When `path` is a symlink resolved inside the artifact: the file it points at. */
  linkTarget?: string;
  /** True when an extractor kept only a window of the file (e.g. a Go binary's build info). */
  partial?: boolean;
}

/** What a reader knows about an entry before reading it. */
export interface EntryMeta {
  readonly size: number;
  /** Unix permission bits when the format records them. */
  readonly mode?: number;
  readonly symlink?: boolean;
}

/**
 * Reduces a file to the few bytes a parser needs while it streams past, so a 100 MB binary is never
 * held in memory. `push` returns false once it has seen enough.
 */
export interface EntryExtractor {
  push(chunk: Buffer): boolean;
  /** The kept bytes, or undefined when the file turned out to hold nothing of interest. */
  finish(): Buffer | undefined;
}

/** true: hold the whole file (up to maxReadBytes); an extractor: stream it through; false: skip unread. */
export type EntrySelection = boolean | EntryExtractor;

export type ArtifactSelector = (path: string, meta: EntryMeta) => EntrySelection;

export interface ArtifactLimits {
  /** Sum of uncompressed entry sizes over the whole artifact, all layers and nested archives. */
  maxTotalBytes?: number;
  /** Uncompressed size of any one entry. */
  maxEntryBytes?: number;
  /** Uncompressed/compressed ratio of a zip entry or a compressed stream, checked past `ratioFloorBytes`. */
  maxCompressionRatio?: number;
  /** Ratio is only judged once this many bytes are out: tiny files compress absurdly well legitimately. */
  ratioFloorBytes?: number;
  /** Entries over the whole artifact (every layer, every nested archive). */
  maxEntries?: number;
  /** Largest file read into memory for a parser; larger interesting files are skipped with a warning. */
  maxReadBytes?: number;
  /** Sum of bytes held in memory for parsers. */
  maxBufferedBytes?: number;
  /** Archives inside archives: 0 never opens one, 1 opens a jar in a zip, and so on. */
  maxDepth?: number;
  /** Nested archives larger than this are not opened (they would have to be spooled to disk). */
  maxNestedArchiveBytes?: number;
  /** Image layers. */
  maxLayers?: number;
}

export interface ArtifactOptions extends ArtifactLimits {
  /** Which files to hold for parsers; default: none (useful only for listing symlinks and layers). */
  interesting?: ArtifactSelector;
  /** Which entries to open as nested archives; default: jar/war/ear/zip/tar/tgz/tar.gz/tar.zst names. */
  nested?: (path: string) => boolean;
  /** Skipped entries, escaping symlinks, unreadable nested archives... The artifact goes on. */
  onWarning?: (warning: TrawlError) => void;
  onLayer?: (layer: LayerInfo) => void;
  onFormat?: (format: ArtifactFormat) => void;
  /** Preferred platform when an OCI index lists several manifests. */
  platform?: { os: string; architecture: string };
  /** Throw the warnings instead of reporting them: any unsafe or unreadable entry fails the artifact. */
  strict?: boolean;
}

export type ArtifactFormat = 'zip' | 'tar' | 'tar.gz' | 'tar.zst' | 'oci-layout' | 'docker-save' | 'directory' | 'file';

export interface LayerInfo {
  readonly index: number;
  /** `sha256:<hex>`: the descriptor digest (OCI) or the hash of the layer blob as stored. */
  readonly digest: string;
  readonly size: number;
}

export type ResolvedOptions = Required<ArtifactLimits> & {
  interesting: ArtifactSelector;
  nested: (path: string) => boolean;
  onWarning: (warning: TrawlError) => void;
  onLayer: (layer: LayerInfo) => void;
  onFormat: (format: ArtifactFormat) => void;
  platform: { os: string; architecture: string };
  strict: boolean;
};

const GiB = 1024 ** 3;
const MiB = 1024 ** 2;

/** Generous for real images (Lambda allows 10 GB), tight enough that a bomb stops early. */
export const DEFAULT_LIMITS: Required<ArtifactLimits> = {
  maxTotalBytes: 32 * GiB,
  maxEntryBytes: 8 * GiB,
  maxCompressionRatio: 250,
  ratioFloorBytes: 4 * MiB,
  maxEntries: 2_000_000,
  maxReadBytes: 64 * MiB,
  maxBufferedBytes: 1 * GiB,
  maxDepth: 3,
  maxNestedArchiveBytes: 1 * GiB,
  maxLayers: 256,
};

const NESTED_NAME = /\.(jar|war|ear|zip|tar|tgz|tar\.gz|tar\.zst)$/i;

export function defaultNested(path: string): boolean {
  return NESTED_NAME.test(path);
}

export function resolveOptions(opts: ArtifactOptions = {}): ResolvedOptions {
  const limits = { ...DEFAULT_LIMITS };
  for (const key of Object.keys(DEFAULT_LIMITS) as (keyof ArtifactLimits)[]) {
    const v = opts[key];
    if (v === undefined) continue;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) {
      throw new TrawlError('TRAWL_E_BAD_OPTION', `artifact limit ${key} must be a non-negative number, got ${String(v)}`, { option: key, value: v });
    }
    limits[key] = v;
  }
  return {
    ...limits,
    interesting: opts.interesting ?? (() => false),
    nested: opts.nested ?? defaultNested,
    onWarning: opts.onWarning ?? (() => undefined),
    onLayer: opts.onLayer ?? (() => undefined),
    onFormat: opts.onFormat ?? (() => undefined),
    platform: opts.platform ?? { os: 'linux', architecture: 'amd64' },
    strict: opts.strict ?? false,
  };
}
