/**
 * Runs loaded templates against targets and streams what happens: a NucleiResult per match and a
 * NucleiRunRecord per (template, target) saying whether it ran clean, matched, timed out, failed or
 * was skipped. Bounded everywhere: `concurrency` jobs at once, per-host rate and connection limits,
 * connect / read-idle / exchange timeouts, a network-time budget per template and target (with a
 * hard cut-off behind it), response and read size caps, a request budget per template and target,
 * and a service that keeps failing is given up on (`maxHostErrors`). Nothing a target does — a
 * banner and silence, a byte every few seconds, accepting and never answering — can hold a job
 * past its budget.
 *
 * The egress guard is consulted before every connection; a refusal for a target address stops the
 * whole run (the iterator throws TRAWL_E_EGRESS_DENIED), since it means the caller handed over a
 * target outside the scan's scope. Aborting `signal` ends the run with TRAWL_E_INTERRUPTED.
 */
import { isIP } from 'node:net';
import { TrawlError } from '../../errors/trawl-error.js';
import type { HostRateLimiter } from '../host-rate-limiter.js';
import { ExecContext, type ExecEnv } from './exec/exec-context.js';
import { runHttpBlock } from './exec/http-executor.js';
import { runNetworkBlock } from './exec/network-executor.js';
import { runSslBlock } from './exec/ssl-executor.js';
import { HostErrors } from './net/host-errors.js';
import { HostPacer } from './net/host-pacer.js';
import type { Guard } from './net/wire-connect.js';
import type { NucleiEvent, NucleiRunRecord, NucleiTarget } from './nuclei-result.js';
import type { NucleiTemplate, RequestSpec } from './template-types.js';

export interface RunTemplatesOptions {
  /** (template, target) jobs in flight at once. Default 8. */
  readonly concurrency?: number;
  /** Connection starts per second to one IP. Default 20. Ignored when `rateLimiter` is given. */
  readonly perHostRate?: number;
  /** A rate limiter shared with other traffic to the same hosts (the built-in checks'). */
  readonly rateLimiter?: HostRateLimiter;
  /** Simultaneous connections to one IP. Default 2. */
  readonly perHostConcurrency?: number;
  /** One exchange: connect + request + complete response. Default 10 000 ms. */
  readonly timeoutMs?: number;
  /** TCP connect plus TLS handshake. Default min(timeoutMs, 5 000 ms). */
  readonly connectTimeoutMs?: number;
  /** Longest silence while an answer is awaited or arriving. Default min(timeoutMs, 5 000 ms). */
  readonly readTimeoutMs?: number;
  /** Network time one template may spend on one target, all exchanges together. Default 60 000 ms. */
  readonly templateTimeoutMs?: number;
  /** Consecutive failed exchanges after which a service is given up on; 0 never. Default 30. */
  readonly maxHostErrors?: number;
  /** Throws to refuse a connection (EgressGuard.check). */
  readonly guard: Guard;
  readonly signal?: AbortSignal;
  /** Requests one template may send to one target. Default 1000. */
  readonly maxRequestsPerTemplate?: number;
}

export const TEMPLATE_RUN_DEFAULTS = { concurrency: 8, perHostRate: 20, perHostConcurrency: 2, timeoutMs: 10_000, connectTimeoutMs: 5_000, readTimeoutMs: 5_000, templateTimeoutMs: 60_000, maxHostErrors: 30, maxRequestsPerTemplate: 1000 } as const;

/** One unit of work: a template against a target. */
export type TemplateJob = readonly [NucleiTemplate, NucleiTarget];

function positiveInt(v: number | undefined, dflt: number, name: string, max: number): number {
  if (v === undefined) return dflt;
  if (!Number.isInteger(v) || v < 1 || v > max) throw new TrawlError('TRAWL_E_BAD_OPTION', `${name} must be an integer 1..${max}, got ${v}`, { value: v });
  return v;
}

function checkTarget(t: NucleiTarget): void {
  if (isIP(t.ip) === 0) throw new TrawlError('TRAWL_E_BAD_TARGET', `target ip ${JSON.stringify(t.ip)} is not an IP address`, { value: t.ip });
  if (!Number.isInteger(t.port) || t.port < 1 || t.port > 65535) throw new TrawlError('TRAWL_E_BAD_TARGET', `target port ${t.port} is out of range`, { value: t.port });
  if (typeof t.host !== 'string' || t.host === '' || /[\s/@]/.test(t.host)) throw new TrawlError('TRAWL_E_BAD_TARGET', `target host ${JSON.stringify(t.host)} is not a host name or address`, { value: t.host });
}

function nonNegativeInt(v: number | undefined, dflt: number, name: string, max: number): number {
  if (v === undefined) return dflt;
  if (!Number.isInteger(v) || v < 0 || v > max) throw new TrawlError('TRAWL_E_BAD_OPTION', `${name} must be an integer 0..${max}, got ${v}`, { value: v });
  return v;
}

/**
 * The outcome of a job that matched nothing. Clean needs every exchange answered: a timeout, a
 * refusal or an answer in another protocol means the template could not look, and a "clean" there
 * would let the inventory call an earlier finding fixed.
 */
function outcomeOf(ctx: ExecContext): { outcome: NucleiRunRecord['outcome']; error?: NucleiRunRecord['error'] } {
  if (ctx.results.length > 0) return { outcome: 'matched' };
  if (ctx.requests === 0) return { outcome: 'skipped' };
  if (ctx.timeouts > 0 || ctx.cutShort === 'time' || ctx.deadlineHit) return { outcome: 'timeout' };
  if (ctx.failures > 0 || ctx.cutShort === 'service') return { outcome: 'error', error: { code: 'CONNECT', message: ctx.notes.find((n) => !/skipped/.test(n)) ?? 'exchange failed' } };
  if (ctx.cutShort === 'requests') return { outcome: 'error', error: { code: 'LIMIT', message: `request budget of ${ctx.env.maxRequests} spent` } };
  return { outcome: 'clean' };
}

/**
 * Runs the template's blocks: all in order, or — with a flow chain — step by step, stopping where
 * the chain's && / || says (a skipped step sends nothing).
 */
async function runBlocks(ctx: ExecContext, template: NucleiTemplate): Promise<void> {
  const jar = new Map<string, string>();
  const runBlock = (spec: RequestSpec): Promise<boolean> => (spec.kind === 'http' ? runHttpBlock(ctx, spec, jar) : spec.kind === 'tcp' ? runNetworkBlock(ctx, spec) : runSslBlock(ctx, spec));
  const flow = template.flow;
  if (flow === undefined) {
    for (const spec of template.requests) {
      if (ctx.stopped || ctx.signal.aborted) break;
      await runBlock(spec);
    }
    return;
  }
  for (const [n, step] of flow.steps.entries()) {
    let passed = false;
    for (const i of step) {
      if (ctx.stopped || ctx.signal.aborted) return;
      if (await runBlock(template.requests[i]!)) passed = true;
    }
    if (n === flow.steps.length - 1) break;
    if (flow.op === 'and' && !passed) {
      ctx.note(`flow stopped after step ${n + 1} of ${flow.steps.length}: it did not succeed`);
      return;
    }
    if (flow.op === 'or' && passed) return;
  }
}

async function runJob(template: NucleiTemplate, target: NucleiTarget, env: ExecEnv): Promise<NucleiEvent[]> {
  const record = (outcome: NucleiRunRecord['outcome'], ctx: ExecContext | undefined, extra: Partial<NucleiRunRecord> = {}): NucleiRunRecord => ({
    kind: 'ran',
    templateId: template.id,
    protocol: template.protocol,
    target,
    outcome,
    complete: outcome === 'clean' || (outcome === 'matched' && ctx !== undefined && ctx.timeouts === 0 && ctx.failures === 0 && ctx.cutShort === undefined && !ctx.deadlineHit),
    requests: ctx?.requests ?? 0,
    matches: ctx?.results.length ?? 0,
    notes: ctx?.notes ?? [],
    ...extra,
  });
  if (template.protocol === 'ssl' && target.tls === false) return [record('skipped', undefined, { notes: ['target is not TLS'] })];
  let ctx: ExecContext | undefined;
  try {
    ctx = new ExecContext(template, target, env);
    await runBlocks(ctx, template);
  } catch (e) {
    if (e instanceof TrawlError && e.code === 'TRAWL_E_EGRESS_DENIED') throw e;
    if (e instanceof TrawlError && e.code === 'TRAWL_E_INTERRUPTED') {
      // The job's own hard deadline is a timeout of this job; only the run's abort ends the run.
      if (env.signal?.aborted || ctx === undefined || !ctx.deadlineHit) throw e;
      ctx.note(`template cut off after its time budget of ${env.templateTimeoutMs} ms`);
      return [...ctx.results, record(ctx.results.length > 0 ? 'matched' : 'timeout', ctx)];
    }
    const err = e instanceof TrawlError ? { code: e.code, message: e.message } : { code: 'TRAWL_E_INTERNAL' as const, message: e instanceof Error ? e.message : String(e) };
    return [...(ctx?.results ?? []), record('error', ctx, { error: err })];
  }
  if (env.signal?.aborted) throw new TrawlError('TRAWL_E_INTERRUPTED', 'check run aborted');
  const { outcome, error } = outcomeOf(ctx);
  return [...ctx.results, record(outcome, ctx, error ? { error } : {})];
}

/**
 * Runs every template against every target. Results stream as jobs finish; the iterator ends when
 * all jobs are done. Stopping iteration early (break) cancels the remaining work.
 */
export function runTemplates(templates: readonly NucleiTemplate[], targets: readonly NucleiTarget[], opts: RunTemplatesOptions): AsyncGenerator<NucleiEvent, void, undefined> {
  const jobs: TemplateJob[] = [];
  for (const target of targets) for (const template of templates) jobs.push([template, target]);
  return runTemplateJobs(jobs, opts);
}

/** The run limits with defaults applied; throws TRAWL_E_BAD_OPTION for a value out of range. */
export function resolveRunLimits(opts: Omit<RunTemplatesOptions, 'guard' | 'signal' | 'rateLimiter'>): Required<Omit<RunTemplatesOptions, 'guard' | 'signal' | 'rateLimiter'>> {
  const d = TEMPLATE_RUN_DEFAULTS;
  const timeoutMs = positiveInt(opts.timeoutMs, d.timeoutMs, 'timeoutMs', 600_000);
  const perHostRate = opts.perHostRate ?? d.perHostRate;
  if (!(perHostRate > 0) || !Number.isFinite(perHostRate)) throw new TrawlError('TRAWL_E_BAD_OPTION', `perHostRate must be a positive number, got ${perHostRate}`, { value: perHostRate });
  return {
    concurrency: positiveInt(opts.concurrency, d.concurrency, 'concurrency', 1024),
    perHostRate,
    perHostConcurrency: positiveInt(opts.perHostConcurrency, d.perHostConcurrency, 'perHostConcurrency', 256),
    timeoutMs,
    connectTimeoutMs: positiveInt(opts.connectTimeoutMs, Math.min(timeoutMs, d.connectTimeoutMs), 'connectTimeoutMs', 600_000),
    readTimeoutMs: positiveInt(opts.readTimeoutMs, Math.min(timeoutMs, d.readTimeoutMs), 'readTimeoutMs', 600_000),
    templateTimeoutMs: positiveInt(opts.templateTimeoutMs, Math.max(timeoutMs, d.templateTimeoutMs), 'templateTimeoutMs', 3_600_000),
    maxHostErrors: nonNegativeInt(opts.maxHostErrors, d.maxHostErrors, 'maxHostErrors', 1_000_000),
    maxRequestsPerTemplate: positiveInt(opts.maxRequestsPerTemplate, d.maxRequestsPerTemplate, 'maxRequestsPerTemplate', 1_000_000),
  };
}

/** Runs the given (template, target) pairs: for callers that choose which templates suit which target. */
export async function* runTemplateJobs(jobList: readonly TemplateJob[], opts: RunTemplatesOptions): AsyncGenerator<NucleiEvent, void, undefined> {
  if (typeof opts.guard !== 'function') throw new TrawlError('TRAWL_E_BAD_OPTION', 'runTemplates needs a guard function', {});
  const { concurrency, perHostRate, perHostConcurrency, timeoutMs, connectTimeoutMs, readTimeoutMs, templateTimeoutMs, maxHostErrors, maxRequestsPerTemplate: maxRequests } = resolveRunLimits(opts);
  const pacer = new HostPacer(opts.rateLimiter ?? perHostRate, perHostConcurrency);
  for (const [, t] of jobList) checkTarget(t);

  const stop = new AbortController();
  const onOuterAbort = (): void => stop.abort();
  opts.signal?.addEventListener('abort', onOuterAbort, { once: true });
  if (opts.signal?.aborted) stop.abort();
  const env: ExecEnv = { guard: opts.guard, timeoutMs, connectTimeoutMs, readTimeoutMs, templateTimeoutMs, pacer, hostErrors: new HostErrors(maxHostErrors), maxRequests, signal: stop.signal };

  const jobs = jobList;
  const queue: NucleiEvent[] = [];
  let next = 0;
  let fatal: unknown;
  let finished = false;
  let wake: (() => void) | undefined;
  const poke = (): void => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  const worker = async (): Promise<void> => {
    while (next < jobs.length && fatal === undefined && !stop.signal.aborted) {
      const [template, target] = jobs[next++]!;
      try {
        queue.push(...(await runJob(template, target, env)));
      } catch (e) {
        fatal ??= e;
        stop.abort();
      }
      poke();
    }
  };
  const all = Promise.all(Array.from({ length: Math.min(concurrency, Math.max(1, jobs.length)) }, worker)).then(() => {
    finished = true;
    poke();
  });
  try {
    for (;;) {
      if (queue.length > 0) {
        yield queue.shift()!;
        continue;
      }
      if (fatal !== undefined) throw fatal;
      if (finished) break;
      await new Promise<void>((r) => {
        wake = r;
      });
    }
    await all;
    if (opts.signal?.aborted) throw new TrawlError('TRAWL_E_INTERRUPTED', 'check run aborted');
  } finally {
    stop.abort();
    opts.signal?.removeEventListener('abort', onOuterAbort);
    await all.catch(() => undefined);
  }
}
