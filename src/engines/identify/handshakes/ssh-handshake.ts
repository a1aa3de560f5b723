import type { IdentifyTarget } from '../service-identity.js';
import { withBudget, type HandshakeBudget } from './handshake-budget.js';
import { hasLine, printable, withConnection, type HandshakeConnection } from './handshake-connection.js';
import { cpeFor, handshakeIdentity, linuxHint } from './handshake-identity.js';
import type { HandshakeOptions, HandshakeResult } from './handshake-types.js';

/** The server's SSH_MSG_KEXINIT, every name-list as sent (RFC 4253 §7.1). */
export interface SshKexinit {
  readonly cookie: string;
  readonly kex: readonly string[];
  readonly hostKey: readonly string[];
  readonly ciphersC2S: readonly string[];
  readonly ciphersS2C: readonly string[];
  readonly macsC2S: readonly string[];
  readonly macsS2C: readonly string[];
  readonly compressionC2S: readonly string[];
  readonly compressionS2C: readonly string[];
  readonly languagesC2S: readonly string[];
  readonly languagesS2C: readonly string[];
  readonly firstKexFollows: boolean;
}

export interface SshFacts {
  /** The identification line, without CRLF. */
  readonly banner: string;
  /** "2.0", "1.99", "1.5". */
  readonly protocol: string;
  /** "OpenSSH_9.2p1". */
  readonly software: string;
  /** "Debian-2+deb12u3", when the banner has one. */
  readonly comment?: string;
  /** Lines the server sent before its identification line (RFC 4253 §4.2 allows them). */
  readonly preBanner: readonly string[];
  readonly kexinit?: SshKexinit;
  /** Why there is no KEXINIT (SSH-1, closed, not a KEXINIT packet...). */
  readonly kexinitError?: string;
  /** kex-strict-s-v00@openssh.com offered: the Terrapin (CVE-2023-48795) countermeasure. */
  readonly strictKex: boolean;
  /** ext-info-s offered (RFC 8308). */
  readonly extInfo: boolean;
}

export const SSH_CLIENT_BANNER = 'SSH-2.0-Trawl_0.1';
const SSH_MSG_KEXINIT = 20;
/** RFC 4253 §6.1: implementations must handle packets of 35000 bytes; nothing larger is accepted. */
const MAX_PACKET = 35_000;
const MAX_PRE_BANNER_LINES = 20;

export async function sshHandshake(target: IdentifyTarget, opts: HandshakeOptions): Promise<HandshakeResult<SshFacts> | undefined> {
  return withBudget(opts, (b) => sshWithBudget(target, b));
}

export function sshWithBudget(target: IdentifyTarget, budget: HandshakeBudget): Promise<HandshakeResult<SshFacts> | undefined> {
  return withConnection(target, budget, undefined, (c) => sshOverConnection(c));
}

/** Runs the exchange on an open connection; the server's banner may already be in its buffer. */
export async function sshOverConnection(conn: HandshakeConnection): Promise<HandshakeResult<SshFacts> | undefined> {
  const preBanner: string[] = [];
  let banner: string | undefined;
  while (banner === undefined && preBanner.length <= MAX_PRE_BANNER_LINES) {
    const end = await conn.fill(hasLine);
    if (end !== 'until') return undefined;
    const nl = conn.buffer.indexOf(0x0a);
    const line = conn.consume(nl + 1).toString('latin1').replace(/\r?\n$/, '');
    if (line.startsWith('SSH-')) banner = line;
    else preBanner.push(printable(Buffer.from(line, 'latin1'), 255));
  }
  if (banner === undefined) return undefined;
  const m = /^SSH-(\d+\.\d+)-(\S+)(?: (.*))?$/.exec(banner);
  if (m === null) return undefined;
  const protocol = m[1]!;
  const software = m[2]!;
  const comment = m[3];

  let kexinit: SshKexinit | undefined;
  let kexinitError: string | undefined;
  if (protocol === '2.0' || protocol === '1.99') {
    conn.write(`${SSH_CLIENT_BANNER}\r\n`);
    const r = await readKexinit(conn);
    if (typeof r === 'string') kexinitError = r;
    else kexinit = r;
  } else {
    kexinitError = `protocol ${protocol} has no KEXINIT`;
  }

  const facts: SshFacts = {
    banner: printable(Buffer.from(banner, 'latin1'), 255),
    protocol,
    software,
    ...(comment !== undefined ? { comment } : {}),
    preBanner,
    ...(kexinit !== undefined ? { kexinit } : {}),
    ...(kexinitError !== undefined ? { kexinitError } : {}),
    strictKex: kexinit?.kex.includes('kex-strict-s-v00@openssh.com') ?? false,
    extInfo: kexinit?.kex.includes('ext-info-s') ?? false,
  };
  const product = sshProduct(software);
  // nmap folds a Debian/Ubuntu package revision into OpenSSH's version ("9.2p1 Debian 2+deb12u3");
  // say it the same way, so both methods name one server alike.
  const distro = product?.product === 'OpenSSH' && comment !== undefined ? /^(Debian|Ubuntu)-(\S+)$/.exec(comment) : null;
  const version = distro && product?.version ? `${product.version} ${distro[1]} ${distro[2]}` : product?.version;
  const extra = [comment !== undefined && !distro ? comment.replace(/-/, ' ') : undefined, `protocol ${protocol}`].filter((s) => s !== undefined);
  return {
    identity: handshakeIdentity({
      name: 'ssh',
      product: product?.product,
      version,
      // The CPE names the upstream release, as nmap's does.
      cpe: cpeFor(product?.product, product?.version),
      extrainfo: extra.join('; '),
      ostype: linuxHint(banner) ? 'Linux' : undefined,
      facts: { ssh: facts },
    }),
    facts,
  };
}

/** Product and version from the softwareversion field, for the implementations nmap names. */
export function sshProduct(software: string): { product: string; version?: string } | undefined {
  const rules: readonly [RegExp, string][] = [
    [/^OpenSSH_([\w.]+)/, 'OpenSSH'],
    [/^dropbear_([\w.]+)/i, 'Dropbear sshd'],
    [/^libssh[_-]([\w.]+)/, 'libssh'],
    [/^Cisco-([\w.]+)/, 'Cisco SSH'],
    [/^RomSShell_([\w.]+)/, 'Allegro RomSShell SSH'],
  ];
  for (const [re, product] of rules) {
    const m = re.exec(software);
    if (m !== null) return { product, version: m[1]! };
  }
  return undefined;
}

/** Reads binary packets until the KEXINIT (skipping IGNORE/DEBUG), or returns why it could not. */
async function readKexinit(conn: HandshakeConnection): Promise<SshKexinit | string> {
  for (let i = 0; i < 4; i++) {
    if ((await conn.fill((b) => b.length >= 5)) !== 'until') return `no binary packet (${conn.ended ?? 'timeout'})`;
    const len = conn.buffer.readUInt32BE(0);
    if (len < 12 || len > MAX_PACKET) return `implausible packet length ${len}`;
    const end = await conn.fill((b) => b.length >= 4 + len);
    if (end !== 'until') return `packet of ${len} bytes not received (${end})`;
    const packet = conn.consume(4 + len);
    const padding = packet[4]!;
    if (padding + 1 > len) return `padding length ${padding} exceeds packet`;
    const payload = packet.subarray(5, 4 + len - padding);
    if (payload[0] === SSH_MSG_KEXINIT) return parseKexinit(payload) ?? 'malformed KEXINIT';
    if (payload[0] !== 2 && payload[0] !== 4) return `first packet is message ${payload[0] ?? '?'}, not KEXINIT`;
  }
  return 'no KEXINIT among the first packets';
}

/** Parses a KEXINIT payload (starting with the message number); undefined when malformed. */
export function parseKexinit(payload: Buffer): SshKexinit | undefined {
  if (payload.length < 17 + 10 * 4 + 5 || payload[0] !== SSH_MSG_KEXINIT) return undefined;
  let off = 17;
  const lists: string[][] = [];
  for (let i = 0; i < 10; i++) {
    if (off + 4 > payload.length) return undefined;
    const n = payload.readUInt32BE(off);
    off += 4;
    if (n > payload.length - off) return undefined;
    const text = payload.subarray(off, off + n).toString('latin1');
    off += n;
    lists.push(text === '' ? [] : text.split(','));
  }
  if (off + 5 > payload.length) return undefined;
  const [kex, hostKey, cC2S, cS2C, mC2S, mS2C, zC2S, zS2C, lC2S, lS2C] = lists as [string[], string[], string[], string[], string[], string[], string[], string[], string[], string[]];
  return {
    cookie: payload.subarray(1, 17).toString('hex'),
    kex,
    hostKey,
    ciphersC2S: cC2S,
    ciphersS2C: cS2C,
    macsC2S: mC2S,
    macsS2C: mS2C,
    compressionC2S: zC2S,
    compressionS2C: zS2C,
    languagesC2S: lC2S,
    languagesS2C: lS2C,
    firstKexFollows: payload[off] !== 0,
  };
}
