import { resolveHandshakeOptions, type HandshakeOptions, type ResolvedHandshakeOptions } from './handshake-types.js';

/** Something the budget destroys when time runs out or the caller aborts. */
export interface Closable {
  close(): void;
}

/**
 * The time and bytes one handshake (or one cascade) may still spend. Every connection opened under a
 * budget is registered with it, and destroyed the moment the deadline passes or the caller's signal
 * fires — so no read, connect or TLS handshake can outlive `totalMs`, whatever the server does.
 */
export class HandshakeBudget {
  readonly opts: ResolvedHandshakeOptions;
  readonly #deadline: number;
  readonly #controller = new AbortController();
  readonly #open = new Set<Closable>();
  readonly #timer: NodeJS.Timeout;
  readonly #onParentAbort = (): void => this.#abort();
  readonly #parent: HandshakeBudget | undefined;
  #bytesLeft: number;

  constructor(opts: ResolvedHandshakeOptions, parent?: HandshakeBudget) {
    this.opts = opts;
    this.#parent = parent;
    this.#deadline = performance.now() + opts.totalMs;
    this.#bytesLeft = opts.maxBytes;
    this.#timer = setTimeout(() => this.#abort(), opts.totalMs);
    this.#timer.unref();
    if (opts.signal?.aborted) this.#abort();
    else opts.signal?.addEventListener('abort', this.#onParentAbort, { once: true });
  }

  static from(opts: HandshakeOptions): HandshakeBudget {
    return new HandshakeBudget(resolveHandshakeOptions(opts));
  }

  /** Fires at the deadline or when the caller aborts. */
  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  get exhausted(): boolean {
    return this.#controller.signal.aborted || this.#bytesLeft <= 0;
  }

  remainingMs(): number {
    return this.#controller.signal.aborted ? 0 : Math.max(0, this.#deadline - performance.now());
  }

  get bytesLeft(): number {
    return Math.max(0, Math.min(this.#bytesLeft, this.#parent?.bytesLeft ?? Number.POSITIVE_INFINITY));
  }

  spend(bytes: number): void {
    this.#bytesLeft -= bytes;
    this.#parent?.spend(bytes);
  }

  /**
   * A budget for one of several handshakes run side by side: it ends with this one, draws on the
   * same bytes, and can be cut short alone (`dispose`) when another one has already won.
   */
  child(): HandshakeBudget {
    return new HandshakeBudget({ ...this.opts, totalMs: Math.max(1, this.remainingMs()), maxBytes: Math.max(1, this.bytesLeft), signal: this.signal }, this);
  }

  track(c: Closable): void {
    if (this.#controller.signal.aborted) c.close();
    else this.#open.add(c);
  }

  untrack(c: Closable): void {
    this.#open.delete(c);
  }

  /** Ends the budget: timers cleared, anything still open destroyed, nothing new may start. */
  dispose(): void {
    clearTimeout(this.#timer);
    this.opts.signal?.removeEventListener('abort', this.#onParentAbort);
    this.#abort();
  }

  #abort(): void {
    if (!this.#controller.signal.aborted) this.#controller.abort();
    for (const c of [...this.#open]) c.close();
    this.#open.clear();
  }
}

/** Runs `fn` under a fresh budget built from `opts`, and always releases it. */
export async function withBudget<T>(opts: HandshakeOptions, fn: (b: HandshakeBudget) => Promise<T>): Promise<T> {
  const budget = HandshakeBudget.from(opts);
  try {
    return await fn(budget);
  } finally {
    budget.dispose();
  }
}
