/**
 * The discover stage stores only open ports, so a port that went away leaves silence, and silence is
 * weak evidence (needs N covering scans). A reset is strong evidence, but the engine sees millions of
 * resets per scan on closed ports nobody cares about. The scan runner therefore asks
 * `recordClosed(ip, port)` for each reset, and this predicate answers yes exactly for the ports the
 * org's inventory holds as open or unconfirmed: what could close.
 *
 *   runScan(request, { ..., recordClosed: await recordClosedPredicate(db, orgId) })
 */
import type { Kysely } from 'kysely';
import { ipSortKey } from '../store/ip-key.js';
import type { Database } from '../store/schema.js';

export async function recordClosedPredicate(db: Kysely<Database>, orgId = 'default'): Promise<(ip: string, port: number) => boolean> {
  const live = new Set<string>();
  let after: { ip_key: string; port: number } | undefined;
  for (;;) {
    const cursor = after;
    let q = db.selectFrom('services').select(['ip_key', 'port']).where('org_id', '=', orgId).where('proto', '=', 'tcp').where('state', 'in', ['open', 'unknown']);
    if (cursor !== undefined) q = q.where((eb) => eb(eb.refTuple('ip_key', 'port'), '>', eb.tuple(cursor.ip_key, cursor.port)));
    const rows = await q.orderBy('ip_key').orderBy('port').limit(10_000).execute();
    for (const r of rows) live.add(`${r.ip_key}/${Number(r.port)}`);
    const last = rows[rows.length - 1];
    if (last === undefined || rows.length < 10_000) break;
    after = { ip_key: last.ip_key, port: Number(last.port) };
  }
  return (ip, port) => {
    if (live.size === 0) return false;
    try {
      return live.has(`${ipSortKey(ip)}/${port}`);
    } catch {
      return false;
    }
  };
}
