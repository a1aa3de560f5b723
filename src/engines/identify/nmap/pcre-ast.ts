/**
 * A small AST for the PCRE dialect nmap-service-probes uses (8-bit, non-UTF, default "C" tables).
 * Characters are byte values 0-255; character classes are 256-bit sets with case folding already
 * applied, so the emitter never needs JavaScript's `i` flag (which folds Latin-1 letters too, unlike
 * PCRE's ASCII-only tables).
 */

/** A 256-bit set of byte values. */
export type ByteSet = Uint8Array;

export type GroupKind = 'capture' | 'noncapture' | 'atomic' | 'lookahead' | 'negative-lookahead' | 'lookbehind' | 'negative-lookbehind';

export type AssertKind =
  | 'start' // ^ (not multiline), \A, \G (we always match from offset 0)
  | 'end' // $ (not multiline), \Z: end, or before a final \n
  | 'end-only' // \z
  | 'line-start' // ^ in multiline mode
  | 'line-end' // $ in multiline mode
  | 'word-boundary'
  | 'not-word-boundary';

export type PcreNode =
  | { readonly type: 'empty' }
  | { readonly type: 'seq'; readonly items: readonly PcreNode[] }
  | { readonly type: 'alt'; readonly branches: readonly PcreNode[] }
  | { readonly type: 'char'; readonly code: number; readonly caseless: boolean }
  | { readonly type: 'set'; readonly bits: ByteSet }
  | { readonly type: 'group'; readonly kind: GroupKind; readonly index?: number; readonly name?: string; readonly body: PcreNode }
  | { readonly type: 'quant'; readonly body: PcreNode; readonly min: number; readonly max: number; readonly mode: 'greedy' | 'lazy' | 'possessive' }
  | { readonly type: 'backref'; readonly index: number; readonly caseless: boolean }
  | { readonly type: 'assert'; readonly kind: AssertKind }
  /** \R: \r\n or one vertical-space byte, atomically. */
  | { readonly type: 'newline-seq' };

export interface ParsedPcre {
  readonly root: PcreNode;
  /** Number of capturing groups (PCRE numbering). */
  readonly groupCount: number;
  readonly groupNames: ReadonlyMap<string, number>;
}

/**
 * Why a pattern has no JavaScript equivalent. `invalid` = PCRE itself would reject it (nmap would
 * refuse to load the file); `unsupported` = valid PCRE that JavaScript regexes cannot express.
 */
export class PcreSyntaxError extends Error {
  readonly kind: 'invalid' | 'unsupported';
  readonly offset: number;
  constructor(kind: 'invalid' | 'unsupported', message: string, offset: number) {
    super(`${message} at offset ${offset}`);
    this.name = 'PcreSyntaxError';
    this.kind = kind;
    this.offset = offset;
  }
}

export function emptySet(): ByteSet {
  return new Uint8Array(32);
}

export function setHas(s: ByteSet, c: number): boolean {
  return ((s[c >> 3] ?? 0) & (1 << (c & 7))) !== 0;
}

export function setAdd(s: ByteSet, c: number): void {
  s[c >> 3] = (s[c >> 3] ?? 0) | (1 << (c & 7));
}

export function setAddRange(s: ByteSet, lo: number, hi: number): void {
  for (let c = lo; c <= hi; c++) setAdd(s, c);
}

export function setUnion(into: ByteSet, other: ByteSet): void {
  for (let i = 0; i < 32; i++) into[i] = (into[i] ?? 0) | (other[i] ?? 0);
}

export function setComplement(s: ByteSet): ByteSet {
  const out = emptySet();
  for (let i = 0; i < 32; i++) out[i] = ~(s[i] ?? 0) & 0xff;
  return out;
}

export function setSize(s: ByteSet): number {
  let n = 0;
  for (let i = 0; i < 32; i++) {
    let b = s[i] ?? 0;
    while (b) {
      b &= b - 1;
      n++;
    }
  }
  return n;
}

/** Adds the other-case twin of every ASCII letter (PCRE's default tables fold ASCII only). */
export function setFoldCase(s: ByteSet): void {
  for (let c = 0x41; c <= 0x5a; c++) {
    if (setHas(s, c) || setHas(s, c + 0x20)) {
      setAdd(s, c);
      setAdd(s, c + 0x20);
    }
  }
}

export function setFromPredicate(pred: (c: number) => boolean): ByteSet {
  const s = emptySet();
  for (let c = 0; c < 256; c++) if (pred(c)) setAdd(s, c);
  return s;
}

export const isAsciiDigit = (c: number): boolean => c >= 0x30 && c <= 0x39;
export const isAsciiUpper = (c: number): boolean => c >= 0x41 && c <= 0x5a;
export const isAsciiLower = (c: number): boolean => c >= 0x61 && c <= 0x7a;
export const isAsciiAlpha = (c: number): boolean => isAsciiUpper(c) || isAsciiLower(c);
export const isAsciiAlnum = (c: number): boolean => isAsciiAlpha(c) || isAsciiDigit(c);
export const isWordByte = (c: number): boolean => isAsciiAlnum(c) || c === 0x5f;
/** PCRE2's \s in non-UCP mode: HT, LF, VT, FF, CR, space (not 0x85 or 0xA0). */
export const isSpaceByte = (c: number): boolean => (c >= 0x09 && c <= 0x0d) || c === 0x20;
export const isHorizontalSpace = (c: number): boolean => c === 0x09 || c === 0x20 || c === 0xa0;
export const isVerticalSpace = (c: number): boolean => (c >= 0x0a && c <= 0x0d) || c === 0x85;

export function otherCase(c: number): number | undefined {
  if (isAsciiUpper(c)) return c + 0x20;
  if (isAsciiLower(c)) return c - 0x20;
  return undefined;
}
