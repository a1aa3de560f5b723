import { advisoryIdentity, type PackageRef } from '../package-ref.js';
import { goVersions, npmVersions, versionSchemeFor, type VersionScheme } from '../versions/version-schemes.js';
import type { Severity } from './cvss.js';
import { severityOf } from './cvss.js';
import { splitEcosystem, type OsvRange, type OsvRecord } from './osv-record.js';
import { normalisePackageName } from './package-name.js';

/** One affected[] entry of an advisory, in the form the matcher and the store exchange. */
export interface AffectedEntry {
  readonly advisoryId: string;
  readonly aliases: readonly string[];
  /** `related` and `upstream` ids; CVEs among them are reported (Debian and Alpine records name CVEs there). */
  readonly related: readonly string[];
  readonly summary?: string;
  readonly severity: Severity;
  /** Base ecosystem ('Debian'); `release` the qualifier ('12') when the entry has one. */
  readonly ecosystem: string;
  readonly release?: string;
  /** Normalised (package-name.ts). */
  readonly name: string;
  readonly ranges: readonly OsvRange[];
  readonly versions: readonly string[];
}

/** What a scan reports for one vulnerable package and one advisory. */
export interface Finding {
  readonly advisoryId: string;
  readonly aliases: readonly string[];
  /** The CVE ids among id, aliases and related ids. */
  readonly cves: readonly string[];
  readonly summary?: string;
  readonly severity: Severity;
  readonly ecosystem: string;
  readonly package: string;
  readonly installedVersion: string;
  readonly purl: string;
  readonly source: string;
  /** Versions that fix it: the end of the range the installed version falls in, else every later fix. */
  readonly fixedVersions: readonly string[];
  readonly dev?: boolean;
}

export interface MatchStats {
  packages: number;
  /** Affected entries evaluated against some package. */
  entriesEvaluated: number;
  /** GIT ranges met (commit ranges; a package version cannot be placed in them). */
  gitRangesIgnored: number;
  /** Ranges that could not be evaluated: no version order for the ecosystem, or an event version that does not parse. */
  rangesUnevaluable: number;
  /** Installed versions the ecosystem's order rejects (matched by explicit version lists only). */
  unparsableVersions: number;
  /** Entries for a distro release skipped because the package's release is unknown. */
  releaseUnknown: number;
}

export interface MatchResult {
  readonly findings: Finding[];
  readonly stats: MatchStats;
}

/** Splits a record into entries; records without affected packages give none. */
export function affectedEntriesOf(record: OsvRecord): AffectedEntry[] {
  const severity = severityOf(record);
  const aliases = record.aliases ?? [];
  const related = [...new Set([...(record.related ?? []), ...(record.upstream ?? [])])];
  const out: AffectedEntry[] = [];
  for (const a of record.affected ?? []) {
    if (a.package === undefined) continue;
    const [ecosystem, release] = splitEcosystem(a.package.ecosystem);
    out.push({
      advisoryId: record.id,
      aliases,
      related,
      ...(record.summary !== undefined ? { summary: record.summary } : {}),
      severity,
      ecosystem,
      ...(release !== undefined && release !== '' ? { release } : {}),
      name: normalisePackageName(ecosystem, a.package.name),
      ranges: a.ranges ?? [],
      versions: a.versions ?? [],
    });
  }
  return out;
}

/** An interval of affected versions: [lo, hi) when hi is a fix, [lo, hi] when it is last_affected. */
interface Interval {
  readonly lo: unknown;
  readonly hi: unknown;
  readonly hiText: string | undefined;
  readonly hiInclusive: boolean;
}

interface CompiledRange {
  readonly scheme: VersionScheme;
  readonly intervals: readonly Interval[];
  /** `limit` events: affected only below one of them (none: no limit). */
  readonly limits: readonly unknown[];
  readonly fixed: readonly { text: string; parsed: unknown }[];
}

interface CompiledEntry {
  readonly entry: AffectedEntry;
  readonly ranges: readonly CompiledRange[];
  readonly versions: ReadonlySet<string>;
  readonly gitRanges: number;
  readonly unevaluable: number;
}

const ZERO = Symbol('zero');

function schemeForRange(ecosystem: string, type: string): VersionScheme | undefined {
  if (type === 'SEMVER') return ecosystem === 'Go' ? goVersions : npmVersions;
  if (type === 'ECOSYSTEM') return versionSchemeFor(ecosystem);
  return undefined;
}

/**
 * Events sorted by the ecosystem's order and walked once into intervals, as the OSV spec's
 * evaluation does: an introduced opens, a fixed or last_affected closes, a second introduced inside
 * an open interval changes nothing. "0" introduced means "from the first version".
 */
function compileRange(ecosystem: string, range: OsvRange): CompiledRange | 'git' | 'unevaluable' {
  if (range.type === 'GIT') return 'git';
  const scheme = schemeForRange(ecosystem, range.type);
  if (scheme === undefined) return 'unevaluable';
  type Ev = { kind: 'introduced' | 'fixed' | 'last_affected' | 'limit'; text: string; v: unknown };
  const events: Ev[] = [];
  try {
    for (const e of range.events) {
      if (e.introduced !== undefined) events.push({ kind: 'introduced', text: e.introduced, v: e.introduced === '0' ? ZERO : scheme.parse(e.introduced) });
      else if (e.fixed !== undefined) events.push({ kind: 'fixed', text: e.fixed, v: scheme.parse(e.fixed) });
      else if (e.last_affected !== undefined) events.push({ kind: 'last_affected', text: e.last_affected, v: scheme.parse(e.last_affected) });
      else if (e.limit !== undefined && e.limit !== '*') events.push({ kind: 'limit', text: e.limit, v: scheme.parse(e.limit) });
    }
  } catch {
    return 'unevaluable';
  }
  const cmp = (a: unknown, b: unknown): number => (a === ZERO ? (b === ZERO ? 0 : -1) : b === ZERO ? 1 : scheme.compareParsed(a, b));
  const limits = events.filter((e) => e.kind === 'limit').map((e) => e.v);
  const ordered = events.filter((e) => e.kind !== 'limit').sort((a, b) => cmp(a.v, b.v));
  const intervals: Interval[] = [];
  let open: unknown;
  let isOpen = false;
  for (const e of ordered) {
    if (e.kind === 'introduced') {
      if (!isOpen) {
        open = e.v;
        isOpen = true;
      }
    } else if (isOpen) {
      intervals.push({ lo: open, hi: e.v, hiText: e.text, hiInclusive: e.kind === 'last_affected' });
      isOpen = false;
    }
  }
  if (isOpen) intervals.push({ lo: open, hi: undefined, hiText: undefined, hiInclusive: false });
  const fixed = ordered.filter((e) => e.kind === 'fixed').map((e) => ({ text: e.text, parsed: e.v }));
  return { scheme, intervals, limits, fixed };
}

function compileEntry(entry: AffectedEntry): CompiledEntry {
  const ranges: CompiledRange[] = [];
  let gitRanges = 0;
  let unevaluable = 0;
  for (const r of entry.ranges) {
    const c = compileRange(entry.ecosystem, r);
    if (c === 'git') gitRanges++;
    else if (c === 'unevaluable') unevaluable++;
    else ranges.push(c);
  }
  return { entry, ranges, versions: new Set(entry.versions), gitRanges, unevaluable };
}

const keyOf = (ecosystem: string, name: string): string => `${ecosystem}\u0000${name}`;

/**
 * Advisories indexed by (ecosystem, normalised name); entries compile (events parsed and sorted) the
 * first time a package looks them up, so an index over a whole database costs only what is used.
 */
export class AdvisoryIndex {
  readonly #byKey = new Map<string, AffectedEntry[]>();
  readonly #compiled = new Map<AffectedEntry, CompiledEntry>();
  #size = 0;

  constructor(entries: Iterable<AffectedEntry> = []) {
    for (const e of entries) this.add(e);
  }

  add(entry: AffectedEntry): void {
    const key = keyOf(entry.ecosystem, entry.name);
    const list = this.#byKey.get(key);
    if (list === undefined) this.#byKey.set(key, [entry]);
    else list.push(entry);
    this.#size++;
  }

  get size(): number {
    return this.#size;
  }

  #compile(entry: AffectedEntry): CompiledEntry {
    let c = this.#compiled.get(entry);
    if (c === undefined) {
      c = compileEntry(entry);
      this.#compiled.set(entry, c);
    }
    return c;
  }

  match(packages: readonly PackageRef[]): MatchResult {
    const stats: MatchStats = { packages: packages.length, entriesEvaluated: 0, gitRangesIgnored: 0, rangesUnevaluable: 0, unparsableVersions: 0, releaseUnknown: 0 };
    const findings: Finding[] = [];
    for (const pkg of packages) {
      const id = advisoryIdentity(pkg);
      const entries = this.#byKey.get(keyOf(pkg.ecosystem, normalisePackageName(pkg.ecosystem, id.name)));
      if (entries === undefined) continue;
      const parsedBy = new Map<VersionScheme, unknown>();
      let unparsable = false;
      const parse = (scheme: VersionScheme): unknown => {
        if (parsedBy.has(scheme)) return parsedBy.get(scheme);
        let v: unknown;
        try {
          v = scheme.parse(id.version);
        } catch {
          v = undefined;
          unparsable = true;
        }
        parsedBy.set(scheme, v);
        return v;
      };
      const seen = new Map<string, Finding>();
      for (const entry of entries) {
        if (entry.release !== undefined) {
          if (pkg.distro === undefined) {
            stats.releaseUnknown++;
            continue;
          }
          if (pkg.distro !== `${entry.ecosystem}:${entry.release}`) continue;
        }
        stats.entriesEvaluated++;
        const c = this.#compile(entry);
        stats.gitRangesIgnored += c.gitRanges;
        stats.rangesUnevaluable += c.unevaluable;
        const fixed = affects(c, id.version, parse);
        if (fixed === undefined) continue;
        const prior = seen.get(entry.advisoryId);
        if (prior !== undefined) {
          // Two entries of one advisory for one package (e.g. two ranges split in two entries): one finding.
          seen.set(entry.advisoryId, { ...prior, fixedVersions: [...new Set([...prior.fixedVersions, ...fixed])] });
          continue;
        }
        seen.set(entry.advisoryId, toFinding(entry, pkg, fixed));
      }
      if (unparsable) stats.unparsableVersions++;
      findings.push(...seen.values());
    }
    return { findings, stats };
  }
}

/** The fixed versions to report when `version` is affected by the entry, else undefined. */
function affects(c: CompiledEntry, version: string, parse: (s: VersionScheme) => unknown): string[] | undefined {
  for (const r of c.ranges) {
    const v = parse(r.scheme);
    if (v === undefined) continue;
    const cmp = r.scheme.compareParsed;
    if (r.limits.length > 0 && !r.limits.some((l) => cmp(v, l) < 0)) continue;
    for (const iv of r.intervals) {
      if (iv.lo !== ZERO && cmp(v, iv.lo) < 0) continue;
      if (iv.hi !== undefined) {
        const d = cmp(v, iv.hi);
        if (iv.hiInclusive ? d > 0 : d >= 0) continue;
      }
      return iv.hi !== undefined && !iv.hiInclusive && iv.hiText !== undefined ? [iv.hiText] : laterFixes(r, v);
    }
  }
  if (c.versions.has(version)) {
    const later = new Set<string>();
    for (const r of c.ranges) {
      const v = parse(r.scheme);
      for (const f of r.fixed) if (v === undefined || r.scheme.compareParsed(f.parsed, v) > 0) later.add(f.text);
    }
    return [...later];
  }
  return undefined;
}

function laterFixes(r: CompiledRange, v: unknown): string[] {
  return r.fixed.filter((f) => r.scheme.compareParsed(f.parsed, v) > 0).map((f) => f.text);
}

function toFinding(entry: AffectedEntry, pkg: PackageRef, fixed: string[]): Finding {
  const cves = [entry.advisoryId, ...entry.aliases, ...entry.related].filter((id) => id.startsWith('CVE-'));
  return {
    advisoryId: entry.advisoryId,
    aliases: entry.aliases,
    cves: [...new Set(cves)],
    ...(entry.summary !== undefined ? { summary: entry.summary } : {}),
    severity: entry.severity,
    ecosystem: pkg.ecosystem,
    package: pkg.name,
    installedVersion: pkg.version,
    purl: pkg.purl,
    source: pkg.source,
    fixedVersions: fixed,
    ...(pkg.dev === true ? { dev: true } : {}),
  };
}
