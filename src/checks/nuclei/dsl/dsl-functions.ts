/**
 * nuclei's DSL helper functions (the commonly used ones). Each converts its arguments the way nuclei
 * does (Go's fmt %v into strings) and is bounded: no helper builds a string over MAX_DSL_STRING.
 * Random helpers are flagged so matchers (which must be deterministic) cannot use them.
 */
import { createCipheriv, createHash, createHmac, randomBytes, randomInt, type CipherGCMTypes } from 'node:crypto';
import { deflateRawSync, deflateSync, gunzipSync, gzipSync, inflateRawSync, inflateSync } from 'node:zlib';
import { murmur3x86_32Signed, base64Mime } from '../../../engines/identify/handshakes/murmur3.js';
import { compileRe2 } from '../regex/guarded-regex.js';
import { checkGoVersionConstraints } from './go-version.js';
import { DEFAULT_DATE_LAYOUTS, formatDateTime, parseGoTime } from './go-time.js';
import { type DslValue, MAX_DSL_STRING, formatNumber, toDslNumber, toDslString } from './dsl-value.js';
import { bytesToDsl, byteWise, canonicalDsl, dslByteLength, dslBytes, dslIncludes, fromBinaryString } from './dsl-bytes.js';

export interface DslFunction {
  readonly min: number;
  /** -1: variadic. */
  readonly max: number;
  /** Non-deterministic: allowed while building requests, refused in matchers and extractors. */
  readonly random?: boolean;
  readonly fn: (args: readonly DslValue[]) => DslValue;
}

export class DslRuntimeError extends Error {}

function bounded(s: string): string {
  if (s.length > MAX_DSL_STRING) throw new DslRuntimeError(`result longer than ${MAX_DSL_STRING} characters`);
  return s;
}

const S = (v: DslValue | undefined): string => (v === undefined ? '' : toDslString(v));
function N(v: DslValue | undefined, what: string): number {
  const n = v === undefined ? undefined : toDslNumber(v);
  if (n === undefined) throw new DslRuntimeError(`${what}: ${JSON.stringify(S(v).slice(0, 40))} is not a number`);
  return n;
}
/** The bytes a value stands for (Go's []byte(toString(v))). */
const bytes = (v: DslValue | undefined): Buffer => dslBytes(S(v));

/** Flattens arrays among variadic arguments (join(",", list) and join(",", a, b) both work). */
function flat(args: readonly DslValue[]): string[] {
  const out: string[] = [];
  for (const a of args) {
    if (Array.isArray(a)) for (const x of a as readonly DslValue[]) out.push(S(x));
    else out.push(S(a));
  }
  return out;
}

function cutsetTrim(s: string, cut: string, left: boolean, right: boolean): string {
  const set = new Set(Array.from(cut));
  const chars = Array.from(s);
  let a = 0;
  let b = chars.length;
  if (left) while (a < b && set.has(chars[a]!)) a++;
  if (right) while (b > a && set.has(chars[b - 1]!)) b--;
  return chars.slice(a, b).join('');
}

/** Go's url.QueryEscape. */
function queryEscape(s: string): string {
  let out = '';
  for (const b of dslBytes(s)) {
    const c = String.fromCharCode(b);
    if (/[A-Za-z0-9\-_.~]/.test(c)) out += c;
    else if (c === ' ') out += '+';
    else out += `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** Go's url.QueryUnescape, on the bytes: %XX is any byte, so the result may be binary. */
function queryUnescape(s: string): string {
  const src = dslBytes(s);
  const out = Buffer.alloc(src.length);
  let n = 0;
  for (let i = 0; i < src.length; i++) {
    const c = src[i]!;
    if (c === 0x2b) out[n++] = 0x20;
    else if (c === 0x25) {
      const h = src.subarray(i + 1, i + 3).toString('latin1');
      if (!/^[0-9a-fA-F]{2}$/.test(h)) throw new DslRuntimeError(`url_decode: invalid escape "%${bytesToDsl(src.subarray(i + 1, i + 3))}"`);
      out[n++] = Number.parseInt(h, 16);
      i += 2;
    } else out[n++] = c;
  }
  return bytesToDsl(out.subarray(0, n));
}

const HTML_ESC: Readonly<Record<string, string>> = { '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&#39;', '"': '&#34;' };
const HTML_UNESC: Readonly<Record<string, string>> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'", nbsp: '\u00a0' };

const ALNUM = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
const ALPHA = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';
const MAX_RANDOM_LENGTH = 4096;

function randomFrom(charset: string, n: number, bad = ''): string {
  const set = Array.from(charset).filter((c) => !bad.includes(c));
  if (set.length === 0) throw new DslRuntimeError('empty character set');
  if (!Number.isInteger(n) || n < 0 || n > MAX_RANDOM_LENGTH) throw new DslRuntimeError(`random length ${n} out of range 0..${MAX_RANDOM_LENGTH}`);
  let s = '';
  for (let i = 0; i < n; i++) s += set[randomInt(set.length)]!;
  return s;
}

const MAX_INFLATE = 4 << 20;

/** Go's regexp ReplaceAllString template: $1, ${1}, $name; $$ is a dollar. */
function expandTemplate(tpl: string, groups: readonly string[]): string {
  return tpl.replace(/\$(\$|\{(\w+)\}|(\d+)|(\w+))/g, (_m, all: string, braced?: string, num?: string) => {
    if (all === '$') return '$';
    const k = braced ?? num;
    if (k !== undefined && /^\d+$/.test(k)) return groups[Number(k)] ?? '';
    return ''; // named groups are numbered in the translation; a name expands to nothing, as an unknown name does in Go
  });
}

/** Byte order, as Go's sort.Strings compares. */
function byteOrder(a: string, b: string): number {
  return Buffer.compare(dslBytes(a), dslBytes(b));
}

/** Go's strconv.Atoi / ParseInt(s, 10, 64) acceptance: an optional sign and decimal digits. */
function goInt(v: DslValue | undefined, what: string): number {
  const s = S(v);
  if (!/^[+-]?\d{1,15}$/.test(s)) throw new DslRuntimeError(`${what}: ${JSON.stringify(s.slice(0, 40))} is not an integer`);
  return Number(s);
}

/**
 * nuclei's padding(): pads `data` with the bytes of `pad`, cycled, up to `length` bytes. Four
 * arguments (current nuclei): mode 'prefix' or 'suffix', the pattern starting at the padding's
 * first byte. Three arguments (the older helper templates still call): always a suffix, the pattern
 * aligned to the absolute position in the result. Longer data is returned unchanged.
 */
function padding([data, pad, length, mode]: readonly DslValue[]): string {
  const n = typeof length === 'number' ? Math.trunc(length) : Math.trunc(N(length, 'padding'));
  if (!Number.isFinite(n) || n === 0) throw new DslRuntimeError('invalid padding length');
  if (n > MAX_DSL_STRING) throw new DslRuntimeError(`padding length ${n} out of range`);
  const padBytes = bytes(pad);
  if (padBytes.length === 0) throw new DslRuntimeError('invalid padding byte');
  const dataBytes = bytes(data);
  if (dataBytes.length >= n) return S(data);
  if (mode === undefined) {
    const out = Buffer.alloc(n);
    dataBytes.copy(out);
    for (let i = dataBytes.length; i < n; i++) out[i] = padBytes[i % padBytes.length]!;
    return bytesToDsl(out);
  }
  if (mode !== 'prefix' && mode !== 'suffix') throw new DslRuntimeError("padding mode must be 'prefix' or 'suffix'");
  const fill = Buffer.alloc(n - dataBytes.length);
  for (let i = 0; i < fill.length; i++) fill[i] = padBytes[i % padBytes.length]!;
  return bytesToDsl(mode === 'prefix' ? Buffer.concat([fill, dataBytes]) : Buffer.concat([dataBytes, fill]));
}

function aesKey(key: Buffer, what: string): string {
  if (key.length !== 16 && key.length !== 24 && key.length !== 32) throw new DslRuntimeError(`${what}: key must be 16, 24 or 32 bytes, got ${key.length}`);
  return String(key.length * 8);
}

/** Go's strings.Count: non-overlapping occurrences; an empty needle counts rune boundaries. */
function countOf(s: string, sub: string): number {
  if (sub === '') return Array.from(s).length + 1; // an escaped byte is one rune, as an invalid byte is in Go
  return byteWise([s, sub], (h, x) => {
    let n = 0;
    for (let i = h.indexOf(x); i >= 0; i = h.indexOf(x, i + x.length)) n++;
    return n;
  });
}

/** nuclei's to_unix_time: a number as is, else the given Go layout or the default layouts. */
function toUnixTime([input, layout]: readonly DslValue[]): number {
  const s = S(input);
  if (/^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/.test(s.trim()) && s.trim() === s) return Math.trunc(Number(s));
  if (s.length > 256) throw new DslRuntimeError('to_unix_time: input too long');
  if (layout !== undefined) {
    const l = S(layout);
    if (l.length > 256) throw new DslRuntimeError('to_unix_time: layout too long');
    const t = parseGoTime(l, s);
    if (t === undefined) throw new DslRuntimeError(`could not parse the current input with the '${l}' layout`);
    return t;
  }
  for (const l of DEFAULT_DATE_LAYOUTS) {
    const t = parseGoTime(l, s);
    if (t !== undefined) return t;
  }
  throw new DslRuntimeError('could not parse the current input with the default layouts');
}

/** Ports nuclei's getNetworkPort treats as "not specific": the default is used instead. */
const KNOWN_PORTS = ['80', '443', '8080', '8081', '8443', '53'];

const NAMED_FUNCTIONS: Readonly<Record<string, DslFunction>> = {
  contains: { min: 2, max: 2, fn: ([s, sub]) => dslIncludes(S(s), S(sub)) },
  contains_all: { min: 2, max: -1, fn: ([s, ...subs]) => flat(subs).every((x) => dslIncludes(S(s), x)) },
  contains_any: { min: 2, max: -1, fn: ([s, ...subs]) => flat(subs).some((x) => dslIncludes(S(s), x)) },
  starts_with: { min: 2, max: -1, fn: ([s, ...p]) => flat(p).some((x) => byteWise([S(s), x], (h, y) => h.startsWith(y))) },
  ends_with: { min: 2, max: -1, fn: ([s, ...p]) => flat(p).some((x) => byteWise([S(s), x], (h, y) => h.endsWith(y))) },
  line_starts_with: { min: 2, max: -1, fn: ([s, ...p]) => byteWise([S(s), ...flat(p)], (h, ...ys) => h.split('\n').some((l) => ys.some((x) => l.startsWith(x)))) },
  line_ends_with: { min: 2, max: -1, fn: ([s, ...p]) => byteWise([S(s), ...flat(p)], (h, ...ys) => h.split('\n').some((l) => ys.some((x) => l.replace(/\r$/, '').endsWith(x)))) },
  regex: { min: 2, max: 2, fn: ([p, s]) => compileRe2(S(p)).test(S(s)) },
  regex_all: { min: 2, max: -1, fn: ([p, ...ss]) => flat(ss).every((s) => compileRe2(S(p)).test(s)) },
  regex_any: { min: 2, max: -1, fn: ([p, ...ss]) => flat(ss).some((s) => compileRe2(S(p)).test(s)) },
  replace_regex: {
    min: 3,
    max: 3,
    fn: ([s, p, r]) => {
      const re = compileRe2(S(p));
      const src = S(s);
      let out = '';
      let from = 0;
      for (const m of re.matchAll(src, 100_000)) {
        out = bounded(out + src.slice(from, m.index) + expandTemplate(S(r), m.groups));
        from = m.index + m.groups[0]!.length;
      }
      return bounded(out + src.slice(from));
    },
  },
  // Go's len(string): bytes, escaped ones included.
  len: { min: 1, max: 1, fn: ([x]) => (Array.isArray(x) ? x.length : dslByteLength(S(x))) },
  to_lower: { min: 1, max: 1, fn: ([s]) => S(s).toLowerCase() },
  to_upper: { min: 1, max: 1, fn: ([s]) => S(s).toUpperCase() },
  trim: { min: 2, max: 2, fn: ([s, c]) => cutsetTrim(S(s), S(c), true, true) },
  trim_left: { min: 2, max: 2, fn: ([s, c]) => cutsetTrim(S(s), S(c), true, false) },
  trim_right: { min: 2, max: 2, fn: ([s, c]) => cutsetTrim(S(s), S(c), false, true) },
  trim_space: { min: 1, max: 1, fn: ([s]) => S(s).replace(/^[\t\n\v\f\r \u0085\u00a0]+|[\t\n\v\f\r \u0085\u00a0]+$/g, '') },
  trim_prefix: { min: 2, max: 2, fn: ([s, p]) => byteWise([S(s), S(p)], (h, x) => (h.startsWith(x) ? h.slice(x.length) : h), fromBinaryString) },
  trim_suffix: { min: 2, max: 2, fn: ([s, p]) => byteWise([S(s), S(p)], (h, x) => (x !== '' && h.endsWith(x) ? h.slice(0, -x.length) : h), fromBinaryString) },
  replace: { min: 3, max: 3, fn: ([s, o, n]) => (S(o) === '' ? S(s) : bounded(byteWise([S(s), S(o), S(n)], (h, x, y) => h.split(x).join(y), fromBinaryString))) },
  remove_bad_chars: { min: 2, max: 2, fn: ([s, c]) => Array.from(S(s)).filter((x) => !S(c).includes(x)).join('') },
  reverse: { min: 1, max: 1, fn: ([s]) => Array.from(S(s)).reverse().join('') },
  repeat: {
    min: 2,
    max: 2,
    fn: ([s, n]) => {
      const k = N(n, 'repeat');
      if (!Number.isInteger(k) || k < 0 || S(s).length * k > MAX_DSL_STRING) throw new DslRuntimeError(`repeat count ${k} out of range`);
      return canonicalDsl(S(s).repeat(k));
    },
  },
  substr: {
    min: 2,
    max: 3,
    // Byte offsets, as Go slices strings (a cut through a character leaves escaped bytes).
    fn: ([s, a, b]) => {
      const buf = bytes(s);
      const start = N(a, 'substr');
      const end = b === undefined ? buf.length : N(b, 'substr');
      if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0 || end > buf.length || start > end) throw new DslRuntimeError(`substr range ${start}..${end} outside 0..${buf.length}`);
      return bytesToDsl(buf.subarray(start, end));
    },
  },
  concat: { min: 0, max: -1, fn: (args) => canonicalDsl(bounded(flat(args).join(''))) },
  join: { min: 2, max: -1, fn: ([sep, ...els]) => canonicalDsl(bounded(flat(els).join(S(sep)))) },
  split: {
    min: 2,
    max: 3,
    fn: ([s, sep, n]) => {
      const parts = byteWise([S(s), S(sep)], (h, x) => h.split(x), (r) => r.map(fromBinaryString));
      if (n === undefined) return parts.slice(0, 100_000);
      const k = N(n, 'split');
      if (k <= 0 || k >= parts.length) return parts.slice(0, 100_000);
      return [...parts.slice(0, k - 1), canonicalDsl(parts.slice(k - 1).join(S(sep)))];
    },
  },
  base64: { min: 1, max: 1, fn: ([s]) => bounded(bytes(s).toString('base64')) },
  base64_py: { min: 1, max: 1, fn: ([s]) => bounded(base64Mime(bytes(s))) },
  base64_decode: { min: 1, max: 1, fn: ([s]) => bytesToDsl(Buffer.from(S(s).replace(/\s+/g, ''), 'base64')) },
  hex_encode: { min: 1, max: 1, fn: ([s]) => bounded(bytes(s).toString('hex')) },
  hex_decode: {
    min: 1,
    max: 1,
    fn: ([s]) => {
      const h = S(s);
      if (!/^(?:[0-9a-fA-F]{2})*$/.test(h)) throw new DslRuntimeError('hex_decode: not an even-length hex string');
      return bytesToDsl(Buffer.from(h, 'hex'));
    },
  },
  md5: { min: 1, max: 1, fn: ([s]) => createHash('md5').update(bytes(s)).digest('hex') },
  sha1: { min: 1, max: 1, fn: ([s]) => createHash('sha1').update(bytes(s)).digest('hex') },
  sha256: { min: 1, max: 1, fn: ([s]) => createHash('sha256').update(bytes(s)).digest('hex') },
  sha512: { min: 1, max: 1, fn: ([s]) => createHash('sha512').update(bytes(s)).digest('hex') },
  hmac: {
    min: 3,
    max: 3,
    fn: ([alg, data, key]) => {
      const a = S(alg).toLowerCase();
      if (!['md5', 'sha1', 'sha256', 'sha512'].includes(a)) throw new DslRuntimeError(`hmac: unsupported algorithm ${a}`);
      return createHmac(a, bytes(key)).update(bytes(data)).digest('hex');
    },
  },
  mmh3: { min: 1, max: 1, fn: ([s]) => String(murmur3x86_32Signed(bytes(s))) },
  url_encode: { min: 1, max: 1, fn: ([s]) => bounded(queryEscape(S(s))) },
  url_decode: { min: 1, max: 1, fn: ([s]) => queryUnescape(S(s)) },
  html_escape: { min: 1, max: 1, fn: ([s]) => bounded(S(s).replace(/[<>&'"]/g, (c) => HTML_ESC[c]!)) },
  html_unescape: {
    min: 1,
    max: 1,
    fn: ([s]) =>
      S(s).replace(/&(#x[0-9a-fA-F]{1,6}|#[0-9]{1,7}|[a-z]{2,8});/g, (m, e: string) => {
        if (e.startsWith('#x')) return String.fromCodePoint(Math.min(Number.parseInt(e.slice(2), 16), 0x10ffff));
        if (e.startsWith('#')) return String.fromCodePoint(Math.min(Number(e.slice(1)), 0x10ffff));
        return HTML_UNESC[e] ?? m;
      }),
  },
  gzip: { min: 1, max: 1, fn: ([s]) => bytesToDsl(gzipSync(bytes(s))) },
  gzip_decode: { min: 1, max: 1, fn: ([s]) => bytesToDsl(gunzipSync(bytes(s), { maxOutputLength: MAX_INFLATE })) },
  zlib: { min: 1, max: 1, fn: ([s]) => bytesToDsl(deflateSync(bytes(s))) },
  zlib_decode: { min: 1, max: 1, fn: ([s]) => bytesToDsl(inflateSync(bytes(s), { maxOutputLength: MAX_INFLATE })) },
  json_minify: { min: 1, max: 1, fn: ([s]) => JSON.stringify(parseJson(S(s))) },
  json_prettify: { min: 1, max: 1, fn: ([s]) => bounded(JSON.stringify(parseJson(S(s)), null, 4)) },
  compare_versions: { min: 2, max: -1, fn: ([v, ...c]) => checkGoVersionConstraints(S(v), flat(c)) },
  to_number: { min: 1, max: 1, fn: ([s]) => N(s, 'to_number') },
  to_string: { min: 1, max: 1, fn: ([s]) => S(s) },
  dec_to_hex: { min: 1, max: 1, fn: ([n]) => Math.trunc(N(n, 'dec_to_hex')).toString(16) },
  hex_to_dec: { min: 1, max: 1, fn: ([s]) => parseRadix(S(s).replace(/^0x/i, ''), 16) },
  oct_to_dec: { min: 1, max: 1, fn: ([s]) => parseRadix(S(s).replace(/^0o?/i, ''), 8) },
  bin_to_dec: { min: 1, max: 1, fn: ([s]) => parseRadix(S(s).replace(/^0b/i, ''), 2) },
  unix_time: { min: 0, max: 1, fn: ([off]) => Math.floor(Date.now() / 1000) + (off === undefined ? 0 : Math.trunc(N(off, 'unix_time'))) },
  date_time: {
    min: 1,
    max: 2,
    fn: ([layout, t]) => {
      const l = S(layout);
      if (l.length > 1024) throw new DslRuntimeError('date_time: format too long');
      const secs = t === undefined ? undefined : typeof t === 'number' ? Math.trunc(t) : goInt(t, 'date_time');
      const d = secs === undefined ? new Date() : new Date(secs * 1000);
      if (Number.isNaN(d.getTime())) throw new DslRuntimeError('date_time: time out of range');
      try {
        return formatDateTime(l, d);
      } catch (e) {
        throw new DslRuntimeError(e instanceof Error ? e.message : String(e));
      }
    },
  },
  to_unix_time: { min: 1, max: 2, fn: toUnixTime },
  index: {
    min: 2,
    max: 2,
    fn: ([x, i]) => {
      const k = goInt(i, 'index');
      if (Array.isArray(x)) {
        const list = x as readonly DslValue[];
        if (k < 0 || k >= list.length) throw new DslRuntimeError(`index out of range: ${k}`);
        return S(list[k]);
      }
      const b = bytes(x);
      if (k < 0 || k >= b.length) throw new DslRuntimeError(`index out of range: ${k}`);
      // nuclei returns string(str[index]): Go converts the byte as a code point, so byte 0xE9 comes
      // back as "é" (two bytes), not as the byte itself.
      return String.fromCharCode(b[k]!);
    },
  },
  sort: {
    min: 1,
    max: -1,
    fn: (args) => (args.length === 1 ? Array.from(S(args[0])).sort((a, b) => a.codePointAt(0)! - b.codePointAt(0)!).join('') : args.map(S).sort(byteOrder)),
  },
  uniq: {
    min: 1,
    max: -1,
    fn: (args) => (args.length === 1 ? [...new Set(Array.from(S(args[0])))].join('') : [...new Set(args.map(S))]),
  },
  count: { min: 2, max: 2, fn: ([s, sub]) => countOf(S(s), S(sub)) },
  // nuclei declares two positional arguments and compares against a list; a flat argument list is
  // accepted as well (nuclei's own would silently answer false for it).
  equals_any: { min: 2, max: -1, fn: ([s, ...subs]) => typeof s === 'string' && flat(subs).includes(s) },
  padding: { min: 3, max: 4, fn: padding },
  xor: {
    min: 2,
    max: -1,
    fn: (args) => {
      const bufs = args.map(bytes);
      const n = bufs[0]!.length;
      if (bufs.some((b) => b.length !== n)) throw new DslRuntimeError('all arguments must have the same length');
      const out = Buffer.alloc(n);
      for (let i = 0; i < n; i++) for (const b of bufs) out[i]! ^= b[i]!;
      return bytesToDsl(out);
    },
  },
  deflate: { min: 1, max: 1, fn: ([s]) => bytesToDsl(deflateRawSync(bytes(s))) },
  inflate: { min: 1, max: 1, fn: ([s]) => bytesToDsl(inflateRawSync(bytes(s), { maxOutputLength: MAX_INFLATE })) },
  aes_cbc: {
    min: 3,
    max: 3,
    fn: ([plain, key, iv]) => {
      const k = bytes(key);
      const v = bytes(iv);
      const bits = aesKey(k, 'aes_cbc');
      if (v.length !== 16) throw new DslRuntimeError(`aes_cbc: iv must be 16 bytes, got ${v.length}`);
      const c = createCipheriv(`aes-${bits}-cbc`, k, v); // PKCS#7 padding: Go's pkcs5padding for 16-byte blocks
      return bounded(bytesToDsl(Buffer.concat([c.update(bytes(plain)), c.final()])));
    },
  },
  aes_gcm: {
    min: 2,
    max: 2,
    random: true,
    fn: ([key, plain]) => {
      const k = bytes(key);
      const bits = aesKey(k, 'aes_gcm');
      const nonce = randomBytes(12);
      const c = createCipheriv(`aes-${bits}-gcm` as CipherGCMTypes, k, nonce);
      const body = Buffer.concat([c.update(bytes(plain)), c.final()]);
      return bounded(bytesToDsl(Buffer.concat([nonce, body, c.getAuthTag()])));
    },
  },
  getNetworkPort: {
    min: 2,
    max: 2,
    fn: ([port, dflt]) => {
      const p = S(port);
      return p === '' || KNOWN_PORTS.includes(p.toLowerCase()) ? S(dflt) : p;
    },
  },
  rand_base: { min: 1, max: 2, random: true, fn: ([n, cs]) => randomFrom(cs === undefined || S(cs) === '' ? ALNUM : S(cs), N(n, 'rand_base')) },
  rand_char: { min: 0, max: 1, random: true, fn: ([cs]) => randomFrom(cs === undefined || S(cs) === '' ? ALNUM : S(cs), 1) },
  rand_text_alpha: { min: 1, max: 2, random: true, fn: ([n, bad]) => randomFrom(ALPHA, N(n, 'rand_text_alpha'), S(bad)) },
  rand_text_alphanumeric: { min: 1, max: 2, random: true, fn: ([n, bad]) => randomFrom(ALNUM, N(n, 'rand_text_alphanumeric'), S(bad)) },
  rand_text_numeric: { min: 1, max: 2, random: true, fn: ([n, bad]) => randomFrom('0123456789', N(n, 'rand_text_numeric'), S(bad)) },
  rand_int: {
    min: 0,
    max: 2,
    random: true,
    fn: ([a, b]) => {
      const lo = a === undefined ? 0 : Math.trunc(N(a, 'rand_int'));
      const hi = b === undefined ? 2 ** 31 - 1 : Math.trunc(N(b, 'rand_int'));
      if (hi <= lo || hi - lo > 2 ** 47) throw new DslRuntimeError(`rand_int range ${lo}..${hi} is empty or too large`);
      return lo + randomInt(hi - lo);
    },
  },
  rand_ip: {
    min: 1,
    max: -1,
    random: true,
    fn: () => {
      throw new DslRuntimeError('rand_ip is not supported (requests go only to the target)');
    },
  },
  print_debug: { min: 0, max: -1, fn: () => true },
};

/**
 * Every helper under its name and, as nuclei registers them "for backwards compatibility", under
 * the name without underscores (tolower, toupper, base64decode, randbase…).
 */
export const DSL_FUNCTIONS: Readonly<Record<string, DslFunction>> = (() => {
  const all: Record<string, DslFunction> = { ...NAMED_FUNCTIONS };
  for (const [name, f] of Object.entries(NAMED_FUNCTIONS)) {
    const alias = name.replaceAll('_', '');
    if (!Object.hasOwn(all, alias)) all[alias] = f;
  }
  return Object.freeze(all);
})();

function parseRadix(s: string, radix: number): number {
  const valid = radix === 16 ? /^[0-9a-fA-F]{1,13}$/ : radix === 8 ? /^[0-7]{1,17}$/ : /^[01]{1,52}$/;
  if (!valid.test(s)) throw new DslRuntimeError(`not a base-${radix} number: ${JSON.stringify(s.slice(0, 40))}`);
  return Number.parseInt(s, radix);
}

function parseJson(s: string): unknown {
  if (s.length > MAX_DSL_STRING) throw new DslRuntimeError('JSON too large');
  try {
    return JSON.parse(s) as unknown;
  } catch {
    throw new DslRuntimeError('not valid JSON');
  }
}

export { formatNumber };
