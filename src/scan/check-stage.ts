import { CHECK_DEFAULTS, runChecks, type CheckInput } from '../checks/check-runner.js';
import { findingToJson, type FindingJson } from '../checks/finding.js';
import { HostRateLimiter } from '../checks/host-rate-limiter.js';
import type { TemplateSet } from '../checks/nuclei/index.js';
import { runTemplateStage, type TemplateStageResult } from './template-stage.js';
import type { FindingObservation } from '../model/observation.js';
import type { Store } from '../store/store.js';

export interface CheckStageOptions {
  readonly store: Store;
  readonly scanId: string;
  /** A `--checks` value: none, safe, all, or ids. */
  readonly selection: string;
  readonly guard: (ip: string, family: 4 | 6) => void;
  readonly signal?: AbortSignal;
  readonly worker?: string;
  readonly now?: () => Date;
  /** Only this address's open ports (a fleet check job is one host). */
  readonly host?: string;
  /**
   * nuclei templates to run next to the built-in checks (src/scan/template-stage.ts says which
   * suit which service). Both share one per-host rate limit: the set's `perHostRate`.
   */
  readonly templates?: TemplateSet;
}

export interface CheckStageResult {
  readonly targets: number;
  readonly findings: number;
  readonly runs: number;
  /** Check runs that timed out or failed: they do not count as "ran clean". */
  readonly incomplete: number;
  /** What the templates did, when a set was given. */
  readonly templates?: TemplateStageResult;
}

/**
 * The check stage: runs the selected checks on every open port of a scan (with what identify said
 * about it) and records, per target, which checks ran cleanly and what they found. A check that
 * timed out is left out of `checks`, so it can never mark an earlier finding fixed.
 */
export async function runCheckStage(opts: CheckStageOptions): Promise<CheckStageResult> {
  const inputs: CheckInput[] = [];
  for await (const o of opts.store.listPortObservations(opts.scanId, { state: 'open' })) {
    if (opts.host !== undefined && o.ip !== opts.host) continue;
    inputs.push({ target: { ip: o.ip, port: o.port, proto: o.proto, ...(o.hostname ? { hostname: o.hostname } : {}) }, identity: o.service });
  }
  const key = (ip: string, port: number): string => `${ip}|${port}`;
  const ran = new Map<string, Set<string>>();
  const found = new Map<string, FindingJson[]>();
  let runs = 0;
  let incomplete = 0;
  const addRan = (ip: string, port: number, id: string): void => {
    const k = key(ip, port);
    let s = ran.get(k);
    if (!s) ran.set(k, (s = new Set()));
    s.add(id);
  };
  const addFound = (f: Parameters<typeof findingToJson>[0]): void => {
    const k = key(f.target.ip, f.target.port);
    let list = found.get(k);
    if (!list) found.set(k, (list = []));
    list.push(findingToJson(f));
  };
  // One connection budget per host for checks and templates together.
  const limiter = new HostRateLimiter(opts.templates?.limits.perHostRate ?? CHECK_DEFAULTS.perHostRate);
  // Built-in checks and templates run side by side; a fatal error in one (the egress guard) stops both.
  const stop = new AbortController();
  const signal = opts.signal ? AbortSignal.any([opts.signal, stop.signal]) : stop.signal;
  const builtins = async (): Promise<void> => {
    for await (const f of runChecks(inputs, {
      limiter,
      selection: opts.selection,
      guard: opts.guard,
      signal,
      ...(opts.now ? { now: opts.now } : {}),
      onCheckRun: (r) => {
        runs++;
        if (r.outcome !== 'ok') {
          incomplete++;
          return;
        }
        addRan(r.target.ip, r.target.port, r.checkId);
      },
    })) addFound(f);
  };
  const templates = async (): Promise<TemplateStageResult | undefined> =>
    opts.templates === undefined
      ? undefined
      : runTemplateStage(inputs, {
        set: opts.templates,
        guard: opts.guard,
        rateLimiter: limiter,
        signal,
        onFinding: addFound,
        onRan: (t, ids) => {
          for (const id of ids) addRan(t.ip, t.port, id);
        },
      });
  const settled = await Promise.allSettled([builtins(), templates()].map((p) => p.catch((e: unknown) => {
    stop.abort();
    throw e;
  })));
  for (const r of settled) if (r.status === 'rejected') throw r.reason;
  const tpl = settled[1]?.status === 'fulfilled' ? (settled[1].value as TemplateStageResult | undefined) : undefined;
  const ts = (opts.now ?? (() => new Date()))().toISOString();
  const facts: FindingObservation[] = inputs.flatMap((i) => {
    const k = key(i.target.ip, i.target.port);
    const checks = [...(ran.get(k) ?? [])].sort();
    const findings = found.get(k) ?? [];
    if (checks.length === 0 && findings.length === 0) return [];
    return [{
      type: 'finding', scanId: opts.scanId, ip: i.target.ip, port: i.target.port, proto: i.target.proto, ts, checks, findings,
      ...(i.target.hostname ? { hostname: i.target.hostname } : {}), ...(opts.worker ? { worker: opts.worker } : {}),
    }];
  });
  if (facts.length > 0) await opts.store.recordObservations(opts.scanId, facts);
  let total = 0;
  for (const l of found.values()) total += l.length;
  return { targets: inputs.length, findings: total, runs, incomplete, ...(tpl ? { templates: tpl } : {}) };
}
