/**
 * Finding lifecycle. A finding is one weakness on one target: (org, address, port/proto, check id),
 * port 0 for host-level checks.
 *
 *   (new) ──reported──▶ open ──absent where the check ran again──▶ fixed ──reported──▶ open (reopened)
 *                        │ ▲                                          ▲
 *            triage      ▼ │ triage 'open', or `until` passed          │ absent where the check ran,
 *                 accepted_risk / false_positive ──────────────────────┘ or its port closed
 *
 * "Fixed" needs the same evidence standard as a closed port: a later scan whose check stage ran that
 * check on that target and did not report it ('check-ran-clean'), or the port itself confirmed closed
 * ('port-closed'). A scan that did not run the check says nothing. Triage survives sightings; fixing
 * clears it (a reopened finding is a new problem and gets triaged afresh). An expired triage returns
 * the finding to open when the next scan is folded (the view's clock is scan time).
 */
import { createHash, randomUUID } from 'node:crypto';
import type { Kysely, Selectable } from 'kysely';
import { TrawlError } from '../errors/trawl-error.js';
import type { Proto } from '../model/observation.js';
import type { Database, FindingsTable, FindingTriageTable } from '../store/schema.js';
import type { PendingEvent } from './change-rules.js';
import type { FindingRecord, FindingStatus, JsonValue } from './inventory-types.js';
import { evidenceJson, parseJsonColumn, type FindingObservationData } from './observation-data.js';
import type { FindingRow } from './view-sides.js';

export interface FindingTargetInput {
  readonly orgId: string;
  readonly scanId: string;
  /** The scan's time: when fixes happen. */
  readonly time: string;
  readonly ipKey: string;
  readonly address: string;
  readonly port: number;
  readonly proto: Proto;
  /** The view's findings on this target. */
  readonly current: readonly FindingRow[];
  /** The scan's check results on this target; undefined when no check ran there. */
  readonly observed: FindingObservationData | undefined;
  /** Time of the check results (the finding row's ts). */
  readonly observedAt: string | null;
  /** The target's port was confirmed closed by this scan. */
  readonly portClosed: boolean;
}

export interface FindingTargetResult {
  /** New and changed rows (unchanged ones are left out). */
  readonly rows: FindingRow[];
  readonly events: PendingEvent[];
}

/** Deterministic id: the same finding gets the same id in every rebuild and on every engine. */
export function findingId(orgId: string, ipKey: string, port: number, proto: Proto, checkId: string): string {
  return `f_${createHash('sha256').update(`${orgId}\u0000${ipKey}\u0000${port}\u0000${proto}\u0000${checkId}`).digest('hex').slice(0, 24)}`;
}

/** One scan's step of the lifecycle for the findings of one target. Pure. */
export function applyFindings(input: FindingTargetInput): FindingTargetResult {
  const { orgId, scanId, time, ipKey, address, port, proto } = input;
  const rows: FindingRow[] = [];
  const events: PendingEvent[] = [];
  const byCheck = new Map(input.current.map((f) => [f.check_id, f]));
  const seenAt = input.observedAt ?? time;
  const event = (kind: PendingEvent['kind'], checkId: string, before: JsonValue | null, after: JsonValue | null, evidence: string): void => {
    events.push({ kind, ipKey, address, port, proto, checkId, before, after, evidence });
  };

  const reported = new Set<string>();
  for (const s of input.observed?.findings ?? []) {
    reported.add(s.checkId);
    const existing = byCheck.get(s.checkId);
    const sighting = { severity: s.severity, title: s.title ?? null, evidence_json: evidenceJson(s.evidence), last_scan_id: scanId };
    if (existing === undefined) {
      rows.push({
        id: findingId(orgId, ipKey, port, proto, s.checkId),
        org_id: orgId, ip_key: ipKey, address, port, proto, check_id: s.checkId,
        ...sighting,
        status: 'open', first_seen: seenAt, last_seen: seenAt, opened_at: seenAt, fixed_at: null,
        times_seen: 1, reopened_count: 0, first_scan_id: scanId,
        triage_by: null, triage_reason: null, triage_until: null, triaged_at: null,
      });
      event('finding_opened', s.checkId, null, { severity: s.severity, title: s.title ?? null }, 'reported');
    } else if (existing.status === 'fixed') {
      rows.push({
        ...existing, ...sighting,
        status: 'open', opened_at: seenAt, fixed_at: null, last_seen: maxTime(existing.last_seen, seenAt),
        times_seen: existing.times_seen + 1, reopened_count: existing.reopened_count + 1,
      });
      event('finding_reopened', s.checkId, { status: 'fixed', fixedAt: existing.fixed_at }, { severity: s.severity, title: s.title ?? null }, 'reported');
    } else {
      rows.push({ ...existing, ...sighting, last_seen: maxTime(existing.last_seen, seenAt), times_seen: existing.times_seen + 1 });
    }
  }

  const ran = new Set(input.observed?.checks ?? []);
  for (const f of input.current) {
    if (f.status === 'fixed' || reported.has(f.check_id)) continue;
    const evidence = ran.has(f.check_id) ? 'check-ran-clean' : input.portClosed ? 'port-closed' : undefined;
    if (evidence === undefined) continue;
    rows.push({ ...f, status: 'fixed', fixed_at: time, triage_by: null, triage_reason: null, triage_until: null, triaged_at: null });
    event('finding_fixed', f.check_id, { status: f.status, severity: f.severity }, { status: 'fixed' }, evidence);
  }
  return { rows, events };
}

function maxTime(a: string, b: string): string {
  return a > b ? a : b;
}

export interface TriageInput {
  /** 'open' withdraws an earlier triage. */
  readonly status: 'accepted_risk' | 'false_positive' | 'open';
  readonly by: string;
  readonly reason: string;
  /** When the decision lapses (ISO-8601); the finding is open again from the first scan folded after it. */
  readonly until?: string | null;
  /** When the decision was made (default now). */
  readonly at?: string;
}

const TRIAGE_STATUSES: ReadonlySet<string> = new Set(['accepted_risk', 'false_positive', 'open']);
const MAX_BY = 200;
const MAX_REASON = 4000;

/** Records a triage decision (kept forever in finding_triage) and applies it to the finding. */
export async function triageFinding(db: Kysely<Database>, id: string, input: TriageInput): Promise<FindingRecord> {
  if (!TRIAGE_STATUSES.has(input.status)) throw new TrawlError('TRAWL_E_BAD_OPTION', `triage status must be accepted_risk, false_positive or open, got ${JSON.stringify(String(input.status).slice(0, 40))}`, { value: input.status });
  const by = typeof input.by === 'string' ? input.by.trim() : '';
  const reason = typeof input.reason === 'string' ? input.reason.trim() : '';
  if (by.length === 0 || by.length > MAX_BY) throw new TrawlError('TRAWL_E_BAD_OPTION', `triage needs who decided ("by", 1-${MAX_BY} characters)`, { value: by.slice(0, 40) });
  if (reason.length === 0 || reason.length > MAX_REASON) throw new TrawlError('TRAWL_E_BAD_OPTION', `triage needs a reason (1-${MAX_REASON} characters)`, {});
  const at = isoOrThrow(input.at ?? new Date().toISOString(), 'at');
  const until = input.until === undefined || input.until === null ? null : isoOrThrow(input.until, 'until');
  if (until !== null && until <= at) throw new TrawlError('TRAWL_E_BAD_OPTION', `triage "until" ${until} is not after the decision time ${at}`, { value: until });

  const run = async (trx: Kysely<Database>): Promise<FindingRecord> => {
    const finding = await trx.selectFrom('findings').selectAll().where('id', '=', id).executeTakeFirst();
    if (finding === undefined) throw new TrawlError('TRAWL_E_NOT_FOUND', `no finding ${id.slice(0, 80)}`, { id: id.slice(0, 80) });
    if (finding.status === 'fixed') throw new TrawlError('TRAWL_E_BAD_OPTION', `finding ${id} is fixed; there is nothing to triage`, { id });
    const last = await trx
      .selectFrom('inventory_scans')
      .select('scan_id')
      .where('org_id', '=', finding.org_id)
      .orderBy('scan_time', 'desc')
      .orderBy('scan_id', 'desc')
      .limit(1)
      .executeTakeFirst();
    const entry: Selectable<FindingTriageTable> = {
      id: randomUUID(), finding_id: id, org_id: finding.org_id, status: input.status, by, reason, until, at, after_scan_id: last?.scan_id ?? null,
    };
    await trx.insertInto('finding_triage').values(entry).execute();
    await applyTriage(trx, entry);
    const row = await trx.selectFrom('findings').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    return findingFromRow(row);
  };
  return db.isTransaction ? run(db) : db.transaction().execute(run);
}

/** Applies one logged decision to its finding, if the finding is still triageable (rebuild replays these). */
export async function applyTriage(db: Kysely<Database>, entry: Selectable<FindingTriageTable>): Promise<void> {
  const withdraw = entry.status === 'open';
  await db
    .updateTable('findings')
    .set({
      status: entry.status,
      triage_by: withdraw ? null : entry.by,
      triage_reason: withdraw ? null : entry.reason,
      triage_until: withdraw ? null : entry.until,
      triaged_at: withdraw ? null : entry.at,
    })
    .where('id', '=', entry.finding_id)
    .where('status', '!=', 'fixed')
    .execute();
}

/** Triage decisions whose `until` is at or before `at` lapse: those findings are open again. */
export async function expireTriage(db: Kysely<Database>, orgId: string, at: string): Promise<number> {
  const r = await db
    .updateTable('findings')
    .set({ status: 'open', triage_by: null, triage_reason: null, triage_until: null, triaged_at: null })
    .where('org_id', '=', orgId)
    .where('status', 'in', ['accepted_risk', 'false_positive'])
    .where('triage_until', 'is not', null)
    .where('triage_until', '<=', at)
    .executeTakeFirst();
  return Number(r.numUpdatedRows);
}

export function findingFromRow(r: Selectable<FindingsTable>): FindingRecord {
  return {
    id: r.id,
    orgId: r.org_id,
    address: r.address,
    port: Number(r.port),
    proto: r.proto,
    checkId: r.check_id,
    severity: r.severity,
    title: r.title,
    status: r.status as FindingStatus,
    firstSeen: r.first_seen,
    lastSeen: r.last_seen,
    openedAt: r.opened_at,
    fixedAt: r.fixed_at,
    timesSeen: Number(r.times_seen),
    reopenedCount: Number(r.reopened_count),
    firstScanId: r.first_scan_id,
    lastScanId: r.last_scan_id,
    evidence: parseJsonColumn(r.evidence_json),
    triage: r.triage_by !== null && r.triaged_at !== null ? { by: r.triage_by, reason: r.triage_reason ?? '', until: r.triage_until, at: r.triaged_at } : null,
  };
}

function isoOrThrow(v: string, what: string): string {
  const t = typeof v === 'string' && v.length <= 64 ? Date.parse(v) : Number.NaN;
  if (Number.isNaN(t)) throw new TrawlError('TRAWL_E_BAD_OPTION', `triage "${what}" is not an ISO-8601 time: ${JSON.stringify(String(v).slice(0, 64))}`, { value: String(v).slice(0, 64) });
  return new Date(t).toISOString();
}
