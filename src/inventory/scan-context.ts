/**
 * What the inventory needs to know about a scan besides its observations: its org, its scope (what
 * "the same scope" means for events), its clock, and what it covered (whether silence in it counts).
 */
import { createHash } from 'node:crypto';
import { sql, type Kysely, type Selectable } from 'kysely';
import { TrawlError } from '../errors/trawl-error.js';
import type { Proto } from '../model/observation.js';
import type { ScanRecord } from '../model/scan.js';
import { specialPurposeRanges } from '../scope/blocklist.js';
import type { IpAddress } from '../scope/ip-address.js';
import { RangeSet, type AddressRange } from '../scope/range-set.js';
import { buildScope } from '../scope/scope-builder.js';
import { scanFromRow } from '../store/row-codec.js';
import type { Database, ScansTable } from '../store/schema.js';

export const DEFAULT_ORG = 'default';
/** A scope whose address set has more ranges than this is not frozen (silence in it is not evidence). */
const MAX_COVERAGE_RANGES = 200_000;
const MAX_SCAN_REF = 200;

export interface ScanContext {
  readonly scan: ScanRecord;
  readonly orgId: string;
  readonly scopeKey: string;
  /** finished_at (created_at for an unfinished scan): the time the view moves to. */
  readonly time: string;
  /** `spec.options.zone` when the scan names the network zone it saw the assets from. */
  readonly zone: string | null;
  /** `spec.options.tags`: the tags of the assessment the scan ran for, sorted, deduplicated. */
  readonly tags: readonly string[];
}

/** Tags a scan can carry onto its assets; more, or longer ones, are ignored. */
export const MAX_SCAN_TAGS = 64;
const MAX_TAG_LENGTH = 64;

/** What a run was for, as the API knows it (its assessment's org, zone and tags). */
export interface RunContext {
  readonly orgId: string;
  readonly zone: string | null;
  readonly tags: readonly string[];
}

export async function loadScan(db: Kysely<Database>, scanId: string): Promise<ScanRecord> {
  const row = await db.selectFrom('scans').selectAll().where('id', '=', scanId).executeTakeFirst();
  if (row === undefined) throw new TrawlError('TRAWL_E_SCAN_NOT_FOUND', `no scan ${scanId}`, { scanId });
  return scanFromRow(row);
}

/** `latest`, an exact id, or a unique id prefix (as `trawl results --scan`). */
export async function resolveScanRef(db: Kysely<Database>, ref: string): Promise<ScanRecord> {
  if (ref === 'latest') {
    const row = await db.selectFrom('scans').selectAll().orderBy('created_at', 'desc').orderBy('id', 'desc').limit(1).executeTakeFirst();
    if (row === undefined) throw new TrawlError('TRAWL_E_SCAN_NOT_FOUND', 'no scans in the store', { ref });
    return scanFromRow(row);
  }
  if (ref.length === 0 || ref.length > MAX_SCAN_REF) throw new TrawlError('TRAWL_E_SCAN_NOT_FOUND', `no scan "${ref.slice(0, 80)}"`, { ref: ref.slice(0, 80) });
  const exact = await db.selectFrom('scans').selectAll().where('id', '=', ref).executeTakeFirst();
  if (exact !== undefined) return scanFromRow(exact);
  // substr rather than LIKE or a range: no wildcard escaping, and no collation in the way.
  const matches: Selectable<ScansTable>[] = await db
    .selectFrom('scans')
    .selectAll()
    .where(sql`substr(id, 1, ${sql.lit(ref.length)})`, '=', ref)
    .orderBy('created_at')
    .orderBy('id')
    .limit(6)
    .execute();
  const [first, second] = matches;
  if (first === undefined) throw new TrawlError('TRAWL_E_SCAN_NOT_FOUND', `no scan "${ref}"`, { ref });
  if (second !== undefined) {
    throw new TrawlError('TRAWL_E_SCAN_NOT_FOUND', `scan reference "${ref}" is ambiguous: it prefixes ${matches.slice(0, 5).map((r) => r.id).join(', ')}`, { ref });
  }
  return scanFromRow(first);
}

/** The org a scan belongs to: the API's org_scans link, else `spec.options.org`, else 'default'. */
export async function scanContext(db: Kysely<Database>, scan: ScanRecord): Promise<ScanContext> {
  const link = await db.selectFrom('org_scans').select('org_id').where('scan_id', '=', scan.id).executeTakeFirst();
  const optOrg = scan.spec.options['org'];
  const orgId = link?.org_id ?? (typeof optOrg === 'string' && optOrg.length > 0 ? optOrg : DEFAULT_ORG);
  const zone = scan.spec.options['zone'];
  return {
    scan, orgId, scopeKey: scopeKey(scan, orgId), time: scan.finishedAt ?? scan.createdAt,
    zone: typeof zone === 'string' && zone.length > 0 ? zone : null, tags: scanTags(scan.spec.options['tags']),
  };
}

function scanTags(v: unknown): string[] {
  if (!Array.isArray(v)) return [];
  const ok = v.filter((t): t is string => typeof t === 'string' && t.length > 0 && t.length <= MAX_TAG_LENGTH);
  return [...new Set(ok)].sort().slice(0, MAX_SCAN_TAGS);
}

/**
 * Records in a finished scan's own spec what it was run for — org, zone, tags — where the spec does
 * not say already (the fleet runner records org and zone when it plans the scan, the in-process
 * runner neither; tags only come from here). The fold, a rebuild and `trawl diff` read them from the
 * scan, frozen as they were at the run: editing the assessment later does not rewrite the history of
 * its scans. A scan already folded is left alone, for the same reason. Returns whether the spec
 * changed.
 */
export async function recordRunContext(db: Kysely<Database>, scanId: string, run: RunContext): Promise<boolean> {
  const folded = await db.selectFrom('inventory_scans').select('scan_id').where('scan_id', '=', scanId).executeTakeFirst();
  if (folded !== undefined) return false;
  const scan = await loadScan(db, scanId);
  const options: Record<string, string | number | boolean | readonly string[]> = { ...scan.spec.options };
  let changed = false;
  if (options['org'] === undefined) {
    options['org'] = run.orgId;
    changed = true;
  }
  if (options['zone'] === undefined && run.zone !== null && run.zone.length > 0) {
    options['zone'] = run.zone;
    changed = true;
  }
  if (options['tags'] === undefined && run.tags.length > 0) {
    options['tags'] = [...run.tags];
    changed = true;
  }
  if (!changed) return false;
  await db.updateTable('scans').set({ spec_json: JSON.stringify({ ...scan.spec, options }) }).where('id', '=', scanId).execute();
  return true;
}

/** Two scans have the same scope when they asked for the same addresses and ports, shard included. */
export function scopeKey(scan: ScanRecord, orgId: string): string {
  const s = scan.spec;
  const canonical = JSON.stringify({
    orgId,
    targets: s.targets,
    targetFiles: s.targetFiles,
    excludes: s.excludes,
    excludeFiles: s.excludeFiles,
    ports: [...new Set(s.ports)].sort((a, b) => a - b),
    shard: s.shard,
    applyBlocklist: s.options['applyBlocklist'] !== false,
  });
  return createHash('sha256').update(canonical).digest('hex').slice(0, 32);
}

/** Scan order: finish time, then id. Negative when a comes first. */
export function compareScanOrder(a: { time: string; id: string }, b: { time: string; id: string }): number {
  return a.time < b.time ? -1 : a.time > b.time ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/**
 * Whether a scan probed an (address, port): the address is in its scope and the port in its list.
 * Only then can its silence count as evidence that an open port went away.
 */
export interface ScanCoverage {
  readonly scanId: string;
  /** Why this scan's silence is no evidence at all; null when `covers` can be trusted. */
  readonly unknownReason: string | null;
  coversAddress(ipKey: string): boolean;
  covers(ipKey: string, port: number, proto: Proto): boolean;
}

/**
 * The coverage of a scan, frozen in scan_coverage the first time it is computed with `persist` (a
 * target file may change or vanish later; the rebuild must see what the fold saw). Scans that did not
 * finish, and sharded scans (a shard probes a permuted slice, not whole addresses), cover nothing.
 */
export async function loadCoverage(db: Kysely<Database>, scan: ScanRecord, persist: boolean): Promise<ScanCoverage> {
  if (scan.status !== 'done') return unknownCoverage(scan.id, `scan ${scan.id} did not finish (${scan.status})`);
  const stored = await db.selectFrom('scan_coverage').selectAll().where('scan_id', '=', scan.id).executeTakeFirst();
  if (stored !== undefined) return coverageFrom(scan.id, JSON.parse(stored.ports_json) as number[], stored.ranges_json === null ? null : (JSON.parse(stored.ranges_json) as string[]), stored.unknown_reason);
  const computed = await computeCoverage(scan);
  if (persist) {
    await db
      .insertInto('scan_coverage')
      .values({ scan_id: scan.id, ports_json: JSON.stringify(computed.ports), ranges_json: computed.ranges === null ? null : JSON.stringify(computed.ranges), unknown_reason: computed.reason })
      .onConflict((oc) => oc.column('scan_id').doNothing())
      .execute();
  }
  return coverageFrom(scan.id, computed.ports, computed.ranges, computed.reason);
}

async function computeCoverage(scan: ScanRecord): Promise<{ ports: number[]; ranges: string[] | null; reason: string | null }> {
  const s = scan.spec;
  const ports = [...new Set(s.ports)].sort((a, b) => a - b);
  if (s.shard.count > 1) return { ports, ranges: null, reason: `scan ${scan.id} is shard ${s.shard.index}/${s.shard.count}: which probes it sent is not recorded per address` };
  try {
    const scope = await buildScope({
      targets: s.targets,
      targetFiles: s.targetFiles,
      excludes: s.excludes,
      excludeFiles: s.excludeFiles,
      applyBlocklist: s.options['applyBlocklist'] !== false,
      resolved: s.resolved,
      // Never resolve here: the scan recorded every resolution it used.
      resolve: (name) => Promise.reject(new Error(`${name} was not resolved by the scan`)),
    });
    if (scope.targets.rangeCount > MAX_COVERAGE_RANGES) return { ports, ranges: null, reason: `scope of scan ${scan.id} has more than ${MAX_COVERAGE_RANGES} ranges` };
    return { ports, ranges: scope.targets.ranges.map(rangeText), reason: null };
  } catch (e) {
    return { ports, ranges: null, reason: `scope of scan ${scan.id} cannot be rebuilt: ${(e as Error).message}` };
  }
}

function rangeText(r: AddressRange): string {
  return `${r.family}:${r.first.toString(16)}-${r.last.toString(16)}`;
}

function parseRangeText(t: string): AddressRange {
  const m = /^([46]):([0-9a-f]+)-([0-9a-f]+)$/.exec(t);
  if (m === null) throw new TrawlError('TRAWL_E_DB', `stored scan coverage holds a malformed range ${JSON.stringify(t.slice(0, 80))}`);
  return { family: m[1] === '4' ? 4 : 6, first: BigInt(`0x${m[2]}`), last: BigInt(`0x${m[3]}`) };
}

function unknownCoverage(scanId: string, reason: string): ScanCoverage {
  return { scanId, unknownReason: reason, coversAddress: () => false, covers: () => false };
}

function coverageFrom(scanId: string, ports: readonly number[], ranges: readonly string[] | null, reason: string | null): ScanCoverage {
  if (ranges === null) return unknownCoverage(scanId, reason ?? 'unknown scope');
  const set = RangeSet.from(ranges.map(parseRangeText));
  const portSet = new Set(ports);
  const coversAddress = (ipKey: string): boolean => {
    const a = addressOfKey(ipKey);
    return a !== undefined && set.indexOf(a) !== undefined;
  };
  // The discover stage probes TCP only.
  return { scanId, unknownReason: null, coversAddress, covers: (ipKey, port, proto) => proto === 'tcp' && portSet.has(port) && coversAddress(ipKey) };
}

/** The address an ip_key (src/store/ip-key.ts) stands for; a zone id is ignored. */
export function addressOfKey(ipKey: string): IpAddress | undefined {
  if (ipKey.length === 9 && ipKey[0] === '4') return { family: 4, value: BigInt(`0x${ipKey.slice(1)}`) };
  if (ipKey.length >= 33 && ipKey[0] === '6') return { family: 6, value: BigInt(`0x${ipKey.slice(1, 33)}`) };
  return undefined;
}

/** Zone of an address no scan or person named: special-purpose (private, loopback, CGNAT...) is internal. */
export function impliedZone(ipKey: string): 'internal' | 'external' {
  const a = addressOfKey(ipKey);
  if (a === undefined) return 'external';
  for (const b of specialPurposeRanges) {
    if (b.range.family === a.family && a.value >= b.range.first && a.value <= b.range.last) return 'internal';
  }
  return 'external';
}
