import type { SeverityLevel } from '../../store/schema.js';
import type { OsvRecord, OsvSeverity } from './osv-record.js';

export interface Severity {
  readonly level: SeverityLevel;
  /** CVSS base score when one was computed (v3.x) or given. */
  readonly score?: number;
  /** The vector the level comes from (CVSS:3.1/AV:N/...), when any. */
  readonly vector?: string;
  /** Where the level comes from: 'cvss3' (computed), 'cvss4-database' (v4 vector, level from the database), 'database', 'ubuntu'. */
  readonly basis: 'cvss3' | 'cvss4-database' | 'database' | 'ubuntu' | 'none';
}

const W = {
  AV: { N: 0.85, A: 0.62, L: 0.55, P: 0.2 },
  AC: { L: 0.77, H: 0.44 },
  UI: { N: 0.85, R: 0.62 },
  CIA: { H: 0.56, L: 0.22, N: 0 },
} as const;

/** CVSS v3.1 Roundup: the smallest one-decimal number >= x, immune to float noise (spec appendix A). */
function roundup31(x: number): number {
  const i = Math.round(x * 100000);
  return i % 10000 === 0 ? i / 100000 : (Math.floor(i / 10000) + 1) / 10;
}

/**
 * CVSS v3.0/v3.1 base score from a vector (CVSS:3.x/AV:_/AC:_/PR:_/UI:_/S:_/C:_/I:_/A:_, temporal and
 * environmental metrics ignored). Returns undefined for a malformed vector.
 */
export function cvss3BaseScore(vector: string): number | undefined {
  const m = /^CVSS:3\.([01])\/(.*)$/.exec(vector.trim());
  if (m === null) return undefined;
  const metrics = new Map<string, string>();
  for (const part of m[2]!.split('/')) {
    const [k, v, extra] = part.split(':');
    if (k === undefined || v === undefined || extra !== undefined || metrics.has(k)) return undefined;
    metrics.set(k, v);
  }
  const get = <T extends Record<string, number>>(key: string, table: T): number | undefined => {
    const v = metrics.get(key);
    return v !== undefined && Object.hasOwn(table, v) ? table[v as keyof T] : undefined;
  };
  const scope = metrics.get('S');
  if (scope !== 'U' && scope !== 'C') return undefined;
  const changed = scope === 'C';
  const av = get('AV', W.AV);
  const ac = get('AC', W.AC);
  const ui = get('UI', W.UI);
  const pr = get('PR', changed ? { N: 0.85, L: 0.68, H: 0.5 } : { N: 0.85, L: 0.62, H: 0.27 });
  const c = get('C', W.CIA);
  const i = get('I', W.CIA);
  const a = get('A', W.CIA);
  if (av === undefined || ac === undefined || ui === undefined || pr === undefined || c === undefined || i === undefined || a === undefined) return undefined;
  const iss = 1 - (1 - c) * (1 - i) * (1 - a);
  const impact = changed ? 7.52 * (iss - 0.029) - 3.25 * (iss - 0.02) ** 15 : 6.42 * iss;
  const exploitability = 8.22 * av * ac * pr * ui;
  if (impact <= 0) return 0;
  const raw = changed ? Math.min(1.08 * (impact + exploitability), 10) : Math.min(impact + exploitability, 10);
  // v3.0 rounds up with a plain ceiling; v3.1 fixed its float artefacts.
  return m[1] === '1' ? roundup31(raw) : Math.ceil(raw * 10) / 10;
}

export function levelOfScore(score: number): SeverityLevel {
  if (score === 0) return 'none';
  if (score < 4) return 'low';
  if (score < 7) return 'medium';
  if (score < 9) return 'high';
  return 'critical';
}

/** GHSA's database_specific.severity and Ubuntu's priorities, as levels. */
function levelOfWord(word: unknown): SeverityLevel | undefined {
  if (typeof word !== 'string') return undefined;
  switch (word.toLowerCase()) {
    case 'critical':
      return 'critical';
    case 'high':
    case 'important':
      return 'high';
    case 'moderate':
    case 'medium':
      return 'medium';
    case 'low':
    case 'negligible':
      return 'low';
    default:
      return undefined;
  }
}

/**
 * The severity of a record: a CVSS v3 vector is scored here; a CVSS v4 vector is kept, but its
 * score needs the v4 macro-vector lookup table, which is not implemented: its level comes from the
 * database's own rating (GHSA database_specific.severity) or is 'unknown'. Vectors attached to
 * affected[] entries count when the record has none of its own.
 */
export function severityOf(record: OsvRecord): Severity {
  const all: OsvSeverity[] = [...(record.severity ?? []), ...(record.affected ?? []).flatMap((a) => a.severity ?? [])];
  const dbLevel = levelOfWord(record.database_specific?.['severity']);
  for (const s of all) {
    if (s.type !== 'CVSS_V3') continue;
    const score = cvss3BaseScore(s.score);
    if (score !== undefined) return { level: levelOfScore(score), score, vector: s.score, basis: 'cvss3' };
  }
  const v4 = all.find((s) => s.type === 'CVSS_V4' && s.score.startsWith('CVSS:4.0/'));
  if (v4 !== undefined) return { level: dbLevel ?? 'unknown', vector: v4.score, basis: 'cvss4-database' };
  if (dbLevel !== undefined) return { level: dbLevel, basis: 'database' };
  const ubuntu = all.find((s) => s.type === 'Ubuntu');
  const ubuntuLevel = levelOfWord(ubuntu?.score);
  if (ubuntuLevel !== undefined) return { level: ubuntuLevel, basis: 'ubuntu' };
  return { level: 'unknown', basis: 'none' };
}
