import type { Proto } from '../model/observation.js';
import type { AssetState, ChangeKind, FindingStatus, ServiceState, SeverityLevel } from '../store/schema.js';

export type { AssetState, ChangeKind, FindingStatus, ServiceState, SeverityLevel };

export type JsonValue = null | boolean | number | string | readonly JsonValue[] | { readonly [key: string]: JsonValue };

/** Every change kind, in the order events of one asset are listed. */
export const changeKinds: readonly ChangeKind[] = [
  'asset_appeared', 'port_opened', 'service_changed', 'version_changed', 'cert_rotated', 'cert_expiring',
  'port_closed', 'finding_opened', 'finding_reopened', 'finding_fixed', 'asset_disappeared',
];

/** One typed change between two scans of an org. */
export interface ChangeEvent {
  /** `<scan id>:<ordinal>` for stored events; null for events computed by `diffScans`. */
  readonly id: string | null;
  readonly kind: ChangeKind;
  readonly orgId: string;
  /** The scan that showed the change. */
  readonly scanId: string;
  /** The scan it is compared with: the previous folded scan of the same scope, or diffScans' scan A. */
  readonly prevScanId: string | null;
  /** The scan's finish time. */
  readonly at: string;
  readonly address: string;
  /** null for asset events; 0 for host-level findings. */
  readonly port: number | null;
  readonly proto: Proto | null;
  readonly checkId: string | null;
  readonly before: JsonValue | null;
  readonly after: JsonValue | null;
  /**
   * Why the change is believed: 'syn-ack' / 'reset' / 'silence-<n>' for ports, 'reported' /
   * 'check-ran-clean' / 'port-closed' for findings, 'expires-in-<d>d' for certificates.
   */
  readonly evidence: string | null;
}

/** What identify said about a service, reduced to what changes are judged on. */
export interface ServiceIdentityKey {
  readonly name: string;
  readonly product: string | null;
  readonly version: string | null;
}

export interface TlsCertKey {
  /** SHA-256 of the leaf certificate, lower-case hex without colons. */
  readonly fingerprint: string;
  readonly notAfter: string | null;
}

export interface FoldOptions {
  /** A certificate expiring within this many days of the scan raises cert_expiring (default 30). */
  readonly certExpiryDays?: number;
  /** Covering scans in a row without an answer before an open port counts as closed (default 2). */
  readonly silenceScans?: number;
}

export interface AssetRecord {
  readonly orgId: string;
  readonly address: string;
  readonly hostnames: readonly string[];
  readonly zone: string;
  readonly tags: readonly string[];
  readonly owner: string | null;
  readonly firstSeen: string;
  readonly lastSeen: string;
  readonly state: AssetState;
  readonly lastScanId: string;
}

export interface ServiceRecord {
  readonly orgId: string;
  readonly address: string;
  readonly port: number;
  readonly proto: Proto;
  readonly identity: ServiceIdentityKey | null;
  readonly tls: TlsCertKey | null;
  readonly firstSeen: string;
  readonly lastSeen: string;
  readonly state: ServiceState;
  readonly silentScans: number;
  readonly lastScanId: string;
}

export interface FindingTriage {
  readonly by: string;
  readonly reason: string;
  readonly until: string | null;
  readonly at: string;
}

export interface FindingRecord {
  readonly id: string;
  readonly orgId: string;
  readonly address: string;
  readonly port: number;
  readonly proto: Proto;
  readonly checkId: string;
  readonly severity: SeverityLevel;
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
  /** Evidence of the latest sighting. */
  readonly evidence: JsonValue | null;
  readonly triage: FindingTriage | null;
}
