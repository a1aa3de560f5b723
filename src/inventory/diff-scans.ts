/**
 * diffScans: the changes from scan A to scan B, computed from their observations alone (plus, for
 * closing a port by silence, the scans of B's org that finished in between), by the rules the fold
 * uses (change-rules.ts). For two consecutive scans of one scope it says what folding B recorded.
 *
 * Differences from the fold, which knows the whole history: a port or finding is only "opened" when
 * A covered it (A probed the port / ran the check there), since otherwise A simply did not look; and
 * there is no finding_reopened (that needs the history before A).
 */
import type { Kysely } from 'kysely';
import type { Proto } from '../model/observation.js';
import type { ScanRecord } from '../model/scan.js';
import type { Database } from '../store/schema.js';
import {
  canonicalAddress, certJson, certRotated, compareEvents, expiringDays, expiringEvent, identityChange, identityJson, mergeHostnames,
  placeEvent, portClosedBefore, sightingOf, targetKey, type PendingEvent, type TargetSighting,
} from './change-rules.js';
import { resolveFoldOptions } from './inventory-apply.js';
import type { ChangeEvent, FoldOptions } from './inventory-types.js';
import { mergeByIp } from './key-merge.js';
import { compareScanOrder, loadCoverage, loadScan, scanContext, type ScanCoverage } from './scan-context.js';
import { observationSide, type ObsRow } from './view-sides.js';

interface DiffTarget {
  readonly port: number;
  readonly proto: Proto;
  aP?: ObsRow; aS?: ObsRow; aF?: ObsRow;
  bP?: ObsRow; bS?: ObsRow; bF?: ObsRow;
}

export async function diffScans(db: Kysely<Database>, scanA: string, scanB: string, opts: FoldOptions = {}): Promise<ChangeEvent[]> {
  const options = resolveFoldOptions(opts);
  const a = await loadScan(db, scanA);
  const b = await loadScan(db, scanB);
  const ctxB = await scanContext(db, b);
  const timeA = a.finishedAt ?? a.createdAt;
  const covA = await loadCoverage(db, a, false);
  const covB = await loadCoverage(db, b, false);
  const history = new ScanHistory(db, a, b, ctxB.orgId, covB);
  const out: PendingEvent[] = [];

  const sides = [
    observationSide(db, a.id, 'port'), observationSide(db, a.id, 'service'), observationSide(db, a.id, 'finding'),
    observationSide(db, b.id, 'port'), observationSide(db, b.id, 'service'), observationSide(db, b.id, 'finding'),
  ] as const;
  await mergeByIp(sides, async (ipKey, [aP, aS, aF, bP, bS, bF]) => {
    const targets = new Map<number, DiffTarget>();
    const t = (port: number, proto: Proto): DiffTarget => {
      const k = targetKey(port, proto);
      let x = targets.get(k);
      if (x === undefined) targets.set(k, (x = { port, proto }));
      return x;
    };
    for (const r of aP) t(r.port, r.proto).aP = r;
    for (const r of aS) t(r.port, r.proto).aS = r;
    for (const r of aF) t(r.port, r.proto).aF = r;
    for (const r of bP) t(r.port, r.proto).bP = r;
    for (const r of bS) t(r.port, r.proto).bS = r;
    for (const r of bF) t(r.port, r.proto).bF = r;
    const ordered = [...targets.entries()].sort((x, y) => (x[0] < y[0] ? -1 : 1)).map(([, v]) => v);

    const events: PendingEvent[] = [];
    let aOpen = false;
    let bOpen = false;
    let aProbed = false;
    let aLastSeen: string | null = null;
    let allClosed = true;
    const bHostnames: string[] = [];
    const sightings = ordered.map((x) => ({ x, sa: sightingOf(x.aP, x.aS, x.aF), sb: sightingOf(x.bP, x.bS, x.bF) }));
    const ip = sightings.find((s) => s.sb.ip !== null)?.sb.ip ?? sightings.find((s) => s.sa.ip !== null)?.sa.ip;
    const address = ip != null ? canonicalAddress(ip) : ipKey;

    for (const { x, sa, sb } of sightings) {
      const ev = (e: Omit<PendingEvent, 'ipKey' | 'address' | 'port' | 'proto'>): void => {
        events.push({ ipKey, address, port: x.port, proto: x.proto, ...e });
      };
      aOpen ||= sa.open;
      bOpen ||= sb.open;
      aProbed ||= sa.probed;
      if (sa.open && sa.lastTs !== null && (aLastSeen === null || sa.lastTs > aLastSeen)) aLastSeen = sa.lastTs;
      // As the fold's asset last_seen: a check result is a sighting too (checks run after identify).
      if (x.aF !== undefined && sa.findingTs !== null && (aLastSeen === null || sa.findingTs > aLastSeen)) aLastSeen = sa.findingTs;
      if (sb.open) bHostnames.push(...sb.hostnames);
      const portTarget = x.aP !== undefined || x.aS !== undefined || x.bP !== undefined || x.bS !== undefined;
      let closedHere = false;

      if (portTarget && sb.open && !sa.open && (sa.probed || covA.covers(ipKey, x.port, x.proto))) {
        ev({ kind: 'port_opened', checkId: null, before: sa.reset ? { state: 'closed' } : null, after: { state: 'open', identity: identityJson(sb.service?.identity ?? null) }, evidence: sb.evidence });
      }
      if (sa.open && sb.open) {
        const kind = identityChange(sa.service?.identity ?? null, sb.service?.identity ?? null);
        if (kind !== null) ev({ kind, checkId: null, before: identityJson(sa.service?.identity ?? null), after: identityJson(sb.service?.identity ?? null), evidence: 'identify' });
        const ta = sa.service?.tls ?? null;
        const tb = sb.service?.tls ?? null;
        if (certRotated(ta, tb)) ev({ kind: 'cert_rotated', checkId: null, before: certJson(ta!), after: certJson(tb!), evidence: 'tls-handshake' });
      }
      const tlsB = sb.open ? sb.service?.tls ?? null : null;
      if (tlsB !== null) {
        const days = expiringDays(tlsB, ctxB.time, options.certExpiryDays);
        const tlsA = sa.open ? sa.service?.tls ?? null : null;
        const alreadyDue = tlsA !== null && tlsA.fingerprint === tlsB.fingerprint && expiringDays(tlsA, timeA, options.certExpiryDays) !== undefined;
        if (days !== undefined && !alreadyDue) events.push(expiringEvent(ipKey, address, x.port, x.proto, tlsB, days));
      }
      if (sa.open && !sb.open) {
        const closed = await history.closing(ipKey, x.port, x.proto, sa, sb, options.silenceScans);
        if (closed !== undefined) {
          ev({ kind: 'port_closed', checkId: null, before: portClosedBefore(closed.lastSeen, closed.lastScanId), after: { state: 'closed' }, evidence: closed.evidence });
          closedHere = true;
        } else {
          allClosed = false;
        }
      }

      const fa = sa.findings;
      const fb = sb.findings;
      const reportedA = new Set((fa?.findings ?? []).map((f) => f.checkId));
      const reportedB = new Set((fb?.findings ?? []).map((f) => f.checkId));
      const ranA = new Set(fa?.checks ?? []);
      const ranB = new Set(fb?.checks ?? []);
      for (const f of fb?.findings ?? []) {
        if (!reportedA.has(f.checkId) && ranA.has(f.checkId)) ev({ kind: 'finding_opened', checkId: f.checkId, before: null, after: { severity: f.severity, title: f.title ?? null }, evidence: 'reported' });
      }
      for (const f of fa?.findings ?? []) {
        if (reportedB.has(f.checkId)) continue;
        const evidence = ranB.has(f.checkId) ? 'check-ran-clean' : closedHere ? 'port-closed' : undefined;
        if (evidence !== undefined) ev({ kind: 'finding_fixed', checkId: f.checkId, before: { status: 'open', severity: f.severity }, after: { status: 'fixed' }, evidence });
      }
    }

    if (bOpen && !aOpen && (aProbed || covA.coversAddress(ipKey))) {
      events.push({ kind: 'asset_appeared', ipKey, address, port: null, proto: null, checkId: null, before: null, after: { hostnames: mergeHostnames([], bHostnames) }, evidence: 'seen' });
    }
    if (aOpen && !bOpen && allClosed) {
      events.push({ kind: 'asset_disappeared', ipKey, address, port: null, proto: null, checkId: null, before: { lastSeen: aLastSeen }, after: null, evidence: 'ports-closed' });
    }
    events.sort(compareEvents);
    out.push(...events);
  });

  return out.map((e) => placeEvent(e, { id: null, orgId: ctxB.orgId, scanId: b.id, prevScanId: a.id, at: ctxB.time }));
}

/**
 * The finished scans of B's org strictly between A and B, loaded only when a port open in A is not
 * open in B, and replayed through the fold's port rule for that one target.
 */
class ScanHistory {
  #between: { scan: ScanRecord; coverage: ScanCoverage }[] | undefined;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly a: ScanRecord,
    private readonly b: ScanRecord,
    private readonly orgId: string,
    private readonly covB: ScanCoverage,
  ) {}

  async #scans(): Promise<{ scan: ScanRecord; coverage: ScanCoverage }[]> {
    if (this.#between !== undefined) return this.#between;
    const from = { time: this.a.finishedAt ?? this.a.createdAt, id: this.a.id };
    const to = { time: this.b.finishedAt ?? this.b.createdAt, id: this.b.id };
    const out: { scan: ScanRecord; coverage: ScanCoverage }[] = [];
    if (compareScanOrder(from, to) < 0) {
      const rows = await this.db
        .selectFrom('scans')
        .select(['id', 'finished_at', 'created_at'])
        .where('status', '=', 'done')
        .where('finished_at', '>=', from.time)
        .where('finished_at', '<=', to.time)
        .execute();
      const ids = rows
        .map((r) => ({ id: r.id, time: r.finished_at ?? r.created_at }))
        .filter((r) => compareScanOrder(from, r) < 0 && compareScanOrder(r, to) < 0)
        .sort(compareScanOrder);
      for (const { id } of ids) {
        const scan = await loadScan(this.db, id);
        if ((await scanContext(this.db, scan)).orgId !== this.orgId) continue;
        out.push({ scan, coverage: await loadCoverage(this.db, scan, false) });
      }
    }
    this.#between = out;
    return out;
  }

  /**
   * Replays the port rule over the scans after A up to B for a port A saw open; returns how it closed
   * (the last closing wins), or undefined when it is still open or unconfirmed at B.
   */
  async closing(ipKey: string, port: number, proto: Proto, sa: TargetSighting, sb: TargetSighting, silenceScans: number): Promise<{ evidence: string; lastSeen: string | null; lastScanId: string } | undefined> {
    const between = await this.#scans();
    const steps: { id: string; sight: TargetSighting; coverage: ScanCoverage }[] = [];
    if (between.length > 0) {
      const rows = await this.db
        .selectFrom('observations')
        .select(['scan_id', 'type', 'ip_key', 'ip', 'port', 'proto', 'state', 'evidence', 'hostname', 'ts', 'data_json'])
        .where('scan_id', 'in', between.map((s) => s.scan.id))
        .where('type', 'in', ['port', 'service'])
        .where('ip_key', '=', ipKey)
        .where('port', '=', port)
        .where('proto', '=', proto)
        .execute();
      for (const s of between) {
        const mine = rows.filter((r) => r.scan_id === s.scan.id).map((r) => ({ ...r, port: Number(r.port) }));
        steps.push({ id: s.scan.id, sight: sightingOf(mine.find((r) => r.type === 'port'), mine.find((r) => r.type === 'service'), undefined), coverage: s.coverage });
      }
    }
    steps.push({ id: this.b.id, sight: sb, coverage: this.covB });

    let state: 'open' | 'closed' = 'open';
    let silent = 0;
    let evidence = '';
    let lastSeen = sa.lastTs;
    let lastScanId = this.a.id;
    for (const step of steps) {
      if (step.sight.open) {
        state = 'open';
        silent = 0;
        if (step.sight.lastTs !== null && (lastSeen === null || step.sight.lastTs > lastSeen)) lastSeen = step.sight.lastTs;
        lastScanId = step.id;
      } else if (state === 'open') {
        if (step.sight.reset) {
          state = 'closed';
          evidence = 'reset';
        } else if (step.sight.probed || step.coverage.covers(ipKey, port, proto)) {
          silent++;
          if (silent >= silenceScans) {
            state = 'closed';
            evidence = `silence-${silent}`;
          }
        }
      }
    }
    return state === 'closed' ? { evidence, lastSeen, lastScanId } : undefined;
  }
}
