/**
 * A parser for Go's RE2 regular-expression syntax (what nuclei templates are written in), producing a
 * small AST with every flag already applied: `(?i)` has become character classes, `(?s)` a dot that
 * matches newlines, `(?U)` swapped greediness, `(?m)` line anchors. The emitter (re2-emit.ts) then
 * writes a JavaScript pattern that needs no `i`, `s` or `u` flag — which is what lets V8's linear-time
 * engine run it (that engine refuses those flags).
 *
 * Differences from RE2 that remain (documented in README.md of this folder): classes and `\p{..}`
 * cover the Basic Multilingual Plane only; case folding uses JS toLowerCase/toUpperCase of single
 * characters (no special orbits such as K/U+212A); `\C` is refused.
 */
import { TrawlError } from '../../../errors/trawl-error.js';
import { type CodeRanges, negate, normalize, union, ASCII_SPACE, DIGITS, WORD, posixClass, unicodeProperty, caseFold } from './code-ranges.js';

export type Re2Node =
  | { readonly t: 'lit'; readonly cp: number }
  | { readonly t: 'class'; readonly ranges: CodeRanges }
  | { readonly t: 'bot' | 'eot' | 'bol' | 'eol' | 'wb' | 'nwb' }
  | { readonly t: 'group'; readonly capture: boolean; readonly body: Re2Node }
  | { readonly t: 'cat'; readonly items: readonly Re2Node[] }
  | { readonly t: 'alt'; readonly alts: readonly Re2Node[] }
  | { readonly t: 'rep'; readonly min: number; readonly max: number; readonly greedy: boolean; readonly body: Re2Node };

interface Flags {
  readonly i: boolean;
  readonly m: boolean;
  readonly s: boolean;
  readonly U: boolean;
}

/** RE2's own limit on counted repetition. */
const MAX_REPEAT = 1000;
export const MAX_PATTERN_LENGTH = 8192;
const MAX_NESTING = 64;

function fail(pattern: string, why: string): never {
  throw new TrawlError('TRAWL_E_VALIDATION', `regex ${JSON.stringify(pattern.length > 80 ? `${pattern.slice(0, 80)}…` : pattern)}: ${why}`, { pattern: pattern.slice(0, 200) });
}

export interface ParsedRe2 {
  readonly root: Re2Node;
  readonly groups: number;
}

export function parseRe2(pattern: string): ParsedRe2 {
  if (pattern.length > MAX_PATTERN_LENGTH) fail(pattern, `longer than ${MAX_PATTERN_LENGTH} characters`);
  const cps = Array.from(pattern, (c) => c.codePointAt(0)!);
  let pos = 0;
  let groups = 0;
  let depth = 0;

  const ch = (off = 0): string => {
    const c = cps[pos + off];
    return c === undefined ? '' : String.fromCodePoint(c);
  };

  const litNode = (cp: number, f: Flags): Re2Node => {
    if (!f.i || cp > 0xffff) return { t: 'lit', cp };
    const folded = caseFold([[cp, cp]]);
    return folded.length === 1 && folded[0]![0] === folded[0]![1] ? { t: 'lit', cp } : { t: 'class', ranges: folded };
  };

  const parseAlt = (f0: Flags): Re2Node => {
    if (++depth > MAX_NESTING) fail(pattern, `groups nested deeper than ${MAX_NESTING}`);
    let f = f0;
    const alts: Re2Node[] = [];
    let items: Re2Node[] = [];
    const closeBranch = (): void => {
      alts.push(items.length === 1 ? items[0]! : { t: 'cat', items });
      items = [];
    };
    while (pos < cps.length && ch() !== ')') {
      const c = ch();
      if (c === '|') {
        pos++;
        closeBranch();
        continue;
      }
      let atom: Re2Node | undefined;
      if (c === '(') {
        pos++;
        if (ch() === '?') {
          pos++;
          if (ch() === 'P' && ch(1) === '<') {
            pos += 2;
            readGroupName();
            atom = captureGroup(f);
          } else if (ch() === '<') {
            pos++;
            readGroupName();
            atom = captureGroup(f);
          } else if (ch() === 'P' && (ch(1) === '=' || ch(1) === '>')) {
            fail(pattern, 'Perl named backreference/recursion (?P=…) is not RE2');
          } else {
            // Flag group: (?flags) applies to the rest of the current group, (?flags:re) to re only.
            let neg = false;
            const nf = { ...f };
            let any = false;
            for (;;) {
              const d = ch();
              if (d === '') fail(pattern, 'unterminated flag group');
              pos++;
              if (d === '-') {
                if (neg) fail(pattern, 'bad flag group');
                neg = true;
                continue;
              }
              if (d === 'i' || d === 'm' || d === 's' || d === 'U') {
                nf[d] = !neg;
                any = true;
                continue;
              }
              if (d === ')') {
                if (!any) fail(pattern, 'empty flag group');
                f = nf;
                break;
              }
              if (d === ':') {
                atom = { t: 'group', capture: false, body: parseAlt(nf) };
                expect(')');
                break;
              }
              if (d === '=' || d === '!' || d === '<') fail(pattern, 'lookaround assertions are not RE2');
              fail(pattern, `unknown group flag "${d}"`);
            }
            if (atom === undefined) continue;
          }
        } else {
          atom = captureGroup(f);
        }
      } else if (c === '[') {
        pos++;
        atom = { t: 'class', ranges: parseClass(f) };
      } else if (c === '.') {
        pos++;
        atom = { t: 'class', ranges: f.s ? [[0, 0xffff]] : negate([[10, 10]]) };
      } else if (c === '^') {
        pos++;
        atom = { t: f.m ? 'bol' : 'bot' };
      } else if (c === '$') {
        pos++;
        atom = { t: f.m ? 'eol' : 'eot' };
      } else if (c === '\\') {
        pos++;
        const e = parseEscape(f, false);
        if (e === 'quote') {
          // \Q...\E: literal text up to \E or the end.
          const quoted: Re2Node[] = [];
          while (pos < cps.length && !(ch() === '\\' && ch(1) === 'E')) {
            quoted.push(litNode(cps[pos]!, f));
            pos++;
          }
          if (pos < cps.length) pos += 2;
          // A quantifier after \E applies to the last quoted character, as in RE2.
          const lastQuoted = quoted.pop();
          items.push(...quoted);
          if (lastQuoted === undefined) continue;
          atom = lastQuoted;
          items.push(parseQuantifiers(atom, f));
          continue;
        }
        atom = e;
      } else if (c === '*' || c === '+' || c === '?') {
        fail(pattern, `missing argument to repetition operator "${c}"`);
      } else if (c === '{' && /^\{\d+(,\d*)?\}/.test(pattern.slice(offsetOf(pos)))) {
        fail(pattern, 'missing argument to repetition operator "{"');
      } else {
        pos++;
        atom = litNode(cps[pos - 1]!, f);
      }
      items.push(parseQuantifiers(atom, f));
    }
    closeBranch();
    depth--;
    return alts.length === 1 ? alts[0]! : { t: 'alt', alts };
  };

  // Code-point position → UTF-16 offset in the pattern string, for the `{` lookahead.
  const offsetOf = (p: number): number => {
    let off = 0;
    for (let k = 0; k < p; k++) off += cps[k]! > 0xffff ? 2 : 1;
    return off;
  };

  const expect = (c: string): void => {
    if (ch() !== c) fail(pattern, c === ')' ? 'missing closing )' : `expected "${c}"`);
    pos++;
  };

  const readGroupName = (): void => {
    let name = '';
    while (pos < cps.length && ch() !== '>') {
      name += ch();
      pos++;
    }
    expect('>');
    if (!/^\w+$/.test(name)) fail(pattern, `invalid capture group name "${name}"`);
  };

  const captureGroup = (f: Flags): Re2Node => {
    groups++;
    const body = parseAlt(f);
    expect(')');
    return { t: 'group', capture: true, body };
  };

  const parseQuantifiers = (atom: Re2Node, f: Flags): Re2Node => {
    let node = atom;
    let quantified = false;
    for (;;) {
      const c = ch();
      let min: number;
      let max: number;
      if (c === '*') [min, max] = [0, -1];
      else if (c === '+') [min, max] = [1, -1];
      else if (c === '?') [min, max] = [0, 1];
      else if (c === '{') {
        const m = /^\{(\d+)(,(\d*))?\}/.exec(pattern.slice(offsetOf(pos)));
        if (!m) return node; // a literal "{", as in RE2
        min = Number(m[1]);
        max = m[2] === undefined ? min : m[3] === '' ? -1 : Number(m[3]);
        if (min > MAX_REPEAT || max > MAX_REPEAT || (max !== -1 && max < min)) fail(pattern, `invalid repeat count ${m[0]}`);
        pos += m[0].length - 1;
      } else return node;
      pos++;
      if (quantified) fail(pattern, `invalid nested repetition operator "${c}"`);
      if (node.t === 'bot' || node.t === 'eot' || node.t === 'bol' || node.t === 'eol' || node.t === 'wb' || node.t === 'nwb') {
        // RE2 accepts e.g. ^* ; repeating an assertion is the assertion or nothing.
        node = min === 0 ? { t: 'cat', items: [] } : node;
        quantified = true;
        continue;
      }
      let greedy = !f.U;
      if (ch() === '?') {
        pos++;
        greedy = !greedy;
      }
      node = { t: 'rep', min, max, greedy, body: node };
      quantified = true;
    }
  };

  /** After a backslash. Returns a node, or 'quote' for \Q. */
  const parseEscape = (f: Flags, inClass: boolean): Re2Node | 'quote' => {
    const c = ch();
    if (c === '') fail(pattern, 'trailing backslash at end of expression');
    pos++;
    switch (c) {
      case 'A':
        if (inClass) break;
        return { t: 'bot' };
      case 'z':
        if (inClass) break;
        return { t: 'eot' };
      case 'b':
        if (inClass) break;
        return { t: 'wb' };
      case 'B':
        if (inClass) break;
        return { t: 'nwb' };
      case 'Q':
        if (inClass) break;
        return 'quote';
      case 'd':
        return { t: 'class', ranges: DIGITS };
      case 'D':
        return { t: 'class', ranges: negate(DIGITS) };
      case 'w':
        return { t: 'class', ranges: WORD };
      case 'W':
        return { t: 'class', ranges: negate(WORD) };
      case 's':
        return { t: 'class', ranges: ASCII_SPACE };
      case 'S':
        return { t: 'class', ranges: negate(ASCII_SPACE) };
      case 'p':
      case 'P': {
        let name: string;
        if (ch() === '{') {
          const end = cps.indexOf(0x7d, pos);
          if (end < 0) fail(pattern, 'unterminated \\p{');
          name = String.fromCodePoint(...cps.slice(pos + 1, end));
          pos = end + 1;
        } else {
          name = ch();
          if (name === '') fail(pattern, 'missing Unicode class name');
          pos++;
        }
        let negated = c === 'P';
        if (name.startsWith('^')) {
          negated = !negated;
          name = name.slice(1);
        }
        const r = unicodeProperty(name);
        if (r === undefined) fail(pattern, `unknown Unicode class \\p{${name}}`);
        const folded = f.i ? caseFold(r) : r;
        return { t: 'class', ranges: negated ? negate(folded) : folded };
      }
      case 'x': {
        let hex: string;
        if (ch() === '{') {
          const end = cps.indexOf(0x7d, pos);
          if (end < 0) fail(pattern, 'unterminated \\x{');
          hex = String.fromCodePoint(...cps.slice(pos + 1, end));
          pos = end + 1;
        } else {
          hex = ch() + ch(1);
          pos += 2;
        }
        if (!/^[0-9a-fA-F]{1,6}$/.test(hex) || Number.parseInt(hex, 16) > 0x10ffff) fail(pattern, `invalid escape \\x${hex}`);
        return lit(Number.parseInt(hex, 16), f);
      }
      case 'a':
        return lit(7, f);
      case 'f':
        return lit(12, f);
      case 't':
        return lit(9, f);
      case 'n':
        return lit(10, f);
      case 'r':
        return lit(13, f);
      case 'v':
        return lit(11, f);
      case 'C':
        fail(pattern, '\\C (any byte) is not supported');
      default:
        break;
    }
    if (/[0-7]/.test(c)) {
      // RE2: \0 and \1..\7 followed by more octal digits are octal escapes; a lone \1-\9 is a backreference.
      let digits = c;
      if (c !== '0' && !/[0-7]/.test(ch())) fail(pattern, `backreference \\${c} is not RE2`);
      while (digits.length < 3 && /[0-7]/.test(ch())) {
        digits += ch();
        pos++;
      }
      return lit(Number.parseInt(digits, 8), f);
    }
    if (/[89]/.test(c)) fail(pattern, `backreference \\${c} is not RE2`);
    // Punctuation escapes stand for themselves; RE2 refuses escaped letters and digits it does not know.
    if (/[A-Za-z0-9]/.test(c)) fail(pattern, `invalid escape sequence \\${c}`);
    return lit(c.codePointAt(0)!, f);
  };

  const lit = (cp: number, f: Flags): Re2Node => litNode(cp, f);

  const parseClass = (f: Flags): CodeRanges => {
    let negated = false;
    if (ch() === '^') {
      negated = true;
      pos++;
    }
    let acc: CodeRanges = [];
    let first = true;
    for (;;) {
      const c = ch();
      if (c === '') fail(pattern, 'missing closing ]');
      if (c === ']' && !first) {
        pos++;
        break;
      }
      first = false;
      if (c === '[' && ch(1) === ':') {
        const end = pattern.indexOf(':]', offsetOf(pos) + 2);
        if (end >= 0) {
          let name = pattern.slice(offsetOf(pos) + 2, end);
          let neg = false;
          if (name.startsWith('^')) {
            neg = true;
            name = name.slice(1);
          }
          const r = posixClass(name);
          if (r === undefined) fail(pattern, `invalid character class range [:${name}:]`);
          acc = union(acc, neg ? negate(r) : r);
          pos += Array.from(pattern.slice(offsetOf(pos), end + 2)).length;
          continue;
        }
      }
      const lo = classAtom(f);
      if (typeof lo !== 'number') {
        acc = union(acc, lo);
        continue;
      }
      if (ch() === '-' && ch(1) !== ']' && ch(1) !== '') {
        pos++;
        const hi = classAtom(f);
        if (typeof hi !== 'number') fail(pattern, 'invalid character class range');
        if (hi < lo) fail(pattern, `invalid character class range ${String.fromCodePoint(lo)}-${String.fromCodePoint(hi)}`);
        acc = union(acc, [[lo, hi]]);
      } else {
        acc = union(acc, [[lo, lo]]);
      }
    }
    if (f.i) acc = caseFold(acc);
    return negated ? negate(acc) : normalize(acc);
  };

  /** One class member: a code point, or a set for escapes like \d. */
  const classAtom = (f: Flags): number | CodeRanges => {
    const c = ch();
    if (c === '\\') {
      pos++;
      const e = parseEscape({ ...f, i: false }, true);
      if (e === 'quote') fail(pattern, '\\Q inside a character class');
      if (e.t === 'lit') return e.cp;
      if (e.t === 'class') return e.ranges;
      fail(pattern, 'invalid escape inside a character class');
    }
    pos++;
    return cps[pos - 1]!;
  };

  const root = parseAlt({ i: false, m: false, s: false, U: false });
  if (pos < cps.length) fail(pattern, 'unexpected )');
  return { root, groups };
}
