/** The REST API's documents as the dashboard reads them (see /openapi.json). */

export type Role = 'admin' | 'analyst' | 'viewer';
export type Severity = 'critical' | 'high' | 'medium' | 'low' | 'none' | 'unknown';
export type FindingStatus = 'open' | 'fixed' | 'accepted_risk' | 'false_positive';
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export const severities: readonly Severity[] = ['critical', 'high', 'medium', 'low', 'none', 'unknown'];
export const findingStatuses: readonly FindingStatus[] = ['open', 'accepted_risk', 'false_positive', 'fixed'];

export interface Page<T> {
  readonly items: T[];
  readonly nextCursor: string | null;
}

export interface Session {
  readonly orgId: string;
  readonly orgName: string;
  readonly role: Role;
  readonly actor: string;
  readonly strategy: string;
  readonly user: { readonly id: string; readonly email: string; readonly displayName: string | null } | null;
  readonly keyId: string | null;
}

export interface Org {
  readonly id: string;
  readonly name: string;
  readonly scope: string[];
  readonly createdAt: string;
}

export interface Asset {
  readonly address: string;
  readonly hostnames: string[];
  readonly zone: string;
  readonly tags: string[];
  readonly owner: string | null;
  readonly firstSeen: string;
  readonly lastSeen: string;
  readonly state: 'up' | 'gone';
  readonly lastScanId: string;
}

export interface Service {
  readonly address: string;
  readonly port: number;
  readonly proto: string;
  readonly identity: { readonly name: string; readonly product: string | null; readonly version: string | null; readonly banner?: string | null } | null;
  readonly tls: { readonly fingerprint: string; readonly notAfter: string | null } | null;
  /** The asset's (the services list sends them; a host's own page does not need them). */
  readonly hostnames?: readonly string[];
  readonly zone?: string | null;
  readonly tags?: readonly string[];
  /** Open findings on this service (services list). */
  readonly findings?: { readonly open: number; readonly maxSeverity: Severity | null };
  readonly firstSeen: string;
  readonly lastSeen: string;
  readonly state: 'open' | 'closed' | 'unknown';
  readonly silentScans: number;
  readonly lastScanId: string;
}

export interface Triage {
  readonly by: string;
  readonly reason: string;
  readonly until: string | null;
  readonly at: string;
}

export interface Finding {
  readonly id: string;
  readonly address: string;
  readonly port: number;
  readonly proto: string;
  readonly checkId: string;
  readonly severity: Severity;
  readonly title: string | null;
  readonly status: FindingStatus;
  readonly firstSeen: string;
  readonly lastSeen: string;
  readonly openedAt: string;
  readonly fixedAt: string | null;
  readonly timesSeen: number;
  readonly reopenedCount: number;
  readonly firstScanId: string;
  readonly lastScanId: string;
  readonly evidence: Json;
  readonly triage: Triage | null;
}

export type ChangeKind =
  | 'asset_appeared' | 'port_opened' | 'service_changed' | 'version_changed' | 'cert_rotated' | 'cert_expiring'
  | 'port_closed' | 'finding_opened' | 'finding_reopened' | 'finding_fixed' | 'asset_disappeared';

export interface Change {
  readonly id: string | null;
  readonly kind: ChangeKind;
  readonly scanId: string;
  readonly prevScanId: string | null;
  readonly at: string;
  readonly address: string;
  readonly port: number | null;
  readonly proto: string | null;
  readonly checkId: string | null;
  readonly before: Json;
  readonly after: Json;
  readonly evidence: string | null;
}

export interface AssessmentOptions {
  readonly applyBlocklist: boolean;
  readonly discovery: 'auto' | 'on' | 'off';
  readonly retries?: number;
  readonly rate?: number;
  /** Unset: the server's default (on). */
  readonly identify?: boolean;
  /** Unset: the server's default (safe). */
  readonly checks?: 'none' | 'safe' | 'all';
}

export interface Assessment {
  readonly id: string;
  readonly name: string;
  readonly targets: string[];
  readonly excludes: string[];
  readonly ports: string;
  readonly options: AssessmentOptions;
  readonly zone: string | null;
  readonly tags: string[];
  readonly state: 'idle' | 'running';
  readonly lastScanId: string | null;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly createdBy: string | null;
}

export interface Counters {
  readonly probesPlanned: number;
  readonly probesSent: number;
  readonly probesAnswered: number;
  readonly probesTimedOut: number;
  readonly probesRetried: number;
  readonly probesSkippedBlocklist: number;
  readonly probesSkippedDown: number;
  readonly discoveryProbesSent: number;
  readonly openFound: number;
}

export type ScanStatus = 'running' | 'done' | 'failed' | 'cancelled' | 'interrupted';

export interface Scan {
  readonly id: string;
  readonly assessmentId: string | null;
  readonly origin: 'manual' | 'schedule';
  readonly status: ScanStatus;
  readonly error: string | null;
  readonly createdAt: string;
  readonly finishedAt: string | null;
  readonly targets: string[];
  readonly excludes: string[];
  readonly ports: number;
  readonly counters: Counters;
}

export interface LiveProgress {
  readonly phase: string;
  readonly done: number;
  readonly planned: number;
  readonly sent: number;
  readonly openFound: number;
}

export interface AssessmentStatus extends Assessment {
  readonly live: { readonly scanId: string; readonly startedAt: string; readonly progress: LiveProgress } | null;
  readonly lastScan: Scan | null;
}

export interface Schedule {
  readonly id: string;
  readonly assessmentId: string;
  readonly cron: string;
  readonly timezone: string;
  readonly enabled: boolean;
  readonly nextRunAt: string | null;
  readonly lastRunAt: string | null;
  readonly lastScanId: string | null;
  readonly createdAt: string;
  readonly updatedAt: string;
}

export interface Diff {
  readonly base: string;
  readonly head: string;
  readonly total: number;
  readonly truncated: boolean;
  readonly counts: Record<string, number>;
  readonly changes: Change[];
}

export interface ApiKey {
  readonly id: string;
  readonly name: string;
  readonly role: Role;
  readonly userId: string | null;
  readonly createdAt: string;
  readonly createdBy: string | null;
  readonly revokedAt: string | null;
  readonly lastUsedAt: string | null;
}

export interface User {
  readonly id: string;
  readonly email: string;
  readonly displayName: string | null;
  readonly role: Role;
  readonly createdAt: string;
  readonly disabledAt: string | null;
}

export type Channel = 'webhook' | 'slack' | 'email';
export const notificationEventTypes = ['scan.finished', 'scan.failed', 'scan.cancelled', 'finding.opened', 'finding.reopened', 'finding.fixed', 'change.detected', 'test'] as const;

export interface Rule {
  readonly id: string;
  readonly name: string;
  readonly channel: Channel;
  readonly target: string;
  readonly secretSet: boolean;
  readonly eventTypes: string[];
  readonly minSeverity: Severity | null;
  readonly zones: string[];
  readonly tags: string[];
  readonly enabled: boolean;
  readonly createdAt: string;
  readonly updatedAt: string;
}

export interface Delivery {
  readonly id: string;
  readonly ruleId: string;
  readonly eventType: string;
  readonly eventId: string;
  readonly status: 'delivered' | 'failed';
  readonly attempts: number;
  readonly responseStatus: number | null;
  readonly error: string | null;
  readonly createdAt: string;
  readonly finishedAt: string;
}

export interface AuditEntry {
  readonly id: string;
  readonly actor: string;
  readonly actorRole: string;
  readonly action: string;
  readonly target: string | null;
  readonly method: string;
  readonly path: string;
  readonly statusCode: number;
  readonly requestId: string;
  readonly ts: string;
}

export interface TrendPoint {
  readonly day: string;
  readonly source: 'scan' | 'carried' | 'none';
  readonly open: Record<Severity, number>;
  readonly openTotal: number;
  readonly assets: number;
  readonly services: number;
  readonly risk: number;
}

export interface RiskReport {
  readonly at: string;
  readonly score: number;
  readonly assets: { readonly address: string; readonly zone: string; readonly score: number; readonly openFindings: number; readonly exposedServices: number }[];
}
