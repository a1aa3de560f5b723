/**
 * The `data_json` of 'service' and 'finding' observation rows: what they hold and how the inventory
 * reads them. Rows come from other stages (and, in fleets, other machines), so reading is bounded and
 * forgiving: anything malformed is ignored rather than failing a whole fold.
 *
 * - 'service' (identify stage): one row per (scan, ip, port, proto); data_json is a ServiceIdentity
 *   (src/engines/identify/service-identity.ts). The leaf certificate is read from facts.tls.chain[0]
 *   (fingerprintSha256, notAfter), or facts.tls.{fingerprintSha256|sha256, notAfter}.
 * - 'finding' (check stage): one row per (scan, ip, port, proto) the check stage ran on, port 0 for
 *   host-level checks; data_json is FindingObservationData. `checks` lists every check that RAN on the
 *   target, found something or not: that is what lets a later scan call a finding fixed.
 */
import type { ServiceIdentity } from '../engines/identify/service-identity.js';
import type { SeverityLevel } from '../store/schema.js';
import type { JsonValue, ServiceIdentityKey, TlsCertKey } from './inventory-types.js';

export interface FindingSighting {
  readonly checkId: string;
  readonly severity: SeverityLevel;
  readonly title?: string;
  readonly evidence?: JsonValue;
}

export interface FindingObservationData {
  /** Check ids that ran on this target. Reported findings' checks count as run even if missing here. */
  readonly checks: readonly string[];
  readonly findings: readonly FindingSighting[];
}

/** Larger data_json is not parsed (an identity or a check result is a few KiB). */
export const MAX_DATA_JSON = 1 << 20;
export const MAX_EVIDENCE_JSON = 16 * 1024;
const MAX_CHECKS = 4096;
const MAX_NAME = 100;
const MAX_PRODUCT = 200;
const MAX_CHECK_ID = 200;
const MAX_TITLE = 500;
const MAX_CPE = 16;
const SEVERITIES: ReadonlySet<string> = new Set(['none', 'low', 'medium', 'high', 'critical', 'unknown']);

export interface ParsedService {
  readonly identity: ServiceIdentityKey | null;
  /** Compact identity (no facts) for the view's identity_json. */
  readonly identityJson: string | null;
  readonly tls: TlsCertKey | null;
}

const NO_SERVICE: ParsedService = { identity: null, identityJson: null, tls: null };

export function parseServiceData(json: string | null): ParsedService {
  const v = parseBounded(json);
  if (!isRecord(v)) return NO_SERVICE;
  const name = boundedString(v['name'], MAX_NAME);
  const product = boundedString(v['product'], MAX_PRODUCT) ?? null;
  const version = boundedString(v['version'], MAX_NAME) ?? null;
  // 'unknown' is identify saying it could not tell: no identity, not a change of identity.
  const identity = name !== undefined && name !== 'unknown' ? { name, product, version } : null;
  let identityJson: string | null = null;
  if (identity !== null) {
    const compact: Record<string, JsonValue> = { name: identity.name };
    if (product !== null) compact['product'] = product;
    if (version !== null) compact['version'] = version;
    const extrainfo = boundedString(v['extrainfo'], MAX_PRODUCT);
    if (extrainfo !== undefined) compact['extrainfo'] = extrainfo;
    const tunnel = boundedString(v['tunnel'], 10);
    if (tunnel !== undefined) compact['tunnel'] = tunnel;
    const method = boundedString(v['method'], 20);
    if (method !== undefined) compact['method'] = method;
    if (typeof v['confidence'] === 'number' && Number.isFinite(v['confidence'])) compact['confidence'] = v['confidence'];
    if (Array.isArray(v['cpe'])) {
      const cpe = v['cpe'].slice(0, MAX_CPE).map((c) => boundedString(c, MAX_PRODUCT)).filter((c): c is string => c !== undefined);
      if (cpe.length > 0) compact['cpe'] = cpe;
    }
    const banner = bannerOf(v['facts']);
    if (banner !== undefined) compact['banner'] = banner;
    identityJson = JSON.stringify(compact);
  }
  return { identity, identityJson, tls: tlsOf(v['facts']) };
}

/**
 * The first line a service introduced itself with, for the inventory's search: a handshake's
 * `banner` (SSH, FTP, SMTP, IMAP, POP3 facts: a string or its lines) or an HTTP Server header.
 */
function bannerOf(facts: unknown): string | undefined {
  if (!isRecord(facts)) return undefined;
  for (const f of Object.values(facts)) {
    if (!isRecord(f)) continue;
    const b = f['banner'];
    const line = typeof b === 'string' ? b : Array.isArray(b) ? b[0] : undefined;
    if (typeof line === 'string' && line.trim() !== '') return line.slice(0, MAX_PRODUCT);
  }
  const http = isRecord(facts['http']) ? facts['http'] : undefined;
  if (http !== undefined && Array.isArray(http['headers'])) {
    const server = http['headers'].find((h): h is [string, string] => Array.isArray(h) && typeof h[0] === 'string' && h[0].toLowerCase() === 'server' && typeof h[1] === 'string');
    if (server !== undefined && server[1].trim() !== '') return server[1].slice(0, MAX_PRODUCT);
  }
  return undefined;
}

function tlsOf(facts: unknown): TlsCertKey | null {
  if (!isRecord(facts) || !isRecord(facts['tls'])) return null;
  const tls = facts['tls'];
  const chain = tls['chain'];
  const leaf = Array.isArray(chain) && isRecord(chain[0]) ? chain[0] : tls;
  const fingerprint = normaliseFingerprint(leaf['fingerprintSha256'] ?? leaf['sha256'] ?? leaf['fingerprint']);
  if (fingerprint === undefined) return null;
  return { fingerprint, notAfter: isoOrNull(leaf['notAfter']) };
}

/** `AB:CD:…` (node's fingerprint256) or plain hex → 64 lower-case hex digits. */
export function normaliseFingerprint(v: unknown): string | undefined {
  if (typeof v !== 'string' || v.length > 200) return undefined;
  const hex = v.replace(/[:\s]/g, '').toLowerCase();
  return /^[0-9a-f]{64}$/.test(hex) ? hex : undefined;
}

function isoOrNull(v: unknown): string | null {
  if (typeof v !== 'string' || v.length > 64) return null;
  const t = Date.parse(v);
  return Number.isNaN(t) ? null : new Date(t).toISOString();
}

export function parseFindingData(json: string | null): FindingObservationData | undefined {
  const v = parseBounded(json);
  if (!isRecord(v)) return undefined;
  const findings: FindingSighting[] = [];
  const seen = new Set<string>();
  if (Array.isArray(v['findings'])) {
    for (const f of v['findings'].slice(0, MAX_CHECKS)) {
      if (!isRecord(f)) continue;
      const checkId = boundedString(f['checkId'], MAX_CHECK_ID);
      if (checkId === undefined || seen.has(checkId)) continue;
      seen.add(checkId);
      const severity = typeof f['severity'] === 'string' && SEVERITIES.has(f['severity']) ? (f['severity'] as SeverityLevel) : 'unknown';
      const title = boundedString(f['title'], MAX_TITLE);
      findings.push({ checkId, severity, ...(title !== undefined ? { title } : {}), ...(f['evidence'] !== undefined ? { evidence: f['evidence'] as JsonValue } : {}) });
    }
  }
  const checks = new Set<string>(seen);
  if (Array.isArray(v['checks'])) {
    for (const c of v['checks'].slice(0, MAX_CHECKS)) {
      const id = boundedString(c, MAX_CHECK_ID);
      if (id !== undefined) checks.add(id);
    }
  }
  return { checks: [...checks].sort(), findings };
}

/** Evidence as stored: JSON text, or a truncated stand-in when it is too large. */
export function evidenceJson(evidence: JsonValue | undefined): string | null {
  if (evidence === undefined) return null;
  const text = JSON.stringify(evidence);
  if (text.length <= MAX_EVIDENCE_JSON) return text;
  return JSON.stringify({ truncated: true, text: text.slice(0, MAX_EVIDENCE_JSON) });
}

export function parseJsonColumn(text: string | null): JsonValue | null {
  if (text === null) return null;
  try {
    return JSON.parse(text) as JsonValue;
  } catch {
    return null;
  }
}

/** data_json of a 'service' row, as the identify stage should write it. */
export function serviceDataJson(identity: ServiceIdentity): string {
  return JSON.stringify(identity);
}

function parseBounded(json: string | null): unknown {
  if (json === null || json.length > MAX_DATA_JSON) return undefined;
  try {
    return JSON.parse(json) as unknown;
  } catch {
    return undefined;
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function boundedString(v: unknown, max: number): string | undefined {
  return typeof v === 'string' && v.length > 0 && v.length <= max ? v : undefined;
}
