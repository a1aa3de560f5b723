import type { Kysely } from 'kysely';
import { createApiKey } from '../../../api/queries/key-queries.js';
import { createOrg, getOrg, type OrgView } from '../../../api/queries/org-queries.js';
import type { Database } from '../../../store/schema.js';

export const DEMO_ORG = 'demo';

/**
 * The demo's organisation and a fresh admin API key for it. A first run creates the org with the
 * lab's CIDR as its declared scope; a later one finds it (its scope is widened through the API, as an
 * admin would). A new key each run, since a token exists in clear only when minted: the one a
 * previous run printed still works too.
 */
export async function ensureDemoOrg(db: Kysely<Database>, cidr: string): Promise<{ org: OrgView; token: string; created: boolean }> {
  const row = await db.selectFrom('orgs').select('id').where('name', '=', DEMO_ORG).executeTakeFirst();
  const existing = row && (await getOrg(db, row.id));
  const org = existing ?? (await createOrg(db, { name: DEMO_ORG, scope: [cidr] }));
  const { token } = await createApiKey(db, { orgId: org.id, name: 'demo admin', role: 'admin', createdBy: 'trawl demo' });
  return { org, token, created: existing === undefined };
}
