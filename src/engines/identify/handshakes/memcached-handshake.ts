import type { IdentifyTarget } from '../service-identity.js';
import { withBudget, type HandshakeBudget } from './handshake-budget.js';
import { printable, withConnection, type HandshakeConnection } from './handshake-connection.js';
import { handshakeIdentity } from './handshake-identity.js';
import type { HandshakeOptions, HandshakeResult } from './handshake-types.js';
import { readLine, readLinesUntil } from './line-reply.js';

export interface MemcachedFacts {
  readonly version?: string;
  readonly authRequired: boolean;
  /** 'ascii' = token auth of the text protocol (-Y), 'sasl' = binary SASL (-S). */
  readonly authMode?: 'ascii' | 'sasl';
  /** Which protocol answered: the text one, or the binary one after the text one was refused. */
  readonly protocol: 'text' | 'binary';
  /** A few `stats` values that describe the server (pid, uptime, threads, limits...). */
  readonly stats?: Readonly<Record<string, string>>;
  readonly saslMechanisms?: readonly string[];
  readonly reply: string;
}

const STAT_KEYS = new Set(['pid', 'uptime', 'version', 'libevent', 'pointer_size', 'threads', 'curr_connections', 'max_connections', 'curr_items', 'total_items', 'limit_maxbytes', 'evictions']);

export async function memcachedHandshake(target: IdentifyTarget, opts: HandshakeOptions): Promise<HandshakeResult<MemcachedFacts> | undefined> {
  return withBudget(opts, (b) => memcachedWithBudget(target, b));
}

/** The text protocol first; when it is refused outright, the binary protocol on a new connection. */
export async function memcachedWithBudget(target: IdentifyTarget, budget: HandshakeBudget): Promise<HandshakeResult<MemcachedFacts> | undefined> {
  let closedEarly = false;
  const text = await withConnection(target, budget, undefined, async (c) => {
    const r = await memcachedOverConnection(c);
    closedEarly = r === undefined && c.ended === 'closed';
    return r;
  });
  if (text !== undefined || !closedEarly || budget.exhausted) return text;
  return withConnection(target, budget, undefined, (c) => memcachedBinary(c));
}

export async function memcachedOverConnection(conn: HandshakeConnection): Promise<HandshakeResult<MemcachedFacts> | undefined> {
  conn.write('version\r\n');
  const reply = await readLine(conn);
  if (reply === undefined) return undefined;
  let version: string | undefined;
  let authRequired = false;
  let stats: Record<string, string> | undefined;
  const v = /^VERSION (\S{1,64})/.exec(reply);
  if (v !== null) {
    version = v[1]!;
    conn.write('stats\r\n');
    const lines = await readLinesUntil(conn, (l) => l === 'END' || /ERROR/.test(l));
    if (lines !== undefined && /ERROR/.test(lines[lines.length - 1] ?? '')) authRequired = /auth/i.test(lines.join(' '));
    else if (lines !== undefined) stats = pickStats(lines);
  } else if (/^CLIENT_ERROR .*auth/i.test(reply)) {
    authRequired = true;
  } else {
    return undefined;
  }
  conn.write('quit\r\n');
  const facts: MemcachedFacts = {
    ...(version !== undefined ? { version } : {}),
    authRequired,
    ...(authRequired ? { authMode: 'ascii' as const } : {}),
    protocol: 'text',
    ...(stats !== undefined ? { stats } : {}),
    reply: printable(Buffer.from(reply, 'latin1'), 256),
  };
  return result(facts);
}

function pickStats(lines: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const l of lines) {
    const m = /^STAT (\S+) (.{0,128})/.exec(l);
    if (m !== null && STAT_KEYS.has(m[1]!)) out[m[1]!] = m[2]!;
  }
  return out;
}

function binaryRequest(opcode: number): Buffer {
  const b = Buffer.alloc(24);
  b[0] = 0x80;
  b[1] = opcode;
  b.writeUInt32BE(0x7472776c, 12); // opaque "trwl"
  return b;
}

/** Binary protocol: VERSION (0x0b), then SASL list mechanisms (0x20), which SASL servers answer before auth. */
async function memcachedBinary(conn: HandshakeConnection): Promise<HandshakeResult<MemcachedFacts> | undefined> {
  const read = async (): Promise<{ status: number; body: Buffer } | undefined> => {
    if ((await conn.fill((b) => b.length >= 24)) !== 'until' || conn.buffer[0] !== 0x81) return undefined;
    const bodyLen = conn.buffer.readUInt32BE(8);
    if (bodyLen > 4096) return undefined;
    if ((await conn.fill((b) => b.length >= 24 + bodyLen)) !== 'until') return undefined;
    const p = conn.consume(24 + bodyLen);
    return { status: p.readUInt16BE(6), body: p.subarray(24 + p[4]! + p.readUInt16BE(2)) };
  };
  conn.write(binaryRequest(0x0b));
  const ver = await read();
  if (ver === undefined) return undefined;
  conn.write(binaryRequest(0x20));
  const mechs = await read();
  const saslMechanisms = mechs?.status === 0 ? mechs.body.toString('latin1').split(/\s+/).filter((s) => s !== '').slice(0, 20) : undefined;
  // 0x20 = authentication error.
  const authRequired = ver.status === 0x20 || saslMechanisms !== undefined;
  const facts: MemcachedFacts = {
    ...(ver.status === 0 ? { version: ver.body.toString('latin1').slice(0, 64) } : {}),
    authRequired,
    ...(authRequired ? { authMode: 'sasl' as const } : {}),
    protocol: 'binary',
    ...(saslMechanisms !== undefined ? { saslMechanisms } : {}),
    reply: `binary status 0x${ver.status.toString(16)}`,
  };
  return result(facts);
}

function result(facts: MemcachedFacts): HandshakeResult<MemcachedFacts> {
  return {
    identity: handshakeIdentity({ name: 'memcached', product: 'Memcached', version: facts.version, extrainfo: facts.authRequired ? 'authentication required' : undefined, facts: { memcached: facts } }),
    facts,
  };
}
