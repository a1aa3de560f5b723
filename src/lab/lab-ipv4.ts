import { TrawlError } from '../errors/index.js';
import { ipv4ToString, parseIpv4 } from '../scope/ip-address.js';

/** Just enough IPv4 CIDR arithmetic for the labs, over scope/'s address parsing. */
export interface Ipv4Cidr {
  /** Network address as an unsigned 32-bit integer. */
  readonly base: number;
  readonly prefix: number;
  /** Number of addresses, network and broadcast included. */
  readonly size: number;
  /** Canonical text, e.g. `127.77.0.0/24`. */
  readonly text: string;
}

/** The scanner's own strict parsing and formatting: one definition of what an address is. */
export { parseIpv4, ipv4ToString as formatIpv4 } from '../scope/ip-address.js';

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
  return { base, prefix, size, text: `${ipv4ToString(base)}/${prefix}` };
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
