import type { Kysely, Selectable } from 'kysely';
import { TrawlError } from '../../errors/trawl-error.js';
import type { Database, OrgsTable } from '../../store/schema.js';
import { newId, nowIso, parseJsonColumn } from '../ids.js';
import { parseOrgScope } from './org-scope.js';

export interface OrgView {
  readonly id: string;
  readonly name: string;
  readonly scope: string[];
  readonly createdAt: string;
}

export function orgView(row: Selectable<OrgsTable>): OrgView {
  return { id: row.id, name: row.name, scope: parseJsonColumn<string[]>(row.scope_json, []), createdAt: row.created_at };
}

export async function getOrg(db: Kysely<Database>, orgId: string): Promise<OrgView | undefined> {
  const row = await db.selectFrom('orgs').selectAll().where('id', '=', orgId).executeTakeFirst();
  return row && orgView(row);
}

export async function countOrgs(db: Kysely<Database>): Promise<number> {
  const row = await db.selectFrom('orgs').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow();
  return Number(row.n);
}

/** Scope entries are validated (addresses, CIDRs, ranges) before anything is written. */
export async function createOrg(db: Kysely<Database>, input: { name: string; scope: readonly string[] }): Promise<OrgView> {
  parseOrgScope(input.scope);
  const existing = await db.selectFrom('orgs').select('id').where('name', '=', input.name).executeTakeFirst();
  if (existing) throw new TrawlError('TRAWL_E_CONFLICT', `an organisation named "${input.name}" already exists`, { name: input.name });
  const row = { id: newId(), name: input.name, scope_json: JSON.stringify(input.scope), created_at: nowIso() };
  await db.insertInto('orgs').values(row).execute();
  return orgView(row);
}

export async function setOrgScope(db: Kysely<Database>, orgId: string, scope: readonly string[]): Promise<OrgView> {
  parseOrgScope(scope);
  await db.updateTable('orgs').set({ scope_json: JSON.stringify(scope) }).where('id', '=', orgId).execute();
  const org = await getOrg(db, orgId);
  if (!org) throw new TrawlError('TRAWL_E_NOT_FOUND', `no organisation ${orgId}`, { id: orgId });
  return org;
}
