/**
 * What a check is. Most checks only read the facts identification already gathered (`traffic:
 * 'facts'`): no packet is sent. Some make a few requests of their own (`traffic: 'requests'`), always
 * read-only, always through `CheckContext` so the runner's rate limit, timeout and egress guard apply.
 *
 * `safe` means read-only handshakes and requests only: never a login with guessed credentials, never
 * an exploit, nothing that changes the target. `--checks safe` runs only safe checks; anything else is
 * intrusive, opt-in (`--checks all` or by id) and labelled so on its findings.
 */
import type { ServiceIdentity } from '../engines/identify/service-identity.js';
import { cvss31 } from './cvss.js';
import type { Confidence, Evidence, Finding, FindingReferences, FindingTarget, Severity } from './finding.js';

export type CheckTarget = FindingTarget;

export interface CheckContext {
  /** Fires when this check run's time is up or the caller aborts. */
  readonly signal: AbortSignal;
  /** Milliseconds this check run may still take. */
  remainingMs(): number;
  /** The scan's egress guard: throws to refuse an address. Every connection passes it. */
  readonly guard: ((ip: string, family: 4 | 6) => void) | undefined;
  /** Awaited before every new connection to `ip`: the runner's per-host rate limit. */
  beforeConnect(ip: string): Promise<void>;
  now(): Date;
}

/** A check's description, shared by all its findings. */
export interface CheckMeta {
  /** Stable id, lower-case words joined by dashes. Never reused for another meaning. */
  readonly id: string;
  readonly title: string;
  /** The usual severity; a finding may differ when its instance is milder or worse (it says why). */
  readonly severity: Severity;
  /** Read-only handshakes and requests only. */
  readonly safe: boolean;
  /** 'facts': reads the identity only; 'requests': sends requests of its own (described in `description`). */
  readonly traffic: 'facts' | 'requests';
  /** What it looks at and how it decides, for `trawl checks` listings and reports. */
  readonly description: string;
  readonly remediation: string;
  readonly references: Partial<FindingReferences>;
  /** CVSS 3.1 vector every finding of this check carries (unless the finding gives its own). */
  readonly cvssVector?: string;
}

export interface Check extends CheckMeta {
  /** Whether the check has anything to look at on this service. Cheap, no I/O. */
  appliesTo(identity: ServiceIdentity, target: CheckTarget): boolean;
  run(target: CheckTarget, identity: ServiceIdentity, ctx: CheckContext): Promise<Finding[]>;
}

/** The parts of a finding that differ per instance. */
export interface FindingDetails {
  readonly summary: string;
  readonly evidence: Evidence;
  readonly confidence: Confidence;
  readonly severity?: Severity;
  /** Overrides the check's CVSS vector; null: no CVSS for this instance. */
  readonly cvssVector?: string | null;
  /** Added to the check's references. */
  readonly references?: Partial<FindingReferences>;
}

function merged(a: readonly string[] | undefined, b: readonly string[] | undefined): string[] {
  return [...new Set([...(a ?? []), ...(b ?? [])])];
}

export function makeFinding(meta: CheckMeta, target: CheckTarget, now: Date, d: FindingDetails): Finding {
  const vector = d.cvssVector === null ? undefined : (d.cvssVector ?? meta.cvssVector);
  return {
    checkId: meta.id,
    title: meta.title,
    severity: d.severity ?? meta.severity,
    confidence: d.confidence,
    intrusive: !meta.safe,
    target: { ip: target.ip, port: target.port, proto: target.proto, ...(target.hostname !== undefined ? { hostname: target.hostname } : {}) },
    summary: d.summary,
    evidence: d.evidence,
    remediation: meta.remediation,
    references: {
      cwe: merged(meta.references.cwe, d.references?.cwe),
      cve: merged(meta.references.cve, d.references?.cve),
      urls: merged(meta.references.urls, d.references?.urls),
    },
    ...(vector !== undefined ? { cvss: cvss31(vector) } : {}),
    observedAt: now.toISOString(),
  };
}

/** Stands in for a port identification could not name, so port-hinted checks can still apply. */
export function unidentified(): ServiceIdentity {
  return { name: 'unknown', cpe: [], method: 'table', confidence: 0 };
}
