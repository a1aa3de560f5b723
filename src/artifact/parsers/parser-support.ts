import { TrawlError } from '../../errors/trawl-error.js';
import type { Ecosystem, PackageRef } from '../package-ref.js';
import { purlFor } from './purl-builder.js';

/** What a parser may say besides its packages: the operating system, and notes for the report. */
export interface ParseContext {
  /** From etc/os-release, for OS package databases. */
  os?: OsRelease;
  /** Something the reader of the inventory should know (an unpinned requirement, an unsupported format). */
  note?: (message: string) => void;
}

export interface OsRelease {
  /** `ID` (debian, ubuntu, alpine...). */
  id: string;
  /** `VERSION_ID`, when the release has one. */
  versionId?: string;
  /** `ID_LIKE`, split. */
  like: string[];
}

/** A pure function of one file's bytes; each module bounds its own input size and nesting. */
export interface InventoryParser {
  readonly name: string;
  /** Which artifact paths this parser reads (nested members included: `lib/a.jar!/META-INF/...`). */
  match(path: string): boolean;
  parse(path: string, bytes: Buffer, ctx?: ParseContext): PackageRef[];
}

export const MiB = 1024 * 1024;
/** The largest lockfile any parser accepts: real ones are a few MB; the cap bounds time and memory. */
export const MAX_LOCKFILE_BYTES = 64 * MiB;
const MAX_NAME = 512;
const MAX_VERSION = 256;

export function formatError(path: string, message: string, detail: Record<string, unknown> = {}): TrawlError {
  return new TrawlError('TRAWL_E_ARTIFACT_FORMAT', `${path}: ${message}`, { entry: path, ...detail });
}

/** UTF-8 text of a file no larger than `max`, BOM stripped. */
export function textOf(path: string, bytes: Buffer, max = MAX_LOCKFILE_BYTES): string {
  if (bytes.length > max) throw formatError(path, `${bytes.length} bytes is over this parser's ${max}-byte cap`, { size: bytes.length });
  const text = bytes.toString('utf8');
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

export function jsonOf(path: string, bytes: Buffer, max = MAX_LOCKFILE_BYTES): unknown {
  const text = textOf(path, bytes, max);
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw formatError(path, `not valid JSON: ${(e as Error).message}`);
  }
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

/** Names and versions are identifiers: no control characters, bounded length. */
function sane(value: string, max: number): boolean {
  // eslint-disable-next-line no-control-regex
  return value.length > 0 && value.length <= max && !/[\u0000-\u001f\u007f]/.test(value) && value.trim() === value;
}

export interface RefExtras {
  dev?: boolean;
  distro?: string;
  qualifiers?: Record<string, string | undefined>;
  vendor?: string;
  sourcePackage?: { name: string; version: string };
}

/** A PackageRef with its purl, or undefined when name or version is not a plausible identifier. */
export function makeRef(ecosystem: Ecosystem, name: string, version: string, source: string, extras: RefExtras = {}): PackageRef | undefined {
  if (!sane(name, MAX_NAME) || !sane(version, MAX_VERSION)) return undefined;
  const ref: PackageRef = {
    ecosystem,
    name,
    version,
    purl: purlFor(ecosystem, name, version, extras.qualifiers, extras.vendor),
    source,
    ...(extras.distro !== undefined ? { distro: extras.distro } : {}),
    ...(extras.sourcePackage !== undefined && sane(extras.sourcePackage.name, MAX_NAME) && sane(extras.sourcePackage.version, MAX_VERSION)
      ? { sourcePackage: extras.sourcePackage }
      : {}),
    ...(extras.dev === true ? { dev: true } : {}),
  };
  return ref;
}

/** Collects refs, dropping implausible ones. */
export class RefList {
  readonly refs: PackageRef[] = [];
  constructor(private readonly limit = 1_000_000) {}
  add(ref: PackageRef | undefined): void {
    if (ref === undefined) return;
    if (this.refs.length >= this.limit) return;
    this.refs.push(ref);
  }
}

export function baseName(path: string): string {
  const nested = path.lastIndexOf('!/');
  const tail = nested >= 0 ? path.slice(nested + 2) : path;
  return tail.slice(tail.lastIndexOf('/') + 1);
}

/**
 * RFC 822-style headers (METADATA, MANIFEST.MF, dpkg stanzas): continuation lines start with a space
 * or tab. MANIFEST.MF wraps at 72 bytes mid-word, so its continuations join with ''.
 */
export function parseHeaderBlock(lines: string[], join = '\n'): Map<string, string> {
  const out = new Map<string, string>();
  let last: string | undefined;
  for (const line of lines) {
    if ((line.startsWith(' ') || line.startsWith('\t')) && last !== undefined) {
      out.set(last, `${out.get(last) ?? ''}${join}${line.slice(1)}`);
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) {
      last = undefined;
      continue;
    }
    last = line.slice(0, colon).trim();
    out.set(last, line.slice(colon + 1).trim());
  }
  return out;
}
