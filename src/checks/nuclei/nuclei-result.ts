/**
 * What a template run reports: NucleiResult (everything nuclei would print). `toFinding` turns one into
 * the check stage's Finding (src/checks/finding.ts); `toFindingSighting` maps one onto the inventory's
 * FindingSighting (src/inventory/observation-data.ts):
 *   checkId   = "nuclei:<template-id>" (":<matcher-name>" appended when a named matcher fired)
 *   severity  = nuclei severity, with info → none
 *   title     = info.name
 *   evidence  = matchedAt, extracted values, classification, references (bounded)
 * NucleiRunRecord says that a template ran on a target (clean or not): the inventory needs that to
 * call an earlier finding fixed.
 */
import type { Evidence, Finding, JsonValue as FindingJsonValue, Severity } from '../finding.js';
import { cvss31, type CvssScore } from '../cvss.js';
import { TrawlError } from '../../errors/trawl-error.js';
import type { FindingSighting } from '../../inventory/observation-data.js';
import type { JsonValue } from '../../inventory/inventory-types.js';
import type { TrawlErrorCode } from '../../errors/error-catalogue.js';
import { isIP } from 'node:net';
import type { NucleiSeverity, NucleiTemplate, TemplateClassification, TemplateProtocol } from './template-types.js';

export interface NucleiTarget {
  /** http(s)://host:port/path; derived from host/port/tls when absent. */
  readonly url?: string;
  /** Name or address the service was found under (Host header, SNI, {{Host}}). */
  readonly host: string;
  readonly port: number;
  readonly tls?: boolean;
  /** The address connections go to. Names are never resolved by the engine. */
  readonly ip: string;
}

export interface NucleiResult {
  readonly kind: 'match';
  readonly templateId: string;
  readonly templatePath: string;
  readonly name: string;
  readonly severity: NucleiSeverity;
  readonly tags: readonly string[];
  readonly reference: readonly string[];
  readonly classification?: TemplateClassification;
  readonly protocol: TemplateProtocol;
  readonly target: NucleiTarget;
  /** URL (http) or host:port (tcp, ssl) of the response that matched. */
  readonly matchedAt: string;
  readonly matcherName?: string;
  /** Extracted values by extractor name ('' for unnamed extractors). */
  readonly extracted: Readonly<Record<string, readonly string[]>>;
  /** Every extracted value, in order (nuclei's extracted-results). */
  readonly extractedResults: readonly string[];
  /** Words/patterns collected by match-all matchers. */
  readonly matchedValues: readonly string[];
  /** The template does more than read-only probing (see NucleiTemplate.intrusive). */
  readonly intrusive: boolean;
  readonly description?: string;
  readonly remediation?: string;
  /** Payload values used for the matching request. */
  readonly payload?: Readonly<Record<string, string>>;
  /** Start of the request and response (capped) for reports. */
  readonly request?: string;
  readonly response?: string;
  readonly ts: string;
}

/**
 * matched: at least one result. clean: every exchange was answered and nothing matched — the only
 * outcome that says "not there". timeout: an exchange timed out or the template's time budget ran
 * out. error: refused, answered in another protocol, a service given up on, a budget spent, a bug.
 * skipped: nothing was sent (port filter, non-TLS target, unresolved variables).
 */
export type RunOutcome = 'matched' | 'clean' | 'timeout' | 'error' | 'skipped';

export interface NucleiRunRecord {
  readonly kind: 'ran';
  readonly templateId: string;
  readonly protocol: TemplateProtocol;
  readonly target: NucleiTarget;
  readonly outcome: RunOutcome;
  /**
   * Every exchange the template meant to make was made and answered: true for clean, and for a
   * match that was not cut short. Only a complete run can say a matcher did not fire.
   */
  readonly complete: boolean;
  /** Requests (connections) actually sent. */
  readonly requests: number;
  readonly matches: number;
  /** Why requests were skipped, connection failures, and the like. */
  readonly notes: readonly string[];
  /** CONNECT: the service did not answer usably; LIMIT: the request budget ran out. */
  readonly error?: { readonly code: TrawlErrorCode | 'CONNECT' | 'LIMIT'; readonly message: string };
}

export type NucleiEvent = NucleiResult | NucleiRunRecord;

const SEVERITY: Readonly<Record<NucleiSeverity, FindingSighting['severity']>> = {
  info: 'none',
  low: 'low',
  medium: 'medium',
  high: 'high',
  critical: 'critical',
  unknown: 'unknown',
};

const MAX_EVIDENCE_VALUES = 20;
const MAX_EVIDENCE_VALUE = 500;
const MAX_EVIDENCE_RESPONSE = 1024;

export function findingCheckId(r: Pick<NucleiResult, 'templateId' | 'matcherName'>): string {
  return r.matcherName ? `nuclei:${r.templateId}:${r.matcherName}` : `nuclei:${r.templateId}`;
}

/**
 * Every check id a template's findings can carry: nuclei:<id>, and nuclei:<id>:<name> for each named
 * matcher of an OR block (nuclei reports those separately). A complete run vouches for all of them.
 */
export function templateCheckIds(t: NucleiTemplate): string[] {
  const ids = new Set<string>([`nuclei:${t.id}`]);
  for (const r of t.requests) {
    if (r.operators.condition !== 'or') continue;
    for (const m of r.operators.matchers) if (m.name !== undefined && !m.internal) ids.add(findingCheckId({ templateId: t.id, matcherName: m.name }));
  }
  return [...ids];
}

export function toFindingSighting(r: NucleiResult): FindingSighting {
  const clip = (v: readonly string[]): string[] => v.slice(0, MAX_EVIDENCE_VALUES).map((s) => s.slice(0, MAX_EVIDENCE_VALUE));
  const evidence: Record<string, JsonValue> = { matchedAt: r.matchedAt, template: r.templatePath };
  if (r.extractedResults.length > 0) evidence['extracted'] = clip(r.extractedResults);
  if (r.matchedValues.length > 0) evidence['matched'] = clip(r.matchedValues);
  if (r.classification) {
    evidence['classification'] = {
      cve: [...r.classification.cveId],
      cwe: [...r.classification.cweId],
      ...(r.classification.cvssScore !== undefined ? { cvss: r.classification.cvssScore } : {}),
    };
  }
  if (r.reference.length > 0) evidence['reference'] = clip(r.reference);
  return { checkId: findingCheckId(r), severity: SEVERITY[r.severity], title: r.name, evidence };
}

const FINDING_SEVERITY: Readonly<Record<NucleiSeverity, Severity>> = {
  info: 'info',
  low: 'low',
  medium: 'medium',
  high: 'high',
  critical: 'critical',
  unknown: 'info',
};

function cvssOf(r: NucleiResult): CvssScore | undefined {
  const v = r.classification?.cvssMetrics;
  if (v === undefined || !v.startsWith('CVSS:3.1/')) return undefined;
  try {
    return cvss31(v);
  } catch (e) {
    if (e instanceof TrawlError) return undefined; // a template's bad vector costs the score, not the finding
    throw e;
  }
}

/**
 * The Finding for one match. Confidence is 'firm': a template match is evidence from the response's
 * shape, not a protocol-level proof. Evidence keys are snake_case, values capped.
 */
export function toFinding(r: NucleiResult): Finding {
  const clip = (v: readonly string[]): string[] => v.slice(0, MAX_EVIDENCE_VALUES).map((s) => s.slice(0, MAX_EVIDENCE_VALUE));
  const evidence: Record<string, FindingJsonValue> = { template_id: r.templateId, template_path: r.templatePath, matched_at: r.matchedAt, protocol: r.protocol };
  if (r.matcherName) evidence['matcher_name'] = r.matcherName;
  if (r.extractedResults.length > 0) evidence['extracted'] = clip(r.extractedResults);
  if (r.matchedValues.length > 0) evidence['matched'] = clip(r.matchedValues);
  if (r.payload) evidence['payload'] = Object.fromEntries(Object.entries(r.payload).slice(0, MAX_EVIDENCE_VALUES).map(([k, v]) => [k, v.slice(0, MAX_EVIDENCE_VALUE)]));
  // The start of what matched: the request line and the response as received.
  if (r.request !== undefined) evidence['request'] = r.request.split(/\r?\n/, 1)[0]!.slice(0, MAX_EVIDENCE_VALUE);
  if (r.response !== undefined) evidence['response'] = r.response.slice(0, MAX_EVIDENCE_RESPONSE);
  if (r.tags.length > 0) evidence['tags'] = clip(r.tags);
  const shown = r.extractedResults.length > 0 ? `: ${clip(r.extractedResults.slice(0, 3)).join(', ')}` : '';
  const cvss = cvssOf(r);
  const hostname = isIP(r.target.host) === 0 ? r.target.host : undefined;
  return {
    checkId: findingCheckId(r),
    title: r.name,
    severity: FINDING_SEVERITY[r.severity],
    confidence: 'firm',
    intrusive: r.intrusive,
    target: { ip: r.target.ip, port: r.target.port, proto: 'tcp', ...(hostname !== undefined ? { hostname } : {}) },
    summary: `${r.name} at ${r.matchedAt}${r.matcherName ? ` (${r.matcherName})` : ''}${shown}`.slice(0, 500),
    evidence: evidence as Evidence,
    remediation: r.remediation ?? '',
    references: { cwe: r.classification?.cweId ?? [], cve: r.classification?.cveId ?? [], urls: clip(r.reference) },
    ...(cvss ? { cvss } : {}),
    observedAt: r.ts,
  };
}
