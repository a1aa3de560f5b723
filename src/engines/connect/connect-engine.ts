import net from 'node:net';
import type { PortEvidence, PortState } from '../../model/observation.js';
import { FifoQueue } from './fifo-queue.js';
import { NetworkPacer, type PacerOptions } from './network-pacer.js';
import { RttEstimator, type RttOptions } from './rtt-estimator.js';

/** One (address, port) to try. `tag` is the caller's own bookkeeping (e.g. the permuted index). */
export interface ConnectProbe<T = unknown> {
  readonly ip: string;
  readonly family: 4 | 6;
  readonly port: number;
  /** Pacing key: the destination network (see network-pacer). */
  readonly netKey: string | number;
  readonly tag: T;
}

/** Pull-based so the engine never materialises the probe space. `undefined` means exhausted. */
export interface ProbeSource<T> {
  next(): ConnectProbe<T> | undefined;
}

export interface ConnectResult<T> {
  readonly probe: ConnectProbe<T>;
  readonly state: PortState;
  readonly evidence: PortEvidence;
  readonly rttMs?: number;
  /** Attempts spent on this probe (1 + retries). */
  readonly attempts: number;
}

export interface ConnectEngineOptions extends RttOptions, PacerOptions {
  /** Max sockets in flight overall. */
  readonly concurrency: number;
  /** Extra attempts for a probe met with silence. */
  readonly retries: number;
  /** Called before every connect; must throw to refuse an address (the egress guard). */
  readonly guard: (ip: string, family: 4 | 6) => void;
  readonly signal?: AbortSignal;
  /**
   * The counters to keep, updated in place as probes go out and come back, so a caller can read them
   * while the engine runs (progress commits, live display); the promise resolves to this same object.
   * Counting goes on from the values it holds. Default: a fresh, zeroed object.
   */
  readonly stats?: ConnectEngineStats;
}

export interface ConnectEngineStats {
  sent: number;
  answered: number;
  timedOut: number;
  retried: number;
  /** Local resource errors (EMFILE, EADDRNOTAVAIL...) after which the probe was re-queued. */
  localErrors: number;
}

interface Pending<T> {
  readonly probe: ConnectProbe<T>;
  attempt: number;
}

const REFUSED = new Set(['ECONNREFUSED', 'ECONNRESET']);
const UNREACHABLE = new Set(['EHOSTUNREACH', 'ENETUNREACH', 'EACCES', 'EPERM']);
const LOCAL = new Set(['EMFILE', 'ENFILE', 'EADDRNOTAVAIL', 'ENOBUFS', 'ENOMEM', 'EAGAIN']);

/**
 * Asynchronous TCP connect scanning. Concurrency is bounded by `concurrency` (sized by the caller
 * from the file-descriptor limit), per-network pacing and an adaptive timeout; silent probes are
 * retried, and a completed handshake is torn down with RST so neither side keeps TIME_WAIT state.
 */
export function runConnectEngine<T>(
  source: ProbeSource<T>,
  opts: ConnectEngineOptions,
  onResult: (r: ConnectResult<T>) => void,
): Promise<ConnectEngineStats> {
  const stats: ConnectEngineStats = opts.stats ?? { sent: 0, answered: 0, timedOut: 0, retried: 0, localErrors: 0 };
  const rtt = new RttEstimator(opts);
  const pacer = new NetworkPacer(opts);
  const retryQueue: Pending<T>[] = [];
  // Probes whose network was busy, queued per network; bounded, so a one-network scope waits
  // instead of buffering the whole probe space.
  const parked = new Map<string | number, FifoQueue<Pending<T>>>();
  let parkedCount = 0;
  const parkLimit = Math.max(64, opts.concurrency * 2);
  let inFlight = 0;
  let exhausted = false;
  let pumpTimer: NodeJS.Timeout | undefined;
  let pumping = false;
  let concurrency = opts.concurrency;
  let settled = false;

  // Every refused connect builds an Error; with a stack trace that is a measurable share of a
  // scan's CPU. The engine's errors are all expected outcomes, so capture no frames while it runs.
  const stackTraceLimit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  return new Promise<ConnectEngineStats>((resolve, reject) => {
    const finishIfDone = (): void => {
      if (settled) return;
      if (opts.signal?.aborted && inFlight === 0) {
        settled = true;
        resolve(stats);
        return;
      }
      if (exhausted && inFlight === 0 && retryQueue.length === 0 && parkedCount === 0) {
        settled = true;
        resolve(stats);
      }
    };

    const schedule = (delayMs: number): void => {
      if (pumpTimer || settled) return;
      pumpTimer = setTimeout(() => {
        pumpTimer = undefined;
        pump();
      }, Math.max(1, Math.ceil(delayMs)));
    };

    const launch = (p: Pending<T>): void => {
      const { probe } = p;
      try {
        opts.guard(probe.ip, probe.family);
      } catch (e) {
        pacer.release(probe.netKey);
        settled = true;
        reject(e);
        return;
      }
      inFlight++;
      stats.sent++;
      const started = performance.now();
      const socket = net.connect({ host: probe.ip, port: probe.port, family: probe.family });
      let done = false;
      const timeoutMs = rtt.timeoutMs();

      const complete = (state: PortState | 'retry' | 'local', evidence: PortEvidence, rttMs?: number): void => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        inFlight--;
        pacer.release(probe.netKey);
        if (state === 'open') socket.resetAndDestroy();
        else socket.destroy();
        if (state === 'local') {
          stats.localErrors++;
          stats.sent--;
          // Out of local resources: shrink concurrency and try the same probe again later.
          concurrency = Math.max(64, Math.floor(concurrency * 0.8));
          retryQueue.push(p);
        } else if (state === 'retry') {
          stats.retried++;
          p.attempt++;
          retryQueue.push(p);
        } else {
          if (state === 'filtered' && evidence === 'timeout') stats.timedOut++;
          else stats.answered++;
          const r: ConnectResult<T> = rttMs === undefined
            ? { probe, state, evidence, attempts: p.attempt }
            : { probe, state, evidence, rttMs, attempts: p.attempt };
          onResult(r);
        }
        pump();
      };

      const timer = setTimeout(() => {
        // A stalled event loop runs timers before it polls sockets, so a handshake that already
        // completed may not have been seen yet: look once more after the poll phase.
        setImmediate(() => {
          if (done) return;
          if (p.attempt <= opts.retries) complete('retry', 'timeout');
          else complete('filtered', 'timeout');
        });
      }, timeoutMs);

      socket.once('connect', () => {
        const ms = performance.now() - started;
        rtt.observe(ms);
        complete('open', 'syn-ack', ms);
      });
      socket.once('error', (err: NodeJS.ErrnoException) => {
        const code = err.code ?? '';
        const ms = performance.now() - started;
        if (REFUSED.has(code)) {
          rtt.observe(ms);
          complete('closed', 'reset', ms);
        } else if (UNREACHABLE.has(code)) complete('filtered', 'unreachable', ms);
        else if (LOCAL.has(code)) complete('local', 'timeout');
        else if (code === 'ETIMEDOUT') {
          if (p.attempt <= opts.retries) complete('retry', 'timeout');
          else complete('filtered', 'timeout');
        } else complete('filtered', 'unreachable', ms);
      });
    };

    const pump = (): void => {
      if (pumping || settled) return;
      pumping = true;
      try {
        let waitMs = Infinity;
        const aborted = (): boolean => opts.signal?.aborted === true;
        // Retries and parked probes first, so silence is resolved before new ground is covered.
        if (retryQueue.length > 0) {
          const blocked = new Set<string | number>();
          let i = 0;
          while (i < retryQueue.length && inFlight < concurrency && !aborted()) {
            const p = retryQueue[i]!;
            if (blocked.has(p.probe.netKey)) { i++; continue; }
            const w = pacer.tryAcquire(p.probe.netKey);
            if (w === 0) {
              retryQueue.splice(i, 1);
              launch(p);
              if (settled) return;
            } else {
              blocked.add(p.probe.netKey);
              waitMs = Math.min(waitMs, w);
              i++;
            }
          }
        }
        for (const [key, queue] of parked) {
          if (inFlight >= concurrency || aborted()) break;
          while (queue.length > 0 && inFlight < concurrency) {
            const w = pacer.tryAcquire(key);
            if (w !== 0) {
              waitMs = Math.min(waitMs, w);
              break;
            }
            parkedCount--;
            launch(queue.shift()!);
            if (settled) return;
          }
          if (queue.length === 0) parked.delete(key);
        }
        while (!exhausted && inFlight < concurrency && parkedCount < parkLimit && !aborted()) {
          const probe = source.next();
          if (!probe) {
            exhausted = true;
            break;
          }
          const p: Pending<T> = { probe, attempt: 1 };
          const queue = parked.get(probe.netKey);
          const w = queue ? Infinity : pacer.tryAcquire(probe.netKey);
          if (w === 0) {
            launch(p);
            if (settled) return;
          } else {
            if (queue) queue.push(p);
            else {
              const q = new FifoQueue<Pending<T>>();
              q.push(p);
              parked.set(probe.netKey, q);
            }
            parkedCount++;
            waitMs = Math.min(waitMs, w);
          }
        }
        if (aborted()) {
          exhausted = true;
          retryQueue.length = 0;
          parked.clear();
          parkedCount = 0;
        }
        if (waitMs !== Infinity) schedule(waitMs);
      } finally {
        pumping = false;
      }
      finishIfDone();
    };

    opts.signal?.addEventListener('abort', () => pump(), { once: true });
    pump();
  }).finally(() => {
    Error.stackTraceLimit = stackTraceLimit;
  });
}
