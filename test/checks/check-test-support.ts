/** Helpers shared by the check tests: a real CheckContext, identities from facts, findings by id. */
import type { CheckContext, CheckTarget } from '../../src/checks/check.js';
import type { Check } from '../../src/checks/check.js';
import type { Finding } from '../../src/checks/finding.js';
import { TrawlError } from '../../src/errors/index.js';
import type { ServiceIdentity } from '../../src/engines/identify/service-identity.js';

export const FIXED_NOW = new Date('2026-01-15T12:00:00.000Z');

/** The loopback-only egress guard every test connection passes. */
export function loopbackGuard(ip: string): void {
  if (!(ip.startsWith('127.') || ip === '::1')) throw new TrawlError('TRAWL_E_EGRESS_DENIED', `refused to send to ${ip}: not loopback`, { ip });
}

export interface TestContext extends CheckContext {
  /** Hosts passed to beforeConnect, in order (one entry per connection a check opened). */
  readonly connects: string[];
  abort(): void;
}

export function testContext(opts: { timeoutMs?: number; now?: Date } = {}): TestContext {
  const controller = new AbortController();
  const deadline = performance.now() + (opts.timeoutMs ?? 10_000);
  const timer = setTimeout(() => controller.abort(), opts.timeoutMs ?? 10_000);
  timer.unref();
  const connects: string[] = [];
  return {
    signal: controller.signal,
    remainingMs: () => (controller.signal.aborted ? 0 : Math.max(0, deadline - performance.now())),
    guard: loopbackGuard,
    beforeConnect: async (ip) => {
      connects.push(ip);
    },
    now: () => opts.now ?? FIXED_NOW,
    connects,
    abort: () => controller.abort(),
  };
}

export function identity(name: string, facts: Record<string, unknown>, extra: Partial<ServiceIdentity> = {}): ServiceIdentity {
  return { name, cpe: [], method: 'handshake', confidence: 10, facts, ...extra };
}

export function target(port: number, hostname?: string, ip = '127.0.0.1'): CheckTarget {
  return { ip, port, proto: 'tcp', ...(hostname !== undefined ? { hostname } : {}) };
}

/** Runs a check the way the runner does: only when it applies. */
export async function runCheck(check: Check, t: CheckTarget, id: ServiceIdentity, ctx: CheckContext = testContext()): Promise<Finding[]> {
  if (!check.appliesTo(id, t)) return [];
  return check.run(t, id, ctx);
}
