/**
 * One target expression → an address range or a hostname to resolve. Accepted forms:
 * `1.2.3.4`, `2001:db8::1`, `[::1]`, CIDR (`10.0.0.7/24` means the whole /24, like nmap),
 * full-address ranges `a-b`, nmap's last-octet range `10.0.0.1-20`, and RFC 1123 hostnames.
 * Errors say what is wrong so a typo in line 40,000 of a file can be found.
 */
import { TrawlError, type TrawlErrorCode } from '../errors/index.js';
import { parseIpVerbose, type IpAddress } from './ip-address.js';
import type { AddressRange } from './range-set.js';

export type ParsedTarget =
  | { kind: 'range'; text: string; range: AddressRange }
  | { kind: 'hostname'; text: string; name: string };

/** Longest accepted expression: two full IPv6 addresses and a dash, or a 253-char name with a dot. */
const MAX_TARGET_TEXT = 254;

export function parseTarget(text: string, where?: string): ParsedTarget {
  return parseWith(text, where, 'TRAWL_E_BAD_TARGET', 'target');
}

/** Same syntax as a target; errors are TRAWL_E_BAD_EXCLUDE. */
export function parseExclude(text: string, where?: string): ParsedTarget {
  return parseWith(text, where, 'TRAWL_E_BAD_EXCLUDE', 'exclusion');
}

function parseWith(raw: string, where: string | undefined, code: TrawlErrorCode, noun: string): ParsedTarget {
  const text = raw.trim();
  const r = parseOrReason(text);
  if (typeof r === 'string') {
    const shown = text.length > 80 ? `${text.slice(0, 77)}...` : text;
    throw new TrawlError(code, `invalid ${noun} "${shown}"${where ? ` (${where})` : ''}: ${r}`, { value: shown, ...(where ? { where } : {}) });
  }
  return r;
}

function parseOrReason(text: string): ParsedTarget | string {
  if (text.length === 0) return 'empty target';
  if (text.length > MAX_TARGET_TEXT) return `too long (${text.length} characters)`;
  const slash = text.indexOf('/');
  if (slash !== -1) return parseCidr(text, slash);
  const dash = text.indexOf('-');
  if (dash !== -1) {
    // Host names have dashes too: it is a range when the left side is an address, or when it can only
    // have been meant as one (IPv6 colons, or digits and dots that do not form a valid name).
    const left = text.slice(0, dash);
    if (text.includes(':') || parseIpVerbose(left).ok) return parseDashRange(text, dash);
    if (/^[0-9.]+$/.test(left) && (looksNumeric(text) || hostnameProblem(text) !== undefined)) return parseDashRange(text, dash);
  }
  const ip = parseIpVerbose(text);
  if (ip.ok) return single(text, ip.address);
  // Names cannot contain ':' or '[' and cannot end in an all-numeric label, so such text was meant as an address.
  if (text.includes(':') || text.includes('[') || looksNumeric(text)) return ip.reason;
  const bad = hostnameProblem(text);
  if (bad !== undefined) return bad;
  return { kind: 'hostname', text, name: text.toLowerCase() };
}

function single(text: string, a: IpAddress): ParsedTarget {
  return { kind: 'range', text, range: { family: a.family, first: a.value, last: a.value } };
}

function parseCidr(text: string, slash: number): ParsedTarget | string {
  const addrText = text.slice(0, slash);
  const lenText = text.slice(slash + 1);
  const ip = parseIpVerbose(addrText);
  if (!ip.ok) return `CIDR address "${addrText}": ${ip.reason}`;
  const a = ip.address;
  const bits = a.family === 4 ? 32 : 128;
  if (!/^[0-9]{1,3}$/.test(lenText)) return `prefix length "${lenText}" is not a number`;
  const len = Number(lenText);
  if (len > bits) return `prefix length ${len} > ${bits}`;
  const host = BigInt(bits - len);
  const first = (a.value >> host) << host;
  return { kind: 'range', text, range: { family: a.family, first, last: first + (1n << host) - 1n } };
}

function parseDashRange(text: string, dash: number): ParsedTarget | string {
  const left = text.slice(0, dash);
  const right = text.slice(dash + 1);
  const lo = parseIpVerbose(left);
  if (!lo.ok) return `range start "${left}": ${lo.reason}`;
  if (right.length === 0) return 'range has no end';
  const a = lo.address;
  let last: bigint;
  if (a.family === 4 && /^[0-9]+$/.test(right)) {
    // nmap's 10.0.0.1-20: the end replaces the last octet.
    if (right.length > 1 && right.startsWith('0')) return `range end octet "${right}" has a leading zero`;
    const octet = Number(right);
    if (octet > 255) return `range end octet ${right} > 255`;
    last = (a.value & ~0xffn) | BigInt(octet);
  } else {
    const hi = parseIpVerbose(right);
    if (!hi.ok) return `range end "${right}": ${hi.reason}`;
    if (hi.address.family !== a.family) return `range mixes IPv${a.family} and IPv${hi.address.family}`;
    last = hi.address.value;
  }
  if (last < a.value) return `reversed range (end is before start)`;
  return { kind: 'range', text, range: { family: a.family, first: a.value, last } };
}

/** Digits and dots only, or a final all-numeric label (RFC 3696 2: TLDs are not numeric). */
function looksNumeric(text: string): boolean {
  const t = text.endsWith('.') ? text.slice(0, -1) : text;
  const lastLabel = t.slice(t.lastIndexOf('.') + 1);
  return /^[0-9]+$/.test(lastLabel);
}

/** RFC 1123 host name check; returns the reason or undefined when valid. */
export function hostnameProblem(text: string): string | undefined {
  const name = text.endsWith('.') ? text.slice(0, -1) : text;
  if (name.length === 0) return 'empty host name';
  if (name.length > 253) return `host name longer than 253 characters (${name.length})`;
  for (const label of name.split('.')) {
    if (label.length === 0) return 'host name has an empty label (consecutive dots)';
    if (label.length > 63) return `host name label "${label.slice(0, 20)}..." longer than 63 characters`;
    if (!/^[A-Za-z0-9-]+$/.test(label)) {
      const ch = /[^A-Za-z0-9-]/.exec(label)?.[0] ?? '?';
      return `character "${ch}" is not allowed in a host name`;
    }
    if (label.startsWith('-') || label.endsWith('-')) return `host name label "${label}" starts or ends with "-"`;
  }
  return undefined;
}
