import type { Kysely, Selectable } from 'kysely';
import type { AuditLogTable, Database } from '../../store/schema.js';
import { newId, parseJsonColumn } from '../ids.js';
import type { SortDirection } from '../pagination/cursor.js';
import { keysetPage, mapPage, type Page, type SortKey } from '../pagination/keyset.js';

export interface AuditEntry {
  readonly orgId: string;
  readonly actor: string;
  readonly actorRole: string;
  readonly action: string;
  readonly target: string | null;
  readonly method: string;
  readonly path: string;
  readonly statusCode: number;
  readonly requestId: string;
  readonly ts: string;
  readonly detail?: Record<string, unknown>;
}

export interface AuditView extends AuditEntry {
  readonly id: string;
}

function auditView(r: Selectable<AuditLogTable>): AuditView {
  return {
    id: r.id, orgId: r.org_id, actor: r.actor, actorRole: r.actor_role, action: r.action, target: r.target, method: r.method,
    path: r.path, statusCode: r.status_code, requestId: r.request_id, ts: r.ts,
    ...(r.detail_json !== null ? { detail: parseJsonColumn<Record<string, unknown>>(r.detail_json, {}) } : {}),
  };
}

export async function appendAudit(db: Kysely<Database>, e: AuditEntry): Promise<void> {
  await db.insertInto('audit_log').values({
    id: newId(Date.parse(e.ts)), org_id: e.orgId, actor: e.actor, actor_role: e.actorRole, action: e.action, target: e.target,
    method: e.method, path: e.path, status_code: e.statusCode, request_id: e.requestId, ts: e.ts,
    detail_json: e.detail === undefined ? null : JSON.stringify(e.detail),
  }).execute();
}

export const auditSorts: Readonly<Record<string, SortKey>> = {
  ts: { name: 'ts', columns: ['ts', 'id'] },
};

export interface AuditFilter {
  readonly action?: string;
  readonly actor?: string;
  readonly target?: string;
  readonly since?: string;
  readonly until?: string;
}

export async function listAudit(
  db: Kysely<Database>, orgId: string, f: AuditFilter,
  p: { limit: number; cursor?: string; sort: SortKey; direction: SortDirection },
): Promise<Page<AuditView>> {
  let q = db.selectFrom('audit_log').selectAll().where('org_id', '=', orgId);
  if (f.action !== undefined) q = q.where('action', '=', f.action);
  if (f.actor !== undefined) q = q.where('actor', '=', f.actor);
  if (f.target !== undefined) q = q.where('target', '=', f.target);
  if (f.since !== undefined) q = q.where('ts', '>=', f.since);
  if (f.until !== undefined) q = q.where('ts', '<', f.until);
  return mapPage(await keysetPage(q, p, (r) => [r.ts, r.id]), auditView);
}
