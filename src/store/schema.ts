import type { Generated } from 'kysely';
import type { PortEvidence, PortState, Proto } from '../model/observation.js';
import type { ScanStatus } from '../model/scan.js';
import type { Stage, WorkUnitState } from '../model/work-unit.js';

/**
 * Row types of the store, as Kysely sees them. Column names are snake_case in SQL and mapped to the
 * camelCase model by hand (src/store/row-codec.ts) rather than by a plugin, so every SQL text in the
 * code is the SQL that runs.
 *
 * Numbers that can outgrow 64 bits are decimal TEXT ("bigint text"): counters (a plan over an IPv6
 * range holds more than 2^64 probes) and index-space positions. Canonical form, no sign, no leading
 * zeros, which is what `bigint.toString()` writes; SQL compares two of them by (length, text).
 */
export type BigintText = string;

export interface ScansTable {
  id: string;
  /** ISO-8601 UTC with milliseconds (`Date#toISOString`), so text order is time order. */
  created_at: string;
  finished_at: string | null;
  status: ScanStatus;
  spec_json: string;
  probes_planned: BigintText;
  probes_sent: BigintText;
  probes_answered: BigintText;
  probes_timed_out: BigintText;
  probes_retried: BigintText;
  probes_skipped_blocklist: BigintText;
  probes_skipped_down: BigintText;
  discovery_probes_sent: BigintText;
  open_found: BigintText;
}

export interface WorkUnitsTable {
  scan_id: string;
  stage: Stage;
  unit_index: number;
  range_start: BigintText;
  range_end: BigintText;
  /** Low watermark, range_start <= checkpoint <= range_end (enforced by a CHECK). */
  checkpoint: BigintText;
  state: WorkUnitState;
  attempts: Generated<number>;
  lease_owner: string | null;
  updated_at: string;
}

/**
 * One row per natural identity (scan_id, type, ip_key, port, proto): the identity is the primary key,
 * there is no surrogate id. `ip` is the address as the engine wrote it, `ip_key` its canonical
 * sortable form (src/store/ip-key.ts), which is what identity and order use.
 */
export interface ObservationsTable {
  scan_id: string;
  /** 'port' (discover), 'service' (identify), 'finding' (check): see src/inventory/observation-data.ts. */
  type: ObservationKind;
  ip: string;
  ip_key: string;
  port: number;
  proto: Proto;
  state: PortState;
  evidence: PortEvidence;
  rtt_ms: number | null;
  hostname: string | null;
  worker: string | null;
  ts: string;
  /** Type-specific extras of later observation kinds (banners, certificates); null for ports. */
  data_json: string | null;
}

/** Severity levels of advisories and findings (CVSS qualitative ratings, plus unknown). */
export type SeverityLevel = 'none' | 'low' | 'medium' | 'high' | 'critical' | 'unknown';

/** One OSV record (src/artifact/osv/). `raw_json` is the record as imported; JSON columns are text. */
export interface AdvisoriesTable {
  id: string;
  /** RFC 3339 as the record writes it; an import replaces a row only with a newer `modified`. */
  modified: string;
  published: string | null;
  /** Set: the advisory no longer matches anything, but stays for the record. */
  withdrawn: string | null;
  aliases_json: string;
  /** OSV `related` and `upstream` ids (distro records name their CVEs there). */
  related_json: string;
  summary: string | null;
  severity_vector: string | null;
  severity_score: number | null;
  severity_level: SeverityLevel;
  source: string | null;
  imported_at: string;
  raw_json: string;
}

/** One `affected[]` entry of an advisory, indexed by (ecosystem, package_name). */
export interface AdvisoryAffectedTable {
  advisory_id: string;
  seq: number;
  /** OSV ecosystem without release qualifier ('Debian'); the qualifier ('12') in ecosystem_release. */
  ecosystem: string;
  ecosystem_release: string | null;
  /** Normalised per ecosystem (src/artifact/osv/package-name.ts). */
  package_name: string;
  ranges_json: string;
  versions_json: string;
}

export interface AdvisoryMetaTable {
  key: string;
  value: string;
}

/** One scanned artifact (function package, layer, image layer), keyed by the SHA-256 of its code. */
export interface ArtifactsTable {
  sha256: string;
  kind: string;
  /** Name or ARN it was last seen under; the same code can be deployed under many. */
  name: string;
  /** When the code was last read (inventory taken); the cache TTL counts from here. */
  scanned_at: string;
  /** When findings were last computed, and against which advisory data version. */
  matched_at: string;
  data_version: number;
  inventory_json: string;
  warnings_json: string;
}

export interface ArtifactFindingsTable {
  artifact_sha256: string;
  purl: string;
  advisory_id: string;
  ecosystem: string;
  package_name: string;
  installed_version: string;
  fixed_json: string;
  severity_level: SeverityLevel;
  /** The whole finding as reported (aliases, summary, severity vector and score). */
  finding_json: string;
}

/** Owned by Kysely's Migrator (one row per applied migration); read it, never write it. */
export interface KyselyMigrationTable {
  name: string;
  timestamp: string;
}

/** API (migration 0005-api): one tenant. `scope_json` is the target expressions it may scan. */
export interface OrgsTable {
  id: string;
  name: string;
  scope_json: string;
  created_at: string;
}

export type ApiRole = 'admin' | 'analyst' | 'viewer';

export interface UsersTable {
  id: string;
  org_id: string;
  email: string;
  display_name: string | null;
  role: ApiRole;
  created_at: string;
  disabled_at: string | null;
}

/** An API key: `trawl_<id>_<secret>`; only the SHA-256 of the secret is kept. */
export interface ApiKeysTable {
  id: string;
  org_id: string;
  user_id: string | null;
  name: string;
  role: ApiRole;
  secret_sha256: string;
  created_at: string;
  created_by: string | null;
  revoked_at: string | null;
  last_used_at: string | null;
}

/** One mutating API call: who, in which org, did what to what, with which outcome. */
export interface AuditLogTable {
  id: string;
  org_id: string;
  actor: string;
  actor_role: string;
  action: string;
  target: string | null;
  method: string;
  path: string;
  status_code: number;
  request_id: string;
  ts: string;
  detail_json: string | null;
}

/** What to scan for an org; each run is a scan linked through org_scans. */
export interface AssessmentsTable {
  id: string;
  org_id: string;
  name: string;
  targets_json: string;
  excludes_json: string;
  ports_json: string;
  options_json: string;
  zone: string | null;
  tags_json: string;
  state: 'idle' | 'running';
  last_scan_id: string | null;
  created_at: string;
  updated_at: string;
  created_by: string | null;
}

export type OrgScanStatus = 'running' | 'done' | 'failed' | 'cancelled' | 'interrupted';

/** Which org (and assessment) a scan belongs to, and how its run ended; scans itself has no tenant. */
export interface OrgScansTable {
  scan_id: string;
  org_id: string;
  assessment_id: string | null;
  origin: 'manual' | 'schedule';
  status: OrgScanStatus;
  error: string | null;
  created_at: string;
  finished_at: string | null;
}

export interface SchedulesTable {
  id: string;
  org_id: string;
  assessment_id: string;
  cron: string;
  timezone: string;
  enabled: number;
  next_run_at: string | null;
  last_run_at: string | null;
  last_scan_id: string | null;
  created_at: string;
  updated_at: string;
}

export type NotificationChannel = 'webhook' | 'slack' | 'email';

export interface NotificationRulesTable {
  id: string;
  org_id: string;
  name: string;
  channel: NotificationChannel;
  /** URL (webhook, slack) or comma-separated addresses (email). */
  target: string;
  /** HMAC key of webhook signatures; kept readable because signing needs it. */
  secret: string | null;
  event_types_json: string;
  min_severity: SeverityLevel | null;
  zones_json: string;
  tags_json: string;
  enabled: number;
  created_at: string;
  updated_at: string;
}

export interface NotificationDeliveriesTable {
  id: string;
  org_id: string;
  rule_id: string;
  event_type: string;
  event_id: string;
  status: 'delivered' | 'failed';
  attempts: number;
  response_status: number | null;
  error: string | null;
  created_at: string;
  finished_at: string;
}

/** Kinds of observation rows; only 'port' is written by the discover stage today. */
export type ObservationKind = 'port' | 'service' | 'finding';

/**
 * Inventory (migration 0004-inventory, src/inventory/): a view folded from observations, plus the
 * change events and daily snapshots recorded while folding. Everything but `finding_triage`,
 * `asset_annotations` and `scan_coverage` (user decisions and frozen facts) is rebuildable.
 */
export type AssetState = 'up' | 'gone';
export type ServiceState = 'open' | 'closed' | 'unknown';
export type FindingStatus = 'open' | 'fixed' | 'accepted_risk' | 'false_positive';
export type ChangeKind =
  | 'asset_appeared' | 'port_opened' | 'service_changed' | 'version_changed' | 'cert_rotated' | 'cert_expiring'
  | 'port_closed' | 'finding_opened' | 'finding_reopened' | 'finding_fixed' | 'asset_disappeared';

/** One scan folded into the view; scans fold in (scan_time, scan_id) order per org. */
export interface InventoryScansTable {
  scan_id: string;
  org_id: string;
  /** Hash of what the scan covered (targets, exclusions, ports, shard): "same scope" means equal keys. */
  scope_key: string;
  /** The scan's finish time: the view's clock. */
  scan_time: string;
  /** The previously folded scan of the same org and scope, which events are recorded against. */
  prev_scan_id: string | null;
  events: number;
}

/** What a finished scan covered, computed once and frozen (target files and DNS may change later). */
export interface ScanCoverageTable {
  scan_id: string;
  ports_json: string;
  /** `["4:c0a80000-c0a800ff", ...]`; null when the address set cannot be known (see reason). */
  ranges_json: string | null;
  /** Why silence in this scan is no evidence (unfinished, sharded, target file unreadable); null if it is. */
  unknown_reason: string | null;
}

export interface AssetsTable {
  org_id: string;
  ip_key: string;
  address: string;
  hostnames_json: string;
  zone: string;
  tags_json: string;
  owner: string | null;
  first_seen: string;
  last_seen: string;
  state: AssetState;
  last_scan_id: string;
}

export interface ServicesTable {
  org_id: string;
  ip_key: string;
  port: number;
  proto: Proto;
  address: string;
  service_name: string | null;
  product: string | null;
  version: string | null;
  /** The identity as identify reported it (without per-protocol facts), or null before identification. */
  identity_json: string | null;
  tls_fingerprint: string | null;
  tls_not_after: string | null;
  /** The certificate fingerprint a cert_expiring event was already recorded for. */
  cert_expiry_flagged: string | null;
  first_seen: string;
  last_seen: string;
  state: ServiceState;
  /** Covering scans in a row that saw nothing (no answer, no reset) since it was last seen open. */
  silent_scans: number;
  /** The last scan that saw it open. */
  last_scan_id: string;
}

export interface FindingsTable {
  /** Deterministic: a hash of (org, address, port, proto, check), so a rebuild keeps ids stable. */
  id: string;
  org_id: string;
  ip_key: string;
  address: string;
  /** 0 for findings about the host rather than one service. */
  port: number;
  proto: Proto;
  check_id: string;
  severity: SeverityLevel;
  title: string | null;
  status: FindingStatus;
  first_seen: string;
  last_seen: string;
  /** When the current open period began (first sighting, or the sighting that reopened it). */
  opened_at: string;
  fixed_at: string | null;
  times_seen: number;
  reopened_count: number;
  first_scan_id: string;
  last_scan_id: string;
  evidence_json: string | null;
  triage_by: string | null;
  triage_reason: string | null;
  triage_until: string | null;
  triaged_at: string | null;
}

/** Every triage decision, in order; a rebuild replays each after the scan it followed. */
export interface FindingTriageTable {
  id: string;
  finding_id: string;
  org_id: string;
  status: FindingStatus;
  by: string;
  reason: string;
  until: string | null;
  at: string;
  /** The last scan folded into the org when the decision was made. */
  after_scan_id: string | null;
}

/** Owner, tags and zone set by people; they win over what scans imply. */
export interface AssetAnnotationsTable {
  org_id: string;
  ip_key: string;
  zone: string | null;
  tags_json: string | null;
  owner: string | null;
  updated_at: string;
  updated_by: string | null;
}

export interface ChangesTable {
  /** `<scan id>:<ordinal>`, deterministic so a rebuild reproduces it. */
  id: string;
  org_id: string;
  scan_id: string;
  seq: number;
  prev_scan_id: string | null;
  kind: ChangeKind;
  at: string;
  ip_key: string;
  address: string;
  port: number | null;
  proto: Proto | null;
  check_id: string | null;
  before_json: string | null;
  after_json: string | null;
  evidence: string | null;
}

/** The state of an org at the end of a day (the last scan folded that day). */
export interface InventorySnapshotsTable {
  org_id: string;
  /** YYYY-MM-DD, UTC. */
  day: string;
  scan_id: string;
  at: string;
  open_critical: number;
  open_high: number;
  open_medium: number;
  open_low: number;
  open_none: number;
  open_unknown: number;
  assets: number;
  services: number;
  risk: number;
}

export interface Database {
  orgs: OrgsTable;
  users: UsersTable;
  api_keys: ApiKeysTable;
  audit_log: AuditLogTable;
  assessments: AssessmentsTable;
  org_scans: OrgScansTable;
  schedules: SchedulesTable;
  notification_rules: NotificationRulesTable;
  notification_deliveries: NotificationDeliveriesTable;
  scans: ScansTable;
  work_units: WorkUnitsTable;
  observations: ObservationsTable;
  kysely_migration: KyselyMigrationTable;
  advisories: AdvisoriesTable;
  advisory_affected: AdvisoryAffectedTable;
  advisory_meta: AdvisoryMetaTable;
  artifacts: ArtifactsTable;
  artifact_findings: ArtifactFindingsTable;
  inventory_scans: InventoryScansTable;
  scan_coverage: ScanCoverageTable;
  assets: AssetsTable;
  services: ServicesTable;
  findings: FindingsTable;
  finding_triage: FindingTriageTable;
  asset_annotations: AssetAnnotationsTable;
  changes: ChangesTable;
  inventory_snapshots: InventorySnapshotsTable;
}

/** Counter field of the model → its column. */
export const counterColumns = {
  probesPlanned: 'probes_planned',
  probesSent: 'probes_sent',
  probesAnswered: 'probes_answered',
  probesTimedOut: 'probes_timed_out',
  probesRetried: 'probes_retried',
  probesSkippedBlocklist: 'probes_skipped_blocklist',
  probesSkippedDown: 'probes_skipped_down',
  discoveryProbesSent: 'discovery_probes_sent',
  openFound: 'open_found',
} as const;

export type CounterColumn = (typeof counterColumns)[keyof typeof counterColumns];
