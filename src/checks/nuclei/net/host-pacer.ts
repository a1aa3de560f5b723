/**
 * Politeness per target address: at most `concurrency` connections at once and at most `rate`
 * connection starts per second to any one IP, however many templates run against it.
 */
import { TrawlError } from '../../../errors/trawl-error.js';

interface HostState {
  active: number;
  nextSlot: number;
  readonly waiters: Array<() => void>;
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new TrawlError('TRAWL_E_INTERRUPTED', 'check run aborted'));
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(t);
      reject(new TrawlError('TRAWL_E_INTERRUPTED', 'check run aborted'));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

export class HostPacer {
  readonly #rate: number;
  readonly #concurrency: number;
  readonly #hosts = new Map<string, HostState>();

  constructor(ratePerSecond: number, concurrency: number) {
    if (!(ratePerSecond > 0) || !Number.isFinite(ratePerSecond)) throw new TrawlError('TRAWL_E_BAD_OPTION', `perHostRate must be a positive number, got ${ratePerSecond}`, { value: ratePerSecond });
    if (!Number.isInteger(concurrency) || concurrency < 1) throw new TrawlError('TRAWL_E_BAD_OPTION', `perHostConcurrency must be a positive integer, got ${concurrency}`, { value: concurrency });
    this.#rate = ratePerSecond;
    this.#concurrency = concurrency;
  }

  /** Waits for a connection slot on `ip`; call the returned function when the connection is done. */
  async acquire(ip: string, signal?: AbortSignal): Promise<() => void> {
    let h = this.#hosts.get(ip);
    if (!h) {
      h = { active: 0, nextSlot: 0, waiters: [] };
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
    try {
      const now = performance.now();
      const slot = Math.max(now, host.nextSlot);
      host.nextSlot = slot + 1000 / this.#rate;
      if (slot > now) await sleep(slot - now, signal);
    } catch (e) {
      this.#release(ip, host);
      throw e;
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
    else if (host.active === 0 && host.nextSlot < performance.now()) this.#hosts.delete(ip);
  }
}
