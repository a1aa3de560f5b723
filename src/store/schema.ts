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
  type: 'port';
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

export interface Database {
  scans: ScansTable;
  work_units: WorkUnitsTable;
  observations: ObservationsTable;
  kysely_migration: KyselyMigrationTable;
  advisories: AdvisoriesTable;
  advisory_affected: AdvisoryAffectedTable;
  advisory_meta: AdvisoryMetaTable;
  artifacts: ArtifactsTable;
  artifact_findings: ArtifactFindingsTable;
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
