import type { ArtifactSelector, EntryMeta, EntrySelection } from '../readers/artifact-file.js';
import { apkInstalledParser } from './apk-installed-parser.js';
import { cargoLockParser } from './cargo-lock-parser.js';
import { composerLockParser } from './composer-lock-parser.js';
import { dotnetDepsParser } from './dotnet-deps-parser.js';
import { dpkgStatusParser } from './dpkg-status-parser.js';
import { gemfileLockParser } from './gemfile-lock-parser.js';
import { goBuildInfoExtractor } from './go-binary-parser.js';
import { goModParser } from './go-mod-parser.js';
import { jarManifestParser, pomPropertiesParser } from './java-archive-parser.js';
import { npmInstalledParser } from './npm-installed-parser.js';
import { npmLockParser } from './npm-lock-parser.js';
import { OS_RELEASE_PATHS } from './os-release-parser.js';
import type { InventoryParser } from './parser-support.js';
import { pipfileLockParser } from './pipfile-lock-parser.js';
import { pnpmLockParser } from './pnpm-lock-parser.js';
import { poetryLockParser } from './poetry-lock-parser.js';
import { pythonMetadataParser } from './python-metadata-parser.js';
import { requirementsParser } from './requirements-parser.js';
import { yarnLockParser } from './yarn-lock-parser.js';

/** Every file-based parser. Go binaries are found by content (see goBinaryCandidate), not by name. */
export const ALL_PARSERS: readonly InventoryParser[] = [
  npmLockParser,
  yarnLockParser,
  pnpmLockParser,
  npmInstalledParser,
  requirementsParser,
  poetryLockParser,
  pipfileLockParser,
  pythonMetadataParser,
  goModParser,
  cargoLockParser,
  gemfileLockParser,
  composerLockParser,
  pomPropertiesParser,
  jarManifestParser,
  dotnetDepsParser,
  dpkgStatusParser,
  apkInstalledParser,
];

/** OS package databases wait for os-release, wherever it sits in the archive. */
export const OS_DATABASE_PARSERS: ReadonlySet<InventoryParser> = new Set([dpkgStatusParser, apkInstalledParser]);

const GO_MIN_SIZE = 64 * 1024;
const NOT_BINARY = /\.(sh|bash|py|pyc|rb|pl|js|mjs|cjs|ts|json|ya?ml|txt|md|html?|css|map|jar|zip|gz|tgz|xz|zst|bz2|png|jpe?g|gif|svg|ico|pem|crt|conf|cfg|ini|xml|properties|class|h|c|go|rs|java)$/i;

/**
 * Whether an entry could be a Go executable: executable bits (or, for zips without Unix modes, a
 * dotless name such as Lambda's `bootstrap`), big enough to hold a Go runtime, not an obvious text or
 * archive type. The extractor then checks the ELF/Mach-O/PE magic on the first bytes.
 */
export function goBinaryCandidate(path: string, meta: EntryMeta): boolean {
  if (meta.symlink === true || meta.size < GO_MIN_SIZE) return false;
  const base = path.slice(path.lastIndexOf('/') + 1);
  if (NOT_BINARY.test(base)) return false;
  if (meta.mode !== undefined) return (meta.mode & 0o111) !== 0;
  return !base.includes('.');
}

export function parsersFor(path: string, parsers: readonly InventoryParser[] = ALL_PARSERS): InventoryParser[] {
  return parsers.filter((p) => p.match(path));
}

export function isOsRelease(path: string): boolean {
  return OS_RELEASE_PATHS.includes(path);
}

/** The reader's selector: whole files for name-matched parsers and os-release, an extractor for binaries. */
export function inventorySelector(parsers: readonly InventoryParser[] = ALL_PARSERS, goBinaries = true): ArtifactSelector {
  return (path: string, meta: EntryMeta): EntrySelection => {
    if (isOsRelease(path)) return true;
    if (parsers.some((p) => p.match(path))) return true;
    if (goBinaries && goBinaryCandidate(path, meta)) return goBuildInfoExtractor();
    return false;
  };
}
