import { badVersion, compareDigits, defineScheme } from './version-scheme.js';

/**
 * Token kinds of apk's version grammar `{digit}{.digit}...{letter}{_suf{#}}...{-r#}`, in apk-tools'
 * order: the order is significant, a version that ends earlier in this order sorts lower.
 */
const enum Tok {
  Invalid = -1,
  DigitOrZero = 0,
  Digit = 1,
  Letter = 2,
  Suffix = 3,
  SuffixNo = 4,
  RevisionNo = 5,
  End = 6,
}

const PRE_SUFFIXES = ['alpha', 'beta', 'pre', 'rc'] as const;
const POST_SUFFIXES = ['cvs', 'svn', 'git', 'hg', 'p'] as const;

/** One token: its kind, and a digit run (kept as text, unbounded) or a small numeric value. */
interface Token {
  readonly kind: Tok;
  /** Digit runs; undefined for letters, suffixes and zero-runs, whose `value` holds the order. */
  readonly digits: string | undefined;
  readonly value: number;
}

export interface AlpineVersion {
  readonly tokens: readonly Token[];
}

const isDigit = (c: string | undefined): boolean => c !== undefined && c >= '0' && c <= '9';
const isLower = (c: string | undefined): boolean => c !== undefined && c >= 'a' && c <= 'z';

/**
 * Tokenises like apk-tools' get_token/next_token; returns undefined for a malformed version. A run
 * of zeros after a dot ("1.02") is its own token valued -count, which is how apk orders
 * 1.002 < 1.02 < 1.1.
 */
function tokenise(v: string): Token[] | undefined {
  const tokens: Token[] = [];
  let type: Tok = Tok.Digit;
  let p = 0;
  const n = v.length;
  while (p < n) {
    const kind = type;
    let i = p;
    let token: Token;
    let forced: Tok | undefined;
    if (kind === Tok.DigitOrZero && v[i] === '0') {
      while (i < n && v[i] === '0') i++;
      token = { kind, digits: undefined, value: -(i - p) };
      forced = Tok.Digit;
    } else if (kind === Tok.DigitOrZero || kind === Tok.Digit || kind === Tok.SuffixNo || kind === Tok.RevisionNo) {
      while (i < n && isDigit(v[i])) i++;
      token = { kind, digits: i > p ? v.slice(p, i) : '0', value: 0 };
    } else if (kind === Tok.Letter) {
      token = { kind, digits: undefined, value: v.charCodeAt(i) };
      i++;
    } else if (kind === Tok.Suffix) {
      const rest = v.slice(p);
      const pre = PRE_SUFFIXES.findIndex((s) => rest.startsWith(s));
      const post = pre >= 0 ? -1 : POST_SUFFIXES.findIndex((s) => rest.startsWith(s));
      if (pre >= 0) {
        token = { kind, digits: undefined, value: pre - PRE_SUFFIXES.length };
        i += PRE_SUFFIXES[pre]!.length;
      } else if (post >= 0) {
        token = { kind, digits: undefined, value: post };
        i += POST_SUFFIXES[post]!.length;
      } else return undefined;
    } else return undefined;
    tokens.push(token);
    p = i;
    if (p >= n) break;
    // apk-tools forces a digit token after a zero-run even when none follows, so "1.0_rc1" reads an
    // empty 0 before the suffix and sorts above "1.0". OSV and Gentoo order 1.0_rc1 < 1.0; so do we.
    if (forced !== undefined && isDigit(v[p])) {
      type = forced;
      continue;
    }
    const next = nextToken(forced ?? type, v, p);
    if (next.type === Tok.Invalid) return undefined;
    type = next.type;
    p = next.p;
    // A separator at the very end ("1.", "1_", "1-r") is rejected, stricter than apk, which reads an empty token.
    if (p >= n) return undefined;
  }
  return tokens;
}

function nextToken(type: Tok, v: string, p: number): { type: Tok; p: number } {
  let n: Tok = Tok.Invalid;
  const c = v[p];
  if ((type === Tok.Digit || type === Tok.DigitOrZero) && isLower(c)) n = Tok.Letter;
  else if (type === Tok.Letter && isDigit(c)) n = Tok.Digit;
  else if (type === Tok.Suffix && isDigit(c)) n = Tok.SuffixNo;
  else {
    if (c === '.') n = Tok.DigitOrZero;
    else if (c === '_') n = Tok.Suffix;
    else if (c === '-') {
      if (v[p + 1] === 'r') {
        n = Tok.RevisionNo;
        p++;
      }
    }
    p++;
  }
  if (n < type && !((n === Tok.DigitOrZero && type === Tok.Digit) || (n === Tok.Suffix && type === Tok.SuffixNo) || (n === Tok.Digit && type === Tok.Letter))) {
    n = Tok.Invalid;
  }
  return { type: n, p };
}

function compareValue(a: Token, b: Token): number {
  if (a.digits !== undefined && b.digits !== undefined) return compareDigits(a.digits, b.digits);
  // A zero-run (negative value) meeting a digit run (>= 0) after a dot sorts lower.
  if (a.digits !== undefined) return 1;
  if (b.digits !== undefined) return -1;
  return a.value - b.value;
}

function kindAt(v: AlpineVersion, i: number): Tok {
  return i < v.tokens.length ? v.tokens[i]!.kind : Tok.End;
}

/**
 * apk_version_compare_blob: tokens are compared while both versions read the same kind; after the
 * common part, the version that goes on is greater unless it goes on with a pre-release suffix, and
 * otherwise the kind that comes later in the grammar sorts lower (1.0-r1 < 1.0.1, 1.0_p1 < 1.0.1).
 */
function compareAlpine(a: AlpineVersion, b: AlpineVersion): number {
  let i = 0;
  for (;;) {
    const ka = kindAt(a, i);
    if (ka !== kindAt(b, i) || ka === Tok.End) break;
    const c = compareValue(a.tokens[i]!, b.tokens[i]!);
    if (c !== 0) return c;
    i++;
  }
  const at = kindAt(a, i);
  const bt = kindAt(b, i);
  if (at === bt) return 0;
  if (at === Tok.Suffix && a.tokens[i]!.value < 0) return -1;
  if (bt === Tok.Suffix && b.tokens[i]!.value < 0) return 1;
  return at > bt ? -1 : 1;
}

function parseAlpine(version: string): AlpineVersion {
  const v = version.trim();
  if (!/^[0-9]/.test(v)) throw badVersion('apk', version, 'must start with a digit');
  const tokens = tokenise(v);
  if (tokens === undefined) throw badVersion('apk', version, 'does not match {digit}{.digit}...{letter}{_suffix{#}}...{-r#}');
  return { tokens };
}

/** Alpine: apk-tools' version order (suffixes _alpha/_beta/_pre/_rc before the release, _cvs/_svn/_git/_hg/_p after, -rN revisions). */
export const alpineVersions = defineScheme<AlpineVersion>('apk', parseAlpine, compareAlpine);
