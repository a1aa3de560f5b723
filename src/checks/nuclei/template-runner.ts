/**
 * Runs loaded templates against targets and streams what happens: a NucleiResult per match and a
 * NucleiRunRecord per (template, target) saying whether it ran clean, matched, failed or was
 * skipped. Bounded everywhere: `concurrency` jobs at once, per-host rate and connection limits,
 * a timeout per connection, a request budget per template and target.
 *
 * The egress guard is consulted before every connection; a refusal for a target address stops the
 * whole run (the iterator throws TRAWL_E_EGRESS_DENIED), since it means the caller handed over a
 * target outside the scan's scope. Aborting `signal` ends the run with TRAWL_E_INTERRUPTED.
 */
import { isIP } from 'node:net';
import { TrawlError } from '../../errors/trawl-error.js';
import { ExecContext, type ExecEnv } from './exec/exec-context.js';
import { runHttpBlock } from './exec/http-executor.js';
import { runNetworkBlock } from './exec/network-executor.js';
import { runSslBlock } from './exec/ssl-executor.js';
import { HostPacer } from './net/host-pacer.js';
import type { Guard } from './net/wire-connect.js';
import type { NucleiEvent, NucleiRunRecord, NucleiTarget } from './nuclei-result.js';
import type { NucleiTemplate } from './template-types.js';

export interface RunTemplatesOptions {
  /** (template, target) jobs in flight at once. Default 8. */
  readonly concurrency?: number;
  /** Connection starts per second to one IP. Default 20. */
  readonly perHostRate?: number;
  /** Simultaneous connections to one IP. Default 2. */
  readonly perHostConcurrency?: number;
  /** Per connection: connect + request + response. Default 10 000 ms. */
  readonly timeoutMs?: number;
  /** Throws to refuse a connection (EgressGuard.check). */
  readonly guard: Guard;
  readonly signal?: AbortSignal;
  /** Requests one template may send to one target. Default 1000. */
  readonly maxRequestsPerTemplate?: number;
}

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

async function runJob(template: NucleiTemplate, target: NucleiTarget, env: ExecEnv): Promise<NucleiEvent[]> {
  const record = (outcome: NucleiRunRecord['outcome'], ctx: ExecContext | undefined, extra: Partial<NucleiRunRecord> = {}): NucleiRunRecord => ({
    kind: 'ran',
    templateId: template.id,
    protocol: template.protocol,
    target,
    outcome,
    requests: ctx?.requests ?? 0,
    matches: ctx?.results.length ?? 0,
    notes: ctx?.notes ?? [],
    ...extra,
  });
  if (template.protocol === 'ssl' && target.tls === false) return [record('skipped', undefined, { notes: ['target is not TLS'] })];
  let ctx: ExecContext | undefined;
  try {
    ctx = new ExecContext(template, target, env);
    const jar = new Map<string, string>();
    for (const spec of template.requests) {
      if (ctx.stopped || env.signal?.aborted) break;
      if (spec.kind === 'http') await runHttpBlock(ctx, spec, jar);
      else if (spec.kind === 'tcp') await runNetworkBlock(ctx, spec);
      else await runSslBlock(ctx, spec);
    }
  } catch (e) {
    if (e instanceof TrawlError && (e.code === 'TRAWL_E_EGRESS_DENIED' || e.code === 'TRAWL_E_INTERRUPTED')) throw e;
    const err = e instanceof TrawlError ? { code: e.code, message: e.message } : { code: 'TRAWL_E_INTERNAL' as const, message: e instanceof Error ? e.message : String(e) };
    return [...(ctx?.results ?? []), record('error', ctx, { error: err })];
  }
  if (env.signal?.aborted) throw new TrawlError('TRAWL_E_INTERRUPTED', 'check run aborted');
  const outcome = ctx.results.length > 0 ? 'matched' : ctx.requests === 0 ? 'skipped' : 'clean';
  return [...ctx.results, record(outcome, ctx)];
}

/**
 * Runs every template against every target. Results stream as jobs finish; the iterator ends when
 * all jobs are done. Stopping iteration early (break) cancels the remaining work.
 */
export async function* runTemplates(templates: readonly NucleiTemplate[], targets: readonly NucleiTarget[], opts: RunTemplatesOptions): AsyncGenerator<NucleiEvent, void, undefined> {
  if (typeof opts.guard !== 'function') throw new TrawlError('TRAWL_E_BAD_OPTION', 'runTemplates needs a guard function', {});
  const concurrency = positiveInt(opts.concurrency, 8, 'concurrency', 1024);
  const perHostConcurrency = positiveInt(opts.perHostConcurrency, 2, 'perHostConcurrency', 256);
  const timeoutMs = positiveInt(opts.timeoutMs, 10_000, 'timeoutMs', 600_000);
  const maxRequests = positiveInt(opts.maxRequestsPerTemplate, 1000, 'maxRequestsPerTemplate', 1_000_000);
  const pacer = new HostPacer(opts.perHostRate ?? 20, perHostConcurrency);
  for (const t of targets) checkTarget(t);

  const stop = new AbortController();
  const onOuterAbort = (): void => stop.abort();
  opts.signal?.addEventListener('abort', onOuterAbort, { once: true });
  if (opts.signal?.aborted) stop.abort();
  const env: ExecEnv = { guard: opts.guard, timeoutMs, pacer, maxRequests, signal: stop.signal };

  const jobs: Array<[NucleiTemplate, NucleiTarget]> = [];
  for (const target of targets) for (const template of templates) jobs.push([template, target]);
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
