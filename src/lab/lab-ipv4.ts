import { TrawlError } from '../errors/index.js';

/**
 * Just enough IPv4 arithmetic for the labs. The labs validate their own CIDRs (rather than using
 * scope/) so that the safety checks deciding where a lab may live have no dependency to drift.
 */
export interface Ipv4Cidr {
  /** Network address as an unsigned 32-bit integer. */
  readonly base: number;
  readonly prefix: number;
  /** Number of addresses, network and broadcast included. */
  readonly size: number;
  /** Canonical text, e.g. `127.77.0.0/24`. */
  readonly text: string;
}

const OCTET = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;

export function parseIpv4(text: string): number | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  let n = 0;
  for (const p of parts) {
    if (!OCTET.test(p)) return undefined;
    n = n * 256 + Number(p);
  }
  return n;
}

export function formatIpv4(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

/** Parses `a.b.c.d/len`; the address is masked to its network, so `127.77.0.9/24` means `127.77.0.0/24`. */
export function parseIpv4Cidr(text: string): Ipv4Cidr {
  const m = /^([0-9.]{7,15})\/(\d{1,2})$/.exec(text.trim());
  const addr = m?.[1] === undefined ? undefined : parseIpv4(m[1]);
  const prefix = m?.[2] === undefined ? NaN : Number(m[2]);
  if (addr === undefined || !(prefix >= 0 && prefix <= 32)) {
    throw new TrawlError('TRAWL_E_BAD_OPTION', `lab CIDR '${text}' is not of the form a.b.c.d/len`, { value: text });
  }
  const size = 2 ** (32 - prefix);
  const base = addr - (addr % size);
  return { base, prefix, size, text: `${formatIpv4(base)}/${prefix}` };
}

/** True when every address of `inner` lies inside `outer`. */
export function cidrWithin(inner: Ipv4Cidr, outer: Ipv4Cidr): boolean {
  return inner.base >= outer.base && inner.base + inner.size <= outer.base + outer.size;
}

export function cidrOverlaps(a: Ipv4Cidr, b: Ipv4Cidr): boolean {
  return a.base < b.base + b.size && b.base < a.base + a.size;
}

/** Host addresses: network and broadcast left out, except in /31 and /32 where every address is a host. */
export function cidrHosts(c: Ipv4Cidr): number[] {
  const out: number[] = [];
  const first = c.prefix >= 31 ? c.base : c.base + 1;
  const last = c.prefix >= 31 ? c.base + c.size - 1 : c.base + c.size - 2;
  for (let n = first; n <= last; n++) out.push(n);
  return out;
}

/** Numeric order for dotted quads, so truth lists read naturally. */
export function compareIpv4(a: string, b: string): number {
  return (parseIpv4(a) ?? 0) - (parseIpv4(b) ?? 0);
}
