import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { lstat, opendir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { TrawlError } from '../errors/trawl-error.js';
import type { PackageRef } from './package-ref.js';
import { goBinaryParser } from './parsers/go-binary-parser.js';
import { reconcileJarRefs } from './parsers/java-archive-parser.js';
import { osvDistro, parseOsRelease } from './parsers/os-release-parser.js';
import { ALL_PARSERS, inventorySelector, isOsRelease, OS_DATABASE_PARSERS, parsersFor } from './parsers/parser-registry.js';
import type { InventoryParser, OsRelease, ParseContext } from './parsers/parser-support.js';
import type { ArtifactFormat, ArtifactLimits } from './readers/artifact-file.js';
import { openArtifact } from './readers/artifact-reader.js';

export interface InventoryOptions extends ArtifactLimits {
  /** Parsers to run (default: all). */
  parsers?: readonly InventoryParser[];
  /** Look inside executables for Go build info (default true). */
  goBinaries?: boolean;
  /** Preferred platform of a multi-platform OCI layout (default linux/amd64). */
  platform?: { os: string; architecture: string };
  /** Fail on the first unsafe or unreadable entry instead of warning. */
  strict?: boolean;
  /** Cap on warnings kept (default 1000); the rest are counted. */
  maxWarnings?: number;
}

export interface InventoryResult {
  packages: PackageRef[];
  /** SHA-256 of the artifact's bytes (for a directory: of its sorted `path NUL size NUL sha256` lines). */
  sha256: string;
  format: ArtifactFormat;
  /** From etc/os-release, when the artifact has one. */
  os?: { id: string; versionId?: string; distro?: string };
  /** Image layers in order, with the packages whose files each one last wrote. */
  layers?: { digest: string; packages: number }[];
  warnings: string[];
}

/** Hashes a file, or a directory tree (regular files only, symlinks by target), without following links. */
async function hashArtifact(path: string): Promise<string> {
  const st = await stat(path);
  if (!st.isDirectory()) {
    const hash = createHash('sha256');
    for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) hash.update(chunk as Buffer);
    return hash.digest('hex');
  }
  const lines: string[] = [];
  const walk = async (rel: string, depth: number): Promise<void> => {
    if (depth > 128) return;
    for await (const d of await opendir(rel === '' ? path : join(path, rel))) {
      const childRel = rel === '' ? d.name : `${rel}/${d.name}`;
      const st2 = await lstat(join(path, childRel));
      if (st2.isDirectory()) await walk(childRel, depth + 1);
      else if (st2.isFile()) {
        const h = createHash('sha256');
        for await (const chunk of createReadStream(join(path, childRel), { highWaterMark: 1 << 20 })) h.update(chunk as Buffer);
        lines.push(`${childRel}\0${st2.size}\0${h.digest('hex')}\n`);
      }
    }
  };
  await walk('', 0);
  lines.sort();
  const hash = createHash('sha256');
  for (const l of lines) hash.update(l);
  return hash.digest('hex');
}

/**
 * Everything installed or locked in an artifact: opens it with openArtifact, runs the parsers whose
 * paths match (OS databases last, once os-release is known), reconciles jar metadata, and dedupes
 * (same purl from the same file once). Parser failures become warnings: one corrupt lockfile does
 * not hide the rest. Limits and unreadable artifacts throw TrawlError.
 */
export async function inventoryArtifact(path: string, opts: InventoryOptions = {}): Promise<InventoryResult> {
  const maxWarnings = opts.maxWarnings ?? 1000;
  const warnings: string[] = [];
  let dropped = 0;
  const warn = (message: string): void => {
    if (warnings.length < maxWarnings) warnings.push(message);
    else dropped++;
  };
  const parsers = opts.parsers ?? ALL_PARSERS;
  const layers: { index: number; digest: string }[] = [];
  let format: ArtifactFormat = 'file';
  let os: OsRelease | undefined;
  let osFrom: string | undefined;
  const deferred: { path: string; data: Buffer; parser: InventoryParser; layer?: string }[] = [];
  const found: { ref: PackageRef; layer?: string }[] = [];

  const ctx = (): ParseContext => ({ ...(os !== undefined ? { os } : {}), note: warn });
  const run = (parser: InventoryParser, filePath: string, data: Buffer, layer: string | undefined): void => {
    try {
      for (const ref of parser.parse(filePath, data, ctx())) found.push({ ref, ...(layer !== undefined ? { layer } : {}) });
    } catch (e) {
      if (e instanceof TrawlError) warn(e.message);
      else warn(`${filePath}: ${parser.name} parser failed: ${(e as Error).message}`);
    }
  };

  // The hash reads the file alongside the walk; the page cache makes the second read cheap.
  const hashing = hashArtifact(path).catch((e: unknown) => e as Error);
  const { parsers: _p, goBinaries: _g, platform: _pl, strict: _s, maxWarnings: _m, ...limits } = opts;
  for await (const file of openArtifact(path, {
    ...limits,
    interesting: inventorySelector(parsers, opts.goBinaries ?? true),
    onWarning: (w) => warn(w.message),
    onLayer: (l) => layers.push({ index: l.index, digest: l.digest }),
    onFormat: (f) => {
      format = f;
    },
    ...(opts.platform !== undefined ? { platform: opts.platform } : {}),
    ...(opts.strict !== undefined ? { strict: opts.strict } : {}),
  })) {
    const data = await file.read();
    if (isOsRelease(file.path)) {
      // etc/os-release wins over usr/lib/os-release (it is usually a link to it anyway).
      if (osFrom !== 'etc/os-release') {
        const parsed = parseOsRelease(data);
        if (parsed !== undefined) {
          os = parsed;
          osFrom = file.path;
        }
      }
      continue;
    }
    if (file.partial === true) {
      run(goBinaryParser, file.path, data, file.layer);
      continue;
    }
    for (const parser of parsersFor(file.path, parsers)) {
      if (OS_DATABASE_PARSERS.has(parser)) deferred.push({ path: file.path, data, parser, ...(file.layer !== undefined ? { layer: file.layer } : {}) });
      else run(parser, file.path, data, file.layer);
    }
  }
  for (const d of deferred) run(d.parser, d.path, d.data, d.layer);
  const hashed = await hashing;
  if (hashed instanceof Error) throw new TrawlError('TRAWL_E_ARTIFACT_READ', `cannot hash artifact ${path}: ${hashed.message}`, { artifact: path });

  const kept = new Set(reconcileJarRefs(found.map((f) => f.ref)));
  const seen = new Set<string>();
  const packages: PackageRef[] = [];
  const perLayer = new Map<string, number>();
  for (const f of found) {
    if (!kept.has(f.ref)) continue;
    const key = `${f.ref.purl}\0${f.ref.source}`;
    if (seen.has(key)) continue;
    seen.add(key);
    packages.push(f.ref);
    if (f.layer !== undefined) perLayer.set(f.layer, (perLayer.get(f.layer) ?? 0) + 1);
  }
  packages.sort((a, b) => (a.source < b.source ? -1 : a.source > b.source ? 1 : a.purl < b.purl ? -1 : a.purl > b.purl ? 1 : 0));
  if (dropped > 0) warnings.push(`… and ${dropped} more warnings`);

  const distro = osvDistro(os);
  return {
    packages,
    sha256: hashed,
    format,
    ...(os !== undefined ? { os: { id: os.id, ...(os.versionId !== undefined ? { versionId: os.versionId } : {}), ...(distro !== undefined ? { distro } : {}) } } : {}),
    ...(layers.length > 0
      ? { layers: layers.sort((a, b) => a.index - b.index).map((l) => ({ digest: l.digest, packages: perLayer.get(l.digest) ?? 0 })) }
      : {}),
    warnings,
  };
}
