import { sql, type Kysely } from 'kysely';
import { findingFromRow } from '../../inventory/finding-lifecycle.js';
import { assetFromRow, changeFromRow } from '../../inventory/inventory-queries.js';
import type { AssetRecord, ChangeEvent, FindingRecord } from '../../inventory/inventory-types.js';
import { ipSortKey } from '../../store/ip-key.js';
import type { AssetState, ChangeKind, Database, FindingStatus, SeverityLevel } from '../../store/schema.js';
import type { SortDirection } from '../pagination/cursor.js';
import { keysetPage, mapPage, type Page, type SortKey } from '../pagination/keyset.js';
import { jsonArrayContains } from './like-pattern.js';

type PageArgs = { limit: number; cursor?: string; sort: SortKey; direction: SortDirection };

/**
 * Severity as a number, highest first when sorted descending. The same expression (same text) is
 * indexed by migration 0005 — (org_id, rank, id) — so sorting a million findings by severity and
 * seeking to a deep cursor is an index range scan on SQLite and PostgreSQL alike.
 */
export const severityRankSql = sql<number>`(case severity when 'critical' then 5 when 'high' then 4 when 'medium' then 3 when 'low' then 2 when 'none' then 1 else 0 end)`;

export const findingSorts: Readonly<Record<string, SortKey>> = {
  severity: { name: 'severity', columns: [severityRankSql, 'id'] },
  lastSeen: { name: 'lastSeen', columns: ['last_seen', 'id'] },
  firstSeen: { name: 'firstSeen', columns: ['first_seen', 'id'] },
  address: { name: 'address', columns: ['ip_key', 'port', 'proto', 'check_id'] },
};

export interface FindingFilter {
  readonly severity?: readonly SeverityLevel[];
  readonly status?: readonly FindingStatus[];
  readonly check?: string;
  /** An address (any spelling): the asset's findings. */
  readonly asset?: string;
  readonly port?: number;
}

const rankOf: Record<SeverityLevel, number> = { critical: 5, high: 4, medium: 3, low: 2, none: 1, unknown: 0 };

export async function listFindingsPage(db: Kysely<Database>, orgId: string, f: FindingFilter, p: PageArgs): Promise<Page<FindingRecord>> {
  let q = db.selectFrom('findings').selectAll().select(severityRankSql.as('severity_rank')).where('org_id', '=', orgId);
  if (f.severity !== undefined && f.severity.length > 0) q = q.where('severity', 'in', [...f.severity]);
  if (f.status !== undefined && f.status.length > 0) q = q.where('status', 'in', [...f.status]);
  if (f.check !== undefined) q = q.where('check_id', '=', f.check);
  if (f.asset !== undefined) q = q.where('ip_key', '=', ipSortKey(f.asset));
  if (f.port !== undefined) q = q.where('port', '=', f.port);
  const keyOf = (r: { id: string; severity: SeverityLevel; last_seen: string; first_seen: string; ip_key: string; port: number; proto: string; check_id: string }) => {
    switch (p.sort.name) {
      case 'severity': return [rankOf[r.severity], r.id];
      case 'lastSeen': return [r.last_seen, r.id];
      case 'firstSeen': return [r.first_seen, r.id];
      default: return [r.ip_key, Number(r.port), r.proto, r.check_id];
    }
  };
  return mapPage(await keysetPage(q, p, keyOf), (r) => findingFromRow(r));
}

export async function getOrgFinding(db: Kysely<Database>, orgId: string, id: string): Promise<FindingRecord | undefined> {
  const row = await db.selectFrom('findings').selectAll().where('org_id', '=', orgId).where('id', '=', id).executeTakeFirst();
  return row && findingFromRow(row);
}

export const assetSorts: Readonly<Record<string, SortKey>> = {
  address: { name: 'address', columns: ['ip_key'] },
  lastSeen: { name: 'lastSeen', columns: ['last_seen', 'ip_key'] },
};

export async function listAssetsPage(
  db: Kysely<Database>, orgId: string, f: { state?: AssetState; zone?: string; tag?: string; owner?: string }, p: PageArgs,
): Promise<Page<AssetRecord>> {
  let q = db.selectFrom('assets').selectAll().where('org_id', '=', orgId);
  if (f.state !== undefined) q = q.where('state', '=', f.state);
  if (f.zone !== undefined) q = q.where('zone', '=', f.zone);
  if (f.owner !== undefined) q = q.where('owner', '=', f.owner);
  if (f.tag !== undefined) q = q.where(jsonArrayContains('tags_json', f.tag));
  return mapPage(await keysetPage(q, p, (r) => (p.sort.name === 'lastSeen' ? [r.last_seen, r.ip_key] : [r.ip_key])), assetFromRow);
}

export async function getAsset(db: Kysely<Database>, orgId: string, address: string): Promise<AssetRecord | undefined> {
  const row = await db.selectFrom('assets').selectAll().where('org_id', '=', orgId).where('ip_key', '=', ipSortKey(address)).executeTakeFirst();
  return row && assetFromRow(row);
}

export const changeSorts: Readonly<Record<string, SortKey>> = {
  at: { name: 'at', columns: ['at', 'id'] },
};

export async function listChangesPage(
  db: Kysely<Database>, orgId: string, f: { kind?: readonly ChangeKind[]; scanId?: string; asset?: string; since?: string; until?: string }, p: PageArgs,
): Promise<Page<ChangeEvent>> {
  let q = db.selectFrom('changes').selectAll().where('org_id', '=', orgId);
  if (f.kind !== undefined && f.kind.length > 0) q = q.where('kind', 'in', [...f.kind]);
  if (f.scanId !== undefined) q = q.where('scan_id', '=', f.scanId);
  if (f.asset !== undefined) q = q.where('ip_key', '=', ipSortKey(f.asset));
  if (f.since !== undefined) q = q.where('at', '>=', f.since);
  if (f.until !== undefined) q = q.where('at', '<', f.until);
  return mapPage(await keysetPage(q, p, (r) => [r.at, r.id]), changeFromRow);
}
