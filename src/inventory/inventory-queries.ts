/** Reading the view (for the CLI and the API), and the one write people make to assets: annotations. */
import type { Kysely, Selectable } from 'kysely';
import { TrawlError } from '../errors/trawl-error.js';
import { ipSortKey } from '../store/ip-key.js';
import type { AssetsTable, ChangesTable, Database, ServicesTable } from '../store/schema.js';
import { canonicalAddress } from './change-rules.js';
import { findingFromRow } from './finding-lifecycle.js';
import type { AssetRecord, AssetState, ChangeEvent, ChangeKind, FindingRecord, FindingStatus, ServiceRecord, ServiceState } from './inventory-types.js';
import { parseJsonColumn } from './observation-data.js';

const DEFAULT_LIMIT = 10_000;

export interface ChangeQuery {
  readonly orgId?: string;
  readonly scanId?: string;
  /** Events at or after this time. */
  readonly since?: string;
  readonly kinds?: readonly ChangeKind[];
  readonly limit?: number;
}

/** Stored change events, oldest first (by scan time, then scan, then ordinal). */
export async function listChanges(db: Kysely<Database>, q: ChangeQuery = {}): Promise<ChangeEvent[]> {
  let query = db.selectFrom('changes').selectAll().where('org_id', '=', q.orgId ?? 'default');
  if (q.scanId !== undefined) query = query.where('scan_id', '=', q.scanId);
  if (q.since !== undefined) query = query.where('at', '>=', q.since);
  if (q.kinds !== undefined && q.kinds.length > 0) query = query.where('kind', 'in', [...q.kinds]);
  const limit = Math.max(0, Math.min(q.limit ?? DEFAULT_LIMIT, Number.MAX_SAFE_INTEGER));
  const rows = await query.orderBy('at').orderBy('scan_id').orderBy('seq').limit(limit).execute();
  return rows.map(changeFromRow);
}

export function changeFromRow(r: Selectable<ChangesTable>): ChangeEvent {
  return {
    id: r.id,
    kind: r.kind,
    orgId: r.org_id,
    scanId: r.scan_id,
    prevScanId: r.prev_scan_id,
    at: r.at,
    address: r.address,
    port: r.port === null ? null : Number(r.port),
    proto: r.proto,
    checkId: r.check_id,
    before: parseJsonColumn(r.before_json),
    after: parseJsonColumn(r.after_json),
    evidence: r.evidence,
  };
}

export async function listAssets(db: Kysely<Database>, q: { orgId?: string; state?: AssetState } = {}): Promise<AssetRecord[]> {
  let query = db.selectFrom('assets').selectAll().where('org_id', '=', q.orgId ?? 'default');
  if (q.state !== undefined) query = query.where('state', '=', q.state);
  return (await query.orderBy('ip_key').execute()).map(assetFromRow);
}

export function assetFromRow(r: Selectable<AssetsTable>): AssetRecord {
  return {
    orgId: r.org_id,
    address: r.address,
    hostnames: JSON.parse(r.hostnames_json) as string[],
    zone: r.zone,
    tags: JSON.parse(r.tags_json) as string[],
    owner: r.owner,
    firstSeen: r.first_seen,
    lastSeen: r.last_seen,
    state: r.state,
    lastScanId: r.last_scan_id,
  };
}

export async function listServices(db: Kysely<Database>, q: { orgId?: string; state?: ServiceState; address?: string } = {}): Promise<ServiceRecord[]> {
  let query = db.selectFrom('services').selectAll().where('org_id', '=', q.orgId ?? 'default');
  if (q.state !== undefined) query = query.where('state', '=', q.state);
  if (q.address !== undefined) query = query.where('ip_key', '=', ipSortKey(q.address));
  return (await query.orderBy('ip_key').orderBy('port').orderBy('proto').execute()).map(serviceFromRow);
}

export function serviceFromRow(r: Selectable<ServicesTable>): ServiceRecord {
  return {
    orgId: r.org_id,
    address: r.address,
    port: Number(r.port),
    proto: r.proto,
    identity: r.service_name === null ? null : { name: r.service_name, product: r.product, version: r.version },
    tls: r.tls_fingerprint === null ? null : { fingerprint: r.tls_fingerprint, notAfter: r.tls_not_after },
    firstSeen: r.first_seen,
    lastSeen: r.last_seen,
    state: r.state,
    silentScans: Number(r.silent_scans),
    lastScanId: r.last_scan_id,
  };
}

export async function listFindings(db: Kysely<Database>, q: { orgId?: string; status?: FindingStatus | readonly FindingStatus[] } = {}): Promise<FindingRecord[]> {
  let query = db.selectFrom('findings').selectAll().where('org_id', '=', q.orgId ?? 'default');
  if (q.status !== undefined) query = query.where('status', 'in', typeof q.status === 'string' ? [q.status] : [...q.status]);
  return (await query.orderBy('ip_key').orderBy('port').orderBy('proto').orderBy('check_id').execute()).map(findingFromRow);
}

export async function getFinding(db: Kysely<Database>, id: string): Promise<FindingRecord | undefined> {
  const row = await db.selectFrom('findings').selectAll().where('id', '=', id).executeTakeFirst();
  return row === undefined ? undefined : findingFromRow(row);
}

export interface AssetAnnotation {
  readonly orgId?: string;
  readonly address: string;
  /** undefined leaves a field as it is; null clears it. */
  readonly zone?: string | null;
  readonly tags?: readonly string[] | null;
  readonly owner?: string | null;
  readonly by?: string;
  readonly at?: string;
}

const MAX_ANNOTATION = 200;
const MAX_TAGS = 64;

/**
 * Sets owner, tags or zone of an address (known yet or not): kept apart from the view so a rebuild
 * keeps it, and applied to the asset row now. A rebuild applies the current annotations to all history.
 */
export async function annotateAsset(db: Kysely<Database>, a: AssetAnnotation): Promise<void> {
  const orgId = a.orgId ?? 'default';
  const ipKey = ipSortKey(a.address);
  const text = (v: string | null | undefined, what: string): string | null | undefined => {
    if (v === undefined || v === null) return v;
    if (typeof v !== 'string' || v.length === 0 || v.length > MAX_ANNOTATION) throw new TrawlError('TRAWL_E_BAD_OPTION', `asset ${what} must be 1-${MAX_ANNOTATION} characters`, { value: String(v).slice(0, 40) });
    return v;
  };
  const zone = text(a.zone, 'zone');
  const owner = text(a.owner, 'owner');
  let tags: string | null | undefined;
  if (a.tags === null) tags = null;
  else if (a.tags !== undefined) {
    if (a.tags.length > MAX_TAGS) throw new TrawlError('TRAWL_E_BAD_OPTION', `at most ${MAX_TAGS} tags per asset`, { value: a.tags.length });
    tags = JSON.stringify([...new Set(a.tags.map((t) => text(t, 'tag')!))].sort());
  }
  const at = a.at ?? new Date().toISOString();
  const run = async (trx: Kysely<Database>): Promise<void> => {
    const existing = await trx.selectFrom('asset_annotations').selectAll().where('org_id', '=', orgId).where('ip_key', '=', ipKey).executeTakeFirst();
    const row = {
      org_id: orgId,
      ip_key: ipKey,
      zone: zone === undefined ? existing?.zone ?? null : zone,
      tags_json: tags === undefined ? existing?.tags_json ?? null : tags,
      owner: owner === undefined ? existing?.owner ?? null : owner,
      updated_at: at,
      updated_by: a.by ?? null,
    };
    await trx
      .insertInto('asset_annotations')
      .values(row)
      .onConflict((oc) => oc.columns(['org_id', 'ip_key']).doUpdateSet({ zone: row.zone, tags_json: row.tags_json, owner: row.owner, updated_at: row.updated_at, updated_by: row.updated_by }))
      .execute();
    const update: { zone?: string; tags_json?: string; owner?: string | null } = {};
    if (row.zone !== null) update.zone = row.zone;
    if (row.tags_json !== null) update.tags_json = row.tags_json;
    if (owner !== undefined) update.owner = row.owner;
    if (Object.keys(update).length > 0) await trx.updateTable('assets').set(update).where('org_id', '=', orgId).where('ip_key', '=', ipKey).execute();
  };
  await (db.isTransaction ? run(db) : db.transaction().execute(run));
}

export { canonicalAddress };
