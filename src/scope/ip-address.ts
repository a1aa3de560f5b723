/**
 * IP address values: parsing (strict, so a typo never silently becomes another address) and canonical
 * formatting. Addresses are plain `bigint`s so IPv4 and IPv6 share one arithmetic; IPv4 also has
 * `number` fast paths because the scanner formats and parses hundreds of thousands per second.
 */

export type IpFamily = 4 | 6;

export interface IpAddress {
  readonly family: IpFamily;
  readonly value: bigint;
}

export const IPV4_MAX = 0xffff_ffff;
export const IPV6_MAX = (1n << 128n) - 1n;

/** Largest value of a family, as bigint. */
export function maxValue(family: IpFamily): bigint {
  return family === 4 ? 0xffff_ffffn : IPV6_MAX;
}

/** Address width in bits. */
export function familyBits(family: IpFamily): 32 | 128 {
  return family === 4 ? 32 : 128;
}

/** Longest textual IPv6 form is 45 chars (with embedded IPv4); brackets add 2. Anything longer is junk. */
const MAX_IP_TEXT = 47;

export type IpParseResult = { readonly ok: true; readonly address: IpAddress } | { readonly ok: false; readonly reason: string };

/** Parses an IPv4 or IPv6 address, or returns undefined. See `parseIpVerbose` for the rules. */
export function parseIp(text: string): IpAddress | undefined {
  const r = parseIpVerbose(text);
  return r.ok ? r.address : undefined;
}

/**
 * Like `parseIp`, but says what is wrong, for error messages.
 * IPv4: exactly four decimal octets 0-255 without leading zeros (`010` is octal to some tools and
 * decimal to others, so it is refused rather than guessed). IPv6: RFC 4291 text forms, including
 * `::` and a trailing embedded IPv4; zone ids (`%eth0`) are refused because a scan target must be
 * global; one pair of surrounding brackets is accepted.
 */
export function parseIpVerbose(text: string): IpParseResult {
  if (text.length === 0) return fail('empty address');
  if (text.length > MAX_IP_TEXT) return fail(`address is too long (${text.length} characters)`);
  let t = text;
  if (t.charCodeAt(0) === 0x5b /* [ */) {
    if (t.charCodeAt(t.length - 1) !== 0x5d /* ] */) return fail('unbalanced "["');
    t = t.slice(1, -1);
    if (!t.includes(':')) return fail('brackets are only for IPv6 addresses');
  }
  if (t.includes(':')) return parseIpv6Verbose(t);
  const n = scanIpv4(t, 0, t.length);
  if (n < 0) return fail(ipv4Reason(n, t));
  return { ok: true, address: { family: 4, value: BigInt(n) } };
}

/** Fast path: strict dotted quad to number, or undefined. */
export function parseIpv4(text: string): number | undefined {
  const n = scanIpv4(text, 0, text.length);
  return n < 0 ? undefined : n;
}

/** Fast path for the scanner's hot loop: no bigint, no intermediate array. */
export function ipv4ToString(n: number): string {
  return `${(n >>> 24) & 255}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}

export function ipv4(n: number): IpAddress {
  return { family: 4, value: BigInt(n >>> 0) };
}

/** Canonical text: dotted quad for IPv4, RFC 5952 for IPv6 (IPv4-mapped addresses as ::ffff:a.b.c.d). */
export function formatIp(a: IpAddress): string {
  if (a.family === 4) return ipv4ToString(Number(a.value));
  return formatIpv6(a.value);
}

/** A stable map key for an address, cheaper than formatting. */
export function addressKey(a: IpAddress): string {
  return a.family === 4 ? a.value.toString() : `6:${a.value.toString(16)}`;
}

export function sameAddress(a: IpAddress, b: IpAddress): boolean {
  return a.family === b.family && a.value === b.value;
}

// ---- IPv4 ----------------------------------------------------------------------------------------

// Negative error codes from scanIpv4 (kept numeric so the fast path allocates nothing).
const E4_PARTS = -1;
const E4_EMPTY_OCTET = -2;
const E4_NOT_DIGIT = -3;
const E4_LEADING_ZERO = -4;
const E4_TOO_BIG = -5;

/** Parses text[start, end) as a strict dotted quad; returns the value or a negative error code. */
function scanIpv4(text: string, start: number, end: number): number {
  let value = 0;
  let parts = 0;
  let octet = 0;
  let digits = 0;
  let leadingZero = false;
  for (let i = start; i <= end; i++) {
    const c = i === end ? 0x2e : text.charCodeAt(i);
    if (c === 0x2e /* . */) {
      if (digits === 0) return E4_EMPTY_OCTET;
      if (leadingZero && digits > 1) return E4_LEADING_ZERO;
      if (octet > 255) return E4_TOO_BIG;
      if (++parts > 4) return E4_PARTS;
      value = value * 256 + octet;
      octet = 0;
      digits = 0;
      leadingZero = false;
    } else if (c >= 0x30 && c <= 0x39) {
      if (digits === 0) leadingZero = c === 0x30;
      if (++digits > 12) return E4_TOO_BIG; // caps the work; the reason still names the octet
      octet = octet * 10 + (c - 0x30);
    } else {
      return E4_NOT_DIGIT;
    }
  }
  return parts === 4 ? value : E4_PARTS;
}

function ipv4Reason(code: number, text: string): string {
  const octets = text.split('.');
  switch (code) {
    case E4_PARTS:
      return `IPv4 address needs 4 octets, got ${octets.length}`;
    case E4_EMPTY_OCTET:
      return 'empty octet';
    case E4_NOT_DIGIT: {
      const bad = octets.find((o) => !/^[0-9]*$/.test(o)) ?? text;
      return `octet "${bad}" is not a decimal number`;
    }
    case E4_LEADING_ZERO: {
      const bad = octets.find((o) => o.length > 1 && o.startsWith('0')) ?? text;
      return `octet "${bad}" has a leading zero (ambiguous: octal or decimal)`;
    }
    case E4_TOO_BIG: {
      const bad = octets.find((o) => /^[0-9]+$/.test(o) && Number(o) > 255) ?? text;
      return `octet ${bad} > 255`;
    }
    default:
      return 'invalid IPv4 address';
  }
}

// ---- IPv6 ----------------------------------------------------------------------------------------

function fail(reason: string): IpParseResult {
  return { ok: false, reason };
}

function parseIpv6Verbose(t: string): IpParseResult {
  if (t.includes('%')) return fail('zone ids (%...) are not accepted');
  if (t.length > 45) return fail(`address is too long (${t.length} characters)`);
  const dc = t.indexOf('::');
  if (dc !== -1 && t.indexOf('::', dc + 1) !== -1) return fail('"::" may appear only once');
  const head = dc === -1 ? t : t.slice(0, dc);
  const tail = dc === -1 ? '' : t.slice(dc + 2);
  const headGroups: number[] = [];
  const tailGroups: number[] = [];
  const h = parseGroups(head, headGroups, dc === -1);
  if (h !== undefined) return fail(h);
  if (dc !== -1) {
    const r = parseGroups(tail, tailGroups, true);
    if (r !== undefined) return fail(r);
  }
  const explicit = headGroups.length + tailGroups.length;
  if (dc === -1) {
    if (explicit !== 8) return fail(`IPv6 address needs 8 groups, got ${explicit}`);
  } else if (explicit > 7) {
    return fail(`IPv6 address has too many groups (${explicit}) for "::"`);
  }
  let v = 0n;
  for (const g of headGroups) v = (v << 16n) | BigInt(g);
  v <<= 16n * BigInt(8 - headGroups.length);
  let low = 0n;
  for (const g of tailGroups) low = (low << 16n) | BigInt(g);
  return { ok: true, address: { family: 6, value: v | low } };
}

/** Splits a `::`-free piece into 16-bit groups; an embedded IPv4 is allowed only as the very last piece. */
function parseGroups(piece: string, out: number[], mayEndWithIpv4: boolean): string | undefined {
  if (piece.length === 0) return undefined;
  const parts = piece.split(':');
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i] as string;
    if (p.length === 0) return 'empty group (single ":" at start or end, or ":::")';
    if (p.includes('.')) {
      if (!mayEndWithIpv4 || i !== parts.length - 1) return 'embedded IPv4 allowed only at the end';
      const n = scanIpv4(p, 0, p.length);
      if (n < 0) return `embedded IPv4 "${p}": ${ipv4Reason(n, p)}`;
      out.push(Math.floor(n / 65536), n & 0xffff);
      continue;
    }
    if (p.length > 4) return `group "${p}" has more than 4 hex digits`;
    if (!/^[0-9a-fA-F]+$/.test(p)) return `group "${p}" is not hexadecimal`;
    out.push(parseInt(p, 16));
  }
  return undefined;
}

function formatIpv6(v: bigint): string {
  const groups: number[] = new Array<number>(8);
  for (let i = 7; i >= 0; i--) {
    groups[i] = Number(v & 0xffffn);
    v >>= 16n;
  }
  // IPv4-mapped: RFC 5952 section 5 recommends the dotted tail.
  if (groups[0] === 0 && groups[1] === 0 && groups[2] === 0 && groups[3] === 0 && groups[4] === 0 && groups[5] === 0xffff) {
    const g6 = groups[6] as number;
    const g7 = groups[7] as number;
    return `::ffff:${g6 >>> 8}.${g6 & 255}.${g7 >>> 8}.${g7 & 255}`;
  }
  // Longest run of >= 2 zero groups; the first one wins a tie (RFC 5952 4.2.3).
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (gs: number[]): string => gs.map((g) => g.toString(16)).join(':');
  if (bestStart === -1) return hex(groups);
  return `${hex(groups.slice(0, bestStart))}::${hex(groups.slice(bestStart + bestLen))}`;
}
