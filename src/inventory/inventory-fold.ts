/**
 * Folding one scan into the view: a merge join of the scan's observations with the org's assets,
 * services and findings, one address at a time (key-merge.ts), writing changed rows and change events
 * in batches. `foldAddress` is the whole per-address rule set, pure, so incremental application and a
 * rebuild run literally the same code.
 *
 * Ports, per (address, port, proto), with N = silenceScans:
 *   seen open (port row open, or a service row) ... open; port_opened if it was absent or closed;
 *                                                  service/version/cert events against what was known
 *   a reset ('closed' port row) ................... closed, port_closed evidence 'reset'
 *   silence in a scan that covered it ............. 'unknown' (unconfirmed, no event); the N-th such
 *                                                  scan in a row: closed, port_closed 'silence-N'
 *   not covered ................................... unchanged
 */
import type { Kysely, Selectable } from 'kysely';
import type { Proto } from '../model/observation.js';
import type { ChangesTable, Database } from '../store/schema.js';
import { allColumns, bulkUpdate, bulkWrite, type BulkTable, type BulkUpdate } from './bulk-write.js';
import {
  canonicalAddress, certJson, certRotated, compareEvents, expiringDays, expiringEvent, identityChange, identityJson, mergeHostnames,
  placeEvent, portClosedBefore, sightingOf, targetKey, type PendingEvent, type TargetSighting,
} from './change-rules.js';
import { applyFindings } from './finding-lifecycle.js';
import type { ChangeEvent, ServiceIdentityKey, TlsCertKey } from './inventory-types.js';
import { mergeByIp } from './key-merge.js';
import { impliedZone, type ScanContext, type ScanCoverage } from './scan-context.js';
import {
  annotationsSide, assetsSide, findingsSide, observationSide, servicesSide,
  type AnnotationRow, type AssetRow, type FindingRow, type ObsRow, type ServiceRow,
} from './view-sides.js';

export interface ResolvedFoldOptions {
  readonly certExpiryDays: number;
  readonly silenceScans: number;
}

export interface AddressFoldInput {
  readonly orgId: string;
  readonly scanId: string;
  readonly time: string;
  /** The zone the scan declares it saw assets from, if any. */
  readonly zone: string | null;
  /** Tags of the assessment the scan ran for; they join the tags of every asset it sees. */
  readonly tags: readonly string[];
  readonly ipKey: string;
  readonly portObs: readonly ObsRow[];
  readonly serviceObs: readonly ObsRow[];
  readonly findingObs: readonly ObsRow[];
  readonly services: readonly ServiceRow[];
  readonly findings: readonly FindingRow[];
  readonly asset: AssetRow | undefined;
  readonly annotation: AnnotationRow | undefined;
  readonly coverage: ScanCoverage;
  readonly options: ResolvedFoldOptions;
}

export interface AddressFoldOutput {
  readonly asset: AssetRow | undefined;
  readonly services: readonly ServiceRow[];
  readonly findings: readonly FindingRow[];
  readonly events: readonly PendingEvent[];
}

type ChangeRow = Selectable<ChangesTable>;

interface Target {
  readonly port: number;
  readonly proto: Proto;
  po?: ObsRow;
  so?: ObsRow;
  fo?: ObsRow;
  svc?: ServiceRow;
  readonly fnds: FindingRow[];
}

export function foldAddress(input: AddressFoldInput): AddressFoldOutput {
  const { orgId, scanId, time, ipKey } = input;
  const targets = new Map<number, Target>();
  const target = (port: number, proto: Proto): Target => {
    const k = targetKey(port, proto);
    let t = targets.get(k);
    if (t === undefined) targets.set(k, (t = { port, proto, fnds: [] }));
    return t;
  };
  for (const r of input.portObs) target(r.port, r.proto).po = r;
  for (const r of input.serviceObs) target(r.port, r.proto).so = r;
  for (const r of input.findingObs) target(r.port, r.proto).fo = r;
  for (const r of input.services) target(r.port, r.proto).svc = r;
  for (const r of input.findings) target(r.port, r.proto).fnds.push(r);

  const ordered = [...targets.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1)).map(([, t]) => t);
  const sightings = ordered.map((t) => sightingOf(t.po, t.so, t.fo));
  const seenIp = input.asset === undefined ? sightings.find((s) => s.ip !== null)?.ip : undefined;
  const address = input.asset?.address ?? (seenIp != null ? canonicalAddress(seenIp) : undefined) ?? input.services[0]?.address ?? input.findings[0]?.address ?? ipKey;

  const events: PendingEvent[] = [];
  const servicesOut: ServiceRow[] = [];
  const findingsOut: FindingRow[] = [];
  let seenFirst: string | null = null;
  let seenLast: string | null = null;
  const seen = (ts: string | null): void => {
    if (ts === null) return;
    if (seenFirst === null || ts < seenFirst) seenFirst = ts;
    if (seenLast === null || ts > seenLast) seenLast = ts;
  };
  const hostnames: string[] = [];
  let seenAny = false;
  let closedAny = false;
  let exposed = 0;

  ordered.forEach((t, i) => {
    const sight = sightings[i]!;
    const step = foldService(input, address, t, sight);
    if (sight.open) {
      seenAny = true;
      seen(sight.firstTs);
      seen(sight.lastTs);
      hostnames.push(...sight.hostnames);
    }
    if (step.row !== undefined && step.row !== t.svc) servicesOut.push(step.row);
    if (step.row !== undefined && step.row.state !== 'closed') exposed++;
    closedAny ||= step.closedNow;
    events.push(...step.events);

    if (t.fo !== undefined) {
      seenAny = true;
      seen(sight.findingTs);
    }
    if (t.fo !== undefined || t.fnds.length > 0) {
      const r = applyFindings({
        orgId, scanId, time, ipKey, address, port: t.port, proto: t.proto,
        current: t.fnds, observed: sight.findings, observedAt: sight.findingTs, portClosed: step.closedNow,
      });
      findingsOut.push(...r.rows);
      events.push(...r.events);
    }
  });

  const a = input.asset;
  const ann = input.annotation;
  let assetOut: AssetRow | undefined;
  if (seenAny) {
    if (a === undefined || a.state === 'gone') {
      events.push({ kind: 'asset_appeared', ipKey, address, port: null, proto: null, checkId: null, before: null, after: { hostnames: mergeHostnames([], hostnames) }, evidence: 'seen' });
    }
    const first = seenFirst ?? time;
    const last = seenLast ?? time;
    assetOut = {
      org_id: orgId,
      ip_key: ipKey,
      address,
      // No new names: the stored text as it is (this very merge wrote it).
      hostnames_json: a !== undefined && hostnames.length === 0
        ? a.hostnames_json
        : JSON.stringify(mergeHostnames(a === undefined ? [] : (JSON.parse(a.hostnames_json) as string[]), hostnames)),
      // A person's word beats the scan's, which beats what was known, which beats the address class.
      zone: ann?.zone ?? input.zone ?? a?.zone ?? impliedZone(ipKey),
      // A person's tags replace the assessments' tags; assessments' tags accumulate (an asset in two).
      tags_json: ann?.tags_json ?? withTags(a?.tags_json ?? '[]', input.tags),
      owner: ann?.owner ?? a?.owner ?? null,
      first_seen: a !== undefined && a.first_seen < first ? a.first_seen : first,
      last_seen: a !== undefined && a.last_seen > last ? a.last_seen : last,
      state: 'up',
      last_scan_id: scanId,
    };
  } else if (a !== undefined && a.state === 'up' && exposed === 0 && (closedAny || input.coverage.coversAddress(ipKey))) {
    events.push({ kind: 'asset_disappeared', ipKey, address, port: null, proto: null, checkId: null, before: { lastSeen: a.last_seen }, after: null, evidence: closedAny ? 'ports-closed' : 'silence' });
    assetOut = { ...a, state: 'gone' };
  }
  events.sort(compareEvents);
  return { asset: assetOut, services: servicesOut, findings: findingsOut, events };
}

function foldService(input: AddressFoldInput, address: string, t: Target, sight: TargetSighting): { row: ServiceRow | undefined; closedNow: boolean; events: PendingEvent[] } {
  const { orgId, scanId, time, ipKey, options } = input;
  const svc = t.svc;
  const events: PendingEvent[] = [];
  const ev = (e: Omit<PendingEvent, 'ipKey' | 'address' | 'port' | 'proto' | 'checkId'>): void => {
    events.push({ ipKey, address, port: t.port, proto: t.proto, checkId: null, ...e });
  };
  // Host-level finding rows (port 0) say nothing about ports.
  if (t.po === undefined && t.so === undefined && svc === undefined) return { row: undefined, closedNow: false, events };

  if (sight.open) {
    const live = svc !== undefined && svc.state !== 'closed';
    const oldIdentity = svc === undefined ? null : identityOf(svc);
    const oldTls = svc === undefined ? null : tlsOf(svc);
    const newIdentity = sight.service?.identity ?? null;
    const newTls = sight.service?.tls ?? null;
    if (!live) {
      ev({ kind: 'port_opened', before: svc === undefined ? null : { state: 'closed' }, after: { state: 'open', identity: identityJson(newIdentity) }, evidence: sight.evidence });
    } else {
      const kind = identityChange(oldIdentity, newIdentity);
      if (kind !== null) ev({ kind, before: identityJson(oldIdentity), after: identityJson(newIdentity), evidence: 'identify' });
      if (certRotated(oldTls, newTls)) ev({ kind: 'cert_rotated', before: certJson(oldTls!), after: certJson(newTls!), evidence: 'tls-handshake' });
    }
    let flagged = svc?.cert_expiry_flagged ?? null;
    if (newTls !== null) {
      const days = expiringDays(newTls, time, options.certExpiryDays);
      if (days !== undefined && flagged !== newTls.fingerprint) {
        events.push(expiringEvent(ipKey, address, t.port, t.proto, newTls, days));
        flagged = newTls.fingerprint;
      }
    }
    const identity = newIdentity ?? oldIdentity;
    const tls = newTls ?? oldTls;
    const firstTs = sight.firstTs ?? time;
    const lastTs = sight.lastTs ?? time;
    return {
      row: {
        org_id: orgId,
        ip_key: ipKey,
        port: t.port,
        proto: t.proto,
        address,
        service_name: identity?.name ?? null,
        product: identity?.product ?? null,
        version: identity?.version ?? null,
        identity_json: newIdentity !== null ? sight.service?.identityJson ?? null : svc?.identity_json ?? null,
        tls_fingerprint: tls?.fingerprint ?? null,
        tls_not_after: tls?.notAfter ?? null,
        cert_expiry_flagged: flagged,
        first_seen: svc !== undefined && svc.first_seen < firstTs ? svc.first_seen : firstTs,
        last_seen: svc !== undefined && svc.last_seen > lastTs ? svc.last_seen : lastTs,
        state: 'open',
        silent_scans: 0,
        last_scan_id: scanId,
      },
      closedNow: false,
      events,
    };
  }

  if (svc === undefined || svc.state === 'closed') return { row: svc, closedNow: false, events };
  let evidence: string | undefined;
  if (sight.reset) evidence = 'reset';
  else if (sight.probed || input.coverage.covers(ipKey, t.port, t.proto)) {
    const silent = svc.silent_scans + 1;
    if (silent < options.silenceScans) return { row: { ...svc, state: 'unknown', silent_scans: silent }, closedNow: false, events };
    evidence = `silence-${silent}`;
  }
  if (evidence === undefined) return { row: svc, closedNow: false, events };
  ev({ kind: 'port_closed', before: portClosedBefore(svc.last_seen, svc.last_scan_id), after: { state: 'closed' }, evidence });
  return { row: { ...svc, state: 'closed', silent_scans: 0 }, closedNow: true, events };
}

const MAX_ASSET_TAGS = 64;

function withTags(current: string, tags: readonly string[]): string {
  if (tags.length === 0) return current;
  let have: unknown;
  try {
    have = JSON.parse(current);
  } catch {
    have = [];
  }
  const list = Array.isArray(have) ? have.filter((t): t is string => typeof t === 'string') : [];
  if (tags.every((t) => list.includes(t))) return current;
  return JSON.stringify([...new Set([...list, ...tags])].sort().slice(0, MAX_ASSET_TAGS));
}

function identityOf(r: ServiceRow): ServiceIdentityKey | null {
  return r.service_name === null ? null : { name: r.service_name, product: r.product, version: r.version };
}

function tlsOf(r: ServiceRow): TlsCertKey | null {
  return r.tls_fingerprint === null ? null : { fingerprint: r.tls_fingerprint, notAfter: r.tls_not_after };
}

/** Folds the scan of `ctx` into its org's view; returns the events in stored order. */
export async function foldScan(
  db: Kysely<Database>,
  ctx: ScanContext,
  prevScanId: string | null,
  coverage: ScanCoverage,
  options: ResolvedFoldOptions,
): Promise<ChangeEvent[]> {
  const scanId = ctx.scan.id;
  const writer = new ViewWriter(db);
  const events: ChangeEvent[] = [];
  const sides = [
    observationSide(db, scanId, 'port'),
    observationSide(db, scanId, 'service'),
    observationSide(db, scanId, 'finding'),
    servicesSide(db, ctx.orgId),
    findingsSide(db, ctx.orgId),
    assetsSide(db, ctx.orgId),
    annotationsSide(db, ctx.orgId),
  ] as const;
  // Synchronous per address: only a full batch of writes makes the merge wait.
  await mergeByIp(sides, (ipKey, [portObs, serviceObs, findingObs, services, findings, assets, annotations]) => {
    // Nothing observed here, and the scan's silence cannot count or did not reach this address, or
    // there is nothing left for it to close: skip (most of a large view, for a small scan).
    if (portObs.length === 0 && serviceObs.length === 0 && findingObs.length === 0) {
      if (!coverage.coversAddress(ipKey)) return undefined;
      if (!services.some((s) => s.state !== 'closed') && assets[0]?.state !== 'up') return undefined;
    }
    const out = foldAddress({
      orgId: ctx.orgId, scanId, time: ctx.time, zone: ctx.zone, tags: ctx.tags, ipKey,
      portObs, serviceObs, findingObs, services, findings, asset: assets[0], annotation: annotations[0],
      coverage, options,
    });
    for (const s of out.services) writer.service(s, services.find((p) => p.port === s.port && p.proto === s.proto));
    for (const f of out.findings) writer.finding(f);
    if (out.asset !== undefined) writer.asset(out.asset, assets[0]);
    for (const e of out.events) {
      const seq = events.length;
      const placed = placeEvent(e, { id: `${scanId}:${String(seq).padStart(7, '0')}`, orgId: ctx.orgId, scanId, prevScanId, at: ctx.time });
      events.push(placed);
      writer.change({
        id: placed.id!, org_id: ctx.orgId, scan_id: scanId, seq, prev_scan_id: prevScanId, kind: e.kind, at: ctx.time,
        ip_key: e.ipKey, address: e.address, port: e.port, proto: e.proto, check_id: e.checkId,
        before_json: e.before === null ? null : JSON.stringify(e.before),
        after_json: e.after === null ? null : JSON.stringify(e.after),
        evidence: e.evidence,
      });
    }
    return writer.full ? writer.flush(false) : undefined;
  });
  await writer.flush(true);
  return events;
}

/** Rows per multi-row statement: the widest table has 24 columns, well inside SQLite's 32766 parameters. */
const BATCH_ROWS = 1000;

const SERVICES: BulkTable<ServiceRow> = {
  table: 'services',
  columns: allColumns<ServiceRow>()([
    'org_id', 'ip_key', 'port', 'proto', 'address', 'service_name', 'product', 'version', 'identity_json', 'tls_fingerprint',
    'tls_not_after', 'cert_expiry_flagged', 'first_seen', 'last_seen', 'state', 'silent_scans', 'last_scan_id',
  ]),
  key: ['org_id', 'ip_key', 'port', 'proto'],
};
const FINDINGS: BulkTable<FindingRow> = {
  table: 'findings',
  columns: allColumns<FindingRow>()([
    'id', 'org_id', 'ip_key', 'address', 'port', 'proto', 'check_id', 'severity', 'title', 'status', 'first_seen', 'last_seen',
    'opened_at', 'fixed_at', 'times_seen', 'reopened_count', 'first_scan_id', 'last_scan_id', 'evidence_json', 'triage_by',
    'triage_reason', 'triage_until', 'triaged_at',
  ]),
  key: ['id'],
};
const ASSETS: BulkTable<AssetRow> = {
  table: 'assets',
  columns: allColumns<AssetRow>()(['org_id', 'ip_key', 'address', 'hostnames_json', 'zone', 'tags_json', 'owner', 'first_seen', 'last_seen', 'state', 'last_scan_id']),
  key: ['org_id', 'ip_key'],
};
/** A row seen again moves only these: written by a narrow UPDATE rather than a full-row upsert. */
const SERVICE_TOUCH: BulkUpdate<ServiceRow> = { table: 'services', key: SERVICES.key!, set: ['last_seen', 'last_scan_id'], pgTypes: { port: 'integer' } };
const ASSET_TOUCH: BulkUpdate<AssetRow> = { table: 'assets', key: ASSETS.key!, set: ['last_seen', 'last_scan_id'] };
const SERVICE_SAME = SERVICES.columns.filter((c) => !SERVICE_TOUCH.set.includes(c));
const ASSET_SAME = ASSETS.columns.filter((c) => !ASSET_TOUCH.set.includes(c));

/** Whether `next` is `prev` with at most the touch columns changed. */
function touchOnly<R extends object>(prev: R | undefined, next: R, same: readonly (keyof R)[]): boolean {
  if (prev === undefined) return false;
  for (const c of same) if (prev[c] !== next[c]) return false;
  return true;
}

const CHANGES: BulkTable<ChangeRow> = {
  table: 'changes',
  columns: allColumns<ChangeRow>()([
    'id', 'org_id', 'scan_id', 'seq', 'prev_scan_id', 'kind', 'at', 'ip_key', 'address', 'port', 'proto', 'check_id',
    'before_json', 'after_json', 'evidence',
  ]),
};

/**
 * Batched writes of the view — full-row upserts, narrow updates of rows only seen again — and inserts
 * of change events. Adding is synchronous; `full` says when a batch should be written.
 */
class ViewWriter {
  readonly #services: Batch<ServiceRow>;
  readonly #serviceTouches: Batch<ServiceRow>;
  readonly #findings: Batch<FindingRow>;
  readonly #assets: Batch<AssetRow>;
  readonly #assetTouches: Batch<AssetRow>;
  readonly #changes: Batch<ChangeRow>;
  readonly #all: readonly Batch<object>[];

  constructor(db: Kysely<Database>) {
    this.#services = new Batch((rows) => bulkWrite(db, SERVICES, rows));
    this.#serviceTouches = new Batch((rows) => bulkUpdate(db, SERVICE_TOUCH, rows));
    this.#findings = new Batch((rows) => bulkWrite(db, FINDINGS, rows));
    this.#assets = new Batch((rows) => bulkWrite(db, ASSETS, rows));
    this.#assetTouches = new Batch((rows) => bulkUpdate(db, ASSET_TOUCH, rows));
    this.#changes = new Batch((rows) => bulkWrite(db, CHANGES, rows));
    this.#all = [this.#services, this.#serviceTouches, this.#findings, this.#assets, this.#assetTouches, this.#changes] as readonly Batch<object>[];
  }

  /** `prev`: the row as the view holds it, if any. */
  service(r: ServiceRow, prev: ServiceRow | undefined): void {
    (touchOnly(prev, r, SERVICE_SAME) ? this.#serviceTouches : this.#services).add(r);
  }

  finding(r: FindingRow): void {
    this.#findings.add(r);
  }

  asset(r: AssetRow, prev: AssetRow | undefined): void {
    (touchOnly(prev, r, ASSET_SAME) ? this.#assetTouches : this.#assets).add(r);
  }

  change(r: ChangeRow): void {
    this.#changes.add(r);
  }

  get full(): boolean {
    return this.#all.some((b) => b.full);
  }

  /** Writes the full batches, or with `all` every row held. */
  async flush(all: boolean): Promise<void> {
    for (const b of this.#all) if (all || b.full) await b.write();
  }
}

/** Rows of one statement kind, written BATCH_ROWS at a time. */
class Batch<R extends object> {
  #rows: R[] = [];

  constructor(private readonly writeRows: (rows: R[]) => Promise<void>) {}

  add(r: R): void {
    this.#rows.push(r);
  }

  get full(): boolean {
    return this.#rows.length >= BATCH_ROWS;
  }

  /** One statement per BATCH_ROWS rows: an address with many services can overfill a batch. */
  async write(): Promise<void> {
    const rows = this.#rows;
    this.#rows = [];
    for (let i = 0; i < rows.length; i += BATCH_ROWS) await this.writeRows(i === 0 && rows.length <= BATCH_ROWS ? rows : rows.slice(i, i + BATCH_ROWS));
  }
}
