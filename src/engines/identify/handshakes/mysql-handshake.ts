import type { IdentifyTarget } from '../service-identity.js';
import { withBudget, type HandshakeBudget } from './handshake-budget.js';
import { printable, withConnection, type HandshakeConnection } from './handshake-connection.js';
import { handshakeIdentity } from './handshake-identity.js';
import type { HandshakeOptions, HandshakeResult } from './handshake-types.js';

/** Capability flags of the protocol-10 greeting that say something about the server. */
const CAPABILITIES: readonly [number, string][] = [
  [0x1, 'LONG_PASSWORD'],
  [0x8, 'CONNECT_WITH_DB'],
  [0x20, 'COMPRESS'],
  [0x200, 'PROTOCOL_41'],
  [0x800, 'SSL'],
  [0x8000, 'SECURE_CONNECTION'],
  [0x10000, 'MULTI_STATEMENTS'],
  [0x80000, 'PLUGIN_AUTH'],
  [0x100000, 'CONNECT_ATTRS'],
  [0x200000, 'PLUGIN_AUTH_LENENC_CLIENT_DATA'],
  [0x1000000, 'SESSION_TRACK'],
  [0x1000000 * 2, 'DEPRECATE_EOF'],
  [0x4000000, 'ZSTD_COMPRESSION'],
];

export interface MysqlFacts {
  readonly protocolVersion: number;
  readonly serverVersion?: string;
  readonly connectionId?: number;
  readonly capabilities?: number;
  readonly capabilityNames?: readonly string[];
  /** CLIENT_SSL offered: the session can be upgraded to TLS. */
  readonly tlsSupported?: boolean;
  readonly characterSet?: number;
  readonly statusFlags?: number;
  /** mysql_native_password, caching_sha2_password, ed25519... */
  readonly authPlugin?: string;
  /** An error packet instead of a greeting (host not allowed, too many connections...). */
  readonly error?: { readonly code: number; readonly sqlState?: string; readonly message: string };
}

export async function mysqlHandshake(target: IdentifyTarget, opts: HandshakeOptions): Promise<HandshakeResult<MysqlFacts> | undefined> {
  return withBudget(opts, (b) => mysqlWithBudget(target, b));
}

export function mysqlWithBudget(target: IdentifyTarget, budget: HandshakeBudget): Promise<HandshakeResult<MysqlFacts> | undefined> {
  return withConnection(target, budget, undefined, (c) => mysqlOverConnection(c));
}

/** Byte length of the first MySQL packet in `buf`, or -1 when incomplete. */
export function mysqlPacketLength(buf: Buffer): number {
  if (buf.length < 4) return -1;
  const n = buf.readUIntLE(0, 3);
  return buf.length >= 4 + n ? 4 + n : -1;
}

/** Reads the server's greeting and closes: nothing is sent, so nothing authenticates. */
export async function mysqlOverConnection(conn: HandshakeConnection): Promise<HandshakeResult<MysqlFacts> | undefined> {
  if ((await conn.fill((b) => b.length >= 4)) !== 'until') return undefined;
  const len = conn.buffer.readUIntLE(0, 3);
  // Greetings are small; a sequence number other than 0 is not a greeting.
  if (len < 3 || len > 1024 || conn.buffer[3] !== 0) return undefined;
  if ((await conn.fill((b) => mysqlPacketLength(b) >= 0)) !== 'until') return undefined;
  const facts = parseMysqlGreeting(conn.consume(4 + len).subarray(4));
  if (facts === undefined) return undefined;
  const product = mysqlProduct(facts.serverVersion);
  return {
    identity: handshakeIdentity({
      name: 'mysql',
      product: product?.product,
      version: product?.version,
      extrainfo: facts.error !== undefined ? `error ${facts.error.code}` : undefined,
      facts: { mysql: facts },
    }),
    facts,
  };
}

export function parseMysqlGreeting(p: Buffer): MysqlFacts | undefined {
  if (p[0] === 0xff) {
    if (p.length < 3) return undefined;
    const code = p.readUInt16LE(1);
    const hasState = p[3] === 0x23; // '#'
    const sqlState = hasState ? p.subarray(4, 9).toString('latin1') : undefined;
    const message = printable(p.subarray(hasState ? 9 : 3), 512);
    return { protocolVersion: 0, error: { code, ...(sqlState !== undefined ? { sqlState } : {}), message } };
  }
  if (p[0] !== 10) return undefined;
  const nul = p.indexOf(0, 1);
  if (nul < 0 || nul > 100) return undefined;
  const serverVersion = p.subarray(1, nul).toString('latin1');
  if (!/^[\x20-\x7e]+$/.test(serverVersion)) return undefined;
  let off = nul + 1;
  if (off + 4 + 8 + 1 + 2 > p.length) return { protocolVersion: 10, serverVersion };
  const connectionId = p.readUInt32LE(off);
  off += 4 + 8 + 1; // connection id, auth-plugin-data part 1, filler
  let capabilities = p.readUInt16LE(off);
  off += 2;
  let characterSet: number | undefined;
  let statusFlags: number | undefined;
  let authPlugin: string | undefined;
  if (off + 16 <= p.length) {
    characterSet = p[off]!;
    statusFlags = p.readUInt16LE(off + 1);
    capabilities = (capabilities | (p.readUInt16LE(off + 3) << 16)) >>> 0;
    const authDataLen = p[off + 5]!;
    off += 16; // charset, status, caps high, auth data length, 10 reserved
    if (capabilities & 0x8000) off += Math.max(13, authDataLen - 8);
    if (capabilities & 0x80000 && off < p.length) {
      const end = p.indexOf(0, off);
      authPlugin = p.subarray(off, end < 0 ? p.length : end).toString('latin1').slice(0, 64);
    }
  }
  return {
    protocolVersion: 10,
    serverVersion,
    connectionId,
    capabilities,
    capabilityNames: CAPABILITIES.filter(([bit]) => (capabilities & bit) !== 0).map(([, n]) => n),
    tlsSupported: (capabilities & 0x800) !== 0,
    ...(characterSet !== undefined ? { characterSet } : {}),
    ...(statusFlags !== undefined ? { statusFlags } : {}),
    ...(authPlugin !== undefined && authPlugin !== '' ? { authPlugin } : {}),
  };
}

/** "5.5.5-10.11.6-MariaDB-0+deb12u1" is MariaDB 10.11.6 (the 5.5.5- prefix is for old clients). */
export function mysqlProduct(serverVersion: string | undefined): { product: string; version: string } | undefined {
  if (serverVersion === undefined) return undefined;
  const maria = /^(?:5\.5\.5-)?(\d+\.\d+\.\d+)-MariaDB/i.exec(serverVersion);
  if (maria !== null) return { product: 'MariaDB', version: maria[1]! };
  const my = /^(\d+\.\d+\.\d+)/.exec(serverVersion);
  return my !== null ? { product: 'MySQL', version: my[1]! } : undefined;
}
