/**
 * Politeness per target address: at most `concurrency` connections at once and at most `rate`
 * connection starts per second to any one IP, however many templates run against it. The rate is
 * the checks' HostRateLimiter, so the check stage can share one between built-in checks and
 * templates and a host sees one budget.
 */
import { TrawlError } from '../../../errors/trawl-error.js';
import { HostRateLimiter } from '../../host-rate-limiter.js';

interface HostState {
  active: number;
  readonly waiters: Array<() => void>;
}

export class HostPacer {
  readonly #rate: HostRateLimiter;
  readonly #concurrency: number;
  readonly #hosts = new Map<string, HostState>();

  /** `rate`: connection starts per second per IP, or a limiter shared with other traffic. */
  constructor(rate: number | HostRateLimiter, concurrency: number) {
    if (typeof rate === 'number' && (!(rate > 0) || !Number.isFinite(rate))) throw new TrawlError('TRAWL_E_BAD_OPTION', `perHostRate must be a positive number, got ${rate}`, { value: rate });
    if (!Number.isInteger(concurrency) || concurrency < 1) throw new TrawlError('TRAWL_E_BAD_OPTION', `perHostConcurrency must be a positive integer, got ${concurrency}`, { value: concurrency });
    this.#rate = typeof rate === 'number' ? new HostRateLimiter(rate) : rate;
    this.#concurrency = concurrency;
  }

  /** Waits for a connection slot on `ip`; call the returned function when the connection is done. */
  async acquire(ip: string, signal?: AbortSignal): Promise<() => void> {
    let h = this.#hosts.get(ip);
    if (!h) {
      h = { active: 0, waiters: [] };
      this.#hosts.set(ip, h);
    }
    const host = h;
    while (host.active >= this.#concurrency) {
      await new Promise<void>((resolve, reject) => {
        if (signal?.aborted) return reject(new TrawlError('TRAWL_E_INTERRUPTED', 'check run aborted'));
        const wake = (): void => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        };
        const onAbort = (): void => {
          const i = host.waiters.indexOf(wake);
          if (i >= 0) host.waiters.splice(i, 1);
          reject(new TrawlError('TRAWL_E_INTERRUPTED', 'check run aborted'));
        };
        host.waiters.push(wake);
        signal?.addEventListener('abort', onAbort, { once: true });
      });
    }
    host.active++;
    await this.#rate.acquire(ip, signal);
    if (signal?.aborted) {
      this.#release(ip, host);
      throw new TrawlError('TRAWL_E_INTERRUPTED', 'check run aborted');
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#release(ip, host);
    };
  }

  #release(ip: string, host: HostState): void {
    host.active--;
    const next = host.waiters.shift();
    if (next) next();
    else if (host.active === 0) this.#hosts.delete(ip);
  }
}
