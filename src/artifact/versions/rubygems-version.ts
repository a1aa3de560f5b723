import { badVersion, compareDigits, compareStrings, defineScheme } from './version-scheme.js';

/** Gem::Version::ANCHORED_VERSION_PATTERN. */
const GEM_VERSION = /^\s*([0-9]+(?:\.[0-9a-zA-Z]+)*(?:-[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?)?\s*$/;

/** A segment: digits (compared as an integer) or letters (compared as a string, sorting below any number). */
type Segment = { num: string } | { str: string };

export interface GemVersion {
  readonly canonical: readonly Segment[];
}

/**
 * Gem::Version: `-` means `.pre.`, segments are runs of digits or letters, and the canonical form
 * drops trailing zeros of the release part and of the pre-release part separately
 * (`canonical_segments`), so 1.0 == 1 and 1.0.a == 1.a.
 */
function parseGem(version: string): GemVersion {
  if (!GEM_VERSION.test(version)) throw badVersion('RubyGems', version, 'does not match Gem::Version::VERSION_PATTERN');
  let text = version.trim();
  if (text === '') text = '0';
  text = text.replaceAll('-', '.pre.');
  const segments: Segment[] = (text.match(/[0-9]+|[a-z]+/gi) ?? []).map((s) => (/^[0-9]/.test(s) ? { num: s } : { str: s }));
  const firstString = segments.findIndex((s) => 'str' in s);
  const numeric = firstString < 0 ? segments : segments.slice(0, firstString);
  const rest = firstString < 0 ? [] : segments.slice(firstString);
  return { canonical: [...dropTrailingZeros(numeric), ...dropTrailingZeros(rest)] };
}

function isZero(s: Segment): boolean {
  return 'num' in s && /^0+$/.test(s.num);
}

function dropTrailingZeros(segments: Segment[]): Segment[] {
  let end = segments.length;
  while (end > 0 && isZero(segments[end - 1]!)) end--;
  return segments.slice(0, end);
}

const ZERO: Segment = { num: '0' };

/** Gem::Version#<=> over canonical segments; a missing segment counts as 0. */
function compareGem(a: GemVersion, b: GemVersion): number {
  const n = Math.max(a.canonical.length, b.canonical.length);
  for (let i = 0; i < n; i++) {
    const x = a.canonical[i] ?? ZERO;
    const y = b.canonical[i] ?? ZERO;
    if ('num' in x) {
      if ('num' in y) {
        const c = compareDigits(x.num, y.num);
        if (c !== 0) return c;
      } else return 1;
    } else if ('num' in y) return -1;
    else {
      const c = compareStrings(x.str, y.str);
      if (c !== 0) return c;
    }
  }
  return 0;
}

/** RubyGems: Gem::Version order, prerelease letters included (1.0.a < 1.0). */
export const rubygemsVersions = defineScheme<GemVersion>('RubyGems', parseGem, compareGem);
