/**
 * Version constraints as nuclei's compare_versions evaluates them: hashicorp/go-version semantics
 * (any number of numeric segments padded to three, optional "v", pre-release after "-", metadata
 * after "+", operators = != > < >= <= ~>, constraints joined by commas, all must hold).
 */
import { TrawlError } from '../../../errors/trawl-error.js';

interface GoVersion {
  readonly segments: readonly number[];
  /** How many segments were written (before padding). */
  readonly si: number;
  readonly pre: string;
}

const VERSION_RE = /^v?([0-9]+(?:\.[0-9]+)*?)(?:-([0-9]+[0-9A-Za-z\-~]*(?:\.[0-9A-Za-z\-~]+)*)|(?:-?([A-Za-z\-~]+[0-9A-Za-z\-~]*(?:\.[0-9A-Za-z\-~]+)*)))?(?:\+[0-9A-Za-z\-~]+(?:\.[0-9A-Za-z\-~]+)*)?$/;

export function parseGoVersion(text: string): GoVersion {
  const t = text.trim();
  const m = t.length <= 128 ? VERSION_RE.exec(t) : null;
  if (!m) throw new TrawlError('TRAWL_E_BAD_VERSION', `malformed version: ${JSON.stringify(t.slice(0, 64))}`, { value: t.slice(0, 64) });
  const parts = m[1]!.split('.').map((x) => Number(x));
  if (parts.some((n) => !Number.isSafeInteger(n))) throw new TrawlError('TRAWL_E_BAD_VERSION', `version segment too large: ${t.slice(0, 64)}`, { value: t.slice(0, 64) });
  const si = parts.length;
  while (parts.length < 3) parts.push(0);
  return { segments: parts, si, pre: m[2] ?? m[3] ?? '' };
}

function comparePre(a: string, b: string): number {
  if (a === b) return 0;
  if (a === '') return 1;
  if (b === '') return -1;
  const pa = a.split('.');
  const pb = b.split('.');
  const n = Math.max(pa.length, pb.length);
  for (let i = 0; i < n; i++) {
    const x = pa[i];
    const y = pb[i];
    if (x === undefined) return -1;
    if (y === undefined) return 1;
    const xn = /^[0-9]+$/.test(x);
    const yn = /^[0-9]+$/.test(y);
    if (xn && yn) {
      const d = Number(x) - Number(y);
      if (d !== 0) return Math.sign(d);
    } else if (xn !== yn) {
      return xn ? -1 : 1;
    } else if (x !== y) {
      return x < y ? -1 : 1;
    }
  }
  return 0;
}

export function compareGoVersions(a: GoVersion, b: GoVersion): number {
  const n = Math.max(a.segments.length, b.segments.length);
  for (let i = 0; i < n; i++) {
    const d = (a.segments[i] ?? 0) - (b.segments[i] ?? 0);
    if (d !== 0) return Math.sign(d);
  }
  return comparePre(a.pre, b.pre);
}

function sameSegments(a: GoVersion, b: GoVersion): boolean {
  const n = Math.max(a.segments.length, b.segments.length);
  for (let i = 0; i < n; i++) if ((a.segments[i] ?? 0) !== (b.segments[i] ?? 0)) return false;
  return true;
}

function prereleaseCheck(v: GoVersion, c: GoVersion): boolean {
  if (c.pre !== '' && v.pre !== '') return sameSegments(c, v);
  if (c.pre === '' && v.pre !== '') return false;
  return true;
}

const CONSTRAINT_RE = /^\s*(=|!=|>=|<=|>|<|~>)?\s*(\S+)\s*$/;

function checkOne(v: GoVersion, op: string, c: GoVersion): boolean {
  const cmp = compareGoVersions(v, c);
  switch (op) {
    case '':
    case '=':
      return cmp === 0;
    case '!=':
      return cmp !== 0;
    case '>':
      return prereleaseCheck(v, c) && cmp > 0;
    case '<':
      return prereleaseCheck(v, c) && cmp < 0;
    case '>=':
      return prereleaseCheck(v, c) && cmp >= 0;
    case '<=':
      return prereleaseCheck(v, c) && cmp <= 0;
    case '~>': {
      if (!prereleaseCheck(v, c) || (c.pre !== '' && v.pre === '')) return false;
      if (cmp < 0) return false;
      const cs = c.segments.length;
      if (cs > v.segments.length) return false;
      for (let i = 0; i < c.si - 1; i++) if (v.segments[i] !== c.segments[i]) return false;
      return c.segments[cs - 1]! <= v.segments[cs - 1]!;
    }
    default:
      return false;
  }
}

/** compare_versions(version, constraint...): every comma-separated constraint must hold. */
export function checkGoVersionConstraints(version: string, constraints: readonly string[]): boolean {
  const v = parseGoVersion(version);
  const all = constraints.join(',').split(',');
  if (all.length > 64) throw new TrawlError('TRAWL_E_BAD_VERSION', 'too many version constraints', { count: all.length });
  return all.every((raw) => {
    const m = CONSTRAINT_RE.exec(raw);
    if (!m) throw new TrawlError('TRAWL_E_BAD_VERSION', `malformed constraint: ${JSON.stringify(raw.slice(0, 64))}`, { value: raw.slice(0, 64) });
    return checkOne(v, m[1] ?? '', parseGoVersion(m[2]!));
  });
}
