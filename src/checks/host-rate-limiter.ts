import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Spaces new connections to one host at least 1/rate seconds apart, whichever checks open them, so a
 * service sees at most `perSecond` check connections per second however many checks run at once.
 * Reservations are made at call time (first come, first served); an aborted wait returns at once and
 * the caller's budget then refuses to connect.
 */
export class HostRateLimiter {
  readonly #intervalMs: number;
  readonly #next = new Map<string, number>();

  /** `perSecond` <= 0 or not finite: no limit. */
  constructor(perSecond: number | undefined) {
    this.#intervalMs = perSecond !== undefined && Number.isFinite(perSecond) && perSecond > 0 ? 1000 / perSecond : 0;
  }

  get limited(): boolean {
    return this.#intervalMs > 0;
  }

  async acquire(host: string, signal?: AbortSignal): Promise<void> {
    if (this.#intervalMs === 0 || signal?.aborted) return;
    const now = performance.now();
    if (this.#next.size > 10_000) {
      for (const [k, t] of this.#next) if (t < now) this.#next.delete(k);
    }
    const slot = Math.max(now, this.#next.get(host) ?? 0);
    this.#next.set(host, slot + this.#intervalMs);
    const wait = slot - now;
    if (wait <= 0) return;
    try {
      await sleep(wait, undefined, signal !== undefined ? { signal } : {});
    } catch {
      // aborted: the connection attempt that follows sees the aborted budget
    }
  }
}
