/**
 * The services list behind GET /services: every (address, port) of the org with its identity, the
 * asset's zone, tags and host names, and its open findings — searchable, filterable and sortable,
 * one keyset page at a time.
 *
 * Services drive every plan: the page walks one services index in sort order (migration 0006 gives
 * each sort an index leading with org_id) and stops after `limit + 1` matches. The asset comes from a
 * LEFT JOIN on its primary key and findings from EXISTS / correlated subqueries on the findings
 * identity index (org_id, ip_key, port, proto, …): per row visited, a couple of index lookups, never
 * a scan of another table. A LEFT JOIN keeps services the outer loop on SQLite, whose planner may not
 * reorder it.
 */
import { PostgresAdapter, sql, type Kysely, type RawBuilder, type SqlBool } from 'kysely';
import { ipSortKey } from '../../store/ip-key.js';
import type { Database, ServiceState, SeverityLevel } from '../../store/schema.js';
import type { SortDirection } from '../pagination/cursor.js';
import { keysetPage, type Page, type SortKey } from '../pagination/keyset.js';

type PageArgs = { limit: number; cursor?: string; sort: SortKey; direction: SortDirection };

/** Written exactly as the expression indexes of migration 0006. */
const serviceNameKey = sql<string>`coalesce(s.service_name, '')`;
const productKey = sql<string>`coalesce(s.product, '')`;

export const serviceSorts: Readonly<Record<string, SortKey>> = {
  address: { name: 'address', columns: ['s.ip_key', 's.port', 's.proto'] },
  port: { name: 'port', columns: ['s.port', 's.ip_key', 's.proto'] },
  service: { name: 'service', columns: [serviceNameKey, 's.ip_key', 's.port', 's.proto'] },
  product: { name: 'product', columns: [productKey, 's.ip_key', 's.port', 's.proto'] },
  lastSeen: { name: 'lastSeen', columns: ['s.last_seen', 's.ip_key', 's.port', 's.proto'] },
};

/** The order a sort reads naturally in when the client names none: newest first for times. */
export function defaultServiceOrder(sort: string): SortDirection {
  return sort === 'lastSeen' ? 'desc' : 'asc';
}

export interface ServiceFilter {
  readonly state?: ServiceState;
  readonly port?: number;
  /** An address (any spelling). */
  readonly asset?: string;
  /** Exact service name as identification reported it (ssh, http…). */
  readonly service?: string;
  /** Exact product name. */
  readonly product?: string;
  /** Case-insensitive substring of the address, a host name, the service, product, version or banner. */
  readonly q?: string;
  /** The asset's zone and one of its tags. */
  readonly zone?: string;
  readonly tag?: string;
  /** At least one open finding on this service (of this check; at or above this severity). */
  readonly hasFinding?: boolean;
  readonly check?: string;
  readonly minSeverity?: SeverityLevel;
}

export interface ServiceListItem {
  readonly address: string;
  readonly port: number;
  readonly proto: string;
  readonly identity: { readonly name: string; readonly product: string | null; readonly version: string | null; readonly banner: string | null } | null;
  readonly tls: { readonly fingerprint: string; readonly notAfter: string | null } | null;
  readonly hostnames: readonly string[];
  readonly zone: string | null;
  readonly tags: readonly string[];
  readonly findings: { readonly open: number; readonly maxSeverity: SeverityLevel | null };
  readonly firstSeen: string;
  readonly lastSeen: string;
  readonly state: ServiceState;
  readonly silentScans: number;
  readonly lastScanId: string;
}

const RANK: Record<SeverityLevel, number> = { critical: 5, high: 4, medium: 3, low: 2, none: 1, unknown: 0 };
const BY_RANK: readonly SeverityLevel[] = ['unknown', 'none', 'low', 'medium', 'high', 'critical'];
/** The findings table's severity rank (same expression as the findings_org_rank_idx, qualified). */
const findingRank = sql<number>`(case f.severity when 'critical' then 5 when 'high' then 4 when 'medium' then 3 when 'low' then 2 when 'none' then 1 else 0 end)`;

/** `%text%` for LIKE, lower-cased, with the wildcards of `text` itself escaped (escape '\'). */
function containsPattern(text: string): string {
  return `%${text.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

function likeAny(columns: readonly RawBuilder<unknown>[], pattern: string): RawBuilder<SqlBool> {
  return sql<SqlBool>`(${sql.join(columns.map((c) => sql`${c} like ${pattern} escape '\\'`), sql` or `)})`;
}

/** The service's searched columns, lower-cased: what `q` matches besides the asset's host names. */
function serviceText(t: 's' | 'x'): RawBuilder<unknown>[] {
  const c = (column: string): RawBuilder<unknown> => sql.ref(`${t}.${column}`);
  return [
    sql`lower(${c('address')})`, sql`lower(coalesce(${c('service_name')}, ''))`, sql`lower(coalesce(${c('product')}, ''))`, sql`lower(coalesce(${c('version')}, ''))`,
    // The compact identity: extrainfo, CPEs and the banner's first line as well.
    sql`lower(coalesce(${c('identity_json')}, ''))`,
  ];
}

function hostnameText(t: 'a' | 'y'): RawBuilder<unknown> {
  return sql`lower(coalesce(${sql.ref(`${t}.hostnames_json`)}, ''))`;
}

/**
 * At or above this many candidate rows, matches are dense enough that walking the sort index and
 * filtering stops after a few hundred rows, cheaper than collecting every match through the trigram
 * indexes first (at 100,000 services: ~10 ms walking vs ~250 ms collecting 20,000 matches).
 */
const DENSE_CANDIDATES = 1000;
const trigramIndexes = new WeakMap<Kysely<Database>, Promise<boolean>>();

/** Whether migration 0007 could create the trigram indexes (pg_trgm available), once per database handle. */
function hasTrigramIndex(db: Kysely<Database>): Promise<boolean> {
  let known = trigramIndexes.get(db);
  if (known === undefined) {
    known = sql<{ ok: boolean }>`select to_regclass('services_search_trgm_idx') is not null and to_regclass('assets_hostnames_trgm_idx') is not null as ok`
      .execute(db).then((r) => r.rows[0]?.ok === true);
    trigramIndexes.set(db, known);
  }
  return known;
}

/** Candidate rows of `q` through the trigram indexes, counted up to DENSE_CANDIDATES: a bitmap probe of a few ms. */
async function trigramCandidates(db: Kysely<Database>, orgId: string, pattern: string): Promise<number> {
  const r = await sql<{ n: string | number }>`select
    (select count(*) from (select 1 from services x where x.org_id = ${orgId} and ${joinedText} like ${pattern} escape '\\' limit ${DENSE_CANDIDATES}) c) +
    (select count(*) from (select 1 from assets y where y.org_id = ${orgId} and ${hostnameText('y')} like ${pattern} escape '\\' limit ${DENSE_CANDIDATES}) h) as n`.execute(db);
  return Number(r.rows[0]?.n ?? 0);
}

/** The services' searched columns joined, written exactly as migration 0007's index expression. */
const joinedText = sql`lower(x.address || ' ' || coalesce(x.service_name, '') || ' ' || coalesce(x.product, '') || ' ' || coalesce(x.version, '') || ' ' || coalesce(x.identity_json, ''))`;

/**
 * Sparse `q` on PostgreSQL: the same match as on SQLite, as a semi-join on the services of either branch,
 * so each branch can read a pg_trgm index (migration 0007) instead of the planner filtering the
 * whole org — an OR across services and assets could use neither. The joined text is written
 * exactly as the index expression; it holds every column, so it only narrows, and the per-column
 * test that follows keeps results identical (a pattern spanning two columns matches neither).
 * Used only when the indexes exist and the probe finds few candidates; otherwise the plain filter.
 */
function trigramSearch(orgId: string, pattern: string): RawBuilder<SqlBool> {
  return sql<SqlBool>`(s.ip_key, s.port, s.proto) in (
    select x.ip_key, x.port, x.proto from services x where x.org_id = ${orgId} and ${joinedText} like ${pattern} escape '\\' and ${likeAny(serviceText('x'), pattern)}
    union all
    select x.ip_key, x.port, x.proto from assets y join services x on x.org_id = y.org_id and x.ip_key = y.ip_key
    where y.org_id = ${orgId} and ${hostnameText('y')} like ${pattern} escape '\\')`;
}

function parseStrings(json: string | null): string[] {
  if (json === null) return [];
  try {
    const v: unknown = JSON.parse(json);
    return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
  } catch {
    return [];
  }
}

function bannerOf(identityJson: string | null): string | null {
  if (identityJson === null) return null;
  try {
    const v = JSON.parse(identityJson) as Record<string, unknown>;
    return typeof v['banner'] === 'string' ? v['banner'] : null;
  } catch {
    return null;
  }
}

export async function listServicesPage(db: Kysely<Database>, orgId: string, f: ServiceFilter, p: PageArgs): Promise<Page<ServiceListItem>> {
  const openFindings = sql`from findings f where f.org_id = s.org_id and f.ip_key = s.ip_key and f.port = s.port and f.proto = s.proto and f.status = 'open'`;
  let q = db.selectFrom('services as s')
    .leftJoin('assets as a', (j) => j.onRef('a.org_id', '=', 's.org_id').onRef('a.ip_key', '=', 's.ip_key'))
    .selectAll('s')
    .select([
      'a.zone as asset_zone', 'a.tags_json as asset_tags_json', 'a.hostnames_json as asset_hostnames_json',
      sql<number>`(select count(*) ${openFindings})`.as('open_findings'),
      // `+ 0`: not the indexed rank expression, so no engine trades the identity lookup for a
      // min/max walk of the org's whole rank index.
      sql<number | null>`(select max(${findingRank} + 0) ${openFindings})`.as('max_rank'),
      serviceNameKey.as('service_key'), productKey.as('product_key'),
    ])
    .where('s.org_id', '=', orgId);
  if (f.state !== undefined) q = q.where('s.state', '=', f.state);
  if (f.port !== undefined) q = q.where('s.port', '=', f.port);
  if (f.asset !== undefined) q = q.where('s.ip_key', '=', ipSortKey(f.asset));
  // Written as the index expressions, which equal the columns for any non-empty value.
  if (f.service !== undefined && f.service !== '') q = q.where(serviceNameKey, '=', f.service);
  if (f.product !== undefined && f.product !== '') q = q.where(productKey, '=', f.product);
  if (f.zone !== undefined) q = q.where('a.zone', '=', f.zone);
  if (f.tag !== undefined) {
    const escaped = JSON.stringify(f.tag).replace(/[\\%_]/g, (c) => `\\${c}`);
    q = q.where(sql<SqlBool>`a.tags_json like ${`%${escaped}%`} escape '\\'`);
  }
  if (f.q !== undefined && f.q.trim() !== '') {
    const pattern = containsPattern(f.q.trim());
    const sparse = db.getExecutor().adapter instanceof PostgresAdapter && (await hasTrigramIndex(db)) && (await trigramCandidates(db, orgId, pattern)) < DENSE_CANDIDATES;
    q = q.where(sparse ? trigramSearch(orgId, pattern) : likeAny([...serviceText('s'), hostnameText('a')], pattern));
  }
  if (f.hasFinding === true || f.check !== undefined || f.minSeverity !== undefined) {
    const check = f.check !== undefined ? sql` and f.check_id = ${f.check}` : sql``;
    // A list of severities rather than a rank comparison, for the same reason as max_rank above.
    const atLeast = f.minSeverity !== undefined ? BY_RANK.filter((s) => RANK[s] >= RANK[f.minSeverity!]) : [];
    const severity = atLeast.length > 0 ? sql` and f.severity in (${sql.join(atLeast.map((s) => sql`${s}`))})` : sql``;
    q = q.where(sql<SqlBool>`exists (select 1 ${openFindings}${check}${severity})`);
  } else if (f.hasFinding === false) {
    q = q.where(sql<SqlBool>`not exists (select 1 ${openFindings})`);
  }
  const page = await keysetPage(q, p, (r) => {
    const tail = [r.ip_key, Number(r.port), r.proto] as const;
    switch (p.sort.name) {
      case 'port': return [Number(r.port), r.ip_key, r.proto];
      case 'service': return [r.service_key, ...tail];
      case 'product': return [r.product_key, ...tail];
      case 'lastSeen': return [r.last_seen, ...tail];
      default: return tail;
    }
  });
  return {
    nextCursor: page.nextCursor,
    items: page.items.map((r): ServiceListItem => {
      const rank = r.max_rank === null ? null : Number(r.max_rank);
      return {
        address: r.address,
        port: Number(r.port),
        proto: r.proto,
        identity: r.service_name === null ? null : { name: r.service_name, product: r.product, version: r.version, banner: bannerOf(r.identity_json) },
        tls: r.tls_fingerprint === null ? null : { fingerprint: r.tls_fingerprint, notAfter: r.tls_not_after },
        hostnames: parseStrings(r.asset_hostnames_json),
        zone: r.asset_zone,
        tags: parseStrings(r.asset_tags_json),
        findings: { open: Number(r.open_findings), maxSeverity: rank === null ? null : BY_RANK[rank] ?? 'unknown' },
        firstSeen: r.first_seen,
        lastSeen: r.last_seen,
        state: r.state,
        silentScans: Number(r.silent_scans),
        lastScanId: r.last_scan_id,
      };
    }),
  };
}
