import { runChecks, type CheckInput } from '../checks/check-runner.js';
import { findingToJson, type FindingJson } from '../checks/finding.js';
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
}

export interface CheckStageResult {
  readonly targets: number;
  readonly findings: number;
  readonly runs: number;
  /** Check runs that timed out or failed: they do not count as "ran clean". */
  readonly incomplete: number;
}

/**
 * The check stage: runs the selected checks on every open port of a scan (with what identify said
 * about it) and records, per target, which checks ran cleanly and what they found. A check that
 * timed out is left out of `checks`, so it can never mark an earlier finding fixed.
 */
export async function runCheckStage(opts: CheckStageOptions): Promise<CheckStageResult> {
  const inputs: CheckInput[] = [];
  for await (const o of opts.store.listPortObservations(opts.scanId, { state: 'open' })) {
    inputs.push({ target: { ip: o.ip, port: o.port, proto: o.proto, ...(o.hostname ? { hostname: o.hostname } : {}) }, identity: o.service });
  }
  const key = (ip: string, port: number): string => `${ip}|${port}`;
  const ran = new Map<string, Set<string>>();
  const found = new Map<string, FindingJson[]>();
  let runs = 0;
  let incomplete = 0;
  for await (const f of runChecks(inputs, {
    selection: opts.selection,
    guard: opts.guard,
    ...(opts.signal ? { signal: opts.signal } : {}),
    ...(opts.now ? { now: opts.now } : {}),
    onCheckRun: (r) => {
      runs++;
      if (r.outcome !== 'ok') {
        incomplete++;
        return;
      }
      const k = key(r.target.ip, r.target.port);
      let s = ran.get(k);
      if (!s) ran.set(k, (s = new Set()));
      s.add(r.checkId);
    },
  })) {
    const k = key(f.target.ip, f.target.port);
    let list = found.get(k);
    if (!list) found.set(k, (list = []));
    list.push(findingToJson(f));
  }
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
  return { targets: inputs.length, findings: total, runs, incomplete };
}
