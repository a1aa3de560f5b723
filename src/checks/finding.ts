/**
 * The finding model: what a check says is wrong with one service, with the exact facts that prove it.
 * Identification says what runs; a finding says what is wrong, how sure we are, and how to fix it.
 *
 * A finding is plain JSON-serialisable data. `findingToJson` gives its JSON-line form
 * (`{"type":"finding","check_id":...}`, snake_case), the shape outputs, the store and the API share.
 */
import type { CvssScore } from './cvss.js';

export type { CvssScore } from './cvss.js';

/** Ordered from least to most severe. 'info' is an observation worth recording, not a weakness. */
export type Severity = 'info' | 'low' | 'medium' | 'high' | 'critical';

export const SEVERITIES: readonly Severity[] = ['info', 'low', 'medium', 'high', 'critical'];

/**
 * certain: the server itself proved it (a 230 to anonymous login, a KEXINIT list, a certificate date);
 * firm: strong evidence that still relies on an inference (a response's shape);
 * tentative: a hint (a port number, a banner without protocol negotiation).
 */
export type Confidence = 'certain' | 'firm' | 'tentative';

export const CONFIDENCES: readonly Confidence[] = ['tentative', 'firm', 'certain'];

export type JsonValue = string | number | boolean | null | readonly JsonValue[] | { readonly [key: string]: JsonValue };

/** Evidence is whatever the check saw, keyed snake_case: a certificate's not_after, an offered list... */
export type Evidence = { readonly [key: string]: JsonValue };

export interface FindingTarget {
  readonly ip: string;
  readonly port: number;
  readonly proto: 'tcp' | 'udp';
  /** The name the target came from (SNI / Host header), when it was a name. */
  readonly hostname?: string;
}

export interface FindingReferences {
  /** "CWE-295". */
  readonly cwe: readonly string[];
  /** "CVE-2023-48795". */
  readonly cve: readonly string[];
  readonly urls: readonly string[];
}

export interface Finding {
  /** Stable check id ("tls-expired-cert"): what a later scan matches on to call a finding fixed. */
  readonly checkId: string;
  readonly title: string;
  readonly severity: Severity;
  readonly confidence: Confidence;
  /** True when the check that produced it is not read-only (sent more than safe handshakes). */
  readonly intrusive: boolean;
  readonly target: FindingTarget;
  /** One-line account of this instance ("certificate expired 1785 days ago"). */
  readonly summary: string;
  readonly evidence: Evidence;
  readonly remediation: string;
  readonly references: FindingReferences;
  /** Where a CVSS base score applies (a CVE, or a commonly scored exposure). */
  readonly cvss?: CvssScore;
  /** ISO-8601 time the check saw it. */
  readonly observedAt: string;
}

export function severityRank(s: Severity): number {
  return SEVERITIES.indexOf(s);
}

/** The worse of two severities. */
export function maxSeverity(a: Severity, b: Severity): Severity {
  return severityRank(a) >= severityRank(b) ? a : b;
}

export function isSeverity(v: unknown): v is Severity {
  return typeof v === 'string' && (SEVERITIES as readonly string[]).includes(v);
}

/** JSON-line form of a finding: `type: "finding"` first, snake_case keys, no undefined fields. */
export interface FindingJson {
  readonly type: 'finding';
  readonly check_id: string;
  readonly title: string;
  readonly severity: Severity;
  readonly confidence: Confidence;
  readonly intrusive: boolean;
  readonly target: { readonly ip: string; readonly port: number; readonly proto: 'tcp' | 'udp'; readonly hostname?: string };
  readonly summary: string;
  readonly cvss?: { readonly version: string; readonly vector: string; readonly score: number; readonly rating: string };
  readonly evidence: Evidence;
  readonly remediation: string;
  readonly references: { readonly cwe: readonly string[]; readonly cve: readonly string[]; readonly urls: readonly string[] };
  readonly observed_at: string;
}

export function findingToJson(f: Finding): FindingJson {
  return {
    type: 'finding',
    check_id: f.checkId,
    title: f.title,
    severity: f.severity,
    confidence: f.confidence,
    intrusive: f.intrusive,
    target: { ip: f.target.ip, port: f.target.port, proto: f.target.proto, ...(f.target.hostname !== undefined ? { hostname: f.target.hostname } : {}) },
    summary: f.summary,
    ...(f.cvss !== undefined ? { cvss: { version: f.cvss.version, vector: f.cvss.vector, score: f.cvss.score, rating: f.cvss.rating } } : {}),
    evidence: f.evidence,
    remediation: f.remediation,
    references: { cwe: [...f.references.cwe], cve: [...f.references.cve], urls: [...f.references.urls] },
    observed_at: f.observedAt,
  };
}

/** One JSON line (with its newline) for a finding. */
export function findingToJsonLine(f: Finding): string {
  return `${JSON.stringify(findingToJson(f))}\n`;
}
