import { TrawlError } from '../errors/index.js';
import { cidrHosts, cidrWithin, compareIpv4, formatIpv4, parseIpv4Cidr, type Ipv4Cidr } from './lab-ipv4.js';
import { labRandom } from './lab-random.js';
import { ftpService } from './services/ftp-service.js';
import { APACHE_DEFAULT, NGINX_PORTAL, httpService } from './services/http-service.js';
import { httpsService } from './services/https-service.js';
import type { LabService, RunningService, ServiceSpec } from './services/lab-service.js';
import { mysqlService } from './services/mysql-service.js';
import { postgresService } from './services/postgres-service.js';
import { redisService } from './services/redis-service.js';
import { smtpService } from './services/smtp-service.js';
import { DROPBEAR_2022, OPENSSH_DEBIAN12, sshService } from './services/ssh-service.js';

export type { LabService } from './services/lab-service.js';

/** An (address, port) pair; in `closed` one that nothing listens on, so the kernel answers RST. */
export interface LabEndpoint {
  readonly ip: string;
  readonly port: number;
}

export interface LoopbackLabOptions {
  /** Where the lab lives; must lie inside 127.0.0.0/8. Default 127.77.0.0/24. */
  readonly subnet?: string;
  /** Picks which addresses of the subnet hold which service. Default 1. */
  readonly seed?: number;
}

export interface LoopbackLab {
  /** Ground truth: every listening service, sorted by address then port. */
  readonly services: readonly LabService[];
  /** Pairs known to refuse: a few addresses with nothing on them, and an unused port of a live one. */
  readonly closed: readonly LabEndpoint[];
  readonly cidr: string;
  readonly seed: number;
  stop(): Promise<void>;
}

export const DEFAULT_LOOPBACK_SUBNET = '127.77.0.0/24';
export const DEFAULT_LAB_SEED = 1;

const LOOPBACK = parseIpv4Cidr('127.0.0.0/8');
const LAB_DOMAIN = 'lab.trawl.test';

/**
 * The services, on the ports an unprivileged lab can bind. Some sit on ports that usually mean
 * something else (plain HTTP on 9443, SSH on 8022), so a scanner that names services by port
 * number alone gets them wrong.
 */
function layout(): Array<{ port: number; spec: ServiceSpec }> {
  return [
    { port: 8080, spec: httpService(NGINX_PORTAL) },
    { port: 9443, spec: httpService(APACHE_DEFAULT) },
    { port: 8443, spec: httpsService({ ...NGINX_PORTAL, title: 'Trawl Lab - Secure Portal' }, `portal.${LAB_DOMAIN}`) },
    { port: 2222, spec: sshService(OPENSSH_DEBIAN12) },
    { port: 8022, spec: sshService(DROPBEAR_2022) },
    { port: 6379, spec: redisService({ version: '7.0.15' }) },
    { port: 6380, spec: redisService({ version: '7.0.15', requirePass: 'lab-secret' }) },
    { port: 2121, spec: ftpService() },
    { port: 2525, spec: smtpService(`mail.${LAB_DOMAIN}`) },
    { port: 3306, spec: mysqlService('8.0.36') },
    { port: 5433, spec: postgresService() },
  ];
}

/** Ports probed on the empty addresses: common service ports where a scanner must see RST. */
const CLOSED_PORTS = [8080, 2222, 6379];
const EMPTY_HOSTS = 3;

function checkSeed(seed: number): number {
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffff_ffff) {
    throw new TrawlError('TRAWL_E_BAD_SEED', `lab seed '${seed}' must be an integer in 0..4294967295`, { value: seed });
  }
  return seed;
}

export function checkLoopbackSubnet(subnet: string): Ipv4Cidr {
  const c = parseIpv4Cidr(subnet);
  if (!cidrWithin(c, LOOPBACK)) {
    throw new TrawlError('TRAWL_E_BAD_OPTION', `loopback lab subnet '${subnet}' is outside 127.0.0.0/8; the lab only lives on loopback`, { value: subnet });
  }
  if (c.prefix < 16) {
    throw new TrawlError('TRAWL_E_BAD_OPTION', `loopback lab subnet '${subnet}' is too large; use a /16 or smaller`, { value: subnet });
  }
  return c;
}

/** Where each service goes: a pure function of (subnet, seed), so `lab truth` is reproducible. */
function place(subnet: string, seed: number): { cidr: string; assigned: Array<{ ip: string; port: number; spec: ServiceSpec }>; closed: LabEndpoint[] } {
  const c = checkLoopbackSubnet(subnet);
  const services = layout();
  // 127.0.0.1 carries the machine's own daemons; a lab address there would mix them into the truth.
  const hosts = cidrHosts(c).filter((n) => formatIpv4(n) !== '127.0.0.1');
  const need = services.length + EMPTY_HOSTS;
  if (hosts.length < need) {
    throw new TrawlError('TRAWL_E_BAD_OPTION', `loopback lab subnet '${subnet}' has ${hosts.length} usable addresses; the lab needs ${need} (a /27 or larger)`, { value: subnet });
  }
  const picked = labRandom(seed).shuffle(hosts).slice(0, need).map(formatIpv4);
  const assigned = services.map((s, i) => ({ ip: picked[i] as string, port: s.port, spec: s.spec }));
  const closed: LabEndpoint[] = [];
  for (const ip of picked.slice(services.length)) for (const port of CLOSED_PORTS) closed.push({ ip, port });
  const web = assigned[0];
  if (web) closed.push({ ip: web.ip, port: web.port + 1 });
  return { cidr: c.text, assigned, closed };
}

function truthOf(ip: string, port: number, s: ServiceSpec): LabService {
  const out: { -readonly [K in keyof LabService]: LabService[K] } = { ip, port, name: s.name };
  if (s.product !== undefined) out.product = s.product;
  if (s.version !== undefined) out.version = s.version;
  if (s.banner !== undefined) out.banner = s.banner;
  if (s.title !== undefined) out.title = s.title;
  if (s.tls !== undefined) out.tls = s.tls;
  return out;
}

function byAddress(a: LabEndpoint, b: LabEndpoint): number {
  return compareIpv4(a.ip, b.ip) || a.port - b.port;
}

/**
 * Starts every service of the loopback lab on its own 127.x address. Linux routes all of 127/8 to
 * lo, so binding needs no root and no interface setup; every other address of the subnet answers
 * RST on every port, which is what scanners should report as closed.
 */
export async function startLoopbackLab(opts: LoopbackLabOptions = {}): Promise<LoopbackLab> {
  const seed = checkSeed(opts.seed ?? DEFAULT_LAB_SEED);
  const { cidr, assigned, closed } = place(opts.subnet ?? DEFAULT_LOOPBACK_SUBNET, seed);
  const results = await Promise.allSettled(assigned.map((a) => a.spec.start(a.ip, a.port)));
  const running = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) {
    await Promise.all(running.map((r) => r.close()));
    throw failed.reason instanceof Error ? failed.reason : new TrawlError('TRAWL_E_LAB', String(failed.reason));
  }
  let stopping: Promise<void> | undefined;
  return {
    services: assigned.map((a) => truthOf(a.ip, a.port, a.spec)).sort(byAddress),
    closed: closed.sort(byAddress),
    cidr,
    seed,
    stop: () => (stopping ??= Promise.all(running.map((r: RunningService) => r.close())).then(() => undefined)),
  };
}
