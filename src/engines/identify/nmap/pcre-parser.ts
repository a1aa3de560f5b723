import {
  PcreSyntaxError,
  emptySet,
  isAsciiAlnum,
  isAsciiAlpha,
  isAsciiDigit,
  isAsciiLower,
  isAsciiUpper,
  isHorizontalSpace,
  isSpaceByte,
  isVerticalSpace,
  isWordByte,
  setAdd,
  setAddRange,
  setComplement,
  setFoldCase,
  setFromPredicate,
  setUnion,
  type AssertKind,
  type ByteSet,
  type GroupKind,
  type ParsedPcre,
  type PcreNode,
} from './pcre-ast.js';

/**
 * Parses a PCRE pattern (as nmap-service-probes writes them: 8-bit, non-UTF, options `i`/`s` plus
 * inline options) into the AST of pcre-ast.ts. Everything PCRE accepts either parses or raises a
 * PcreSyntaxError of kind 'unsupported' naming the construct; syntax PCRE would reject raises kind
 * 'invalid'. Bounded: patterns longer than MAX_PATTERN_LENGTH or nested deeper than MAX_DEPTH are
 * refused rather than risking a stack overflow on hostile probe files.
 */

export interface PcreFlags {
  readonly caseless?: boolean;
  readonly dotall?: boolean;
  readonly multiline?: boolean;
  readonly extended?: boolean;
}

interface MutableFlags {
  caseless: boolean;
  dotall: boolean;
  multiline: boolean;
  extended: boolean;
}

const MAX_PATTERN_LENGTH = 64 * 1024;
const MAX_DEPTH = 200;
const MAX_REPEAT = 65535;

type MutableBackref = { type: 'backref'; index: number; caseless: boolean; name?: string; at: number };

const POSIX_CLASSES: Record<string, (c: number) => boolean> = {
  alnum: isAsciiAlnum,
  alpha: isAsciiAlpha,
  ascii: (c) => c < 0x80,
  blank: (c) => c === 0x20 || c === 0x09,
  cntrl: (c) => c < 0x20 || c === 0x7f,
  digit: isAsciiDigit,
  graph: (c) => c > 0x20 && c < 0x7f,
  lower: isAsciiLower,
  print: (c) => c >= 0x20 && c < 0x7f,
  punct: (c) => c > 0x20 && c < 0x7f && !isAsciiAlnum(c),
  space: isSpaceByte,
  upper: isAsciiUpper,
  word: isWordByte,
  xdigit: (c) => isAsciiDigit(c) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66),
};

const ESCAPE_SETS: Record<string, (c: number) => boolean> = {
  d: isAsciiDigit,
  D: (c) => !isAsciiDigit(c),
  s: isSpaceByte,
  S: (c) => !isSpaceByte(c),
  w: isWordByte,
  W: (c) => !isWordByte(c),
  h: isHorizontalSpace,
  H: (c) => !isHorizontalSpace(c),
  v: isVerticalSpace,
  V: (c) => !isVerticalSpace(c),
};

/** Shared, never mutated: AST set nodes are read-only once built. */
const ESCAPE_SET_BITS: Record<string, ByteSet> = Object.fromEntries(Object.entries(ESCAPE_SETS).map(([k, pred]) => [k, setFromPredicate(pred)]));
const ALL_BYTES = setFromPredicate(() => true);
const ALL_BUT_NEWLINE = setFromPredicate((b) => b !== 0x0a);

const SIMPLE_ESCAPES: Record<string, number> = { a: 0x07, e: 0x1b, f: 0x0c, n: 0x0a, r: 0x0d, t: 0x09 };

type ClassAtom = { kind: 'char'; code: number } | { kind: 'set'; bits: ByteSet };

class PcreParser {
  readonly #src: string;
  #pos = 0;
  #groupCount = 0;
  #depth = 0;
  readonly #names = new Map<string, number>();
  readonly #backrefs: MutableBackref[] = [];

  constructor(src: string) {
    this.#src = src;
  }

  parse(flags: PcreFlags): ParsedPcre {
    if (this.#src.length > MAX_PATTERN_LENGTH) throw this.#invalid(`pattern longer than ${MAX_PATTERN_LENGTH} characters`);
    const f: MutableFlags = { caseless: !!flags.caseless, dotall: !!flags.dotall, multiline: !!flags.multiline, extended: !!flags.extended };
    const root = this.#parseAlt(f);
    if (this.#pos < this.#src.length) throw this.#invalid('unmatched closing parenthesis');
    for (const ref of this.#backrefs) {
      if (ref.name !== undefined) {
        const n = this.#names.get(ref.name);
        if (n === undefined) throw new PcreSyntaxError('invalid', `reference to non-existent subpattern "${ref.name}"`, ref.at);
        ref.index = n;
      }
      if (ref.index < 1 || ref.index > this.#groupCount) throw new PcreSyntaxError('invalid', `reference to non-existent subpattern ${ref.index}`, ref.at);
    }
    return { root, groupCount: this.#groupCount, groupNames: this.#names };
  }

  #invalid(msg: string, at = this.#pos): PcreSyntaxError {
    return new PcreSyntaxError('invalid', msg, at);
  }

  #unsupported(msg: string, at = this.#pos): PcreSyntaxError {
    return new PcreSyntaxError('unsupported', msg, at);
  }

  #code(i: number): number {
    return this.#src.charCodeAt(i);
  }

  #peek(offset = 0): string | undefined {
    return this.#src[this.#pos + offset];
  }

  /**
   * Skips what PCRE removes before it looks at quantifiers: \E, an empty \Q\E, (?#...) comments
   * and, in extended mode, white space and # comments. So `a\E+` is `a+` and `a*\E?` is `a*?`.
   */
  #skipTransparent(f: MutableFlags): void {
    for (;;) {
      this.#skipExtended(f);
      if (this.#src.startsWith('\\E', this.#pos)) this.#pos += 2;
      else if (this.#src.startsWith('\\Q\\E', this.#pos)) this.#pos += 4;
      else if (this.#src.startsWith('(?#', this.#pos)) {
        const end = this.#src.indexOf(')', this.#pos);
        if (end === -1) return;
        this.#pos = end + 1;
      } else return;
    }
  }

  #skipExtended(f: MutableFlags): void {
    if (!f.extended) return;
    for (;;) {
      const c = this.#peek();
      if (c === undefined) return;
      // Pattern white space; NEL (0x85) counts in 8-bit mode.
      if (c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\f' || c === '\v' || c === '\x85') this.#pos++;
      else if (c === '#') {
        while (this.#pos < this.#src.length && this.#src[this.#pos] !== '\n') this.#pos++;
      } else return;
    }
  }

  #parseAlt(f: MutableFlags): PcreNode {
    if (++this.#depth > MAX_DEPTH) throw this.#unsupported(`parentheses nested deeper than ${MAX_DEPTH}`);
    const branches: PcreNode[] = [this.#parseSeq(f)];
    while (this.#peek() === '|') {
      this.#pos++;
      branches.push(this.#parseSeq(f));
    }
    this.#depth--;
    return branches.length === 1 ? branches[0]! : { type: 'alt', branches };
  }

  #parseSeq(f: MutableFlags): PcreNode {
    const items: PcreNode[] = [];
    for (;;) {
      this.#skipTransparent(f);
      const c = this.#peek();
      if (c === undefined || c === '|' || c === ')') break;
      const start = this.#pos;
      const atoms = this.#parseAtom(f);
      if (atoms.length === 0) continue;
      for (let i = 0; i < atoms.length - 1; i++) items.push(atoms[i]!);
      let last = atoms[atoms.length - 1]!;
      this.#skipTransparent(f);
      const q = this.#parseQuantifier(f);
      if (q !== undefined) {
        if (!isQuantifiable(last)) {
          if (last.type === 'group') throw this.#unsupported('quantified lookaround assertion', start);
          throw this.#invalid('quantifier does not follow a repeatable item', start);
        }
        last = { type: 'quant', body: last, min: q.min, max: q.max, mode: q.mode };
        this.#skipTransparent(f);
        const c2 = this.#peek();
        if (c2 === '*' || c2 === '+' || c2 === '?' || (c2 === '{' && this.#braceQuantifierAt(this.#pos))) {
          throw this.#invalid('quantifier does not follow a repeatable item');
        }
      }
      items.push(last);
    }
    if (items.length === 0) return { type: 'empty' };
    return items.length === 1 ? items[0]! : { type: 'seq', items };
  }

  /** `{n}`, `{n,}`, `{n,m}` at pos (PCRE2 10.42 syntax: no spaces, no `{,m}`), else undefined. */
  #braceQuantifierAt(pos: number): { min: number; max: number; end: number } | undefined {
    const m = /^\{(\d+)(,(\d*))?\}/.exec(this.#src.slice(pos, pos + 24));
    if (!m) return undefined;
    const min = Number(m[1]);
    const max = m[2] === undefined ? min : m[3] === '' ? Infinity : Number(m[3]);
    return { min, max, end: pos + m[0].length };
  }

  #parseQuantifier(f: MutableFlags): { min: number; max: number; mode: 'greedy' | 'lazy' | 'possessive' } | undefined {
    const c = this.#peek();
    let min: number;
    let max: number;
    const at = this.#pos;
    if (c === '*') [min, max] = [0, Infinity];
    else if (c === '+') [min, max] = [1, Infinity];
    else if (c === '?') [min, max] = [0, 1];
    else if (c === '{') {
      const b = this.#braceQuantifierAt(this.#pos);
      if (!b) return undefined;
      if (b.min > MAX_REPEAT || (b.max !== Infinity && b.max > MAX_REPEAT)) throw this.#invalid('number too big in {} quantifier', at);
      if (b.max < b.min) throw this.#invalid('numbers out of order in {} quantifier', at);
      min = b.min;
      max = b.max;
      this.#pos = b.end - 1;
    } else return undefined;
    this.#pos++;
    this.#skipTransparent(f);
    let mode: 'greedy' | 'lazy' | 'possessive' = 'greedy';
    if (this.#peek() === '?') {
      mode = 'lazy';
      this.#pos++;
    } else if (this.#peek() === '+') {
      mode = 'possessive';
      this.#pos++;
    }
    return { min, max, mode };
  }

  #char(code: number, f: MutableFlags): PcreNode {
    return { type: 'char', code, caseless: f.caseless && isAsciiAlpha(code) };
  }

  #parseAtom(f: MutableFlags): PcreNode[] {
    const c = this.#src[this.#pos]!;
    switch (c) {
      case '(':
        return this.#parseGroup(f);
      case '[':
        return [this.#parseClass(f)];
      case '.':
        this.#pos++;
        return [{ type: 'set', bits: f.dotall ? ALL_BYTES : ALL_BUT_NEWLINE }];
      case '^':
        this.#pos++;
        return [{ type: 'assert', kind: f.multiline ? 'line-start' : 'start' }];
      case '$':
        this.#pos++;
        return [{ type: 'assert', kind: f.multiline ? 'line-end' : 'end' }];
      case '\\':
        return this.#parseEscapeOutside(f);
      case '*':
      case '+':
      case '?':
        throw this.#invalid('quantifier does not follow a repeatable item');
      case '{':
        if (this.#braceQuantifierAt(this.#pos)) throw this.#invalid('quantifier does not follow a repeatable item');
        this.#pos++;
        return [this.#char(0x7b, f)];
      default:
        this.#pos++;
        return [this.#char(this.#code(this.#pos - 1), f)];
    }
  }

  #readName(terminator: string): string {
    const start = this.#pos;
    const m = /^[A-Za-z_][A-Za-z0-9_]{0,31}/.exec(this.#src.slice(this.#pos, this.#pos + 40));
    if (!m) throw this.#invalid('group name must start with a non-digit');
    this.#pos += m[0].length;
    if (this.#peek() !== terminator) throw this.#invalid(`syntax error in subpattern name (missing terminator "${terminator}")`, start);
    this.#pos++;
    return m[0];
  }

  #group(kind: GroupKind, f: MutableFlags, name?: string): PcreNode[] {
    let index: number | undefined;
    if (kind === 'capture') {
      index = ++this.#groupCount;
      if (name !== undefined) {
        if (this.#names.has(name)) throw this.#invalid(`two named subpatterns have the same name "${name}"`);
        this.#names.set(name, index);
      }
    }
    const open = this.#pos;
    const body = this.#parseAlt({ ...f });
    if (this.#peek() !== ')') throw this.#invalid('missing closing parenthesis', open);
    this.#pos++;
    if (kind === 'lookbehind' || kind === 'negative-lookbehind') {
      // JS runs lookbehinds right to left, so a back-reference inside one sees different groups.
      if (containsBackref(body)) throw this.#unsupported('back-reference inside a lookbehind', open);
      if (!lookbehindIsFixed(body)) throw this.#invalid('lookbehind assertion is not fixed length', open);
    }
    const node: PcreNode = index === undefined ? { type: 'group', kind, body } : name === undefined ? { type: 'group', kind, index, body } : { type: 'group', kind, index, name, body };
    return [node];
  }

  #parseGroup(f: MutableFlags): PcreNode[] {
    const open = this.#pos;
    this.#pos++;
    if (this.#peek() === '*') throw this.#unsupported('backtracking control verb or alpha assertion (*...)', open);
    if (this.#peek() !== '?') return this.#group('capture', f);
    this.#pos++;
    const c = this.#peek();
    switch (c) {
      case ':':
        this.#pos++;
        return this.#group('noncapture', f);
      case '>':
        this.#pos++;
        return this.#group('atomic', f);
      case '=':
        this.#pos++;
        return this.#group('lookahead', f);
      case '!':
        this.#pos++;
        return this.#group('negative-lookahead', f);
      case '|':
        throw this.#unsupported('branch reset group (?|', open);
      case '<': {
        const next = this.#peek(1);
        if (next === '=') {
          this.#pos += 2;
          return this.#group('lookbehind', f);
        }
        if (next === '!') {
          this.#pos += 2;
          return this.#group('negative-lookbehind', f);
        }
        this.#pos++;
        return this.#group('capture', f, this.#readName('>'));
      }
      case "'":
        this.#pos++;
        return this.#group('capture', f, this.#readName("'"));
      case 'P': {
        const next = this.#peek(1);
        if (next === '<') {
          this.#pos += 2;
          return this.#group('capture', f, this.#readName('>'));
        }
        if (next === '=') {
          this.#pos += 2;
          const name = this.#readName(')');
          return [this.#backref(0, f, open, name)];
        }
        if (next === '>') throw this.#unsupported('subroutine call (?P>name)', open);
        throw this.#invalid('unrecognized character after (?P', open);
      }
      case '#': {
        const end = this.#src.indexOf(')', this.#pos);
        if (end === -1) throw this.#invalid('missing ) after (?# comment', open);
        this.#pos = end + 1;
        return [];
      }
      case '(':
        throw this.#unsupported('conditional group (?(', open);
      case 'C':
        throw this.#unsupported('callout (?C', open);
      case '&':
        throw this.#unsupported('subroutine call (?&name)', open);
      case 'R':
        throw this.#unsupported('recursion (?R)', open);
      default:
        if (c !== undefined && (isAsciiDigit(c.charCodeAt(0)) || ((c === '+' || c === '-') && /\d/.test(this.#peek(1) ?? '')))) {
          throw this.#unsupported('recursion / subroutine call (?n)', open);
        }
        return this.#parseOptions(f, open);
    }
  }

  /** `(?imsx-imsx)` changes the rest of the enclosing group; `(?imsx-imsx:...)` scopes a group. */
  #parseOptions(f: MutableFlags, open: number): PcreNode[] {
    const next: MutableFlags = { ...f };
    let on = true;
    for (;;) {
      const c = this.#peek();
      if (c === undefined) throw this.#invalid('missing closing parenthesis', open);
      this.#pos++;
      if (c === ')') {
        Object.assign(f, next);
        return [];
      }
      if (c === ':') return this.#group('noncapture', next);
      if (c === '-' && on) on = false;
      else if (c === '^' && on && this.#src[this.#pos - 2] === '?') {
        next.caseless = next.dotall = next.multiline = next.extended = false;
      } else if (c === 'i') next.caseless = on;
      else if (c === 's') next.dotall = on;
      else if (c === 'm') next.multiline = on;
      else if (c === 'x') {
        if (this.#peek() === 'x') throw this.#unsupported('option (?xx)', open);
        next.extended = on;
      } else if (c === 'n' || c === 'U' || c === 'J') throw this.#unsupported(`inline option (?${c})`, open);
      else throw this.#invalid('unrecognized character after (? or (?-', open);
    }
  }

  #backref(index: number, f: MutableFlags, at: number, name?: string): PcreNode {
    const ref: MutableBackref = name === undefined ? { type: 'backref', index, caseless: f.caseless, at } : { type: 'backref', index, caseless: f.caseless, name, at };
    this.#backrefs.push(ref);
    return ref;
  }

  #readOctal(maxDigits: number): number {
    let v = 0;
    let n = 0;
    while (n < maxDigits) {
      const d = this.#code(this.#pos);
      if (!(d >= 0x30 && d <= 0x37)) break;
      v = v * 8 + (d - 0x30);
      this.#pos++;
      n++;
    }
    return v;
  }

  #checkByte(v: number, at: number): number {
    if (v > 0xff) throw this.#invalid('character code point value is too large (8-bit mode)', at);
    return v;
  }

  /** Escapes that denote one byte, shared by both contexts. Returns undefined if `e` is not one. */
  #byteEscape(e: string, at: number): number | undefined {
    const simple = SIMPLE_ESCAPES[e];
    if (simple !== undefined) return simple;
    if (e === '0') return this.#readOctal(2);
    if (e === 'o') {
      if (this.#peek() !== '{') throw this.#invalid('missing opening brace after \\o', at);
      const end = this.#src.indexOf('}', this.#pos);
      const digits = end === -1 ? '' : this.#src.slice(this.#pos + 1, end);
      if (!/^[0-7]+$/.test(digits)) throw this.#invalid('non-octal character in \\o{}', at);
      this.#pos = end + 1;
      return this.#checkByte(parseInt(digits, 8), at);
    }
    if (e === 'x') {
      if (this.#peek() === '{') {
        const end = this.#src.indexOf('}', this.#pos);
        const digits = end === -1 ? '' : this.#src.slice(this.#pos + 1, end);
        if (!/^[0-9A-Fa-f]+$/.test(digits)) throw this.#invalid('non-hex character in \\x{} (closing brace missing?)', at);
        this.#pos = end + 1;
        return this.#checkByte(parseInt(digits, 16), at);
      }
      const m = /^[0-9A-Fa-f]{0,2}/.exec(this.#src.slice(this.#pos, this.#pos + 2))!;
      this.#pos += m[0].length;
      return m[0] === '' ? 0 : parseInt(m[0], 16);
    }
    if (e === 'c') {
      const ch = this.#peek();
      if (ch === undefined) throw this.#invalid('\\c at end of pattern', at);
      const code = ch.charCodeAt(0);
      if (code < 0x20 || code > 0x7e) throw this.#invalid('\\c must be followed by a printable ASCII character', at);
      this.#pos++;
      return (isAsciiLower(code) ? code - 0x20 : code) ^ 0x40;
    }
    return undefined;
  }

  #unknownLetterEscape(e: string, at: number): PcreSyntaxError {
    if ('uUlLF'.includes(e)) return this.#invalid(`PCRE2 does not support \\${e}`, at);
    if (e === 'p' || e === 'P') return this.#unsupported(`Unicode property \\${e}`, at);
    return this.#invalid(`unrecognized character follows \\ (\\${e})`, at);
  }

  #parseEscapeOutside(f: MutableFlags): PcreNode[] {
    const at = this.#pos;
    this.#pos++;
    const e = this.#peek();
    if (e === undefined) throw this.#invalid('\\ at end of pattern', at);
    this.#pos++;
    const byte = this.#byteEscape(e, at);
    if (byte !== undefined) return [this.#char(byte, f)];
    const setBits = ESCAPE_SET_BITS[e];
    if (setBits) return [{ type: 'set', bits: setBits }];
    const code = e.charCodeAt(0);
    if (code >= 0x31 && code <= 0x39) {
      const m = /^\d*/.exec(this.#src.slice(this.#pos, this.#pos + 8))!;
      const n = Number(e + m[0]);
      if (n < 10 || e === '8' || e === '9' || n <= this.#groupCount) {
        this.#pos += m[0].length;
        return [this.#backref(n, f, at)];
      }
      this.#pos--;
      return [this.#char(this.#checkByte(this.#readOctal(3), at), f)];
    }
    const assertion: Record<string, AssertKind> = { b: 'word-boundary', B: 'not-word-boundary', A: 'start', G: 'start', Z: 'end', z: 'end-only' };
    const ak = assertion[e];
    if (ak) return [{ type: 'assert', kind: ak }];
    switch (e) {
      case 'N':
        if (this.#peek() === '{') throw this.#unsupported('\\N{...}', at);
        return [{ type: 'set', bits: ALL_BUT_NEWLINE }];
      case 'R':
        return [{ type: 'newline-seq' }];
      case 'C':
        return [{ type: 'set', bits: ALL_BYTES }];
      case 'X':
        throw this.#unsupported('extended grapheme cluster \\X', at);
      case 'K':
        throw this.#unsupported('match start reset \\K', at);
      case 'E':
        return [];
      case 'Q': {
        const end = this.#src.indexOf('\\E', this.#pos);
        const text = this.#src.slice(this.#pos, end === -1 ? undefined : end);
        this.#pos = end === -1 ? this.#src.length : end + 2;
        return [...text].map((ch) => this.#char(ch.charCodeAt(0), f));
      }
      case 'g':
        return [this.#parseG(f, at)];
      case 'k': {
        const open = this.#peek();
        const close = open === '<' ? '>' : open === "'" ? "'" : open === '{' ? '}' : undefined;
        if (close === undefined) throw this.#invalid('\\k is not followed by a braced, angle-bracketed, or quoted name', at);
        this.#pos++;
        return [this.#backref(0, f, at, this.#readName(close))];
      }
      default:
        if (isAsciiAlnum(code)) throw this.#unknownLetterEscape(e, at);
        return [this.#char(code, f)];
    }
  }

  /** \g forms: \gN, \g{N}, \g{-N}, \g-N, \g{name}; \g<...> and \g'...' are subroutine calls. */
  #parseG(f: MutableFlags, at: number): PcreNode {
    const c = this.#peek();
    if (c === '<' || c === "'") throw this.#unsupported('subroutine call \\g<...>', at);
    let body: string;
    if (c === '{') {
      const end = this.#src.indexOf('}', this.#pos);
      if (end === -1) throw this.#invalid('\\g is not followed by a valid reference', at);
      body = this.#src.slice(this.#pos + 1, end);
      this.#pos = end + 1;
    } else {
      const m = /^[+-]?\d+/.exec(this.#src.slice(this.#pos, this.#pos + 8));
      if (!m) throw this.#invalid('\\g is not followed by a valid reference', at);
      body = m[0];
      this.#pos += m[0].length;
    }
    if (/^-\d+$/.test(body)) {
      const n = this.#groupCount + 1 + Number(body);
      if (n < 1) throw this.#invalid('reference to non-existent subpattern', at);
      return this.#backref(n, f, at);
    }
    if (/^\+\d+$/.test(body)) throw this.#unsupported('forward relative reference \\g{+n}', at);
    if (/^\d+$/.test(body)) return this.#backref(Number(body), f, at);
    if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(body)) return this.#backref(0, f, at, body);
    throw this.#invalid('\\g is not followed by a valid reference', at);
  }

  #parseClassAtom(): ClassAtom {
    const at = this.#pos;
    if (this.#src[this.#pos] !== '\\') {
      this.#pos++;
      return { kind: 'char', code: this.#code(at) };
    }
    this.#pos++;
    const e = this.#peek();
    if (e === undefined) throw this.#invalid('\\ at end of pattern', at);
    this.#pos++;
    if (e === 'b') return { kind: 'char', code: 0x08 };
    const byte = this.#byteEscape(e, at);
    if (byte !== undefined) return { kind: 'char', code: byte };
    const setBits = ESCAPE_SET_BITS[e];
    if (setBits) return { kind: 'set', bits: setBits };
    const code = e.charCodeAt(0);
    if (code >= 0x31 && code <= 0x37) {
      this.#pos--;
      return { kind: 'char', code: this.#checkByte(this.#readOctal(3), at) };
    }
    if (e === '8' || e === '9') return { kind: 'char', code };
    if ('BNRXAZzGKgk'.includes(e)) throw this.#invalid(`escape sequence \\${e} is invalid in character class`, at);
    if (isAsciiAlnum(code)) throw this.#unknownLetterEscape(e, at);
    return { kind: 'char', code };
  }

  /**
   * PCRE's check_posix_syntax: at `[` followed by `:`, `.` or `=`, the index of the matching
   * terminator (the `:` of `:]`), or -1 when this is no POSIX-class syntax.
   */
  #posixEnd(open: number): number {
    const term = this.#src[open + 1];
    if (term !== ':' && term !== '.' && term !== '=') return -1;
    for (let i = open + 2; i < this.#src.length; i++) {
      const c = this.#src[i];
      const next = this.#src[i + 1];
      if (c === '\\' && (next === ']' || next === '\\')) i++;
      else if ((c === '[' && next === term) || c === ']') return -1;
      else if (c === term && next === ']') return i;
    }
    return -1;
  }

  /** \E and an empty \Q\E inside a class are nothing, even between a range's ends. */
  #skipClassTransparent(): void {
    for (;;) {
      if (this.#src.startsWith('\\E', this.#pos)) this.#pos += 2;
      else if (this.#src.startsWith('\\Q\\E', this.#pos)) this.#pos += 4;
      else return;
    }
  }

  #parseClass(f: MutableFlags): PcreNode {
    const open = this.#pos;
    if (this.#posixEnd(open) !== -1) {
      throw this.#invalid(this.#src[open + 1] === ':' ? 'POSIX named classes are supported only within a class' : 'POSIX collating elements are not supported');
    }
    this.#pos++;
    let negate = false;
    if (this.#peek() === '^') {
      negate = true;
      this.#pos++;
    }
    const bits = emptySet();
    let first = true;
    for (;;) {
      const c = this.#peek();
      if (c === undefined) throw this.#invalid('missing terminating ] for character class', open);
      if (c === ']' && !first) {
        this.#pos++;
        break;
      }
      // \E and an empty \Q\E are nothing: a `]` after them at the start is still literal.
      if (c === '\\' && this.#peek(1) === 'Q') {
        const end = this.#src.indexOf('\\E', this.#pos + 2);
        const text = this.#src.slice(this.#pos + 2, end === -1 ? undefined : end);
        for (const ch of text) setAdd(bits, ch.charCodeAt(0));
        this.#pos = end === -1 ? this.#src.length : end + 2;
        if (text !== '') first = false;
        continue;
      }
      if (c === '\\' && this.#peek(1) === 'E') {
        this.#pos += 2;
        continue;
      }
      first = false;
      if (c === '[') {
        const end = this.#posixEnd(this.#pos);
        if (end !== -1) {
          if (this.#src[this.#pos + 1] !== ':') throw this.#invalid('POSIX collating elements are not supported');
          const body = this.#src.slice(this.#pos + 2, end);
          const negated = body.startsWith('^');
          const pred = POSIX_CLASSES[negated ? body.slice(1) : body];
          if (!pred) throw this.#invalid(`unknown POSIX class name "${body}"`);
          setUnion(bits, setFromPredicate(negated ? (b) => !pred(b) : pred));
          this.#pos = end + 2;
          continue;
        }
      }
      const lo = this.#parseClassAtom();
      this.#skipClassTransparent();
      if (lo.kind === 'set' && this.#peek() === '-' && this.#peek(1) !== ']' && this.#peek(1) !== undefined) {
        // PCRE2 refuses [\d-z] (PCRE1 read the hyphen as a literal).
        throw this.#invalid('invalid range in character class');
      }
      if (lo.kind === 'char' && this.#peek() === '-' && this.#peek(1) !== ']' && this.#peek(1) !== undefined) {
        const dash = this.#pos;
        this.#pos++;
        this.#skipClassTransparent();
        if (this.#peek() === ']') {
          setAdd(bits, lo.code);
          setAdd(bits, 0x2d);
          continue;
        }
        if (this.#peek() === '[' && /^\[:\^?[a-z]+:\]/.test(this.#src.slice(this.#pos, this.#pos + 16))) {
          throw this.#invalid('invalid range in character class', dash);
        }
        const hi = this.#parseClassAtom();
        if (hi.kind === 'set') throw this.#invalid('invalid range in character class', dash);
        if (hi.code < lo.code) throw this.#invalid('range out of order in character class', dash);
        setAddRange(bits, lo.code, hi.code);
        continue;
      }
      if (lo.kind === 'char') setAdd(bits, lo.code);
      else setUnion(bits, lo.bits);
    }
    if (f.caseless) setFoldCase(bits);
    return { type: 'set', bits: negate ? setComplement(bits) : bits };
  }
}

/** Length of what `n` always matches, or undefined if it varies (nested alternatives must agree). */
function fixedLength(n: PcreNode): number | undefined {
  switch (n.type) {
    case 'empty':
    case 'assert':
      return 0;
    case 'char':
    case 'set':
      return 1;
    case 'seq': {
      let total = 0;
      for (const i of n.items) {
        const l = fixedLength(i);
        if (l === undefined) return undefined;
        total += l;
      }
      return total;
    }
    case 'alt': {
      const lens = n.branches.map(fixedLength);
      const first = lens[0];
      return lens.every((l) => l !== undefined && l === first) ? first : undefined;
    }
    case 'quant': {
      if (n.min !== n.max) return undefined;
      const l = fixedLength(n.body);
      return l === undefined ? undefined : l * n.min;
    }
    case 'group':
      return n.kind === 'capture' || n.kind === 'noncapture' || n.kind === 'atomic' ? fixedLength(n.body) : 0;
    default:
      return undefined;
  }
}

function containsBackref(n: PcreNode): boolean {
  switch (n.type) {
    case 'backref':
      return true;
    case 'seq':
      return n.items.some(containsBackref);
    case 'alt':
      return n.branches.some(containsBackref);
    case 'quant':
    case 'group':
      return containsBackref(n.body);
    default:
      return false;
  }
}

/** PCRE2 (before 10.43): each top-level branch of a lookbehind has a fixed length. */
function lookbehindIsFixed(body: PcreNode): boolean {
  const branches = body.type === 'alt' ? body.branches : [body];
  return branches.every((b) => {
    const l = fixedLength(b);
    return l !== undefined && l <= 65535;
  });
}

function isQuantifiable(n: PcreNode): boolean {
  switch (n.type) {
    case 'char':
    case 'set':
    case 'backref':
    case 'newline-seq':
      return true;
    case 'group':
      return n.kind === 'capture' || n.kind === 'noncapture' || n.kind === 'atomic';
    default:
      return false;
  }
}

export function parsePcre(source: string, flags: PcreFlags = {}): ParsedPcre {
  return new PcreParser(source).parse(flags);
}
