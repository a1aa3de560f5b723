/**
 * The one way checks touch the network: connections opened under a handshake budget bounded by the
 * check run's remaining time, its abort signal and the egress guard, each one first waiting for the
 * per-host rate limit. Reads are the identify stage's bounded reads, so a hostile service costs a
 * check no more than it costs identification.
 */
import net from 'node:net';
import { HandshakeBudget } from '../engines/identify/handshakes/handshake-budget.js';
import { HandshakeConnection, isDialError, type DialError, type TlsDial } from '../engines/identify/handshakes/handshake-connection.js';
import { resolveHandshakeOptions } from '../engines/identify/handshakes/handshake-types.js';
import { httpExchange, httpOrigin } from '../engines/identify/handshakes/http-handshake.js';
import type { HttpResponse } from '../engines/identify/handshakes/http-response.js';
import { LEGACY_CIPHERS } from '../engines/identify/handshakes/tls-handshake.js';
import type { IdentifyTarget, ServiceIdentity } from '../engines/identify/service-identity.js';
import type { CheckContext, CheckTarget } from './check.js';
import { factsOf, overTls } from './identity-facts.js';

export interface CheckIoLimits {
  /** Silence that ends a read. Default 2000 ms. */
  readonly idleMs?: number;
  /** Bytes one response may take. Default 64 KiB. */
  readonly maxResponseBytes?: number;
  /** Bytes all of this budget's connections may read together. Default 256 KiB. */
  readonly maxBytes?: number;
}

export function identifyTarget(t: CheckTarget): IdentifyTarget {
  return { ip: t.ip, port: t.port, family: net.isIPv6(t.ip) ? 6 : 4, ...(t.hostname !== undefined ? { hostname: t.hostname } : {}) };
}

/**
 * Grace beyond the run's time left: the run's own signal is the time limit (it aborts the budget), so
 * the runner can tell a run that ran out of time from one that finished.
 */
const BUDGET_GRACE_MS = 100;

/** A budget that ends with the check run (its signal, its time left) and carries its guard. */
export function checkBudget(ctx: CheckContext, limits: CheckIoLimits = {}): HandshakeBudget {
  const totalMs = Math.max(1, ctx.remainingMs()) + BUDGET_GRACE_MS;
  return new HandshakeBudget(
    resolveHandshakeOptions({
      totalMs,
      connectTimeoutMs: Math.min(3000, totalMs - BUDGET_GRACE_MS),
      idleMs: limits.idleMs ?? 2000,
      ...(limits.maxResponseBytes !== undefined ? { maxResponseBytes: limits.maxResponseBytes } : {}),
      ...(limits.maxBytes !== undefined ? { maxBytes: limits.maxBytes } : {}),
      signal: ctx.signal,
      ...(ctx.guard !== undefined ? { guard: ctx.guard } : {}),
    }),
  );
}

/** Runs `fn` with a fresh check budget and always releases it (closing anything left open). */
export async function withCheckBudget<T>(ctx: CheckContext, fn: (b: HandshakeBudget) => Promise<T>, limits: CheckIoLimits = {}): Promise<T> {
  const budget = checkBudget(ctx, limits);
  try {
    return await fn(budget);
  } finally {
    budget.dispose();
  }
}

/** Opens one connection after the rate limit; the guard runs inside `HandshakeConnection.open`. */
export async function connect(target: CheckTarget, ctx: CheckContext, budget: HandshakeBudget, tlsDial?: TlsDial): Promise<HandshakeConnection | DialError> {
  await ctx.beforeConnect(target.ip);
  return HandshakeConnection.open(identifyTarget(target), budget, tlsDial);
}

/** How identification reached the service: implicit TLS (legacy settings when only those worked) or plain. */
export function tlsDialFor(identity: ServiceIdentity, alpn?: readonly string[]): TlsDial | undefined {
  if (!overTls(identity)) return undefined;
  const legacy = factsOf(identity, 'tls')?.['legacyOnly'] === true;
  return { ...(alpn !== undefined ? { alpn } : {}), ...(legacy ? { minVersion: 'TLSv1' as const, ciphers: LEGACY_CIPHERS } : {}) };
}

/**
 * One GET on a new connection (TLS when the service is), with the Host header identification used.
 * Undefined when no HTTP response came.
 */
export async function httpGet(target: CheckTarget, identity: ServiceIdentity, ctx: CheckContext, path: string, limits: CheckIoLimits = {}): Promise<HttpResponse | undefined> {
  const dial = tlsDialFor(identity, ['http/1.1']);
  const { host } = httpOrigin(identifyTarget(target), dial !== undefined);
  return withCheckBudget(
    ctx,
    async (budget) => {
      const conn = await connect(target, ctx, budget, dial);
      if (isDialError(conn)) return undefined;
      try {
        return await httpExchange(conn, path, host, budget.opts.maxResponseBytes);
      } finally {
        conn.close();
      }
    },
    limits,
  );
}

/** The URL a check requested, for evidence. */
export function requestUrl(target: CheckTarget, identity: ServiceIdentity, path: string): string {
  return new URL(path, httpOrigin(identifyTarget(target), overTls(identity)).base).href;
}
