/**
 * applyScan folds one finished scan into its org's view; rebuildInventory recomputes the whole view
 * from every finished scan's observations, in scan order, through the same fold. People's decisions
 * (finding_triage, asset_annotations) and frozen scan facts (scan_coverage) are kept and replayed.
 */
import { PostgresAdapter, sql, type Kysely } from 'kysely';
import { TrawlError } from '../errors/trawl-error.js';
import type { Database } from '../store/schema.js';
import { applyTriage, expireTriage } from './finding-lifecycle.js';
import { foldScan, type ResolvedFoldOptions } from './inventory-fold.js';
import { listChanges } from './inventory-queries.js';
import type { ChangeEvent, FoldOptions } from './inventory-types.js';
import { compareScanOrder, loadCoverage, loadScan, scanContext } from './scan-context.js';
import { recordSnapshot } from './trend-series.js';

export interface ApplyResult {
  readonly scanId: string;
  readonly orgId: string;
  /** The previously folded scan of the same scope, which the events are recorded against. */
  readonly prevScanId: string | null;
  /** False when the scan was already folded (its stored events are returned). */
  readonly applied: boolean;
  readonly events: readonly ChangeEvent[];
}

export function resolveFoldOptions(o: FoldOptions = {}): ResolvedFoldOptions {
  const certExpiryDays = o.certExpiryDays ?? 30;
  const silenceScans = o.silenceScans ?? 2;
  if (!Number.isInteger(certExpiryDays) || certExpiryDays < 0 || certExpiryDays > 3650) {
    throw new TrawlError('TRAWL_E_BAD_OPTION', `certExpiryDays must be an integer in 0-3650, got ${String(certExpiryDays)}`, { value: certExpiryDays });
  }
  if (!Number.isInteger(silenceScans) || silenceScans < 1 || silenceScans > 100) {
    throw new TrawlError('TRAWL_E_BAD_OPTION', `silenceScans must be an integer in 1-100, got ${String(silenceScans)}`, { value: silenceScans });
  }
  return { certExpiryDays, silenceScans };
}

/**
 * Folds a finished scan into the inventory of its org, in one transaction: view rows, change events
 * (against the previous folded scan of the same scope), triage expiry and the day's snapshot.
 * Idempotent: a scan already folded returns its stored events. Scans of an org must be folded in the
 * order they finished (a rebuild replays them in that order); an older scan is refused with
 * TRAWL_E_CONFLICT.
 */
export async function applyScan(db: Kysely<Database>, scanId: string, opts: FoldOptions = {}): Promise<ApplyResult> {
  const options = resolveFoldOptions(opts);
  return inTransaction(db, (trx) => applyInTransaction(trx, scanId, options));
}

async function applyInTransaction(trx: Kysely<Database>, scanId: string, options: ResolvedFoldOptions): Promise<ApplyResult> {
  await foldLock(trx);
  const scan = await loadScan(trx, scanId);
  const done = await trx.selectFrom('inventory_scans').selectAll().where('scan_id', '=', scanId).executeTakeFirst();
  if (done !== undefined) {
    return { scanId, orgId: done.org_id, prevScanId: done.prev_scan_id, applied: false, events: await listChanges(trx, { orgId: done.org_id, scanId, limit: Number.MAX_SAFE_INTEGER }) };
  }
  if (scan.status !== 'done') {
    throw new TrawlError('TRAWL_E_CONFLICT', `scan ${scanId} is ${scan.status}; only finished scans are folded into the inventory`, { scanId, status: scan.status });
  }
  const ctx = await scanContext(trx, scan);
  const last = await trx
    .selectFrom('inventory_scans')
    .select(['scan_id', 'scan_time'])
    .where('org_id', '=', ctx.orgId)
    .orderBy('scan_time', 'desc')
    .orderBy('scan_id', 'desc')
    .limit(1)
    .executeTakeFirst();
  if (last !== undefined && compareScanOrder({ time: last.scan_time, id: last.scan_id }, { time: ctx.time, id: scanId }) > 0) {
    throw new TrawlError(
      'TRAWL_E_CONFLICT',
      `scan ${scanId} finished at ${ctx.time}, before scan ${last.scan_id} (${last.scan_time}) which org ${ctx.orgId}'s inventory already holds; fold scans in the order they finish, or rebuild the inventory`,
      { scanId, latest: last.scan_id },
    );
  }
  const prev = await trx
    .selectFrom('inventory_scans')
    .select('scan_id')
    .where('org_id', '=', ctx.orgId)
    .where('scope_key', '=', ctx.scopeKey)
    .orderBy('scan_time', 'desc')
    .orderBy('scan_id', 'desc')
    .limit(1)
    .executeTakeFirst();
  const prevScanId = prev?.scan_id ?? null;
  const coverage = await loadCoverage(trx, scan, true);
  // Lapsed triage first, so a finding whose acceptance ran out is judged as open by this scan.
  await expireTriage(trx, ctx.orgId, ctx.time);
  const events = await foldScan(trx, ctx, prevScanId, coverage, options);
  await trx
    .insertInto('inventory_scans')
    .values({ scan_id: scanId, org_id: ctx.orgId, scope_key: ctx.scopeKey, scan_time: ctx.time, prev_scan_id: prevScanId, events: events.length })
    .execute();
  await recordSnapshot(trx, ctx.orgId, scanId, ctx.time);
  return { scanId, orgId: ctx.orgId, prevScanId, applied: true, events };
}

export interface RebuildResult {
  readonly scans: number;
  readonly events: number;
  readonly triageReplayed: number;
}

/**
 * Recomputes the view (all orgs) from the observations of every finished scan, in scan order, in one
 * transaction. Triage decisions are replayed right after the scan they followed. Gives exactly the
 * view incremental application gave, when every finished scan was applied in finish order with the
 * same options.
 */
export async function rebuildInventory(db: Kysely<Database>, opts: FoldOptions = {}): Promise<RebuildResult> {
  const options = resolveFoldOptions(opts);
  return inTransaction(db, async (trx) => {
    await foldLock(trx);
    for (const table of ['changes', 'inventory_snapshots', 'findings', 'services', 'assets', 'inventory_scans'] as const) {
      await trx.deleteFrom(table).execute();
    }
    const scans = (await trx.selectFrom('scans').select(['id', 'finished_at', 'created_at']).where('status', '=', 'done').execute())
      .map((s) => ({ id: s.id, time: s.finished_at ?? s.created_at }))
      .sort(compareScanOrder);
    const triage = await trx.selectFrom('finding_triage').selectAll().orderBy('at').orderBy('id').execute();
    const byScan = new Map<string, typeof triage>();
    const orphans: typeof triage = [];
    const folded = new Set(scans.map((s) => s.id));
    for (const t of triage) {
      if (t.after_scan_id === null || !folded.has(t.after_scan_id)) orphans.push(t);
      else {
        let list = byScan.get(t.after_scan_id);
        if (list === undefined) byScan.set(t.after_scan_id, (list = []));
        list.push(t);
      }
    }
    let events = 0;
    for (const s of scans) {
      events += (await applyInTransaction(trx, s.id, options)).events.length;
      for (const t of byScan.get(s.id) ?? []) await applyTriage(trx, t);
    }
    for (const t of orphans) await applyTriage(trx, t);
    return { scans: scans.length, events, triageReplayed: triage.length };
  });
}

/**
 * Folds are serialised: on PostgreSQL (several workers, READ COMMITTED) by a transaction-scoped
 * advisory lock, so two folds never both pass the order check or interleave their view writes. SQLite
 * has one writer at a time anyway (a second one waits, or fails with SQLITE_BUSY, never interleaves).
 */
async function foldLock(trx: Kysely<Database>): Promise<void> {
  if (trx.getExecutor().adapter instanceof PostgresAdapter) {
    await sql`select pg_advisory_xact_lock(hashtextextended('trawl:inventory-fold', 0))`.execute(trx);
  } else {
    // SQLite: write first, so the fold holds the write lock before it reads. Another process on the
    // file (a `trawl worker`) committing between the fold's reads and its first write would otherwise
    // fail the fold at once with SQLITE_BUSY_SNAPSHOT; this way it waits out the busy timeout instead.
    await sql`update inventory_scans set scan_id = scan_id where 0`.execute(trx);
  }
}

async function inTransaction<T>(db: Kysely<Database>, fn: (trx: Kysely<Database>) => Promise<T>): Promise<T> {
  return db.isTransaction ? fn(db) : db.transaction().execute(fn);
}
