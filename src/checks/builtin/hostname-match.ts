/**
 * Does a server certificate name the host we connected to? RFC 6125 / RFC 9525 rules as browsers and
 * Node apply them: a DNS name is matched against the DNS subjectAltNames (a wildcard only as the whole
 * left-most label, never matching a bare parent or across dots); the subject CN is consulted only when
 * the certificate has no DNS SAN at all (the legacy fallback). An IP address matches only an
 * IP-address SAN, never a CN. Names compare case-insensitively, a trailing dot ignored.
 */
import { parseIp, sameAddress } from '../../scope/ip-address.js';

export interface NameMatch {
  readonly matches: boolean;
  /** The certificate names that were compared (DNS SANs, IP SANs, or the CN). */
  readonly compared: readonly string[];
  readonly via: 'dns-san' | 'ip-san' | 'cn' | 'none';
}

function norm(name: string): string {
  return name.toLowerCase().replace(/\.$/, '');
}

/** One DNS pattern against one host name (both already normalised). */
export function dnsNameMatches(pattern: string, host: string): boolean {
  if (pattern === host) return true;
  if (!pattern.startsWith('*.')) return false;
  const suffix = pattern.slice(1); // ".example.com"
  // The wildcard stands for exactly one non-empty label, and needs at least two labels after it.
  if (suffix.split('.').filter((l) => l !== '').length < 2 || suffix.includes('*')) return false;
  if (!host.endsWith(suffix)) return false;
  const label = host.slice(0, host.length - suffix.length);
  return label !== '' && !label.includes('.');
}

export function certificateNameMatch(connectedTo: string, sans: readonly string[], subjectCn: string | undefined): NameMatch {
  const ip = parseIp(connectedTo);
  if (ip !== undefined) {
    const ipSans = sans.filter((s) => s.startsWith('IP Address:')).map((s) => s.slice('IP Address:'.length).trim());
    const matches = ipSans.some((s) => {
      const a = parseIp(s);
      return a !== undefined && sameAddress(a, ip);
    });
    return { matches, compared: ipSans, via: ipSans.length > 0 ? 'ip-san' : 'none' };
  }
  const host = norm(connectedTo);
  const dnsSans = sans.filter((s) => s.startsWith('DNS:')).map((s) => norm(s.slice(4).trim()));
  if (dnsSans.length > 0) return { matches: dnsSans.some((p) => dnsNameMatches(p, host)), compared: dnsSans, via: 'dns-san' };
  if (subjectCn !== undefined && subjectCn !== '') {
    const cn = norm(subjectCn);
    return { matches: dnsNameMatches(cn, host), compared: [cn], via: 'cn' };
  }
  return { matches: false, compared: [], via: 'none' };
}
