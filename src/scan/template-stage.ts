/**
 * The nuclei part of the check stage: which templates suit which open port, running them, and
 * turning what they say into findings and "ran" records the inventory understands.
 *
 * Targeting, from what identify found:
 *   http   every service identified as HTTP, on any port; BaseURL https:// when it is reached
 *          through TLS.
 *   tcp    every open TCP port, unless the template names its ports (`port:` or `{{Host}}:6379`):
 *          then only those; `tls://` hosts only on TLS services.
 *   ssl    TLS services (an `address` with a fixed port: only that port).
 * Connections go to the scanned address; the name the target came from is only Host/SNI.
 *
 * A template whose run on a target was complete (every exchange answered) and found nothing
 * counts as a check that ran clean there — its check ids go into the target's `checks`, which is
 * what lets the inventory call an earlier finding fixed. Timeouts, refusals and skips never do.
 */
import type { CheckTarget } from '../checks/check.js';
import type { Finding } from '../checks/finding.js';
import type { HostRateLimiter } from '../checks/host-rate-limiter.js';
import { httpView, overTls } from '../checks/identity-facts.js';
import { runTemplateJobs, templateCheckIds, toFinding, type NucleiTarget, type NucleiTemplate, type RunOutcome, type TemplateJob, type TemplateSet } from '../checks/nuclei/index.js';
import type { ServiceIdentity } from '../engines/identify/service-identity.js';
import { isTrawlError } from '../errors/index.js';

export interface TemplateStageInput {
  readonly target: CheckTarget;
  readonly identity: ServiceIdentity | undefined;
}

export interface TemplateStageOptions {
  readonly set: TemplateSet;
  readonly guard: (ip: string, family: 4 | 6) => void;
  readonly signal?: AbortSignal;
  /** Shared with the built-in checks, so a host sees one connection budget. */
  readonly rateLimiter?: HostRateLimiter;
  /** A finding, as the templates report them. */
  readonly onFinding: (f: Finding) => void;
  /** Check ids a complete run on `target` vouches for (clean or matched without gaps). */
  readonly onRan: (target: CheckTarget, checkIds: readonly string[]) => void;
}

export interface TemplateStageResult {
  /** (template, target) pairs chosen. */
  readonly jobs: number;
  readonly outcomes: Readonly<Record<RunOutcome, number>>;
  readonly findings: number;
  /** The signal stopped the stage before every job finished. */
  readonly interrupted: boolean;
}

function isHttp(identity: ServiceIdentity | undefined): boolean {
  if (identity === undefined) return false;
  const n = identity.name.toLowerCase();
  return n === 'http' || n === 'https' || n.startsWith('http-') || n === 'ssl/http' || httpView(identity) !== undefined;
}

function isTls(identity: ServiceIdentity | undefined): boolean {
  if (identity === undefined) return false;
  const n = identity.name.toLowerCase();
  return overTls(identity) || n === 'https' || n === 'ssl' || n === 'tls' || n.startsWith('ssl/');
}

interface Aim {
  readonly kind: 'http' | 'tcp' | 'ssl';
  /** Ports the template only works on; undefined: any. */
  readonly ports?: ReadonlySet<number>;
  /** Every host is tls://: only TLS services. */
  readonly tlsOnly: boolean;
}

const FIXED_PORT = /:(\d{1,5})$/;

/** Where a template can run, read from its requests. */
export function aimOf(t: NucleiTemplate): Aim {
  if (t.protocol === 'http') return { kind: 'http', tlsOnly: false };
  const ports = new Set<number>();
  let any = false;
  let tlsOnly = true;
  for (const r of t.requests) {
    if (r.kind === 'tcp') {
      if (r.hosts.some((h) => !h.startsWith('tls://'))) tlsOnly = false;
      if (r.ports.length > 0) {
        for (const p of r.ports) ports.add(p);
        continue;
      }
      for (const h of r.hosts) {
        const m = FIXED_PORT.exec(h);
        if (m) ports.add(Number(m[1]));
        else any = true;
      }
    } else if (r.kind === 'ssl') {
      const m = FIXED_PORT.exec(r.address);
      if (m) ports.add(Number(m[1]));
      else any = true;
    }
  }
  const kind = t.protocol === 'ssl' ? 'ssl' : 'tcp';
  return { kind, ...(any || ports.size === 0 ? {} : { ports }), tlsOnly: kind === 'tcp' && tlsOnly };
}

/** The (template, target) pairs the stage runs, in input order. */
export function templateJobs(set: TemplateSet, inputs: readonly TemplateStageInput[]): TemplateJob[] {
  const aims = set.templates.map((t) => [t, aimOf(t)] as const);
  const jobs: TemplateJob[] = [];
  for (const i of inputs) {
    if (i.target.proto !== 'tcp') continue;
    const tls = isTls(i.identity);
    const http = isHttp(i.identity);
    const target: NucleiTarget = { host: i.target.hostname ?? i.target.ip, ip: i.target.ip, port: i.target.port, tls };
    for (const [t, aim] of aims) {
      if (aim.ports !== undefined && !aim.ports.has(i.target.port)) continue;
      if (aim.kind === 'http' && !http) continue;
      if (aim.kind === 'ssl' && !tls) continue;
      if (aim.kind === 'tcp' && aim.tlsOnly && !tls) continue;
      jobs.push([t, target]);
    }
  }
  return jobs;
}

export async function runTemplateStage(inputs: readonly TemplateStageInput[], opts: TemplateStageOptions): Promise<TemplateStageResult> {
  const jobs = templateJobs(opts.set, inputs);
  const outcomes: Record<RunOutcome, number> = { matched: 0, clean: 0, timeout: 0, error: 0, skipped: 0 };
  let findings = 0;
  if (jobs.length === 0) return { jobs: 0, outcomes, findings, interrupted: false };
  const byId = new Map(opts.set.templates.map((t) => [t.id, t]));
  const targetOf = new Map(inputs.map((i) => [`${i.target.ip}|${i.target.port}`, i.target]));
  try {
    for await (const e of runTemplateJobs(jobs, {
      ...opts.set.limits,
      guard: opts.guard,
      ...(opts.signal ? { signal: opts.signal } : {}),
      ...(opts.rateLimiter ? { rateLimiter: opts.rateLimiter } : {}),
    })) {
      if (e.kind === 'match') {
        findings++;
        const f = toFinding(e);
        const t = targetOf.get(`${e.target.ip}|${e.target.port}`);
        // The finding is about the scanned port; its name (if any) is the one the scan used.
        opts.onFinding(t ? { ...f, target: t } : f);
        continue;
      }
      outcomes[e.outcome]++;
      const template = byId.get(e.templateId);
      const target = targetOf.get(`${e.target.ip}|${e.target.port}`);
      if (template && target && e.complete) opts.onRan(target, templateCheckIds(template));
    }
  } catch (e) {
    // Stopped from outside: keep what finished, as the built-in checks do; the caller knows it stopped.
    if (!(isTrawlError(e) && e.code === 'TRAWL_E_INTERRUPTED' && opts.signal?.aborted)) throw e;
    return { jobs: jobs.length, outcomes, findings, interrupted: true };
  }
  return { jobs: jobs.length, outcomes, findings, interrupted: false };
}
