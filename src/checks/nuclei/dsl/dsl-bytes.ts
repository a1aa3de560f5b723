/**
 * How DSL strings stand for bytes. nuclei is written in Go, whose strings are byte strings: text is
 * its UTF-8 bytes, and hex_decode("ff") is one byte that is not text at all. The engine keeps JS
 * strings (regexes, case folding and reports keep working on text) and makes them byte-exact the
 * way Python's "surrogateescape" does (PEP 383):
 *
 * - a string stands for its UTF-8 encoding, except that a lone surrogate U+DC80..U+DCFF stands for
 *   the single byte 0x80..0xFF (no valid UTF-8 text contains a lone surrogate, so nothing clashes);
 * - bytes decode as UTF-8 wherever they are valid UTF-8, and each byte that is not becomes its
 *   escape: hex_decode("c3a9") is "é" (two bytes), hex_decode("e9") is "\uDCE9" (one byte).
 *
 * bytes → string → bytes is the identity for every byte sequence, so whatever a helper produces goes
 * onto the wire unchanged. Strings are kept canonical (the decoding of their own bytes) where pieces
 * are joined, so "\uDCC3" + "\uDCA9" becomes "é" and compares equal to it, as the bytes do in Go.
 */

/** Decodes UTF-8 exactly; keeps a leading BOM (it is a byte sequence like any other). */
const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** A lone surrogate in the escape range: with the `u` flag a valid pair is one code point and never matches. */
const ESCAPE_RUN = /[\uDC80-\uDCFF]+/gu;
const HAS_ESCAPE = /[\uDC80-\uDCFF]/u;
const ANY_SURROGATE = /[\uD800-\uDFFF]/;
// eslint-disable-next-line no-control-regex
const ALL_ASCII = /^[\u0000-\u007f]*$/;

function isContinuation(x: number | undefined): boolean {
  return x !== undefined && x >= 0x80 && x <= 0xbf;
}

/** Length of the valid UTF-8 sequence starting at i (RFC 3629: shortest form, no surrogates, ≤ U+10FFFF), 0 if none. */
function validSequenceAt(b: Uint8Array, i: number): number {
  const c = b[i]!;
  if (c < 0x80) return 1;
  if (c < 0xc2) return 0; // a continuation byte, or an overlong two-byte lead
  if (c < 0xe0) return isContinuation(b[i + 1]) ? 2 : 0;
  const c1 = b[i + 1];
  if (c1 === undefined) return 0;
  if (c < 0xf0) {
    const lo = c === 0xe0 ? 0xa0 : 0x80; // overlong
    const hi = c === 0xed ? 0x9f : 0xbf; // encoded surrogates are not text (and would clash with escapes)
    return c1 >= lo && c1 <= hi && isContinuation(b[i + 2]) ? 3 : 0;
  }
  if (c < 0xf5) {
    const lo = c === 0xf0 ? 0x90 : 0x80;
    const hi = c === 0xf4 ? 0x8f : 0xbf;
    return c1 >= lo && c1 <= hi && isContinuation(b[i + 2]) && isContinuation(b[i + 3]) ? 4 : 0;
  }
  return 0;
}

/** The DSL string for some bytes: UTF-8 where valid, an escape for every other byte. Lossless. */
export function bytesToDsl(b: Uint8Array): string {
  try {
    return STRICT_UTF8.decode(b);
  } catch {
    // not all valid UTF-8: decode by hand into UTF-16 units (never more units than bytes)
  }
  const units = new Uint16Array(b.length);
  let n = 0;
  let i = 0;
  while (i < b.length) {
    const c = b[i]!;
    if (c < 0x80) {
      units[n++] = c;
      i++;
      continue;
    }
    const len = validSequenceAt(b, i);
    if (len === 2) units[n++] = ((c & 0x1f) << 6) | (b[i + 1]! & 0x3f);
    else if (len === 3) units[n++] = ((c & 0x0f) << 12) | ((b[i + 1]! & 0x3f) << 6) | (b[i + 2]! & 0x3f);
    else if (len === 4) {
      const cp = (((c & 0x07) << 18) | ((b[i + 1]! & 0x3f) << 12) | ((b[i + 2]! & 0x3f) << 6) | (b[i + 3]! & 0x3f)) - 0x10000;
      units[n++] = 0xd800 | (cp >> 10);
      units[n++] = 0xdc00 | (cp & 0x3ff);
    } else {
      units[n++] = 0xdc00 | c;
      i++;
      continue;
    }
    i += len;
  }
  // fromCharCode keeps lone surrogates (a UTF-16 TextDecoder would replace them); chunked for the stack.
  let out = '';
  for (let k = 0; k < n; k += 8192) out += String.fromCharCode.apply(null, units.subarray(k, Math.min(n, k + 8192)) as unknown as number[]);
  return out;
}

/** True when the string holds escaped (non-UTF-8) bytes. */
export function hasByteEscapes(s: string): boolean {
  return ANY_SURROGATE.test(s) && HAS_ESCAPE.test(s);
}

/** Encodes by hand: UTF-8, escapes as their byte, other lone surrogates as U+FFFD (as Buffer.from does). */
function encodeWithEscapes(s: string): Buffer {
  const out = Buffer.allocUnsafe(s.length * 3);
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) out[n++] = c;
    else if (c < 0x800) {
      out[n++] = 0xc0 | (c >> 6);
      out[n++] = 0x80 | (c & 0x3f);
    } else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      const cp = 0x10000 + ((c - 0xd800) << 10) + (s.charCodeAt(++i) - 0xdc00);
      out[n++] = 0xf0 | (cp >> 18);
      out[n++] = 0x80 | ((cp >> 12) & 0x3f);
      out[n++] = 0x80 | ((cp >> 6) & 0x3f);
      out[n++] = 0x80 | (cp & 0x3f);
    } else if (c >= 0xdc80 && c <= 0xdcff) out[n++] = c & 0xff;
    else {
      const u = c >= 0xd800 && c <= 0xdfff ? 0xfffd : c;
      out[n++] = 0xe0 | (u >> 12);
      out[n++] = 0x80 | ((u >> 6) & 0x3f);
      out[n++] = 0x80 | (u & 0x3f);
    }
  }
  return out.subarray(0, n);
}

/** The bytes a DSL string stands for: what goes on the wire, what len() counts, what hashes see. */
export function dslBytes(s: string): Buffer {
  return hasByteEscapes(s) ? Buffer.from(encodeWithEscapes(s)) : Buffer.from(s, 'utf8');
}

/** Go's len(s): the number of bytes. */
export function dslByteLength(s: string): number {
  if (ALL_ASCII.test(s)) return s.length;
  return hasByteEscapes(s) ? dslBytes(s).length : Buffer.byteLength(s, 'utf8');
}

/**
 * The canonical form (the decoding of the string's own bytes). Joining strings can put escapes side
 * by side that together are valid UTF-8, or leave a lone surrogate that is no escape (U+FFFD on the
 * wire); both are normalised so equal bytes are equal strings.
 */
export function canonicalDsl(s: string): string {
  return ANY_SURROGATE.test(s) ? bytesToDsl(dslBytes(s)) : s;
}

/**
 * Runs a byte-oriented string operation the way Go does when any argument holds escaped bytes:
 * on "binary strings" (one char per byte), the result decoded back. Text-only arguments take the
 * plain path, which gives the same answer (a valid UTF-8 needle can only match at a character
 * boundary of a canonical haystack).
 */
export function byteWise<T>(args: readonly string[], plain: (...a: string[]) => T, decode: (r: T) => T = (r) => r): T {
  if (!args.some(hasByteEscapes)) return plain(...args);
  return decode(plain(...args.map((a) => dslBytes(a).toString('latin1'))));
}

/** A binary string (one char per byte) back to a DSL string. */
export function fromBinaryString(s: string): string {
  return bytesToDsl(Buffer.from(s, 'latin1'));
}

/** Go's strings.Contains on the bytes. */
export function dslIncludes(hay: string, needle: string): boolean {
  return byteWise([hay, needle], (h, n) => h.includes(n));
}

/**
 * A DSL string for reports and storage: escaped bytes shown as their Latin-1 characters, and any
 * other lone surrogate as U+FFFD, so the text is well-formed Unicode (JSON stores and PostgreSQL
 * refuse lone surrogates).
 */
export function dslDisplay(s: string): string {
  if (!ANY_SURROGATE.test(s)) return s;
  return s.replace(ESCAPE_RUN, (run) => Array.from(run, (c) => String.fromCharCode(c.charCodeAt(0) & 0xff)).join('')).replace(/[\uD800-\uDFFF]/gu, '\uFFFD');
}
