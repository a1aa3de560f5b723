/**
 * Opens TCP/TLS connections for templates. Every connection goes to an IP address the caller
 * already resolved, after the egress guard approved it; names are only ever sent as SNI or Host.
 * TLS never verifies certificates (a scanner must talk to self-signed and expired services) and
 * allows legacy protocol versions and ciphers (@SECLEVEL=0) so old services can be assessed.
 */
import { isIP, connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect, type SecureVersion, type TLSSocket } from 'node:tls';
import { TrawlError } from '../../../errors/trawl-error.js';

export type Guard = (ip: string, family: 4 | 6) => void;

export interface ConnectOptions {
  readonly ip: string;
  readonly port: number;
  readonly tls: boolean;
  /** SNI name (never an IP literal, per RFC 6066). */
  readonly servername?: string;
  readonly guard: Guard;
  readonly timeoutMs: number;
  readonly signal?: AbortSignal;
  readonly minVersion?: SecureVersion;
  readonly maxVersion?: SecureVersion;
}

export function familyOf(ip: string): 4 | 6 {
  const f = isIP(ip);
  if (f === 0) throw new TrawlError('TRAWL_E_BAD_TARGET', `not an IP address: ${JSON.stringify(ip)}`, { value: ip });
  return f as 4 | 6;
}

/**
 * Why an exchange failed, which decides what the failure means for the run:
 * refused — no connection (refused, reset or unreachable before TCP connected);
 * timeout — the peer stayed silent past a connect, idle or total deadline;
 * protocol — the peer answered, but not in the protocol spoken (not HTTP, a TLS alert, closed early).
 */
export type FailureKind = 'refused' | 'timeout' | 'protocol';

export class ConnectFailure extends Error {
  readonly kind: FailureKind;

  constructor(message: string, kind: FailureKind) {
    super(message);
    this.kind = kind;
  }
}

/** How an exchange that ended without reporting (hard deadline, abort, guard refusal) is counted. */
export const CUT_OFF = new ConnectFailure('exchange cut off', 'timeout');

/** Connects (TLS handshake included) or rejects with ConnectFailure; guard refusals propagate as TrawlError. */
export function connectWire(o: ConnectOptions): Promise<Socket | TLSSocket> {
  o.guard(o.ip, familyOf(o.ip));
  if (!Number.isInteger(o.port) || o.port < 1 || o.port > 65535) throw new TrawlError('TRAWL_E_BAD_TARGET', `port ${o.port} out of range`, { value: o.port });
  return new Promise((resolve, reject) => {
    if (o.signal?.aborted) return reject(new TrawlError('TRAWL_E_INTERRUPTED', 'check run aborted'));
    let sock: Socket | TLSSocket;
    let settled = false;
    const done = (err?: Error): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      o.signal?.removeEventListener('abort', onAbort);
      if (err) {
        sock.destroy();
        reject(err);
      } else resolve(sock);
    };
    // Stays attached: a late socket error must never become an uncaught exception.
    let tcpUp = false;
    const onError = (e: Error): void => done(new ConnectFailure(e.message, tcpUp ? 'protocol' : 'refused'));
    const onAbort = (): void => done(new TrawlError('TRAWL_E_INTERRUPTED', 'check run aborted'));
    if (o.tls) {
      const sni = o.servername !== undefined && isIP(o.servername) === 0 ? o.servername : undefined;
      sock = tlsConnect({
        host: o.ip,
        port: o.port,
        ...(sni !== undefined ? { servername: sni } : {}),
        rejectUnauthorized: false,
        minVersion: o.minVersion ?? 'TLSv1',
        ...(o.maxVersion ? { maxVersion: o.maxVersion } : {}),
        ciphers: 'DEFAULT:@SECLEVEL=0',
      });
      sock.once('secureConnect', () => done());
    } else {
      sock = netConnect({ host: o.ip, port: o.port });
      sock.once('connect', () => done());
    }
    sock.once('connect', () => {
      tcpUp = true;
    });
    sock.on('error', onError);
    const timer = setTimeout(() => done(new ConnectFailure(tcpUp ? `TLS handshake timed out after ${o.timeoutMs} ms` : `connect timed out after ${o.timeoutMs} ms`, 'timeout')), o.timeoutMs);
    o.signal?.addEventListener('abort', onAbort, { once: true });
  });
}
