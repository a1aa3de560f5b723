/**
 * Risk score per asset and per org, 0-100. The formula (documented in README.md, tested with values):
 *
 *   raw(asset) = exposure(zone) × ( Σ_open findings weight(severity) × age(days open) + 0.25 × exposed services )
 *   score(asset) = 100 × (1 − e^(−raw / 25))
 *   score(org)   = 100 × (1 − e^(−Σ raw / (25 × √max(1, assets))))
 *
 * Only status 'open' findings count (accepted risk and false positives are decisions, not exposure);
 * exposed services are those open or unconfirmed ('unknown').
 */
import type { Kysely } from 'kysely';
import type { Database, SeverityLevel } from '../store/schema.js';

export const severityWeights: Readonly<Record<SeverityLevel, number>> = { critical: 10, high: 6, medium: 3, low: 1, none: 0, unknown: 2 };
export const SERVICE_WEIGHT = 0.25;
export const RISK_SCALE = 25;
const DAY_MS = 86_400_000;

/** external 1.0, internal 0.5, any other named zone 0.75. */
export function exposureFactor(zone: string): number {
  return zone === 'external' ? 1 : zone === 'internal' ? 0.5 : 0.75;
}

/** 1 on the day it opened, rising with log(days) to 2 at one year, flat after. */
export function ageFactor(daysOpen: number): number {
  const d = Math.max(0, daysOpen);
  return 1 + Math.min(1, Math.log1p(d) / Math.log(366));
}

export interface AssetRiskInput {
  readonly zone: string;
  readonly findings: readonly { readonly severity: SeverityLevel; readonly openedAt: string }[];
  readonly exposedServices: number;
  readonly at: string;
}

export function assetRawRisk(input: AssetRiskInput): number {
  const at = Date.parse(input.at);
  let sum = SERVICE_WEIGHT * input.exposedServices;
  for (const f of input.findings) sum += severityWeights[f.severity] * ageFactor((at - Date.parse(f.openedAt)) / DAY_MS);
  return exposureFactor(input.zone) * sum;
}

export function normaliseRisk(raw: number, scale = RISK_SCALE): number {
  return round2(100 * (1 - Math.exp(-Math.max(0, raw) / scale)));
}

/** The org's score from its assets' raw risks; `assets` is how many assets it has up. */
export function orgRisk(raws: readonly number[], assets: number): number {
  const total = raws.reduce((a, b) => a + b, 0);
  return normaliseRisk(total, RISK_SCALE * Math.sqrt(Math.max(1, assets)));
}

export interface AssetRisk {
  readonly address: string;
  readonly zone: string;
  readonly raw: number;
  readonly score: number;
  readonly openFindings: number;
  readonly exposedServices: number;
}

export interface RiskReport {
  readonly orgId: string;
  readonly at: string;
  readonly score: number;
  /** Highest score first. */
  readonly assets: readonly AssetRisk[];
}

/** Scores at `at` (default: the org's latest folded scan, else now). */
export async function riskScores(db: Kysely<Database>, opts: { orgId?: string; at?: string } = {}): Promise<RiskReport> {
  const orgId = opts.orgId ?? 'default';
  let at = opts.at;
  if (at === undefined) {
    const last = await db.selectFrom('inventory_scans').select('scan_time').where('org_id', '=', orgId).orderBy('scan_time', 'desc').limit(1).executeTakeFirst();
    at = last?.scan_time ?? new Date().toISOString();
  }
  const assets = await db.selectFrom('assets').select(['ip_key', 'address', 'zone', 'state']).where('org_id', '=', orgId).execute();
  const findings = await db.selectFrom('findings').select(['ip_key', 'severity', 'opened_at']).where('org_id', '=', orgId).where('status', '=', 'open').execute();
  const services = await db
    .selectFrom('services')
    .select((eb) => ['ip_key', eb.fn.countAll().as('n')])
    .where('org_id', '=', orgId)
    .where('state', 'in', ['open', 'unknown'])
    .groupBy('ip_key')
    .execute();
  const byIp = new Map<string, { findings: { severity: SeverityLevel; openedAt: string }[]; services: number }>();
  const entry = (ip: string): { findings: { severity: SeverityLevel; openedAt: string }[]; services: number } => {
    let e = byIp.get(ip);
    if (e === undefined) byIp.set(ip, (e = { findings: [], services: 0 }));
    return e;
  };
  for (const f of findings) entry(f.ip_key).findings.push({ severity: f.severity, openedAt: f.opened_at });
  for (const s of services) entry(s.ip_key).services = Number(s.n);
  const out: AssetRisk[] = [];
  let up = 0;
  for (const a of assets) {
    if (a.state === 'up') up++;
    const e = byIp.get(a.ip_key);
    if (e === undefined) continue;
    const raw = assetRawRisk({ zone: a.zone, findings: e.findings, exposedServices: e.services, at });
    out.push({ address: a.address, zone: a.zone, raw, score: normaliseRisk(raw), openFindings: e.findings.length, exposedServices: e.services });
  }
  out.sort((x, y) => y.raw - x.raw || (x.address < y.address ? -1 : 1));
  return { orgId, at, score: orgRisk(out.map((a) => a.raw), up), assets: out };
}

function round2(x: number): number {
  return Math.round(x * 100) / 100;
}
