import { isIPv4, isIPv6 } from 'node:net';
import { TrawlError } from '../errors/trawl-error.js';

/** Longest address text accepted (a full IPv6 address with an IPv4 tail and a zone id fits well inside). */
const MAX_IP_TEXT = 100;
const MAX_ZONE = 64;

/**
 * A text key whose plain string order is numeric address order, so every SQL dialect sorts it the same
 * way with a simple `order by`: `4` + 8 hex digits for IPv4, `6` + 32 hex digits for IPv6 (all IPv4
 * before all IPv6), lower-case, fixed width. A zone id (`fe80::1%eth0`) is appended after `%`, keeping
 * the same address on two links distinct while sorting them next to each other.
 * Equal keys mean the same address, whatever the spelling (`::1` and `0:0::1`).
 */
export function ipSortKey(ip: string): string {
  if (typeof ip !== 'string' || ip.length === 0 || ip.length > MAX_IP_TEXT) throw badIp(ip);
  if (isIPv4(ip)) return `4${ipv4Hex(ip)}`;
  const pct = ip.indexOf('%');
  const addr = pct < 0 ? ip : ip.slice(0, pct);
  const zone = pct < 0 ? '' : ip.slice(pct + 1);
  if (pct >= 0 && (zone.length === 0 || zone.length > MAX_ZONE || !/^[\w.-]+$/.test(zone))) throw badIp(ip);
  if (!isIPv6(addr)) throw badIp(ip);
  return `6${ipv6Hex(addr)}${zone ? `%${zone}` : ''}`;
}

function ipv4Hex(ip: string): string {
  return ip.split('.').map((o) => Number(o).toString(16).padStart(2, '0')).join('');
}

/** `addr` has already passed `isIPv6`, so the shape checks here only split and pad. */
function ipv6Hex(addr: string): string {
  let text = addr.toLowerCase();
  const lastColon = text.lastIndexOf(':');
  const tail = text.slice(lastColon + 1);
  if (tail.includes('.')) {
    const hex = ipv4Hex(tail);
    text = `${text.slice(0, lastColon + 1)}${hex.slice(0, 4)}:${hex.slice(4)}`;
  }
  const halves = text.split('::');
  const head = halves[0] ? halves[0].split(':') : [];
  const rest = halves.length > 1 && halves[1] ? halves[1].split(':') : [];
  const zeros = halves.length > 1 ? new Array<string>(8 - head.length - rest.length).fill('0') : [];
  const groups = [...head, ...zeros, ...rest];
  if (groups.length !== 8) throw badIp(addr);
  return groups.map((g) => g.padStart(4, '0')).join('');
}

function badIp(ip: unknown): TrawlError {
  const shown = typeof ip === 'string' ? JSON.stringify(ip.slice(0, MAX_IP_TEXT)) : String(ip);
  return new TrawlError('TRAWL_E_BAD_TARGET', `${shown} is not an IPv4 or IPv6 address`, { value: shown });
}
