/**
 * Daily trends. Folding a scan overwrites the org's snapshot for the scan's (UTC) day, so each day
 * keeps the state after its last scan; a series carries the last snapshot forward over days without
 * a scan (the inventory did not change when nobody looked).
 */
import type { Kysely, Selectable } from 'kysely';
import { TrawlError } from '../errors/trawl-error.js';
import type { Database, InventorySnapshotsTable, SeverityLevel } from '../store/schema.js';
import { riskScores } from './risk-score.js';

const DAY_MS = 86_400_000;
const MAX_DAYS = 3660;

export interface TrendPoint {
  /** YYYY-MM-DD (UTC). */
  readonly day: string;
  /** 'scan': a scan was folded that day; 'carried': the previous snapshot; 'none': before any scan. */
  readonly source: 'scan' | 'carried' | 'none';
  readonly open: Readonly<Record<SeverityLevel, number>>;
  readonly openTotal: number;
  readonly assets: number;
  readonly services: number;
  readonly risk: number;
}

export function utcDay(iso: string): string {
  return new Date(Date.parse(iso)).toISOString().slice(0, 10);
}

/** Computes and stores the org's snapshot for the day of `at`. */
export async function recordSnapshot(db: Kysely<Database>, orgId: string, scanId: string, at: string): Promise<Selectable<InventorySnapshotsTable>> {
  const bySeverity = await db
    .selectFrom('findings')
    .select((eb) => ['severity', eb.fn.countAll().as('n')])
    .where('org_id', '=', orgId)
    .where('status', '=', 'open')
    .groupBy('severity')
    .execute();
  const count = (s: SeverityLevel): number => Number(bySeverity.find((r) => r.severity === s)?.n ?? 0);
  const assets = await db.selectFrom('assets').select((eb) => eb.fn.countAll().as('n')).where('org_id', '=', orgId).where('state', '=', 'up').executeTakeFirstOrThrow();
  const services = await db
    .selectFrom('services')
    .select((eb) => eb.fn.countAll().as('n'))
    .where('org_id', '=', orgId)
    .where('state', 'in', ['open', 'unknown'])
    .executeTakeFirstOrThrow();
  const risk = await riskScores(db, { orgId, at });
  const row: Selectable<InventorySnapshotsTable> = {
    org_id: orgId,
    day: utcDay(at),
    scan_id: scanId,
    at,
    open_critical: count('critical'),
    open_high: count('high'),
    open_medium: count('medium'),
    open_low: count('low'),
    open_none: count('none'),
    open_unknown: count('unknown'),
    assets: Number(assets.n),
    services: Number(services.n),
    risk: risk.score,
  };
  const { org_id: _o, day: _d, ...rest } = row;
  await db.insertInto('inventory_snapshots').values(row).onConflict((oc) => oc.columns(['org_id', 'day']).doUpdateSet(rest)).execute();
  return row;
}

/** `days` daily points ending with the day of `until` (default today, UTC), oldest first. */
export async function trendSeries(db: Kysely<Database>, opts: { days: number; orgId?: string; until?: string }): Promise<TrendPoint[]> {
  const days = opts.days;
  if (!Number.isInteger(days) || days < 1 || days > MAX_DAYS) throw new TrawlError('TRAWL_E_BAD_OPTION', `trend days must be an integer in 1-${MAX_DAYS}, got ${String(days)}`, { value: days });
  const orgId = opts.orgId ?? 'default';
  const untilMs = opts.until === undefined ? Date.now() : Date.parse(opts.until);
  if (Number.isNaN(untilMs)) throw new TrawlError('TRAWL_E_BAD_OPTION', `trend "until" is not an ISO-8601 time: ${JSON.stringify(opts.until)}`, { value: opts.until });
  const lastDay = utcDay(new Date(untilMs).toISOString());
  const firstDay = utcDay(new Date(Date.parse(`${lastDay}T00:00:00.000Z`) - (days - 1) * DAY_MS).toISOString());

  const before = await db
    .selectFrom('inventory_snapshots')
    .selectAll()
    .where('org_id', '=', orgId)
    .where('day', '<', firstDay)
    .orderBy('day', 'desc')
    .limit(1)
    .executeTakeFirst();
  const inRange = await db
    .selectFrom('inventory_snapshots')
    .selectAll()
    .where('org_id', '=', orgId)
    .where('day', '>=', firstDay)
    .where('day', '<=', lastDay)
    .orderBy('day')
    .execute();
  const byDay = new Map(inRange.map((r) => [r.day, r]));
  let carried: Selectable<InventorySnapshotsTable> | undefined = before;
  const out: TrendPoint[] = [];
  for (let i = 0; i < days; i++) {
    const day = utcDay(new Date(Date.parse(`${firstDay}T00:00:00.000Z`) + i * DAY_MS).toISOString());
    const snap = byDay.get(day);
    if (snap !== undefined) carried = snap;
    out.push(point(day, snap !== undefined ? 'scan' : carried !== undefined ? 'carried' : 'none', carried));
  }
  return out;
}

function point(day: string, source: TrendPoint['source'], s: Selectable<InventorySnapshotsTable> | undefined): TrendPoint {
  const open: Record<SeverityLevel, number> = {
    critical: Number(s?.open_critical ?? 0),
    high: Number(s?.open_high ?? 0),
    medium: Number(s?.open_medium ?? 0),
    low: Number(s?.open_low ?? 0),
    none: Number(s?.open_none ?? 0),
    unknown: Number(s?.open_unknown ?? 0),
  };
  return {
    day,
    source,
    open,
    openTotal: Object.values(open).reduce((a, b) => a + b, 0),
    assets: Number(s?.assets ?? 0),
    services: Number(s?.services ?? 0),
    risk: Number(s?.risk ?? 0),
  };
}
