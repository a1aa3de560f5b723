/** Keyset-paged readers of observations and of the view, in ip_key order, for the merge join. */
import type { Kysely, Selectable } from 'kysely';
import type { AssetAnnotationsTable, AssetsTable, Database, FindingsTable, ObservationKind, ObservationsTable, ServicesTable } from '../store/schema.js';
import { PagedSide } from './key-merge.js';

export type ObsRow = Pick<Selectable<ObservationsTable>, 'ip_key' | 'ip' | 'port' | 'proto' | 'state' | 'evidence' | 'hostname' | 'ts' | 'data_json'>;
export type ServiceRow = Selectable<ServicesTable>;
export type FindingRow = Selectable<FindingsTable>;
export type AssetRow = Selectable<AssetsTable>;
export type AnnotationRow = Selectable<AssetAnnotationsTable>;

/** Rows per page and side: small pages keep what is in flight young (cheaper to collect). */
export const PAGE_ROWS = 1000;

export function observationSide(db: Kysely<Database>, scanId: string, type: ObservationKind, pageSize = PAGE_ROWS): PagedSide<ObsRow> {
  return new PagedSide<ObsRow>(async (after) => {
    let q = db
      .selectFrom('observations')
      .select(['ip_key', 'ip', 'port', 'proto', 'state', 'evidence', 'hostname', 'ts', 'data_json'])
      .where('scan_id', '=', scanId)
      .where('type', '=', type);
    if (after !== undefined) q = q.where((eb) => eb(eb.refTuple('ip_key', 'port', 'proto'), '>', eb.tuple(after.ip_key, after.port, after.proto)));
    // Integer columns come back as numbers from both drivers (int4 in PostgreSQL): no per-row copy.
    return q.orderBy('ip_key').orderBy('port').orderBy('proto').limit(pageSize).execute();
  }, pageSize);
}

export function servicesSide(db: Kysely<Database>, orgId: string, pageSize = PAGE_ROWS): PagedSide<ServiceRow> {
  return new PagedSide<ServiceRow>(async (after) => {
    let q = db.selectFrom('services').selectAll().where('org_id', '=', orgId);
    if (after !== undefined) q = q.where((eb) => eb(eb.refTuple('ip_key', 'port', 'proto'), '>', eb.tuple(after.ip_key, after.port, after.proto)));
    return q.orderBy('ip_key').orderBy('port').orderBy('proto').limit(pageSize).execute();
  }, pageSize);
}

export function findingsSide(db: Kysely<Database>, orgId: string, pageSize = PAGE_ROWS): PagedSide<FindingRow> {
  return new PagedSide<FindingRow>(async (after) => {
    let q = db.selectFrom('findings').selectAll().where('org_id', '=', orgId);
    if (after !== undefined) {
      q = q.where((eb) => eb(eb.refTuple('ip_key', 'port', 'proto', 'check_id'), '>', eb.tuple(after.ip_key, after.port, after.proto, after.check_id)));
    }
    return q.orderBy('ip_key').orderBy('port').orderBy('proto').orderBy('check_id').limit(pageSize).execute();
  }, pageSize);
}

export function assetsSide(db: Kysely<Database>, orgId: string, pageSize = PAGE_ROWS): PagedSide<AssetRow> {
  return new PagedSide<AssetRow>(async (after) => {
    let q = db.selectFrom('assets').selectAll().where('org_id', '=', orgId);
    if (after !== undefined) q = q.where('ip_key', '>', after.ip_key);
    return q.orderBy('ip_key').limit(pageSize).execute();
  }, pageSize);
}

export function annotationsSide(db: Kysely<Database>, orgId: string, pageSize = PAGE_ROWS): PagedSide<AnnotationRow> {
  return new PagedSide<AnnotationRow>(async (after) => {
    let q = db.selectFrom('asset_annotations').selectAll().where('org_id', '=', orgId);
    if (after !== undefined) q = q.where('ip_key', '>', after.ip_key);
    return q.orderBy('ip_key').limit(pageSize).execute();
  }, pageSize);
}
