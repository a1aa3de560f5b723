import type { Kysely, Selectable } from 'kysely';
import { TrawlError } from '../../errors/trawl-error.js';
import type { ApiRole, Database, UsersTable } from '../../store/schema.js';
import { newId, nowIso } from '../ids.js';
import type { SortDirection } from '../pagination/cursor.js';
import { keysetPage, mapPage, type Page, type SortKey } from '../pagination/keyset.js';

export interface UserView {
  readonly id: string;
  readonly email: string;
  readonly displayName: string | null;
  readonly role: ApiRole;
  readonly createdAt: string;
  readonly disabledAt: string | null;
}

function userView(r: Selectable<UsersTable>): UserView {
  return { id: r.id, email: r.email, displayName: r.display_name, role: r.role, createdAt: r.created_at, disabledAt: r.disabled_at };
}

export const userSorts: Readonly<Record<string, SortKey>> = {
  createdAt: { name: 'createdAt', columns: ['created_at', 'id'] },
};

export async function createUser(db: Kysely<Database>, orgId: string, input: { email: string; displayName?: string | null; role: ApiRole }): Promise<UserView> {
  const email = input.email.toLowerCase();
  const dup = await db.selectFrom('users').select('id').where('org_id', '=', orgId).where('email', '=', email).executeTakeFirst();
  if (dup) throw new TrawlError('TRAWL_E_CONFLICT', `a user with e-mail ${email} already exists`, { email });
  const row: Selectable<UsersTable> = { id: newId(), org_id: orgId, email, display_name: input.displayName ?? null, role: input.role, created_at: nowIso(), disabled_at: null };
  await db.insertInto('users').values(row).execute();
  return userView(row);
}

export async function getUser(db: Kysely<Database>, orgId: string, id: string): Promise<UserView | undefined> {
  const row = await db.selectFrom('users').selectAll().where('org_id', '=', orgId).where('id', '=', id).executeTakeFirst();
  return row && userView(row);
}

export async function listUsers(db: Kysely<Database>, orgId: string, p: { limit: number; cursor?: string; sort: SortKey; direction: SortDirection }): Promise<Page<UserView>> {
  const q = db.selectFrom('users').selectAll().where('org_id', '=', orgId);
  return mapPage(await keysetPage(q, p, (r) => [r.created_at, r.id]), userView);
}

/** Disabling a user makes every key bound to it fail authentication. */
export async function updateUser(db: Kysely<Database>, orgId: string, id: string, patch: { role?: ApiRole; displayName?: string | null; disabled?: boolean }): Promise<UserView | undefined> {
  const set: Partial<Selectable<UsersTable>> = {};
  if (patch.role !== undefined) set.role = patch.role;
  if (patch.displayName !== undefined) set.display_name = patch.displayName;
  if (patch.disabled !== undefined) set.disabled_at = patch.disabled ? nowIso() : null;
  if (Object.keys(set).length > 0) await db.updateTable('users').set(set).where('org_id', '=', orgId).where('id', '=', id).execute();
  return getUser(db, orgId, id);
}
