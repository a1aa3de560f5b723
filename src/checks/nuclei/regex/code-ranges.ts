/**
 * Sets of UTF-16 code units as sorted, disjoint [lo, hi] ranges — the currency of the RE2 translator.
 * Everything is clipped to the Basic Multilingual Plane because the emitted JavaScript pattern runs
 * without the `u` flag (V8's linear engine refuses it).
 */
export type CodeRanges = ReadonlyArray<readonly [number, number]>;

const MAX_UNIT = 0xffff;

export function normalize(r: CodeRanges): CodeRanges {
  const sorted = r
    .map(([a, b]) => [Math.max(0, a), Math.min(MAX_UNIT, b)] as const)
    .filter(([a, b]) => a <= b)
    .sort((x, y) => x[0] - y[0]);
  const out: [number, number][] = [];
  for (const [a, b] of sorted) {
    const last = out[out.length - 1];
    if (last && a <= last[1] + 1) last[1] = Math.max(last[1], b);
    else out.push([a, b]);
  }
  return out;
}

export function union(a: CodeRanges, b: CodeRanges): CodeRanges {
  return normalize([...a, ...b]);
}

export function negate(r: CodeRanges): CodeRanges {
  const out: [number, number][] = [];
  let next = 0;
  for (const [a, b] of normalize(r)) {
    if (a > next) out.push([next, a - 1]);
    next = b + 1;
  }
  if (next <= MAX_UNIT) out.push([next, MAX_UNIT]);
  return out;
}

export function fromChars(s: string): CodeRanges {
  return normalize(Array.from(s, (c) => [c.codePointAt(0)!, c.codePointAt(0)!] as const));
}

export function contains(r: CodeRanges, cp: number): boolean {
  return r.some(([a, b]) => cp >= a && cp <= b);
}

export const DIGITS: CodeRanges = [[0x30, 0x39]];
export const WORD: CodeRanges = normalize([[0x30, 0x39], [0x41, 0x5a], [0x5f, 0x5f], [0x61, 0x7a]]);
/** RE2's \s is ASCII only: \t \n \f \r and space (not \v). */
export const ASCII_SPACE: CodeRanges = normalize([[9, 10], [12, 13], [32, 32]]);

const POSIX: Readonly<Record<string, CodeRanges>> = {
  alnum: normalize([[0x30, 0x39], [0x41, 0x5a], [0x61, 0x7a]]),
  alpha: normalize([[0x41, 0x5a], [0x61, 0x7a]]),
  ascii: [[0, 0x7f]],
  blank: normalize([[9, 9], [32, 32]]),
  cntrl: normalize([[0, 0x1f], [0x7f, 0x7f]]),
  digit: DIGITS,
  graph: [[0x21, 0x7e]],
  lower: [[0x61, 0x7a]],
  print: [[0x20, 0x7e]],
  punct: normalize([[0x21, 0x2f], [0x3a, 0x40], [0x5b, 0x60], [0x7b, 0x7e]]),
  space: normalize([[9, 13], [32, 32]]),
  upper: [[0x41, 0x5a]],
  word: WORD,
  xdigit: normalize([[0x30, 0x39], [0x41, 0x46], [0x61, 0x66]]),
};

export function posixClass(name: string): CodeRanges | undefined {
  return Object.hasOwn(POSIX, name) ? POSIX[name] : undefined;
}

const propertyCache = new Map<string, CodeRanges | undefined>();

/**
 * `\pL`, `\p{Greek}`… as BMP ranges, computed once per name by asking V8's own Unicode tables
 * (a `u`-flag RegExp) about every BMP code point. Go names general categories and scripts alike;
 * JavaScript wants `Script=` before scripts, so both spellings are tried.
 */
export function unicodeProperty(name: string): CodeRanges | undefined {
  if (!/^[A-Za-z_]{1,40}$/.test(name)) return undefined;
  if (propertyCache.has(name)) return propertyCache.get(name);
  let re: RegExp | undefined;
  for (const spelled of name === 'Any' ? [] : [name, `Script=${name}`]) {
    try {
      re = new RegExp(`^\\p{${spelled}}$`, 'u');
      break;
    } catch {
      re = undefined;
    }
  }
  let out: CodeRanges | undefined;
  if (name === 'Any') out = [[0, MAX_UNIT]];
  else if (re !== undefined) {
    const ranges: [number, number][] = [];
    let start = -1;
    for (let cp = 0; cp <= MAX_UNIT + 1; cp++) {
      const inSet = cp <= MAX_UNIT && !(cp >= 0xd800 && cp <= 0xdfff) && re.test(String.fromCharCode(cp));
      if (inSet && start < 0) start = cp;
      if (!inSet && start >= 0) {
        ranges.push([start, cp - 1]);
        start = -1;
      }
    }
    out = ranges;
  }
  propertyCache.set(name, out);
  return out;
}

/** Larger ranges are folded by their ASCII part only: walking them char by char costs too much. */
const FOLD_WALK_LIMIT = 0x3000;

/** Adds the other-case forms of every member (what RE2's (?i) does, to single-character mappings). */
export function caseFold(r: CodeRanges): CodeRanges {
  const extra: [number, number][] = [];
  for (const [a, b] of r) {
    // ASCII letters map range to range.
    const lo1 = Math.max(a, 0x61);
    const hi1 = Math.min(b, 0x7a);
    if (lo1 <= hi1) extra.push([lo1 - 32, hi1 - 32]);
    const lo2 = Math.max(a, 0x41);
    const hi2 = Math.min(b, 0x5a);
    if (lo2 <= hi2) extra.push([lo2 + 32, hi2 + 32]);
    const from = Math.max(a, 0x80);
    if (from <= b && b - from <= FOLD_WALK_LIMIT) {
      for (let cp = from; cp <= b; cp++) {
        if (cp >= 0xd800 && cp <= 0xdfff) continue;
        const c = String.fromCharCode(cp);
        for (const v of [c.toLowerCase(), c.toUpperCase()]) {
          if (v.length === 1 && v !== c) extra.push([v.charCodeAt(0), v.charCodeAt(0)]);
        }
      }
    }
  }
  return union(r, extra);
}
