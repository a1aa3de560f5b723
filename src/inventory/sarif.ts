/**
 * Findings as a SARIF 2.1.0 log (OASIS), for code-scanning dashboards and ticketing bridges. One rule
 * per check id, one result per finding. Network findings have no source file: the location is the
 * service as a URI (`tcp://192.0.2.1:443`, `tcp://[2001:db8::1]:22`, `ip://192.0.2.1` for host-level)
 * plus a logical location of kind "resource". Triage becomes SARIF suppressions; fixed findings are
 * left out unless asked for (then as kind "pass").
 */
import { trawlVersion } from '../output/package-version.js';
import type { FindingRecord, JsonValue, SeverityLevel } from './inventory-types.js';

export type SarifLevel = 'error' | 'warning' | 'note' | 'none';

export interface SarifLog {
  readonly $schema: string;
  readonly version: '2.1.0';
  readonly runs: readonly SarifRun[];
}

export interface SarifRun {
  readonly tool: { readonly driver: { readonly name: string; readonly version: string; readonly semanticVersion: string; readonly rules: readonly SarifRule[] } };
  readonly results: readonly SarifResult[];
  readonly columnKind: 'utf16CodeUnits';
}

export interface SarifRule {
  readonly id: string;
  readonly shortDescription: { readonly text: string };
  readonly defaultConfiguration: { readonly level: SarifLevel };
  readonly properties: { readonly 'security-severity': string; readonly tags: readonly string[] };
}

export interface SarifResult {
  readonly ruleId: string;
  readonly ruleIndex: number;
  readonly kind: 'fail' | 'pass';
  readonly level: SarifLevel;
  readonly message: { readonly text: string };
  readonly locations: readonly {
    readonly physicalLocation: { readonly artifactLocation: { readonly uri: string } };
    readonly logicalLocations: readonly { readonly name: string; readonly fullyQualifiedName: string; readonly kind: 'resource' }[];
  }[];
  readonly partialFingerprints: { readonly 'trawlFinding/v1': string };
  readonly suppressions?: readonly { readonly kind: 'external'; readonly status: 'accepted'; readonly justification: string }[];
  readonly properties: { readonly [key: string]: JsonValue };
}

export const SARIF_SCHEMA = 'https://json.schemastore.org/sarif-2.1.0.json';

const LEVELS: Readonly<Record<SeverityLevel, SarifLevel>> = { critical: 'error', high: 'error', medium: 'warning', low: 'note', none: 'note', unknown: 'warning' };
/** GitHub's numeric `security-severity` (CVSS-like: >= 9 critical, >= 7 high, >= 4 medium). */
const SECURITY_SEVERITY: Readonly<Record<SeverityLevel, string>> = { critical: '9.5', high: '8.0', medium: '5.5', low: '2.0', none: '0.0', unknown: '5.0' };
const SEVERITY_ORDER: readonly SeverityLevel[] = ['critical', 'high', 'medium', 'unknown', 'low', 'none'];

export function sarifFromFindings(findings: readonly FindingRecord[], opts: { includeFixed?: boolean } = {}): SarifLog {
  const kept = findings.filter((f) => opts.includeFixed === true || f.status !== 'fixed');
  // A rule's default level is that of its worst finding; its description the first title seen.
  const rules = new Map<string, { severity: SeverityLevel; title: string | null }>();
  for (const f of kept) {
    const r = rules.get(f.checkId);
    if (r === undefined) rules.set(f.checkId, { severity: f.severity, title: f.title });
    else {
      if (SEVERITY_ORDER.indexOf(f.severity) < SEVERITY_ORDER.indexOf(r.severity)) r.severity = f.severity;
      r.title ??= f.title;
    }
  }
  const ruleIds = [...rules.keys()].sort();
  const ruleIndex = new Map(ruleIds.map((id, i) => [id, i]));
  const sarifRules: SarifRule[] = ruleIds.map((id) => {
    const r = rules.get(id)!;
    return {
      id,
      shortDescription: { text: r.title ?? id },
      defaultConfiguration: { level: LEVELS[r.severity] },
      properties: { 'security-severity': SECURITY_SEVERITY[r.severity], tags: ['security', 'network'] },
    };
  });
  const results: SarifResult[] = kept.map((f) => {
    const where = locationName(f);
    const fixed = f.status === 'fixed';
    const triaged = f.status === 'accepted_risk' || f.status === 'false_positive';
    return {
      ruleId: f.checkId,
      ruleIndex: ruleIndex.get(f.checkId)!,
      kind: fixed ? 'pass' : 'fail',
      level: fixed ? 'none' : LEVELS[f.severity],
      message: { text: `${f.title ?? f.checkId} on ${where}` },
      locations: [{
        physicalLocation: { artifactLocation: { uri: locationUri(f) } },
        logicalLocations: [{ name: where, fullyQualifiedName: `${f.orgId}/${where}`, kind: 'resource' }],
      }],
      partialFingerprints: { 'trawlFinding/v1': f.id },
      ...(triaged && f.triage !== null
        ? { suppressions: [{ kind: 'external' as const, status: 'accepted' as const, justification: `${f.status === 'false_positive' ? 'false positive' : 'accepted risk'} by ${f.triage.by}: ${f.triage.reason}${f.triage.until !== null ? ` (until ${f.triage.until})` : ''}` }] }
        : {}),
      properties: {
        severity: f.severity,
        status: f.status,
        firstSeen: f.firstSeen,
        lastSeen: f.lastSeen,
        timesSeen: f.timesSeen,
        lastScanId: f.lastScanId,
        ...(f.evidence !== null ? { evidence: f.evidence } : {}),
      },
    };
  });
  const version = trawlVersion();
  return {
    $schema: SARIF_SCHEMA,
    version: '2.1.0',
    runs: [{ tool: { driver: { name: 'Trawl', version, semanticVersion: version, rules: sarifRules } }, results, columnKind: 'utf16CodeUnits' }],
  };
}

function hostPart(address: string): string {
  // RFC 6874: a zone id's '%' is written %25 inside the brackets.
  return address.includes(':') ? `[${address.replace('%', '%25')}]` : address;
}

function locationName(f: FindingRecord): string {
  return f.port === 0 ? f.address : `${hostPart(f.address)}:${f.port}/${f.proto}`;
}

function locationUri(f: FindingRecord): string {
  return f.port === 0 ? `ip://${hostPart(f.address)}` : `${f.proto}://${hostPart(f.address)}:${f.port}`;
}
