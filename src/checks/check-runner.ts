/**
 * Runs the selected checks over identified services and streams their findings.
 *
 * Every (service, applicable check) pair is one check run. Up to `concurrency` runs proceed at once;
 * each has its own time limit (its connections are destroyed when it is up) and shares the per-host
 * connection rate limit. A check that fails or times out is reported through `onCheckRun` and the
 * others go on; the egress guard's refusal is different — it stops everything and is rethrown, as in
 * the other engines. Aborting `signal` stops new runs, cuts running ones short and ends the stream.
 */
import { isTrawlError } from '../errors/index.js';
import type { ServiceIdentity } from '../engines/identify/service-identity.js';
import type { Check, CheckContext, CheckTarget } from './check.js';
import { unidentified } from './check.js';
import { builtinRegistry, parseCheckSelection, type CheckRegistry } from './check-registry.js';
import type { Finding } from './finding.js';
import { HostRateLimiter } from './host-rate-limiter.js';

export interface CheckInput {
  readonly target: CheckTarget;
  /** What identification said; undefined when it could not tell (port-hinted checks may still apply). */
  readonly identity: ServiceIdentity | undefined;
}

export type CheckRunOutcome = 'ok' | 'timeout' | 'error' | 'aborted';

/** One check run's account: what ran on which service, so a clean run can close earlier findings. */
export interface CheckRunRecord {
  readonly target: CheckTarget;
  readonly checkId: string;
  readonly outcome: CheckRunOutcome;
  readonly findings: number;
  readonly ms: number;
  readonly error?: string;
}

export interface RunChecksOptions {
  /** A `--checks` value (none|safe|all|id,id) or the checks themselves. */
  readonly selection: string | readonly Check[];
  /** Where ids in `selection` are looked up. Default: the built-in checks. */
  readonly registry?: CheckRegistry;
  /** Check runs in flight at once. Default 16. */
  readonly concurrency?: number;
  /** New connections per second to one host, across all checks. Default 20; 0 = unlimited. */
  readonly perHostRate?: number;
  /** A limiter shared with other traffic to the same hosts (the check stage's templates); wins over perHostRate. */
  readonly limiter?: HostRateLimiter;
  /** Time one check run may take. Default 15000 ms. */
  readonly timeoutMs?: number;
  /** The scan's egress guard, called before every connection. */
  readonly guard?: (ip: string, family: 4 | 6) => void;
  readonly signal?: AbortSignal;
  /** Clock for findings and date-based checks (certificate expiry). Default: now. */
  readonly now?: () => Date;
  readonly onCheckRun?: (record: CheckRunRecord) => void;
}

export const CHECK_DEFAULTS = { concurrency: 16, perHostRate: 20, timeoutMs: 15_000 } as const;

interface Task {
  readonly input: CheckInput;
  readonly identity: ServiceIdentity;
  readonly check: Check;
}

function positiveInt(v: number | undefined, fallback: number): number {
  return v !== undefined && Number.isFinite(v) && v >= 1 ? Math.floor(v) : fallback;
}

async function* tasksOf(targets: Iterable<CheckInput> | AsyncIterable<CheckInput>, checks: readonly Check[]): AsyncGenerator<Task> {
  for await (const input of targets) {
    const identity = input.identity ?? unidentified();
    for (const check of checks) {
      let applies = false;
      try {
        applies = check.appliesTo(identity, input.target);
      } catch {
        applies = false; // a faulty predicate must not stop the others
      }
      if (applies) yield { input, identity, check };
    }
  }
}

export function runChecks(targets: Iterable<CheckInput> | AsyncIterable<CheckInput>, opts: RunChecksOptions): AsyncIterable<Finding> {
  return { [Symbol.asyncIterator]: () => runChecksIterator(targets, opts) };
}

async function* runChecksIterator(targets: Iterable<CheckInput> | AsyncIterable<CheckInput>, opts: RunChecksOptions): AsyncGenerator<Finding> {
  const checks = typeof opts.selection === 'string' ? parseCheckSelection(opts.selection, opts.registry ?? builtinRegistry()) : [...opts.selection];
  if (checks.length === 0) return;
  const concurrency = positiveInt(opts.concurrency, CHECK_DEFAULTS.concurrency);
  const timeoutMs = positiveInt(opts.timeoutMs, CHECK_DEFAULTS.timeoutMs);
  const limiter = opts.limiter ?? new HostRateLimiter(opts.perHostRate ?? CHECK_DEFAULTS.perHostRate);
  const now = opts.now ?? ((): Date => new Date());
  const stop = new AbortController();
  const onOuterAbort = (): void => stop.abort();
  if (opts.signal?.aborted) stop.abort();
  else opts.signal?.addEventListener('abort', onOuterAbort, { once: true });

  const ready: Finding[] = [];
  let fatal: { error: unknown } | undefined;
  let wake: (() => void) | undefined;
  const notify = (): void => {
    const w = wake;
    wake = undefined;
    w?.();
  };

  const source = tasksOf(targets, checks);
  const runOne = async (task: Task): Promise<void> => {
    const started = performance.now();
    const controller = new AbortController();
    const signal = AbortSignal.any([controller.signal, stop.signal]);
    const deadline = started + timeoutMs;
    const timer = setTimeout(() => controller.abort(), timeoutMs);
    const ctx: CheckContext = {
      signal,
      remainingMs: () => (signal.aborted ? 0 : Math.max(0, deadline - performance.now())),
      guard: opts.guard,
      beforeConnect: (ip) => limiter.acquire(ip, signal),
      now,
    };
    let outcome: CheckRunOutcome = 'ok';
    let error: string | undefined;
    let found: Finding[] = [];
    try {
      // The abort race covers a check awaiting something that is not its budget's I/O.
      const aborted = new Promise<'aborted'>((resolve) => {
        if (signal.aborted) resolve('aborted');
        else signal.addEventListener('abort', () => resolve('aborted'), { once: true });
      });
      const r = await Promise.race([task.check.run(task.input.target, task.identity, ctx), aborted]);
      if (r !== 'aborted') found = r;
      // A check whose budget ran out returns normally with what it had: that is not a clean run, and
      // must not be recorded as one (a clean run is what closes an earlier finding).
      if (stop.signal.aborted) outcome = 'aborted';
      else if (r === 'aborted' || controller.signal.aborted || performance.now() >= deadline) outcome = 'timeout';
    } catch (e) {
      if (isTrawlError(e) && e.code === 'TRAWL_E_EGRESS_DENIED') {
        fatal ??= { error: e };
        stop.abort();
      }
      outcome = stop.signal.aborted ? 'aborted' : controller.signal.aborted ? 'timeout' : 'error';
      error = e instanceof Error ? e.message : String(e);
    } finally {
      clearTimeout(timer);
    }
    // Findings stand even from a run cut short: each one carries its own proof.
    if (found.length > 0) {
      ready.push(...found);
      notify();
    }
    opts.onCheckRun?.({ target: task.input.target, checkId: task.check.id, outcome, findings: found.length, ms: Math.round(performance.now() - started), ...(error !== undefined ? { error } : {}) });
  };

  let active = 0;
  const worker = async (): Promise<void> => {
    for (;;) {
      if (stop.signal.aborted) return;
      let next: IteratorResult<Task>;
      try {
        next = await source.next();
      } catch (e) {
        fatal ??= { error: e };
        stop.abort();
        return;
      }
      if (next.done === true || stop.signal.aborted) return;
      await runOne(next.value);
    }
  };
  const workers = Array.from({ length: concurrency }, () => {
    active++;
    return worker().finally(() => {
      active--;
      notify();
    });
  });

  try {
    for (;;) {
      while (ready.length > 0) yield ready.shift()!;
      if (fatal !== undefined) throw fatal.error;
      if (active === 0) break;
      await new Promise<void>((resolve) => {
        wake = resolve;
        if (ready.length > 0 || active === 0 || fatal !== undefined) notify();
      });
    }
  } finally {
    // Consumer stopped early, or the run ended: cancel what is left and let it settle.
    stop.abort();
    opts.signal?.removeEventListener('abort', onOuterAbort);
    await Promise.allSettled(workers);
    await source.return(undefined);
  }
}
