import type { IdentifyTarget } from '../service-identity.js';
import { withBudget, type HandshakeBudget } from './handshake-budget.js';
import { printable, withConnection, type HandshakeConnection } from './handshake-connection.js';
import { handshakeIdentity } from './handshake-identity.js';
import type { HandshakeOptions, HandshakeResult } from './handshake-types.js';

/** AuthenticationRequest codes (protocol 3.0, message 'R'). */
export const PG_AUTH_METHODS: Readonly<Record<number, string>> = {
  0: 'trust',
  2: 'kerberos-v5',
  3: 'cleartext-password',
  5: 'md5',
  6: 'scm-credential',
  7: 'gss',
  9: 'sspi',
  10: 'sasl',
};

export interface PgError {
  readonly severity?: string;
  readonly code?: string;
  readonly message?: string;
  /** Server source file/line/routine: a version fingerprint, as nmap uses it. */
  readonly file?: string;
  readonly line?: string;
  readonly routine?: string;
}

export interface PostgresqlFacts {
  /** Answer to SSLRequest: 'S' yes, 'N' no; undefined when there was none. */
  readonly sslSupported?: boolean;
  /** The authentication the server asked for: trust, md5, sasl, cleartext-password... */
  readonly authMethod?: string;
  /** SASL mechanisms offered (SCRAM-SHA-256...). */
  readonly saslMechanisms?: readonly string[];
  /** ParameterStatus values, sent only when no authentication was asked for (trust). */
  readonly parameters?: Readonly<Record<string, string>>;
  readonly serverVersion?: string;
  /** The ErrorResponse to the startup message (no pg_hba entry, unknown database...). */
  readonly error?: PgError;
  /** The user and database named in the startup message. */
  readonly startupUser: string;
}

export const PG_STARTUP_USER = 'trawl';
const SSL_REQUEST = Buffer.from([0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f]);
const MAX_MESSAGE = 8192;

export function pgStartupMessage(user = PG_STARTUP_USER): Buffer {
  const body = Buffer.from(`user\0${user}\0database\0${user}\0application_name\0trawl\0\0`, 'utf8');
  const head = Buffer.alloc(8);
  head.writeUInt32BE(8 + body.length, 0);
  head.writeUInt32BE(196608, 4); // protocol 3.0
  return Buffer.concat([head, body]);
}

export async function postgresqlHandshake(target: IdentifyTarget, opts: HandshakeOptions): Promise<HandshakeResult<PostgresqlFacts> | undefined> {
  return withBudget(opts, (b) => postgresqlWithBudget(target, b));
}

/** SSLRequest on one connection, StartupMessage on another; never authenticates. */
export async function postgresqlWithBudget(target: IdentifyTarget, budget: HandshakeBudget): Promise<HandshakeResult<PostgresqlFacts> | undefined> {
  const ssl = await withConnection(target, budget, undefined, async (c) => {
    c.write(SSL_REQUEST);
    if ((await c.fill((b) => b.length >= 1)) !== 'until') return undefined;
    const answer = c.buffer[0];
    return answer === 0x53 ? true : answer === 0x4e ? false : 'other';
  });
  // Anything but S/N (or silence) in answer to an SSLRequest is not PostgreSQL.
  if (ssl === 'other' || (ssl === undefined && budget.exhausted)) return undefined;
  const startup = await withConnection(target, budget, undefined, (c) => startupExchange(c));
  // A lone 'S' or 'N' proves little (a banner may start with one); a PostgreSQL server always
  // answers the startup message with an authentication request or an error.
  if (startup === undefined) return undefined;
  const facts: PostgresqlFacts = {
    ...(ssl !== undefined ? { sslSupported: ssl } : {}),
    ...startup,
    startupUser: PG_STARTUP_USER,
  };
  const version = /^(\d+(?:\.\d+)*)/.exec(facts.serverVersion ?? '')?.[1];
  return {
    identity: handshakeIdentity({
      name: 'postgresql',
      product: 'PostgreSQL',
      version,
      extrainfo: facts.authMethod !== undefined ? `auth ${facts.authMethod}` : undefined,
      facts: { postgresql: facts },
    }),
    facts,
  };
}

type StartupFacts = Omit<PostgresqlFacts, 'sslSupported' | 'startupUser'>;

async function readMessage(conn: HandshakeConnection): Promise<{ type: string; body: Buffer } | undefined> {
  if ((await conn.fill((b) => b.length >= 5)) !== 'until') return undefined;
  const len = conn.buffer.readUInt32BE(1);
  if (len < 4 || len > MAX_MESSAGE) return undefined;
  if ((await conn.fill((b) => b.length >= 1 + len)) !== 'until') return undefined;
  const m = conn.consume(1 + len);
  return { type: String.fromCharCode(m[0]!), body: m.subarray(5) };
}

async function startupExchange(conn: HandshakeConnection): Promise<StartupFacts | undefined> {
  conn.write(pgStartupMessage());
  const first = await readMessage(conn);
  if (first === undefined) return undefined;
  if (first.type === 'E') return { error: parseError(first.body) };
  if (first.type !== 'R' || first.body.length < 4) return undefined;
  const code = first.body.readUInt32BE(0);
  const authMethod = PG_AUTH_METHODS[code] ?? `unknown-${code}`;
  if (code === 10) {
    const saslMechanisms = first.body.subarray(4).toString('latin1').split('\0').filter((s) => s !== '').slice(0, 10);
    return { authMethod, saslMechanisms };
  }
  if (code !== 0) return { authMethod };
  // Trust: the server goes on with ParameterStatus messages up to ReadyForQuery; then Terminate.
  const parameters: Record<string, string> = {};
  for (let i = 0; i < 64; i++) {
    const m = await readMessage(conn);
    if (m === undefined || m.type === 'Z' || m.type === 'E') break;
    if (m.type === 'S') {
      const [k, v] = m.body.toString('utf8').split('\0');
      if (k !== undefined && v !== undefined && /^[a-z_]{1,64}$/.test(k)) parameters[k] = v.slice(0, 256);
    }
  }
  conn.write(Buffer.from([0x58, 0, 0, 0, 4]));
  const serverVersion = parameters['server_version'];
  return { authMethod, parameters, ...(serverVersion !== undefined ? { serverVersion } : {}) };
}

export function parseError(body: Buffer): PgError {
  const fields: Record<string, string> = {};
  let off = 0;
  while (off < body.length && body[off] !== 0) {
    const type = String.fromCharCode(body[off]!);
    const end = body.indexOf(0, off + 1);
    if (end < 0) break;
    fields[type] = printable(body.subarray(off + 1, end), 512);
    off = end + 1;
  }
  const pick = (k: string): string | undefined => fields[k];
  const e: Record<string, string> = {};
  const map: [string, keyof PgError][] = [['V', 'severity'], ['C', 'code'], ['M', 'message'], ['F', 'file'], ['L', 'line'], ['R', 'routine']];
  for (const [k, name] of map) {
    const v = pick(k) ?? (k === 'V' ? pick('S') : undefined);
    if (v !== undefined) e[name] = v;
  }
  return e as PgError;
}
