import type { ServiceIdentity } from '../service-identity.js';

/**
 * Limits every handshake obeys. A handshake may open several connections (TLS version probes, HTTP
 * redirects, SMB dialect probes); `totalMs` and `maxBytes` cover all of them together, so a hostile
 * server costs at most that much time and memory per port.
 */
export interface HandshakeOptions {
  /** TCP (and TLS) connect timeout per connection. Default 3000 ms. */
  readonly connectTimeoutMs?: number;
  /** A read gives up after this much silence. Default 2000 ms. */
  readonly idleMs?: number;
  /** The whole handshake, every connection included, ends by then. Default 10000 ms. */
  readonly totalMs?: number;
  /** Bytes the handshake may read from the port in all, summed over its connections. Default 256 KiB. */
  readonly maxBytes?: number;
  /** Bytes one response (a banner, a header block, a packet) may take. Default 64 KiB. */
  readonly maxResponseBytes?: number;
  /** Cancels the handshake; its sockets are destroyed at once. */
  readonly signal?: AbortSignal;
  /** Called before every connect; throws to refuse an address (the scan's egress guard). */
  readonly guard?: (ip: string, family: 4 | 6) => void;
  /**
   * Implicit TLS: speak the protocol inside TLS from the first byte (https, ftps, smtps, pop3s, imaps,
   * redis over TLS). Ignored by handshakes for which it means nothing (tls, ssh, smb, postgresql...).
   */
  readonly tls?: boolean;
}

export interface HandshakeResult<T> {
  readonly identity: ServiceIdentity;
  readonly facts: T;
}

/** Options with every default filled in. */
export interface ResolvedHandshakeOptions {
  readonly connectTimeoutMs: number;
  readonly idleMs: number;
  readonly totalMs: number;
  readonly maxBytes: number;
  readonly maxResponseBytes: number;
  readonly signal: AbortSignal | undefined;
  readonly guard: ((ip: string, family: 4 | 6) => void) | undefined;
  readonly tls: boolean;
}

export const HANDSHAKE_DEFAULTS = {
  connectTimeoutMs: 3000,
  idleMs: 2000,
  totalMs: 10_000,
  maxBytes: 256 * 1024,
  maxResponseBytes: 64 * 1024,
} as const;

function positive(v: number | undefined, fallback: number): number {
  return v !== undefined && Number.isFinite(v) && v > 0 ? v : fallback;
}

export function resolveHandshakeOptions(opts: HandshakeOptions): ResolvedHandshakeOptions {
  return {
    connectTimeoutMs: positive(opts.connectTimeoutMs, HANDSHAKE_DEFAULTS.connectTimeoutMs),
    idleMs: positive(opts.idleMs, HANDSHAKE_DEFAULTS.idleMs),
    totalMs: positive(opts.totalMs, HANDSHAKE_DEFAULTS.totalMs),
    maxBytes: positive(opts.maxBytes, HANDSHAKE_DEFAULTS.maxBytes),
    maxResponseBytes: positive(opts.maxResponseBytes, HANDSHAKE_DEFAULTS.maxResponseBytes),
    signal: opts.signal,
    guard: opts.guard,
    tls: opts.tls ?? false,
  };
}
