import type { IdentifyTarget, ServiceIdentity } from '../service-identity.js';
import { HandshakeBudget } from '../handshakes/handshake-budget.js';
import { HandshakeConnection, isDialError, printable, type TlsDial } from '../handshakes/handshake-connection.js';
import { handshakeIdentity } from '../handshakes/handshake-identity.js';
import { resolveHandshakeOptions, type HandshakeOptions, type HandshakeResult } from '../handshakes/handshake-types.js';
import { ftpOverConnection, ftpWithBudget } from '../handshakes/ftp-handshake.js';
import { httpExchange, httpFollowAndDescribe, httpOrigin } from '../handshakes/http-handshake.js';
import { httpResponseComplete, parseHttpResponse, type HttpResponse } from '../handshakes/http-response.js';
import { imapOverConnection, imapWithBudget } from '../handshakes/imap-handshake.js';
import { memcachedWithBudget } from '../handshakes/memcached-handshake.js';
import { mqttWithBudget } from '../handshakes/mqtt-handshake.js';
import { mysqlOverConnection, mysqlWithBudget } from '../handshakes/mysql-handshake.js';
import { pop3OverConnection, pop3WithBudget } from '../handshakes/pop3-handshake.js';
import { postgresqlWithBudget } from '../handshakes/postgresql-handshake.js';
import { redisOverConnection, redisWithBudget } from '../handshakes/redis-handshake.js';
import { smbWithBudget } from '../handshakes/smb-handshake.js';
import { smtpOverConnection, smtpWithBudget } from '../handshakes/smtp-handshake.js';
import { sshOverConnection, sshWithBudget } from '../handshakes/ssh-handshake.js';
import { tlsWithBudget, type TlsFacts } from '../handshakes/tls-handshake.js';
import { classifyFirstPacket, firstPacketReady, type FirstPacketClass } from './first-packet.js';
import { clientHello, isTlsRecord } from './tls-client-hello.js';

export interface CascadeOptions {
  /** How long to wait for a server-first banner before probing. Default 1500 ms. */
  readonly bannerWaitMs?: number;
  /** Offer each TLS version alone when TLS is found. Default true. */
  readonly probeTlsVersions?: boolean;
  /** Offer each SMB2 dialect alone when SMB is found. Default true. */
  readonly enumerateSmbDialects?: boolean;
  /**
   * Try the client-first binary protocols (Redis, Memcached, MQTT, SMB, PostgreSQL) when all else is
   * silent: side by side, one connection each, the first in order of likelihood that succeeds wins.
   * Default true.
   */
  readonly clientFirstProbes?: boolean;
}

/** The whole-target default is longer than one handshake's: the cascade may run several. */
export const CASCADE_DEFAULT_TOTAL_MS = 20_000;
/**
 * Silence after a probe ends the read sooner than in a lone handshake: a server that speaks the
 * protocol answers at once, and the cascade pays this wait for every probe a service ignores.
 */
export const CASCADE_DEFAULT_IDLE_MS = 1000;
const DEFAULT_BANNER_WAIT_MS = 1500;

type Outcome = HandshakeResult<unknown> | undefined;
type ClientFirst = 'redis' | 'memcached' | 'mqtt' | 'microsoft-ds' | 'postgresql';

/** Usual ports of the client-first protocols: only the order of the last-resort probes depends on them. */
const CLIENT_FIRST_PORTS: Readonly<Record<ClientFirst, readonly number[]>> = {
  redis: [6379, 6380, 16379, 26379],
  memcached: [11211],
  mqtt: [1883, 8883],
  // On 139 the SMB handshake opens a NetBIOS session first and names the service netbios-ssn.
  'microsoft-ds': [445, 139],
  postgresql: [5432, 5433],
};

/**
 * Says what listens on an open port from the first packets, whatever the port: a server-first banner
 * (SSH, FTP, SMTP, POP3, IMAP, MySQL, Redis errors...), else the answer to a TLS ClientHello, else to
 * an HTTP GET, else the client-first binary protocols. The matching handshake then runs and its facts
 * come back keyed by protocol; `facts.cascade` records the path taken. Undefined when nothing answered.
 */
export async function identifyByHandshake(target: IdentifyTarget, opts: HandshakeOptions & CascadeOptions): Promise<ServiceIdentity | undefined> {
  const resolved = resolveHandshakeOptions({ ...opts, totalMs: opts.totalMs ?? CASCADE_DEFAULT_TOTAL_MS, idleMs: opts.idleMs ?? CASCADE_DEFAULT_IDLE_MS });
  const budget = new HandshakeBudget(resolved);
  const started = performance.now();
  const steps: string[] = [];
  try {
    const r = await cascade(target, budget, opts, steps);
    if (r === undefined) return undefined;
    return { ...r, facts: { ...(r.facts ?? {}), cascade: { steps, elapsedMs: Math.round(performance.now() - started) } } };
  } finally {
    budget.dispose();
  }
}

async function cascade(target: IdentifyTarget, budget: HandshakeBudget, opts: CascadeOptions, steps: string[]): Promise<ServiceIdentity | undefined> {
  const bannerWait = opts.bannerWaitMs ?? DEFAULT_BANNER_WAIT_MS;
  const hints: FirstPacketClass[] = [];
  let closedSilently = 0;

  // 1. Server-first: wait briefly for a banner.
  const first = await HandshakeConnection.open(target, budget);
  if (isDialError(first)) {
    steps.push(`connect:${first.failure}`);
    return undefined;
  }
  let probeConn: HandshakeConnection | undefined = first;
  try {
    await first.fill(firstPacketReady, bannerWait);
    if (first.buffer.length > 0) {
      const kind = classifyFirstPacket(first.buffer);
      steps.push(`banner:${kind}`);
      return await dispatchServerFirst(kind, first, target, budget);
    }
    if (first.peerClosed) {
      steps.push('banner:closed');
      closedSilently++;
      first.close();
      probeConn = undefined;
    } else {
      steps.push('banner:none');
    }

    // 2. TLS ClientHello, on the silent connection when it is still open.
    if (budget.exhausted) return undefined;
    if (probeConn === undefined) {
      const c = await HandshakeConnection.open(target, budget);
      if (isDialError(c)) return undefined;
      probeConn = c;
    }
    probeConn.write(clientHello(target.hostname));
    await probeConn.fill((b) => isTlsRecord(b) || firstPacketReady(b));
    const answer = probeConn.buffer;
    if (isTlsRecord(answer)) {
      steps.push('client-hello:tls');
      probeConn.close();
      return await insideTls(target, budget, opts, steps, bannerWait);
    }
    if (answer.length > 0) {
      const kind = classifyFirstPacket(answer);
      steps.push(`client-hello:${kind}`);
      hints.push(kind);
    } else {
      steps.push(probeConn.peerClosed ? 'client-hello:closed' : 'client-hello:none');
      if (probeConn.peerClosed) closedSilently++;
    }
  } finally {
    probeConn?.close();
    first.close();
  }

  // 3. HTTP GET (a late banner or an HTTP 400 to the ClientHello leads straight to its handshake).
  const late = hints[0];
  if (late !== undefined && late !== 'unknown' && late !== 'http' && late !== 'redis' && late !== 'memcached') {
    const r = await dispatchFresh(late, target, budget);
    if (r !== undefined) return r;
  }
  if (budget.exhausted) return undefined;
  const http = await plainHttp(target, budget, steps, hints);
  if (http !== undefined) return http.identity;
  if (steps[steps.length - 1] === 'http:closed') closedSilently++;

  // 4. Client-first binary protocols, the ones the answers or the port suggest first.
  if (opts.clientFirstProbes !== false && !budget.exhausted) {
    // Settled up front, so a probe that throws (the egress guard) cannot become an unhandled rejection.
    const runs = clientFirstOrder(target.port, hints).map((proto) => {
      const child = budget.child();
      const done = clientFirst(proto, target, child, opts)
        .then((r) => ({ r, error: undefined }), (error: unknown) => ({ r: undefined, error }))
        .finally(() => child.dispose());
      return { proto, child, done };
    });
    try {
      for (const run of runs) {
        const { r, error } = await run.done;
        if (error !== undefined) throw error;
        steps.push(`probe:${run.proto}:${r !== undefined ? 'yes' : 'no'}`);
        if (r !== undefined) return r.identity;
      }
    } finally {
      for (const other of runs) other.child.dispose();
      await Promise.all(runs.map((x) => x.done));
    }
  }
  if (closedSilently >= 3) return handshakeIdentity({ name: 'tcpwrapped', confidence: 8, facts: {} });
  return undefined;
}

function clientFirstOrder(port: number, hints: readonly FirstPacketClass[]): ClientFirst[] {
  const all: ClientFirst[] = ['redis', 'memcached', 'mqtt', 'microsoft-ds', 'postgresql'];
  const score = (p: ClientFirst): number => (hints.includes(p as FirstPacketClass) ? 0 : CLIENT_FIRST_PORTS[p].includes(port) ? 1 : 2);
  return [...all].sort((a, b) => score(a) - score(b));
}

function clientFirst(proto: ClientFirst, target: IdentifyTarget, budget: HandshakeBudget, opts: CascadeOptions): Promise<Outcome> {
  switch (proto) {
    case 'redis':
      return redisWithBudget(target, budget);
    case 'memcached':
      return memcachedWithBudget(target, budget);
    case 'mqtt':
      return mqttWithBudget(target, budget);
    case 'microsoft-ds':
      return smbWithBudget(target, budget, { enumerateDialects: opts.enumerateSmbDialects ?? true });
    case 'postgresql':
      return postgresqlWithBudget(target, budget);
  }
}

/** Runs the handshake a banner points to on the connection that carries it. */
async function dispatchServerFirst(kind: FirstPacketClass, conn: HandshakeConnection, target: IdentifyTarget, budget: HandshakeBudget, dial?: TlsDial): Promise<ServiceIdentity | undefined> {
  // New connections for this service go the same way as `conn`: plain, or TLS with the same settings.
  const tlsDial: TlsDial | undefined = conn.tlsSocket !== undefined ? (dial ?? {}) : undefined;
  const fresh = <T>(fn: (c: HandshakeConnection) => Promise<T | undefined>): Promise<T | undefined> => freshConnection(target, budget, tlsDial, fn);
  let r: Outcome;
  switch (kind) {
    case 'ssh':
      r = await sshOverConnection(conn);
      break;
    case 'ftp':
      r = await ftpOverConnection(conn);
      break;
    case 'smtp':
      r = await smtpOverConnection(conn);
      break;
    case 'ftp-or-smtp':
      // EHLO answered with 250 is decisive for SMTP; an FTP server refuses it, then gets its own try.
      r = (await smtpOverConnection(conn)) ?? (await fresh((c) => ftpOverConnection(c)));
      break;
    case 'pop3':
      r = await pop3OverConnection(conn);
      break;
    case 'imap':
      r = await imapOverConnection(conn);
      break;
    case 'mysql':
      r = await mysqlOverConnection(conn);
      break;
    case 'redis':
      r = await redisOverConnection(conn);
      break;
    case 'http': {
      // A response nobody asked for: it is the first page; the rest goes through fresh requests.
      const limit = budget.opts.maxResponseBytes;
      await conn.fill((b) => httpResponseComplete(b, limit));
      const first = parseHttpResponse(conn.buffer, limit, conn.ended === 'closed');
      if (first !== undefined) r = await describeHttp(target, budget, first, tlsDial);
      break;
    }
    default:
      r = undefined;
  }
  if (r !== undefined) return r.identity;
  const banner = printable(conn.buffer.length > 0 ? conn.buffer : Buffer.alloc(0), 512);
  if (kind === 'vnc') return handshakeIdentity({ name: 'vnc', confidence: 8, facts: { vnc: { banner } } });
  return handshakeIdentity({ name: 'unknown', confidence: 0, facts: { banner: { text: banner, class: kind } } });
}

/** A late banner seen in answer to a probe: its handshake on a new connection. */
async function dispatchFresh(kind: FirstPacketClass, target: IdentifyTarget, budget: HandshakeBudget): Promise<ServiceIdentity | undefined> {
  const byKind: Partial<Record<FirstPacketClass, () => Promise<Outcome>>> = {
    ssh: () => sshWithBudget(target, budget),
    ftp: () => ftpWithBudget(target, budget),
    smtp: () => smtpWithBudget(target, budget),
    'ftp-or-smtp': async () => (await smtpWithBudget(target, budget)) ?? (await ftpWithBudget(target, budget)),
    pop3: () => pop3WithBudget(target, budget),
    imap: () => imapWithBudget(target, budget),
    mysql: () => mysqlWithBudget(target, budget),
  };
  return (await byKind[kind]?.())?.identity;
}

async function freshConnection<T>(target: IdentifyTarget, budget: HandshakeBudget, tlsDial: TlsDial | undefined, fn: (c: HandshakeConnection) => Promise<T | undefined>): Promise<T | undefined> {
  const c = await HandshakeConnection.open(target, budget, tlsDial);
  if (isDialError(c)) return undefined;
  try {
    return await fn(c);
  } finally {
    c.close();
  }
}

/** Follows redirects and fetches the favicon from a first response, over `dial` (TLS or not). */
function describeHttp(target: IdentifyTarget, budget: HandshakeBudget, first: HttpResponse, dial: TlsDial | undefined): Promise<HandshakeResult<unknown>> {
  const tls = dial !== undefined;
  const origin = httpOrigin(target, tls);
  const limit = budget.opts.maxResponseBytes;
  const get = (path: string): Promise<HttpResponse | undefined> => freshConnection(target, budget, dial, (c) => httpExchange(c, path, origin.host, limit));
  return httpFollowAndDescribe(budget, {}, first, new URL('/', origin.base), get, { ...origin, tls });
}

/** Plain HTTP GET; the answer, when not HTTP, becomes a hint for the binary probes. */
async function plainHttp(target: IdentifyTarget, budget: HandshakeBudget, steps: string[], hints: FirstPacketClass[]): Promise<HandshakeResult<unknown> | undefined> {
  const origin = httpOrigin(target, false);
  const bodyLimit = budget.opts.maxResponseBytes;
  const conn = await HandshakeConnection.open(target, budget);
  if (isDialError(conn)) return undefined;
  let first: HttpResponse | undefined;
  try {
    first = await httpExchange(conn, '/', origin.host, bodyLimit);
    if (first === undefined) {
      const kind = conn.buffer.length > 0 ? classifyFirstPacket(conn.buffer) : undefined;
      steps.push(kind !== undefined ? `http:${kind}` : conn.peerClosed ? 'http:closed' : 'http:none');
      if (kind !== undefined) hints.push(kind);
      return undefined;
    }
  } finally {
    conn.close();
  }
  steps.push('http:http');
  return describeHttp(target, budget, first, undefined);
}

/** TLS found: the TLS facts, then what speaks inside (a banner, else HTTP). */
async function insideTls(target: IdentifyTarget, budget: HandshakeBudget, opts: CascadeOptions, steps: string[], bannerWait: number): Promise<ServiceIdentity | undefined> {
  const tls = await tlsWithBudget(target, budget, { probeVersions: opts.probeTlsVersions ?? true });
  if (tls === undefined) {
    steps.push('tls:handshake-failed');
    // It answered our ClientHello with a TLS record, yet no TLS session could be made with it.
    return handshakeIdentity({ name: 'ssl', confidence: 5, facts: { tls: { handshakeFailed: true } } });
  }
  steps.push(`tls:${tls.facts.protocol ?? '?'}`);
  const tlsFacts: TlsFacts = tls.facts;
  const httpAlpn = tlsFacts.alpn === 'h2' || tlsFacts.alpn === 'http/1.1';
  const inner = await innerService(target, budget, steps, httpAlpn ? 0 : bannerWait, tlsFacts.legacyOnly);
  if (inner === undefined) {
    // TLS and nothing we know inside: say so, with the TLS facts.
    return tls.identity.name === 'http' ? tls.identity : handshakeIdentity({ name: 'ssl', facts: { tls: tlsFacts } });
  }
  return { ...inner, tunnel: 'ssl', facts: { tls: tlsFacts, ...(inner.facts ?? {}) } };
}

async function innerService(target: IdentifyTarget, budget: HandshakeBudget, steps: string[], bannerWait: number, legacy: boolean): Promise<ServiceIdentity | undefined> {
  const dial: TlsDial = { alpn: ['http/1.1'], ...(legacy ? { minVersion: 'TLSv1' as const, ciphers: 'DEFAULT:@SECLEVEL=0' } : {}) };
  const conn = await HandshakeConnection.open(target, budget, dial);
  if (isDialError(conn)) return undefined;
  const origin = httpOrigin(target, true);
  const bodyLimit = budget.opts.maxResponseBytes;
  let first: HttpResponse | undefined;
  try {
    if (bannerWait > 0) {
      await conn.fill(firstPacketReady, bannerWait);
      if (conn.buffer.length > 0) {
        const kind = classifyFirstPacket(conn.buffer);
        steps.push(`tls-banner:${kind}`);
        return await dispatchServerFirst(kind, conn, target, budget, dial);
      }
    }
    first = await httpExchange(conn, '/', origin.host, bodyLimit);
    steps.push(first !== undefined ? 'tls-http:http' : 'tls-http:none');
    if (first === undefined) return undefined;
  } finally {
    conn.close();
  }
  return (await describeHttp(target, budget, first, dial)).identity;
}
