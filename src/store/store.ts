import type { Observation, PortObservation } from '../model/observation.js';
import type { ScanCounters, ScanRecord, ScanSpec, ScanStatus } from '../model/scan.js';
import type { Stage, WorkUnit } from '../model/work-unit.js';

/** What one engine batch changes, written in one transaction so a crash never splits it. */
export interface ProgressCommit {
  readonly scanId: string;
  readonly stage: Stage;
  readonly unitIndex: number;
  /** New low watermark of the unit. Never moves back: a lower value (a stale redelivery) leaves it as it is. */
  readonly checkpoint: bigint;
  readonly unitDone: boolean;
  readonly observations: readonly Observation[];
  /**
   * Counter increments since the previous commit of this scan, added in SQL. Unlike observations and
   * the checkpoint they are not idempotent: delivering the same commit twice adds them twice.
   */
  readonly counters: Partial<ScanCounters>;
}

/**
 * The store port. Adapters (SQLite embedded, PostgreSQL for fleets) implement it over Kysely.
 * Every write is idempotent: a redelivered commit or a resumed range never duplicates a row.
 */
export interface Store {
  /** Brings the schema up to date; safe to call on every start. */
  migrate(): Promise<void>;
  /**
   * Records a new scan as `running`. `createdAt` is stored as `Date#toISOString` (UTC, milliseconds) so
   * text order is time order. Re-creating the same id with the same spec returns the stored scan;
   * with another spec it throws TRAWL_E_DB.
   */
  createScan(input: { id: string; spec: ScanSpec; counters: ScanCounters; createdAt: string }): Promise<ScanRecord>;
  getScan(id: string): Promise<ScanRecord | undefined>;
  /**
   * `latest` means the most recently created scan; otherwise an exact id or a unique id prefix
   * (case-sensitive). A prefix of several ids throws TRAWL_E_SCAN_NOT_FOUND saying it is ambiguous.
   */
  findScan(ref: string): Promise<ScanRecord | undefined>;
  /** The most recent scan left `running` or `interrupted`, i.e. one that can be resumed. */
  latestUnfinishedScan(): Promise<ScanRecord | undefined>;
  listScans(limit: number): Promise<ScanRecord[]>;
  setScanStatus(id: string, status: ScanStatus, finishedAt: string | null): Promise<void>;
  /** Inserts units that do not exist yet; existing ones (same scan, stage, index) are left as they are. */
  putWorkUnits(units: readonly WorkUnit[]): Promise<void>;
  listWorkUnits(scanId: string, stage: Stage): Promise<WorkUnit[]>;
  commitProgress(commit: ProgressCommit): Promise<void>;
  /**
   * Idempotent upsert of observations outside any work unit (the identify stage's service facts).
   * The first fact per identity stays, as with commits, so a re-run stage never duplicates a row.
   */
  recordObservations(scanId: string, observations: readonly Observation[]): Promise<void>;
  /**
   * Port observations of a scan in numeric (ip, port, proto) order, IPv4 before IPv6, streamed in pages.
   * Upserts mean one row per (ip, port, proto); when one is observed twice the stronger state wins
   * (open > closed > filtered), so an open port is never overwritten (src/store/observation-merge.ts).
   */
  listPortObservations(scanId: string, filter?: { state?: PortObservation['state'] }): AsyncIterable<PortObservation>;
  countObservations(scanId: string): Promise<number>;
  close(): Promise<void>;
}
