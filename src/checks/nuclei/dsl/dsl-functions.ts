/**
 * nuclei's DSL helper functions (the commonly used ones). Each converts its arguments the way nuclei
 * does (Go's fmt %v into strings) and is bounded: no helper builds a string over MAX_DSL_STRING.
 * Random helpers are flagged so matchers (which must be deterministic) cannot use them.
 */
import { createHash, createHmac, randomInt } from 'node:crypto';
import { gunzipSync, gzipSync, inflateSync, deflateSync } from 'node:zlib';
import { murmur3x86_32Signed, base64Mime } from '../../../engines/identify/handshakes/murmur3.js';
import { compileRe2 } from '../regex/guarded-regex.js';
import { checkGoVersionConstraints } from './go-version.js';
import { type DslValue, MAX_DSL_STRING, bytesToDslString, dslStringToWire, formatNumber, toDslNumber, toDslString } from './dsl-value.js';

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
const bytes = (v: DslValue | undefined): Buffer => dslStringToWire(S(v));

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
  for (const b of Buffer.from(s, 'utf8')) {
    const c = String.fromCharCode(b);
    if (/[A-Za-z0-9\-_.~]/.test(c)) out += c;
    else if (c === ' ') out += '+';
    else out += `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

function queryUnescape(s: string): string {
  const buf: number[] = [];
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === '+') buf.push(0x20);
    else if (c === '%') {
      const h = s.slice(i + 1, i + 3);
      if (!/^[0-9a-fA-F]{2}$/.test(h)) throw new DslRuntimeError(`url_decode: invalid escape "%${h}"`);
      buf.push(Number.parseInt(h, 16));
      i += 2;
    } else for (const b of Buffer.from(c, 'utf8')) buf.push(b);
  }
  return bytesToDslString(Buffer.from(buf));
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

/** Go time layouts and the strftime-ish %Y tokens nuclei's date_time accepts. */
function formatDate(layout: string, d: Date): string {
  const p2 = (n: number): string => String(n).padStart(2, '0');
  const map: [string, string][] = [
    ['%Y', String(d.getUTCFullYear())],
    ['%m', p2(d.getUTCMonth() + 1)],
    ['%M', p2(d.getUTCMonth() + 1)],
    ['%d', p2(d.getUTCDate())],
    ['%D', p2(d.getUTCDate())],
    ['%H', p2(d.getUTCHours())],
    ['%h', p2(d.getUTCHours())],
    ['%i', p2(d.getUTCMinutes())],
    ['%s', p2(d.getUTCSeconds())],
    ['%S', p2(d.getUTCSeconds())],
    ['2006', String(d.getUTCFullYear())],
    ['01', p2(d.getUTCMonth() + 1)],
    ['02', p2(d.getUTCDate())],
    ['15', p2(d.getUTCHours())],
    ['04', p2(d.getUTCMinutes())],
    ['05', p2(d.getUTCSeconds())],
  ];
  let out = '';
  for (let i = 0; i < layout.length; ) {
    const hit = map.find(([k]) => layout.startsWith(k, i));
    if (hit) {
      out += hit[1];
      i += hit[0].length;
    } else {
      out += layout[i];
      i++;
    }
  }
  return out;
}

/** Go's regexp ReplaceAllString template: $1, ${1}, $name; $$ is a dollar. */
function expandTemplate(tpl: string, groups: readonly string[]): string {
  return tpl.replace(/\$(\$|\{(\w+)\}|(\d+)|(\w+))/g, (_m, all: string, braced?: string, num?: string) => {
    if (all === '$') return '$';
    const k = braced ?? num;
    if (k !== undefined && /^\d+$/.test(k)) return groups[Number(k)] ?? '';
    return ''; // named groups are numbered in the translation; a name expands to nothing, as an unknown name does in Go
  });
}

export const DSL_FUNCTIONS: Readonly<Record<string, DslFunction>> = {
  contains: { min: 2, max: 2, fn: ([s, sub]) => S(s).includes(S(sub)) },
  contains_all: { min: 2, max: -1, fn: ([s, ...subs]) => flat(subs).every((x) => S(s).includes(x)) },
  contains_any: { min: 2, max: -1, fn: ([s, ...subs]) => flat(subs).some((x) => S(s).includes(x)) },
  starts_with: { min: 2, max: -1, fn: ([s, ...p]) => flat(p).some((x) => S(s).startsWith(x)) },
  ends_with: { min: 2, max: -1, fn: ([s, ...p]) => flat(p).some((x) => S(s).endsWith(x)) },
  line_starts_with: { min: 2, max: -1, fn: ([s, ...p]) => S(s).split('\n').some((l) => flat(p).some((x) => l.startsWith(x))) },
  line_ends_with: { min: 2, max: -1, fn: ([s, ...p]) => S(s).split('\n').some((l) => flat(p).some((x) => l.replace(/\r$/, '').endsWith(x))) },
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
  len: { min: 1, max: 1, fn: ([x]) => (Array.isArray(x) ? x.length : Buffer.byteLength(S(x), 'utf8')) },
  to_lower: { min: 1, max: 1, fn: ([s]) => S(s).toLowerCase() },
  to_upper: { min: 1, max: 1, fn: ([s]) => S(s).toUpperCase() },
  trim: { min: 2, max: 2, fn: ([s, c]) => cutsetTrim(S(s), S(c), true, true) },
  trim_left: { min: 2, max: 2, fn: ([s, c]) => cutsetTrim(S(s), S(c), true, false) },
  trim_right: { min: 2, max: 2, fn: ([s, c]) => cutsetTrim(S(s), S(c), false, true) },
  trim_space: { min: 1, max: 1, fn: ([s]) => S(s).replace(/^[\t\n\v\f\r \u0085\u00a0]+|[\t\n\v\f\r \u0085\u00a0]+$/g, '') },
  trim_prefix: { min: 2, max: 2, fn: ([s, p]) => (S(s).startsWith(S(p)) ? S(s).slice(S(p).length) : S(s)) },
  trim_suffix: { min: 2, max: 2, fn: ([s, p]) => (S(p) !== '' && S(s).endsWith(S(p)) ? S(s).slice(0, -S(p).length) : S(s)) },
  replace: { min: 3, max: 3, fn: ([s, o, n]) => (S(o) === '' ? S(s) : bounded(S(s).split(S(o)).join(S(n)))) },
  remove_bad_chars: { min: 2, max: 2, fn: ([s, c]) => Array.from(S(s)).filter((x) => !S(c).includes(x)).join('') },
  reverse: { min: 1, max: 1, fn: ([s]) => Array.from(S(s)).reverse().join('') },
  repeat: {
    min: 2,
    max: 2,
    fn: ([s, n]) => {
      const k = N(n, 'repeat');
      if (!Number.isInteger(k) || k < 0 || S(s).length * k > MAX_DSL_STRING) throw new DslRuntimeError(`repeat count ${k} out of range`);
      return S(s).repeat(k);
    },
  },
  substr: {
    min: 2,
    max: 3,
    fn: ([s, a, b]) => {
      const str = S(s);
      const start = N(a, 'substr');
      const end = b === undefined ? str.length : N(b, 'substr');
      if (start < 0 || end > str.length || start > end) throw new DslRuntimeError(`substr range ${start}..${end} outside 0..${str.length}`);
      return str.slice(start, end);
    },
  },
  concat: { min: 0, max: -1, fn: (args) => bounded(flat(args).join('')) },
  join: { min: 2, max: -1, fn: ([sep, ...els]) => bounded(flat(els).join(S(sep))) },
  split: {
    min: 2,
    max: 3,
    fn: ([s, sep, n]) => {
      const parts = S(s).split(S(sep));
      if (n === undefined) return parts.slice(0, 100_000);
      const k = N(n, 'split');
      if (k <= 0 || k >= parts.length) return parts.slice(0, 100_000);
      return [...parts.slice(0, k - 1), parts.slice(k - 1).join(S(sep))];
    },
  },
  base64: { min: 1, max: 1, fn: ([s]) => bounded(bytes(s).toString('base64')) },
  base64_py: { min: 1, max: 1, fn: ([s]) => bounded(base64Mime(bytes(s))) },
  base64_decode: { min: 1, max: 1, fn: ([s]) => bytesToDslString(Buffer.from(S(s).replace(/\s+/g, ''), 'base64')) },
  hex_encode: { min: 1, max: 1, fn: ([s]) => bounded(bytes(s).toString('hex')) },
  hex_decode: {
    min: 1,
    max: 1,
    fn: ([s]) => {
      const h = S(s);
      if (!/^(?:[0-9a-fA-F]{2})*$/.test(h)) throw new DslRuntimeError('hex_decode: not an even-length hex string');
      return bytesToDslString(Buffer.from(h, 'hex'));
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
  gzip: { min: 1, max: 1, fn: ([s]) => gzipSync(bytes(s)).toString('latin1') },
  gzip_decode: { min: 1, max: 1, fn: ([s]) => bytesToDslString(gunzipSync(bytes(s), { maxOutputLength: MAX_INFLATE })) },
  zlib: { min: 1, max: 1, fn: ([s]) => deflateSync(bytes(s)).toString('latin1') },
  zlib_decode: { min: 1, max: 1, fn: ([s]) => bytesToDslString(inflateSync(bytes(s), { maxOutputLength: MAX_INFLATE })) },
  json_minify: { min: 1, max: 1, fn: ([s]) => JSON.stringify(parseJson(S(s))) },
  json_prettify: { min: 1, max: 1, fn: ([s]) => bounded(JSON.stringify(parseJson(S(s)), null, 4)) },
  compare_versions: { min: 2, max: -1, fn: ([v, ...c]) => checkGoVersionConstraints(S(v), flat(c)) },
  to_number: { min: 1, max: 1, fn: ([s]) => N(s, 'to_number') },
  to_string: { min: 1, max: 1, fn: ([s]) => S(s) },
  dec_to_hex: { min: 1, max: 1, fn: ([n]) => Math.trunc(N(n, 'dec_to_hex')).toString(16) },
  hex_to_dec: { min: 1, max: 1, fn: ([s]) => parseRadix(S(s).replace(/^0x/i, ''), 16) },
  oct_to_dec: { min: 1, max: 1, fn: ([s]) => parseRadix(S(s).replace(/^0o?/i, ''), 8) },
  bin_to_dec: { min: 1, max: 1, fn: ([s]) => parseRadix(S(s).replace(/^0b/i, ''), 2) },
  unix_time: { min: 0, max: 1, fn: ([off]) => Math.floor(Date.now() / 1000) + (off === undefined ? 0 : N(off, 'unix_time')) },
  date_time: {
    min: 1,
    max: 2,
    fn: ([layout, t]) => formatDate(S(layout), t === undefined ? new Date() : new Date(N(t, 'date_time') * 1000)),
  },
  to_unix_time: {
    min: 1,
    max: 2,
    fn: ([s]) => {
      const ms = Date.parse(S(s));
      if (Number.isNaN(ms)) throw new DslRuntimeError(`to_unix_time: cannot parse ${JSON.stringify(S(s).slice(0, 40))}`);
      return Math.floor(ms / 1000);
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
