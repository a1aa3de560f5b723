import type { Kysely, Selectable } from 'kysely';
import type { ApiKeysTable, ApiRole, Database } from '../../store/schema.js';
import { newApiKeyToken } from '../auth/api-key-token.js';
import { nowIso } from '../ids.js';
import { keysetPage, mapPage, type Page, type SortKey } from '../pagination/keyset.js';
import type { SortDirection } from '../pagination/cursor.js';

export interface ApiKeyView {
  readonly id: string;
  readonly name: string;
  readonly role: ApiRole;
  readonly userId: string | null;
  readonly createdAt: string;
  readonly createdBy: string | null;
  readonly revokedAt: string | null;
  readonly lastUsedAt: string | null;
}

export function apiKeyView(row: Selectable<ApiKeysTable>): ApiKeyView {
  return {
    id: row.id, name: row.name, role: row.role, userId: row.user_id, createdAt: row.created_at,
    createdBy: row.created_by, revokedAt: row.revoked_at, lastUsedAt: row.last_used_at,
  };
}

/** What authentication needs about a key: its hash, org, role, and whether it (or its user) is live. */
export interface KeyCredential {
  readonly id: string;
  readonly orgId: string;
  readonly role: ApiRole;
  readonly userId: string | null;
  readonly secretSha256: string;
  readonly revokedAt: string | null;
  readonly userDisabledAt: string | null;
  readonly lastUsedAt: string | null;
}

export async function findKeyCredential(db: Kysely<Database>, id: string): Promise<KeyCredential | undefined> {
  const row = await db
    .selectFrom('api_keys as k')
    .leftJoin('users as u', 'u.id', 'k.user_id')
    .select(['k.id', 'k.org_id', 'k.role', 'k.user_id', 'k.secret_sha256', 'k.revoked_at', 'k.last_used_at', 'u.disabled_at'])
    .where('k.id', '=', id)
    .executeTakeFirst();
  return row && {
    id: row.id, orgId: row.org_id, role: row.role, userId: row.user_id, secretSha256: row.secret_sha256,
    revokedAt: row.revoked_at, userDisabledAt: row.disabled_at, lastUsedAt: row.last_used_at,
  };
}

export async function touchKey(db: Kysely<Database>, id: string, at: string): Promise<void> {
  await db.updateTable('api_keys').set({ last_used_at: at }).where('id', '=', id).execute();
}

/** Creates a key; the token is in the result and nowhere else, ever. */
export async function createApiKey(
  db: Kysely<Database>,
  input: { orgId: string; name: string; role: ApiRole; userId?: string | null; createdBy: string | null },
): Promise<{ key: ApiKeyView; token: string }> {
  const t = newApiKeyToken();
  const row: Selectable<ApiKeysTable> = {
    id: t.id, org_id: input.orgId, user_id: input.userId ?? null, name: input.name, role: input.role, secret_sha256: t.secretSha256,
    created_at: nowIso(), created_by: input.createdBy, revoked_at: null, last_used_at: null,
  };
  await db.insertInto('api_keys').values(row).execute();
  return { key: apiKeyView(row), token: t.token };
}

export const keySorts: Readonly<Record<string, SortKey>> = {
  createdAt: { name: 'createdAt', columns: ['created_at', 'id'] },
};

export async function listApiKeys(
  db: Kysely<Database>, orgId: string,
  p: { limit: number; cursor?: string; sort: SortKey; direction: SortDirection; includeRevoked: boolean },
): Promise<Page<ApiKeyView>> {
  let q = db.selectFrom('api_keys').selectAll().where('org_id', '=', orgId);
  if (!p.includeRevoked) q = q.where('revoked_at', 'is', null);
  return mapPage(await keysetPage(q, p, (r) => [r.created_at, r.id]), apiKeyView);
}

export async function getApiKey(db: Kysely<Database>, orgId: string, id: string): Promise<ApiKeyView | undefined> {
  const row = await db.selectFrom('api_keys').selectAll().where('org_id', '=', orgId).where('id', '=', id).executeTakeFirst();
  return row && apiKeyView(row);
}

/** Idempotent: revoking a revoked key keeps the first revocation time. */
export async function revokeApiKey(db: Kysely<Database>, orgId: string, id: string): Promise<ApiKeyView | undefined> {
  await db.updateTable('api_keys').set({ revoked_at: nowIso() }).where('org_id', '=', orgId).where('id', '=', id).where('revoked_at', 'is', null).execute();
  return getApiKey(db, orgId, id);
}
