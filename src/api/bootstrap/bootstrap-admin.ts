import type { Kysely } from 'kysely';
import { TrawlError } from '../../errors/trawl-error.js';
import type { Database } from '../../store/schema.js';
import { createApiKey } from '../queries/key-queries.js';
import { countOrgs, createOrg, getOrg, type OrgView } from '../queries/org-queries.js';

export interface BootstrapOptions {
  /** Create an admin key even when organisations exist (for the named org, or the oldest one). */
  readonly force: boolean;
  readonly orgName?: string;
  /** Scope of a newly created org. */
  readonly scope?: readonly string[];
}

/**
 * First start: with no organisation in the database, creates one and an admin key for it, and
 * returns the token — the only time it exists in clear. With `force`, mints another admin key (a lost
 * one cannot be recovered, only replaced). Otherwise returns undefined and changes nothing.
 */
export async function bootstrapAdmin(db: Kysely<Database>, opts: BootstrapOptions): Promise<{ org: OrgView; token: string; created: boolean } | undefined> {
  const empty = (await countOrgs(db)) === 0;
  if (!empty && !opts.force) return undefined;
  let org: OrgView | undefined;
  let created = false;
  if (empty) {
    org = await createOrg(db, { name: opts.orgName ?? 'default', scope: opts.scope ?? [] });
    created = true;
  } else {
    let q = db.selectFrom('orgs').select('id').orderBy('created_at').orderBy('id').limit(1);
    if (opts.orgName !== undefined) q = q.where('name', '=', opts.orgName);
    const row = await q.executeTakeFirst();
    if (!row) throw new TrawlError('TRAWL_E_NOT_FOUND', `no organisation named "${opts.orgName ?? ''}"`, { name: opts.orgName });
    org = await getOrg(db, row.id);
  }
  const { token } = await createApiKey(db, { orgId: org!.id, name: created ? 'bootstrap admin' : 'admin (serve --init-admin)', role: 'admin', createdBy: 'bootstrap' });
  return { org: org!, token, created };
}
