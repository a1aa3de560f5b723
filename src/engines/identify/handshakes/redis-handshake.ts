import { type HandshakeConnection, oneConnectionHandshake, printable } from './handshake-connection.js';
import { handshakeIdentity, linuxHint } from './handshake-identity.js';
import type { HandshakeResult } from './handshake-types.js';
import { readLine } from './line-reply.js';

export interface RedisFacts {
  /** The reply to PING: "+PONG", "-NOAUTH Authentication required." ... */
  readonly pingReply: string;
  /** NOAUTH: a password (or ACL user) is needed before any command. */
  readonly authRequired: boolean;
  /** DENIED: protected mode refuses clients that are not on loopback. */
  readonly protectedMode: boolean;
  readonly version?: string;
  readonly mode?: string;
  readonly os?: string;
  /** The INFO server section's fields (at most 64). */
  readonly info?: Readonly<Record<string, string>>;
  /** Why INFO gave nothing (NOPERM, not RESP...). */
  readonly infoError?: string;
  readonly implicitTls: boolean;
}

const PING = '*1\r\n$4\r\nPING\r\n';
const INFO_SERVER = '*2\r\n$4\r\nINFO\r\n$6\r\nserver\r\n';

const redisEntry = oneConnectionHandshake(redisOverConnection);
export const redisHandshake = redisEntry.handshake;
export const redisWithBudget = redisEntry.withBudget;

/**
 * PING, then INFO server when no password is needed. A server in protected mode greets with -DENIED
 * before any command, so an error already buffered is read before PING is sent.
 */
export async function redisOverConnection(conn: HandshakeConnection): Promise<HandshakeResult<RedisFacts> | undefined> {
  if (conn.buffer.length === 0) conn.write(PING);
  const reply = await readLine(conn);
  if (reply === undefined || !/^(\+PONG|-(NOAUTH|DENIED|ERR|WRONGPASS|NOPERM)\b)/.test(reply)) return undefined;
  const authRequired = reply.startsWith('-NOAUTH') || reply.startsWith('-WRONGPASS');
  const protectedMode = reply.startsWith('-DENIED');
  let info: Record<string, string> | undefined;
  let infoError: string | undefined;
  if (reply.startsWith('+PONG')) {
    conn.write(INFO_SERVER);
    const r = await readBulk(conn);
    if (typeof r === 'string') infoError = r;
    else info = parseInfo(r);
  }
  const facts: RedisFacts = {
    pingReply: printable(Buffer.from(reply, 'latin1'), 256),
    authRequired,
    protectedMode,
    ...(info?.['redis_version'] !== undefined ? { version: info['redis_version'] } : {}),
    ...(info?.['redis_mode'] !== undefined ? { mode: info['redis_mode'] } : {}),
    ...(info?.['os'] !== undefined ? { os: info['os'] } : {}),
    ...(info !== undefined ? { info } : {}),
    ...(infoError !== undefined ? { infoError } : {}),
    implicitTls: conn.tlsSocket !== undefined,
  };
  return {
    identity: handshakeIdentity({
      name: 'redis',
      product: 'Redis key-value store',
      version: facts.version,
      ostype: facts.os !== undefined && linuxHint(facts.os) ? 'Linux' : undefined,
      tunnel: facts.implicitTls ? 'ssl' : undefined,
      facts: { redis: facts },
    }),
    facts,
  };
}

/** Reads one RESP bulk string; a string return says why there is none. */
async function readBulk(conn: HandshakeConnection): Promise<Buffer | string> {
  const head = await readLine(conn);
  if (head === undefined) return 'no reply to INFO';
  if (head.startsWith('-')) return printable(Buffer.from(head, 'latin1'), 256);
  const m = /^\$(\d{1,9})$/.exec(head);
  if (m === null) return 'INFO reply is not a bulk string';
  const n = Number(m[1]);
  const end = await conn.fill((b) => b.length >= n + 2);
  // A truncated INFO is still worth parsing: the version comes first.
  return conn.consume(end === 'until' ? n : conn.buffer.length);
}

export function parseInfo(data: Buffer): Record<string, string> {
  const out: Record<string, string> = {};
  let count = 0;
  for (const line of data.toString('latin1').split(/\r?\n/)) {
    if (line.startsWith('#') || !line.includes(':')) continue;
    const i = line.indexOf(':');
    const key = line.slice(0, i);
    if (!/^[a-z0-9_]{1,64}$/.test(key)) continue;
    out[key] = line.slice(i + 1, i + 1 + 256);
    if (++count >= 64) break;
  }
  return out;
}
