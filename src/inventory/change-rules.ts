/**
 * The rules both the fold (applyScan) and diffScans judge changes by, so the events a fold stores and
 * the events a diff of the same two scans computes say the same thing in the same shape.
 */
import type { Proto } from '../model/observation.js';
import { formatIp, parseIp } from '../scope/ip-address.js';
import { changeKinds, type ChangeEvent, type ChangeKind, type JsonValue, type ServiceIdentityKey, type TlsCertKey } from './inventory-types.js';
import { parseFindingData, parseServiceData, type FindingObservationData, type ParsedService } from './observation-data.js';
import type { ObsRow } from './view-sides.js';

const DAY_MS = 86_400_000;
const MAX_HOSTNAMES = 32;

/** An event before it is placed in a scan (ids, org, scans and time are added by the caller). */
export interface PendingEvent {
  readonly kind: ChangeKind;
  readonly ipKey: string;
  readonly address: string;
  readonly port: number | null;
  readonly proto: Proto | null;
  readonly checkId: string | null;
  readonly before: JsonValue | null;
  readonly after: JsonValue | null;
  readonly evidence: string | null;
}

/** What one scan's rows say about one (address, port, proto). */
export interface TargetSighting {
  /** A port row in state open, or a service row (identify only runs on open ports). */
  readonly open: boolean;
  /** A 'closed' port row: the host answered with a reset. */
  readonly reset: boolean;
  /** Some port row exists, so the probe was certainly sent. */
  readonly probed: boolean;
  readonly evidence: string | null;
  readonly firstTs: string | null;
  readonly lastTs: string | null;
  readonly hostnames: readonly string[];
  readonly service: ParsedService | null;
  readonly findings: FindingObservationData | undefined;
  readonly findingTs: string | null;
  /** The address as a row gave it (canonicalAddress makes it the printed form; done once per address). */
  readonly ip: string | null;
}

export function sightingOf(port: ObsRow | undefined, service: ObsRow | undefined, finding: ObsRow | undefined): TargetSighting {
  const portOpen = port !== undefined && port.state === 'open';
  const open = portOpen || service !== undefined;
  // When it was seen open: the open port row and the service row.
  let firstTs: string | null = null;
  let lastTs: string | null = null;
  if (portOpen) firstTs = lastTs = port.ts;
  if (service !== undefined) {
    const t = service.ts;
    if (firstTs === null || t < firstTs) firstTs = t;
    if (lastTs === null || t > lastTs) lastTs = t;
  }
  const ph = port?.hostname;
  const sh = service?.hostname;
  const hostnames: string[] = [];
  if (typeof ph === 'string' && ph.length > 0) hostnames.push(ph);
  if (typeof sh === 'string' && sh.length > 0) hostnames.push(sh);
  return {
    open,
    reset: !open && port?.state === 'closed',
    probed: port !== undefined,
    evidence: open ? (portOpen ? port.evidence : 'service') : null,
    firstTs,
    lastTs,
    hostnames,
    service: service !== undefined ? parseServiceData(service.data_json) : null,
    findings: finding !== undefined ? parseFindingData(finding.data_json) : undefined,
    findingTs: finding?.ts ?? null,
    ip: port?.ip ?? service?.ip ?? finding?.ip ?? null,
  };
}

/** The address as Trawl prints it (compressed IPv6, no leading zeros); unparseable text as it is. */
export function canonicalAddress(ip: string): string {
  const a = parseIp(ip);
  return a === undefined ? ip : formatIp(a);
}

export function mergeHostnames(existing: readonly string[], added: readonly string[]): string[] {
  if (added.length === 0) return [...existing];
  return [...new Set([...existing, ...added])].sort().slice(0, MAX_HOSTNAMES);
}

/** service_changed when the service or product differs, version_changed when only the version does. */
export function identityChange(before: ServiceIdentityKey | null, after: ServiceIdentityKey | null): 'service_changed' | 'version_changed' | null {
  if (before === null || after === null) return null;
  if (before.name !== after.name || before.product !== after.product) return 'service_changed';
  if (before.version !== after.version) return 'version_changed';
  return null;
}

export function certRotated(before: TlsCertKey | null, after: TlsCertKey | null): boolean {
  return before !== null && after !== null && before.fingerprint !== after.fingerprint;
}

/** Whole days from `at` to the certificate's notAfter when that is within `withinDays`; else undefined. */
export function expiringDays(tls: TlsCertKey | null, at: string, withinDays: number): number | undefined {
  if (tls === null || tls.notAfter === null) return undefined;
  const days = Math.floor((Date.parse(tls.notAfter) - Date.parse(at)) / DAY_MS);
  return days <= withinDays ? days : undefined;
}

export function identityJson(identity: ServiceIdentityKey | null): JsonValue {
  return identity === null ? null : { name: identity.name, product: identity.product, version: identity.version };
}

export function certJson(tls: TlsCertKey): JsonValue {
  return { fingerprint: tls.fingerprint, notAfter: tls.notAfter };
}

export function expiringEvent(ipKey: string, address: string, port: number, proto: Proto, tls: TlsCertKey, days: number): PendingEvent {
  return {
    kind: 'cert_expiring', ipKey, address, port, proto, checkId: null, before: null,
    after: { fingerprint: tls.fingerprint, notAfter: tls.notAfter, daysLeft: days },
    evidence: days < 0 ? 'expired' : `expires-in-${days}d`,
  };
}

export function portClosedBefore(lastSeen: string | null, lastScanId: string | null): JsonValue {
  return { state: 'open', lastSeen, lastScanId };
}

const kindRank = new Map(changeKinds.map((k, i) => [k, i]));

/** Events of one address in listing order: asset appeared, per target (port events, findings), asset gone. */
export function compareEvents(a: PendingEvent, b: PendingEvent): number {
  const ra = a.kind === 'asset_appeared' ? 0 : a.kind === 'asset_disappeared' ? 2 : 1;
  const rb = b.kind === 'asset_appeared' ? 0 : b.kind === 'asset_disappeared' ? 2 : 1;
  if (a.ipKey !== b.ipKey) return a.ipKey < b.ipKey ? -1 : 1;
  if (ra !== rb) return ra - rb;
  if ((a.port ?? -1) !== (b.port ?? -1)) return (a.port ?? -1) - (b.port ?? -1);
  if ((a.proto ?? '') !== (b.proto ?? '')) return (a.proto ?? '') < (b.proto ?? '') ? -1 : 1;
  const ka = kindRank.get(a.kind) ?? 0;
  const kb = kindRank.get(b.kind) ?? 0;
  if (ka !== kb) return ka - kb;
  const ca = a.checkId ?? '';
  const cb = b.checkId ?? '';
  return ca < cb ? -1 : ca > cb ? 1 : 0;
}

export function placeEvent(
  e: PendingEvent,
  place: { id: string | null; orgId: string; scanId: string; prevScanId: string | null; at: string },
): ChangeEvent {
  return {
    id: place.id,
    kind: e.kind,
    orgId: place.orgId,
    scanId: place.scanId,
    prevScanId: place.prevScanId,
    at: place.at,
    address: e.address,
    port: e.port,
    proto: e.proto,
    checkId: e.checkId,
    before: e.before,
    after: e.after,
    evidence: e.evidence,
  };
}

/** Target key inside one address, ordered as the observations are: port, then proto (tcp before udp). */
export function targetKey(port: number, proto: Proto): number {
  return port * 2 + (proto === 'udp' ? 1 : 0);
}
