import { sql, type Kysely, type Selectable } from 'kysely';
import type { PortObservation, PortState } from '../../model/observation.js';
import type { ScanRecord } from '../../model/scan.js';
import { portObservationFromRow, scanFromRow } from '../../store/row-codec.js';
import type { Database, OrgScanStatus, OrgScansTable, ScansTable } from '../../store/schema.js';
import { nowIso } from '../ids.js';
import type { SortDirection } from '../pagination/cursor.js';
import { keysetPage, mapPage, type Page, type SortKey } from '../pagination/keyset.js';

export interface ScanCountersView {
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

export interface ScanView {
  readonly id: string;
  readonly assessmentId: string | null;
  readonly origin: 'manual' | 'schedule';
  /** How the run ended (or `running`); finer than the store's scan status: cancelled vs interrupted. */
  readonly status: OrgScanStatus;
  readonly error: string | null;
  readonly createdAt: string;
  readonly finishedAt: string | null;
  readonly targets: readonly string[];
  readonly excludes: readonly string[];
  readonly ports: number;
  readonly counters: ScanCountersView;
}

/** Counters fit doubles: runScan refuses probe spaces of 2^52 and more. */
export function countersView(scan: ScanRecord): ScanCountersView {
  const c = scan.counters;
  return {
    probesPlanned: Number(c.probesPlanned), probesSent: Number(c.probesSent), probesAnswered: Number(c.probesAnswered),
    probesTimedOut: Number(c.probesTimedOut), probesRetried: Number(c.probesRetried), probesSkippedBlocklist: Number(c.probesSkippedBlocklist),
    probesSkippedDown: Number(c.probesSkippedDown), discoveryProbesSent: Number(c.discoveryProbesSent), openFound: Number(c.openFound),
  };
}

type JoinedRow = Selectable<ScansTable> & Pick<Selectable<OrgScansTable>, 'assessment_id' | 'origin' | 'error'> & { run_status: OrgScanStatus; org_created_at: string };

function scanView(r: JoinedRow): ScanView {
  const scan = scanFromRow(r);
  return {
    id: scan.id, assessmentId: r.assessment_id, origin: r.origin, status: r.run_status, error: r.error, createdAt: scan.createdAt,
    finishedAt: scan.finishedAt, targets: scan.spec.targets, excludes: scan.spec.excludes, ports: scan.spec.ports.length, counters: countersView(scan),
  };
}

function joined(db: Kysely<Database>, orgId: string) {
  return db
    .selectFrom('org_scans as o')
    .innerJoin('scans as s', 's.id', 'o.scan_id')
    .selectAll('s')
    .select(['o.assessment_id', 'o.origin', 'o.error', 'o.status as run_status', 'o.created_at as org_created_at'])
    .where('o.org_id', '=', orgId);
}

export const scanSorts: Readonly<Record<string, SortKey>> = {
  createdAt: { name: 'createdAt', columns: ['o.created_at', 'o.scan_id'] },
};

export interface ScanFilter {
  readonly assessmentId?: string;
  readonly status?: OrgScanStatus;
}

export async function listScans(
  db: Kysely<Database>, orgId: string, f: ScanFilter,
  p: { limit: number; cursor?: string; sort: SortKey; direction: SortDirection },
): Promise<Page<ScanView>> {
  let q = joined(db, orgId);
  if (f.assessmentId !== undefined) q = q.where('o.assessment_id', '=', f.assessmentId);
  if (f.status !== undefined) q = q.where('o.status', '=', f.status);
  return mapPage(await keysetPage(q, p, (r) => [r.org_created_at, r.id]), scanView);
}

export async function getScan(db: Kysely<Database>, orgId: string, scanId: string): Promise<ScanView | undefined> {
  const row = await joined(db, orgId).where('o.scan_id', '=', scanId).executeTakeFirst();
  return row && scanView(row);
}

/** The raw scan record, only if it belongs to the org. */
export async function getOrgScanRecord(db: Kysely<Database>, orgId: string, scanId: string): Promise<ScanRecord | undefined> {
  const row = await db.selectFrom('scans as s').innerJoin('org_scans as o', 'o.scan_id', 's.id').selectAll('s').where('o.org_id', '=', orgId).where('s.id', '=', scanId).executeTakeFirst();
  return row && scanFromRow(row);
}

export const resultSorts: Readonly<Record<string, SortKey>> = {
  address: { name: 'address', columns: ['ip_key', 'port', 'proto'] },
};

/** Port observations of one scan (the caller has checked the org owns it), in address order. */
export async function listResults(
  db: Kysely<Database>, scanId: string, f: { state?: PortState; port?: number },
  p: { limit: number; cursor?: string; sort: SortKey; direction: SortDirection },
): Promise<Page<PortObservation>> {
  let q = db.selectFrom('observations').selectAll().where('scan_id', '=', scanId).where('type', '=', 'port');
  if (f.state !== undefined) q = q.where('state', '=', sql.lit(f.state));
  if (f.port !== undefined) q = q.where('port', '=', f.port);
  return mapPage(await keysetPage(q, p, (r) => [r.ip_key, Number(r.port), r.proto]), portObservationFromRow);
}

export async function recordOrgScan(
  db: Kysely<Database>, row: { scanId: string; orgId: string; assessmentId: string | null; origin: 'manual' | 'schedule'; createdAt: string },
): Promise<void> {
  await db.insertInto('org_scans').values({
    scan_id: row.scanId, org_id: row.orgId, assessment_id: row.assessmentId, origin: row.origin, status: 'running', error: null,
    created_at: row.createdAt, finished_at: null,
  }).onConflict((oc) => oc.column('scan_id').doNothing()).execute();
}

export async function finishOrgScan(db: Kysely<Database>, scanId: string, status: OrgScanStatus, error: string | null): Promise<void> {
  await db.updateTable('org_scans').set({ status, error, finished_at: nowIso() }).where('scan_id', '=', scanId).execute();
}

/** After a restart no scan of this process is running any more, except `keep` (fleet runs picked up again). */
export async function interruptRunningOrgScans(db: Kysely<Database>, keep: readonly string[] = []): Promise<number> {
  let q = db.updateTable('org_scans').set({ status: 'interrupted', finished_at: nowIso() }).where('status', '=', 'running');
  if (keep.length > 0) q = q.where('scan_id', 'not in', [...keep]);
  const r = await q.executeTakeFirst();
  return Number(r.numUpdatedRows);
}
