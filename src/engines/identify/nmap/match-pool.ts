import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { MatchReply, MatchRequest, MatchWorkerData } from './match-worker.js';
import { PatternMatcher, PreparedSubject, type MatchHit, type PatternSource } from './pattern-matcher.js';
import type { ProbeDatabase } from './probe-database.js';

/**
 * Hang-proof matching. JavaScript regexes backtrack, and nmap's patterns include ~1.3k with nested
 * unbounded quantifiers; a hostile banner can make one of them run for minutes. Matching therefore
 * runs in worker threads, and a watchdog in this thread reads each worker's progress counter (shared
 * memory, bumped before every pattern is looked at). A worker stuck on one execution for longer than
 * `patternBudgetMs` is terminated and replaced, the pattern is recorded as abandoned (PCRE's
 * match-limit error, to nmap: no match) and the request resumes with the next pattern, so one
 * pathological line costs one line, not the whole response. `requestBudgetMs` bounds a request.
 */

export interface ResponseMatchResult {
  readonly hit?: MatchHit;
  /** Match ids given up because a single execution exceeded the per-pattern budget. */
  readonly abandoned: readonly number[];
  /** The request ran out of its total budget: later patterns were not tried. */
  readonly budgetExceeded: boolean;
  readonly ms: number;
}

/** Matches a response to a probe against that probe's match chain (own lines, fallbacks, NULL). */
export interface ResponseMatcher {
  match(probeIndex: number, response: Uint8Array): Promise<ResponseMatchResult>;
  close(): Promise<void>;
}

export interface MatchPoolOptions {
  /** Worker threads (default: available parallelism - 1, between 1 and 4). */
  readonly size?: number;
  /** Longest a single regex execution may run (default 250 ms). */
  readonly patternBudgetMs?: number;
  /** Longest one response's matching may take overall (default 3000 ms). */
  readonly requestBudgetMs?: number;
  /** Heap cap per worker (default 256 MiB): a regex that explodes memory kills only its worker. */
  readonly maxWorkerHeapMb?: number;
}

interface Job {
  readonly chain: number;
  readonly ids?: readonly number[];
  readonly subject: string;
  from: number;
  readonly enqueued: number;
  /** Watchdog-measured running time (queueing does not count against the request budget). */
  activeMs: number;
  /** Exempt from the request budget (warm-up translating every pattern). */
  readonly unbounded?: boolean;
  readonly abandoned: number[];
  readonly resolve: (r: ResponseMatchResult) => void;
}

interface Slot {
  worker: Worker;
  progress: Int32Array;
  job?: Job;
  seq: number;
  lastCount: number;
  /** Watchdog-measured time the current execution has been running. */
  stuckMs: number;
}

export class WorkerMatchPool implements ResponseMatcher {
  readonly #data: Omit<MatchWorkerData, 'progress'>;
  readonly #size: number;
  readonly #patternBudgetMs: number;
  readonly #requestBudgetMs: number;
  readonly #heapMb: number;
  readonly #slots: Slot[] = [];
  readonly #queue: Job[] = [];
  #timer: NodeJS.Timeout | undefined;
  readonly #tickMs: number;
  #lastTick = 0;
  #closed = false;
  #crashes = 0;
  /** Set when workers keep dying on their own (not by the watchdog): matching is then refused. */
  brokenReason: string | undefined;
  /** Workers terminated by the watchdog or lost (for stats and tests). */
  restarts = 0;

  constructor(db: ProbeDatabase, opts: MatchPoolOptions = {}) {
    const patterns: PatternSource[] = db.matches.map((m) => ({ pattern: m.pattern, flags: m.flags }));
    this.#data = { patterns, chains: db.probes.map((p) => p.matchChain) };
    this.#size = Math.max(1, Math.floor(opts.size ?? Math.min(4, Math.max(1, availableParallelism() - 1))));
    this.#patternBudgetMs = opts.patternBudgetMs ?? 250;
    this.#requestBudgetMs = opts.requestBudgetMs ?? 3000;
    this.#heapMb = opts.maxWorkerHeapMb ?? 256;
    this.#tickMs = Math.max(5, Math.min(50, Math.floor(Math.min(this.#patternBudgetMs, this.#requestBudgetMs) / 4)));
  }

  match(probeIndex: number, response: Uint8Array): Promise<ResponseMatchResult> {
    return this.#enqueue(probeIndex, undefined, response);
  }

  /** First of the given match ids (in order) whose pattern matches `response`. */
  matchIds(ids: readonly number[], response: Uint8Array): Promise<ResponseMatchResult> {
    return this.#enqueue(-1, ids, response);
  }

  #enqueue(chain: number, ids: readonly number[] | undefined, response: Uint8Array, unbounded = false): Promise<ResponseMatchResult> {
    if (this.#closed) return Promise.reject(new Error('match pool is closed'));
    if (this.brokenReason) return Promise.resolve({ abandoned: [], budgetExceeded: true, ms: 0 });
    const subject = PreparedSubject.fromBytes(response).text;
    return new Promise((resolve) => {
      this.#queue.push({ chain, ...(ids ? { ids } : {}), subject, from: 0, enqueued: performance.now(), activeMs: 0, ...(unbounded ? { unbounded } : {}), abandoned: [], resolve });
      this.#dispatch();
    });
  }

  /**
   * Starts the workers now, and has each translate every pattern (an empty subject passes no
   * prefilter, so nothing runs): otherwise the first responses pay ~0.1-0.5 s for start-up and
   * lazy translation of their probe's lines.
   */
  async warm(opts: { translate?: boolean } = {}): Promise<void> {
    const all = opts.translate === false ? [] : this.#data.patterns.map((_, i) => i);
    await Promise.all(Array.from({ length: this.#size }, () => this.#enqueue(-1, all, new Uint8Array(0), true)));
  }

  async close(): Promise<void> {
    this.#closed = true;
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    const slots = this.#slots.splice(0);
    for (const s of slots) if (s.job) this.#finish(s.job, undefined, true);
    for (const j of this.#queue.splice(0)) this.#finish(j, undefined, true);
    await Promise.all(
      slots.map((s) => {
        s.worker.removeAllListeners('exit');
        s.worker.ref();
        return s.worker.terminate();
      }),
    );
  }

  #spawn(): Slot {
    const sab = new SharedArrayBuffer(8);
    const worker = new Worker(new URL('./match-worker.js', import.meta.url), {
      workerData: { ...this.#data, progress: sab } satisfies MatchWorkerData,
      resourceLimits: { maxOldGenerationSizeMb: this.#heapMb, maxYoungGenerationSizeMb: 32 },
    });
    const slot: Slot = { worker, progress: new Int32Array(sab), seq: 0, lastCount: 0, stuckMs: 0 };
    worker.unref();
    worker.on('message', (reply: MatchReply) => this.#onReply(slot, reply));
    // A worker that dies (heap limit, internal error) is treated like a stuck one.
    worker.on('error', (e) => this.#replace(slot, 'crashed', e));
    worker.on('exit', () => this.#replace(slot, 'crashed'));
    return slot;
  }

  #dispatch(): void {
    while (this.#queue.length > 0) {
      let slot = this.#slots.find((s) => !s.job);
      if (!slot) {
        if (this.#slots.length >= this.#size) break;
        slot = this.#spawn();
        this.#slots.push(slot);
      }
      this.#assign(slot, this.#queue.shift()!);
    }
    this.#armWatchdog();
  }

  #assign(slot: Slot, job: Job): void {
    slot.job = job;
    slot.seq++;
    slot.lastCount = Atomics.load(slot.progress, 1);
    slot.stuckMs = 0;
    // Keep the process alive while a match is in flight; idle workers never hold it open.
    slot.worker.ref();
    const req: MatchRequest = { seq: slot.seq, chain: job.chain, ...(job.ids ? { ids: job.ids } : {}), subject: job.subject, from: job.from };
    slot.worker.postMessage(req);
  }

  #onReply(slot: Slot, reply: MatchReply): void {
    const job = slot.job;
    if (!job || reply.seq !== slot.seq) return;
    slot.job = undefined;
    slot.worker.unref();
    this.#crashes = 0;
    this.#finish(job, reply.hit, false);
    this.#dispatch();
  }

  #finish(job: Job, hit: MatchHit | undefined, budgetExceeded: boolean): void {
    const ms = performance.now() - job.enqueued;
    job.resolve(hit ? { hit, abandoned: job.abandoned, budgetExceeded, ms } : { abandoned: job.abandoned, budgetExceeded, ms });
  }

  #armWatchdog(): void {
    const busy = this.#slots.some((s) => s.job);
    if (busy && !this.#timer) {
      this.#lastTick = performance.now();
      this.#timer = setInterval(() => this.#watch(), this.#tickMs);
      this.#timer.unref();
    } else if (!busy && this.#timer) {
      clearInterval(this.#timer);
      this.#timer = undefined;
    }
  }

  /**
   * Budgets are charged in watchdog ticks, each worth at most two tick lengths: when the machine is
   * so loaded that this thread runs late, the worker most likely ran late too, and a slow host
   * should not make healthy patterns look pathological.
   */
  #watch(): void {
    const now = performance.now();
    const dt = Math.min(now - this.#lastTick, 2 * this.#tickMs);
    this.#lastTick = now;
    for (const slot of [...this.#slots]) {
      const job = slot.job;
      if (!job) continue;
      const count = Atomics.load(slot.progress, 1);
      if (count !== slot.lastCount) {
        slot.lastCount = count;
        slot.stuckMs = 0;
      } else slot.stuckMs += dt;
      job.activeMs += dt;
      if (job.activeMs > this.#requestBudgetMs && !job.unbounded) this.#replace(slot, 'request-budget');
      else if (slot.stuckMs > this.#patternBudgetMs) this.#replace(slot, 'pattern-budget');
    }
    this.#armWatchdog();
  }

  /** Terminates a slot's worker; its job resumes after the pattern it was stuck on, or ends. */
  #replace(slot: Slot, why: 'pattern-budget' | 'request-budget' | 'crashed', error?: unknown): void {
    const i = this.#slots.indexOf(slot);
    if (i === -1) return;
    this.#slots.splice(i, 1);
    this.restarts++;
    // Three deaths in a row without one answer: the workers cannot run here (missing file, memory).
    if (why === 'crashed' && ++this.#crashes >= 3 && !this.brokenReason) {
      this.brokenReason = `match workers keep failing${error instanceof Error ? `: ${error.message}` : ''}`;
      for (const j of this.#queue.splice(0)) this.#finish(j, undefined, true);
    }
    slot.worker.removeAllListeners('exit');
    slot.worker.removeAllListeners('error');
    slot.worker.on('error', () => undefined);
    void slot.worker.terminate();
    const job = slot.job;
    slot.job = undefined;
    if (job) {
      if (why === 'request-budget' || this.#closed || this.brokenReason) this.#finish(job, undefined, true);
      else {
        const position = Atomics.load(slot.progress, 0);
        const ids = job.ids ?? this.#data.chains[job.chain] ?? [];
        const stuck = ids[position];
        if (stuck !== undefined) job.abandoned.push(stuck);
        job.from = Math.max(job.from, position + 1);
        this.#queue.unshift(job);
      }
    }
    if (!this.#closed && !this.brokenReason) this.#dispatch();
    else this.#armWatchdog();
  }
}

/** Same interface, same thread, no hang protection: for trusted patterns, tools and tests. */
export class InlineResponseMatcher implements ResponseMatcher {
  readonly matcher: PatternMatcher;
  readonly #chains: readonly (readonly number[])[];

  constructor(db: ProbeDatabase) {
    this.matcher = new PatternMatcher(db.matches.map((m) => ({ pattern: m.pattern, flags: m.flags })));
    this.#chains = db.probes.map((p) => p.matchChain);
  }

  match(probeIndex: number, response: Uint8Array): Promise<ResponseMatchResult> {
    const started = performance.now();
    const r = this.matcher.matchFirst(this.#chains[probeIndex] ?? [], PreparedSubject.fromBytes(response));
    const ms = performance.now() - started;
    return Promise.resolve(r.hit ? { hit: r.hit, abandoned: [], budgetExceeded: false, ms } : { abandoned: [], budgetExceeded: false, ms });
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

const shared = new WeakMap<ProbeDatabase, WorkerMatchPool>();

/** One lazily started worker pool per database, shared by all probes of a scan. */
export function sharedMatchPool(db: ProbeDatabase): WorkerMatchPool {
  let pool = shared.get(db);
  if (!pool) {
    pool = new WorkerMatchPool(db);
    shared.set(db, pool);
  }
  return pool;
}

export async function closeSharedMatchPool(db: ProbeDatabase): Promise<void> {
  const pool = shared.get(db);
  shared.delete(db);
  await pool?.close();
}
