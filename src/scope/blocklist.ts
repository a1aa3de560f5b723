/**
 * The default blocklist: IANA special-purpose ranges that are not globally reachable
 * (iana-ipv4-special-registry, iana-ipv6-special-registry). Probing them from a broad target is at
 * best wasted work and at worst traffic to someone's private network, so they are cut out of a target
 * unless the user named them: a blocked range B is removed from a target range T unless T lies
 * entirely inside B. `127.0.0.1`, `198.19.0.0/20` and `10.1.2.0/24` are therefore kept, while
 * `0.0.0.0/0` loses all of these.
 */
import { parseIp } from './ip-address.js';
import type { AddressRange } from './range-set.js';

export interface BlockedRange {
  readonly range: AddressRange;
  /** CIDR and purpose, e.g. '127.0.0.0/8 loopback'. */
  readonly name: string;
}

function entry(cidr: string, purpose: string): BlockedRange {
  const [addr, len] = cidr.split('/') as [string, string];
  const a = parseIp(addr);
  if (a === undefined) throw new Error(`bad blocklist entry ${cidr}`);
  const bits = a.family === 4 ? 32n : 128n;
  const hostBits = bits - BigInt(len);
  const first = (a.value >> hostBits) << hostBits;
  return Object.freeze({
    range: Object.freeze({ family: a.family, first, last: first + (1n << hostBits) - 1n }),
    name: `${cidr} ${purpose}`,
  });
}

export const specialPurposeRanges: readonly BlockedRange[] = Object.freeze([
  // IPv4 (RFC 6890 and successors). 255.255.255.255/32 sits inside 240/4 on purpose: naming 240/4 does
  // not name the limited-broadcast address.
  entry('0.0.0.0/8', '"this network"'),
  entry('10.0.0.0/8', 'private-use'),
  entry('100.64.0.0/10', 'shared address space (CGNAT)'),
  entry('127.0.0.0/8', 'loopback'),
  entry('169.254.0.0/16', 'link-local'),
  entry('172.16.0.0/12', 'private-use'),
  entry('192.0.0.0/24', 'IETF protocol assignments'),
  entry('192.0.2.0/24', 'documentation (TEST-NET-1)'),
  entry('192.88.99.0/24', 'deprecated 6to4 relay anycast'),
  entry('192.168.0.0/16', 'private-use'),
  entry('198.18.0.0/15', 'benchmarking'),
  entry('198.51.100.0/24', 'documentation (TEST-NET-2)'),
  entry('203.0.113.0/24', 'documentation (TEST-NET-3)'),
  entry('224.0.0.0/4', 'multicast'),
  entry('240.0.0.0/4', 'reserved'),
  entry('255.255.255.255/32', 'limited broadcast'),
  // IPv6
  entry('::/128', 'unspecified address'),
  entry('::1/128', 'loopback'),
  entry('::ffff:0:0/96', 'IPv4-mapped'),
  entry('64:ff9b:1::/48', 'IPv4-IPv6 translation (local-use)'),
  entry('100::/64', 'discard-only'),
  entry('2001::/23', 'IETF protocol assignments'),
  entry('2001:db8::/32', 'documentation'),
  entry('3fff::/20', 'documentation'),
  entry('5f00::/16', 'segment routing (SRv6) SIDs'),
  entry('fc00::/7', 'unique-local'),
  entry('fe80::/10', 'link-local unicast'),
  entry('ff00::/8', 'multicast'),
]);

export interface BlocklistCut {
  /** What remains of the target, ascending. */
  readonly kept: readonly AddressRange[];
  /** The pieces removed, each with the blocked range that removed it (nested entries may overlap). */
  readonly removed: ReadonlyArray<{ readonly range: AddressRange; readonly by: BlockedRange }>;
}

/** Applies the blocklist rule to one target range as the user wrote it. */
export function applyBlocklist(target: AddressRange, list: readonly BlockedRange[] = specialPurposeRanges): BlocklistCut {
  // A single address that touches a blocked range lies inside it: always named explicitly.
  if (target.first === target.last) return { kept: [target], removed: [] };
  const cutting: BlockedRange[] = [];
  for (const b of list) {
    const r = b.range;
    if (r.family !== target.family || r.last < target.first || r.first > target.last) continue;
    if (r.first <= target.first && target.last <= r.last) continue; // T inside B: the user named it
    cutting.push(b);
  }
  if (cutting.length === 0) return { kept: [target], removed: [] };
  cutting.sort((x, y) => (x.range.first < y.range.first ? -1 : x.range.first > y.range.first ? 1 : 0));
  const kept: AddressRange[] = [];
  const removed: Array<{ range: AddressRange; by: BlockedRange }> = [];
  let cur = target.first;
  let done = false;
  for (const b of cutting) {
    const lo = b.range.first > target.first ? b.range.first : target.first;
    const hi = b.range.last < target.last ? b.range.last : target.last;
    removed.push({ range: { family: target.family, first: lo, last: hi }, by: b });
    if (done) continue;
    if (lo > cur) kept.push({ family: target.family, first: cur, last: lo - 1n });
    if (hi >= target.last) done = true;
    else if (hi + 1n > cur) cur = hi + 1n;
  }
  if (!done) kept.push({ family: target.family, first: cur, last: target.last });
  return { kept, removed };
}
