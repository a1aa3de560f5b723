import type { Kysely, Selectable } from 'kysely';
import type { AssessmentsTable, Database } from '../../store/schema.js';
import { newId, nowIso, parseJsonColumn } from '../ids.js';
import type { SortDirection } from '../pagination/cursor.js';
import { keysetPage, mapPage, type Page, type SortKey } from '../pagination/keyset.js';
import { jsonArrayContains } from './like-pattern.js';

export type DiscoveryOption = 'auto' | 'on' | 'off';

/** Scan options an assessment may set; everything else is the engine's default. */
export interface AssessmentOptions {
  readonly applyBlocklist: boolean;
  readonly discovery: DiscoveryOption;
  readonly retries?: number;
  /** Probes per second over the whole scan (0: unpaced). */
  readonly rate?: number;
  /** Identify the services on open ports (unset: the server's default, on). */
  readonly identify?: boolean;
  /** Which built-in checks run on identified services (unset: the server's default, safe). */
  readonly checks?: CheckSelection;
}

/** none: no check; safe: the checks that never log in with guessed credentials; all: every built-in check. */
export type CheckSelection = 'none' | 'safe' | 'all';

export interface AssessmentInput {
  readonly name: string;
  readonly targets: readonly string[];
  readonly excludes: readonly string[];
  /** nmap-style port list, e.g. "22,80,8000-8100". */
  readonly ports: string;
  readonly options: AssessmentOptions;
  readonly zone: string | null;
  readonly tags: readonly string[];
}

export interface AssessmentView extends AssessmentInput {
  readonly id: string;
  readonly state: 'idle' | 'running';
  readonly lastScanId: string | null;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly createdBy: string | null;
}

export function assessmentView(r: Selectable<AssessmentsTable>): AssessmentView {
  return {
    id: r.id,
    name: r.name,
    targets: parseJsonColumn<string[]>(r.targets_json, []),
    excludes: parseJsonColumn<string[]>(r.excludes_json, []),
    ports: parseJsonColumn<string>(r.ports_json, ''),
    options: parseJsonColumn<AssessmentOptions>(r.options_json, { applyBlocklist: true, discovery: 'auto' }),
    zone: r.zone,
    tags: parseJsonColumn<string[]>(r.tags_json, []),
    state: r.state,
    lastScanId: r.last_scan_id,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    createdBy: r.created_by,
  };
}

export const assessmentSorts: Readonly<Record<string, SortKey>> = {
  createdAt: { name: 'createdAt', columns: ['created_at', 'id'] },
  name: { name: 'name', columns: ['name', 'id'] },
};

export async function createAssessment(db: Kysely<Database>, orgId: string, input: AssessmentInput, createdBy: string): Promise<AssessmentView> {
  const now = nowIso();
  const row: Selectable<AssessmentsTable> = {
    id: newId(), org_id: orgId, name: input.name, targets_json: JSON.stringify(input.targets), excludes_json: JSON.stringify(input.excludes),
    ports_json: JSON.stringify(input.ports), options_json: JSON.stringify(input.options), zone: input.zone, tags_json: JSON.stringify(input.tags),
    state: 'idle', last_scan_id: null, created_at: now, updated_at: now, created_by: createdBy,
  };
  await db.insertInto('assessments').values(row).execute();
  return assessmentView(row);
}

export async function getAssessment(db: Kysely<Database>, orgId: string, id: string): Promise<AssessmentView | undefined> {
  const row = await db.selectFrom('assessments').selectAll().where('org_id', '=', orgId).where('id', '=', id).executeTakeFirst();
  return row && assessmentView(row);
}

export interface AssessmentFilter {
  readonly state?: 'idle' | 'running';
  readonly zone?: string;
  readonly tag?: string;
}

export async function listAssessments(
  db: Kysely<Database>, orgId: string, f: AssessmentFilter,
  p: { limit: number; cursor?: string; sort: SortKey; direction: SortDirection },
): Promise<Page<AssessmentView>> {
  let q = db.selectFrom('assessments').selectAll().where('org_id', '=', orgId);
  if (f.state !== undefined) q = q.where('state', '=', f.state);
  if (f.zone !== undefined) q = q.where('zone', '=', f.zone);
  if (f.tag !== undefined) q = q.where(jsonArrayContains('tags_json', f.tag));
  const key = p.sort.name === 'name' ? (r: Selectable<AssessmentsTable>) => [r.name, r.id] : (r: Selectable<AssessmentsTable>) => [r.created_at, r.id];
  return mapPage(await keysetPage(q, p, key), assessmentView);
}

export async function updateAssessment(db: Kysely<Database>, orgId: string, id: string, patch: Partial<AssessmentInput>): Promise<AssessmentView | undefined> {
  const set: Partial<Selectable<AssessmentsTable>> = { updated_at: nowIso() };
  if (patch.name !== undefined) set.name = patch.name;
  if (patch.targets !== undefined) set.targets_json = JSON.stringify(patch.targets);
  if (patch.excludes !== undefined) set.excludes_json = JSON.stringify(patch.excludes);
  if (patch.ports !== undefined) set.ports_json = JSON.stringify(patch.ports);
  if (patch.options !== undefined) set.options_json = JSON.stringify(patch.options);
  if (patch.zone !== undefined) set.zone = patch.zone;
  if (patch.tags !== undefined) set.tags_json = JSON.stringify(patch.tags);
  await db.updateTable('assessments').set(set).where('org_id', '=', orgId).where('id', '=', id).execute();
  return getAssessment(db, orgId, id);
}

export async function deleteAssessment(db: Kysely<Database>, orgId: string, id: string): Promise<boolean> {
  const r = await db.deleteFrom('assessments').where('org_id', '=', orgId).where('id', '=', id).where('state', '=', 'idle').executeTakeFirst();
  return r.numDeletedRows > 0n;
}

/** idle → running in one UPDATE, so two concurrent run requests cannot both start a scan. */
export async function claimAssessment(db: Kysely<Database>, orgId: string, id: string): Promise<boolean> {
  const r = await db.updateTable('assessments').set({ state: 'running', updated_at: nowIso() })
    .where('org_id', '=', orgId).where('id', '=', id).where('state', '=', 'idle').executeTakeFirst();
  return r.numUpdatedRows === 1n;
}

export async function releaseAssessment(db: Kysely<Database>, id: string, lastScanId: string | null): Promise<void> {
  const set: Partial<Selectable<AssessmentsTable>> = { state: 'idle', updated_at: nowIso() };
  if (lastScanId !== null) set.last_scan_id = lastScanId;
  await db.updateTable('assessments').set(set).where('id', '=', id).execute();
}

/**
 * After a crash nothing runs: assessments left `running` go back to idle (their scans are interrupted),
 * except `keep`: runs a fleet runner picked up again (their work lives on in the store and the queue).
 */
export async function releaseAllAssessments(db: Kysely<Database>, keep: readonly string[] = []): Promise<number> {
  let q = db.updateTable('assessments').set({ state: 'idle', updated_at: nowIso() }).where('state', '=', 'running');
  if (keep.length > 0) q = q.where('id', 'not in', [...keep]);
  const r = await q.executeTakeFirst();
  return Number(r.numUpdatedRows);
}
