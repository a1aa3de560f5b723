import { TrawlError } from '../errors/index.js';
import { cidrHosts, cidrOverlaps, cidrWithin, formatIpv4, parseIpv4Cidr, type Ipv4Cidr } from './lab-ipv4.js';
import { labRandom } from './lab-random.js';

/** Ground truth of a namespace field: who is alive, who drops instead of resetting, what is open. */
export interface NetnsLabTruth {
  readonly cidr: string;
  readonly seed: number;
  /** Live hosts: they answer ICMP echo, and TCP on every port (SYN-ACK, or RST unless firewalled). */
  readonly alive: readonly string[];
  /** Live hosts that silently drop what is not open, instead of answering RST. */
  readonly firewalled: readonly string[];
  /** Open TCP ports per live host (every live host has at least one). */
  readonly open: Readonly<Record<string, readonly number[]>>;
  /** The field's port list: every port any host may have open; what a benchmark scans. */
  readonly ports: readonly number[];
}

export interface FieldPlanOptions {
  readonly cidr: string;
  readonly seed: number;
  /** Fraction of addresses that are live hosts. */
  readonly alive: number;
  /** Fraction of live hosts that are firewalled. */
  readonly firewalled: number;
}

/**
 * Ports open on live hosts, weighted roughly by how common they are on the internet, so a field
 * looks like a real one: many web and SSH servers, a long tail of databases and remote desktops.
 */
export const FIELD_PORT_WEIGHTS: Readonly<Record<number, number>> = {
  80: 40, 443: 35, 22: 30, 8080: 8, 21: 6, 8443: 6, 25: 5, 3389: 5, 3306: 4, 53: 4, 445: 3, 23: 3, 8000: 3,
  5432: 2, 6379: 2, 139: 2, 110: 2, 143: 2, 993: 2, 995: 2, 587: 2, 5900: 2, 2222: 2, 8888: 2,
  1723: 1, 27017: 1, 9200: 1, 11211: 1, 10000: 1, 1433: 1,
};

export const FIELD_PORTS: readonly number[] = Object.keys(FIELD_PORT_WEIGHTS).map(Number).sort((a, b) => a - b);

export const DEFAULT_FIELD_CIDR = '198.19.0.0/22';
/** The veth link between the namespaces; a field may not overlap it. */
export const LINK_CIDR = '198.18.0.0/24';
/** RFC 2544 benchmarking range: the only place a namespace field may live (see scripts/run-tests.js). */
const BENCHMARK = parseIpv4Cidr('198.18.0.0/15');

export function checkFieldCidr(text: string): Ipv4Cidr {
  const c = parseIpv4Cidr(text);
  if (!cidrWithin(c, BENCHMARK) || cidrOverlaps(c, parseIpv4Cidr(LINK_CIDR))) {
    throw new TrawlError('TRAWL_E_BAD_OPTION', `namespace lab field '${text}' must lie inside 198.18.0.0/15 and outside the link ${LINK_CIDR}`, { value: text });
  }
  if (c.prefix < 16) {
    throw new TrawlError('TRAWL_E_BAD_OPTION', `namespace lab field '${text}' is too large; use a /16 or smaller`, { value: text });
  }
  return c;
}

function checkFraction(name: string, v: number): number {
  if (!(Number.isFinite(v) && v >= 0 && v <= 1)) {
    throw new TrawlError('TRAWL_E_BAD_OPTION', `namespace lab --${name} '${v}' must be a fraction between 0 and 1`, { value: v });
  }
  return v;
}

/** Weighted sampling of `k` distinct ports. */
function pickPorts(rnd: ReturnType<typeof labRandom>, k: number): number[] {
  const pool = FIELD_PORTS.map((p) => ({ p, w: FIELD_PORT_WEIGHTS[p] ?? 1 }));
  const out: number[] = [];
  while (out.length < k && pool.length > 0) {
    const total = pool.reduce((s, x) => s + x.w, 0);
    let r = rnd.next() * total;
    let i = 0;
    for (; i < pool.length - 1; i++) {
      r -= (pool[i] as { w: number }).w;
      if (r < 0) break;
    }
    out.push((pool[i] as { p: number }).p);
    pool.splice(i, 1);
  }
  return out.sort((a, b) => a - b);
}

/** The field as a pure function of its options: the same seed always gives the same network. */
export function planField(o: FieldPlanOptions): NetnsLabTruth {
  const c = checkFieldCidr(o.cidr);
  if (!Number.isInteger(o.seed) || o.seed < 0 || o.seed > 0xffff_ffff) {
    throw new TrawlError('TRAWL_E_BAD_SEED', `lab seed '${o.seed}' must be an integer in 0..4294967295`, { value: o.seed });
  }
  const aliveFrac = checkFraction('alive', o.alive);
  const fwFrac = checkFraction('firewalled', o.firewalled);
  const rnd = labRandom(o.seed);
  const alive: string[] = [];
  const firewalled: string[] = [];
  const open: Record<string, number[]> = {};
  for (const n of cidrHosts(c)) {
    if (rnd.next() >= aliveFrac) continue;
    const ip = formatIpv4(n);
    alive.push(ip);
    // Most hosts expose one or two ports, a few many: 1 + a capped exponential.
    open[ip] = pickPorts(rnd, 1 + Math.min(Math.floor(rnd.exp(0.7)), 6));
    if (rnd.next() < fwFrac) firewalled.push(ip);
  }
  return { cidr: c.text, seed: o.seed, alive, firewalled, open, ports: FIELD_PORTS };
}

/** Ports some host has open: the listener serves exactly these. */
export function listenedPorts(t: NetnsLabTruth): number[] {
  return [...new Set(Object.values(t.open).flat())].sort((a, b) => a - b);
}

/**
 * The nftables ruleset of the field side. Everything is decided in the input hook of trawl-net:
 * open pairs reach the listener, live hosts answer ping, live unfirewalled hosts reset the rest,
 * and everything else addressed to the field is dropped (silence).
 */
export function nftRuleset(t: NetnsLabTruth, table = 'trawl_lab'): string {
  const fw = new Set(t.firewalled);
  const rst = t.alive.filter((ip) => !fw.has(ip));
  const pairs = Object.entries(t.open).flatMap(([ip, ports]) => ports.map((p) => `${ip} . ${p}`));
  const elements = (xs: readonly string[]): string => (xs.length > 0 ? ` elements = { ${xs.join(', ')} }` : '');
  return [
    `table inet ${table} {`,
    `  set open { type ipv4_addr . inet_service; size 1048576;${elements(pairs)} }`,
    `  set live { type ipv4_addr; size 1048576;${elements(t.alive)} }`,
    `  set rst { type ipv4_addr; size 1048576;${elements(rst)} }`,
    '  chain input {',
    '    type filter hook input priority 0; policy accept;',
    '    iifname "lo" accept',
    `    ip daddr != ${t.cidr} accept`,
    '    ip daddr . tcp dport @open accept',
    '    ip daddr @live icmp type echo-request accept',
    '    ip daddr @rst meta l4proto tcp reject with tcp reset',
    '    ip daddr @rst meta l4proto udp reject',
    '    drop',
    '  }',
    '}',
    '',
  ].join('\n');
}
