import type { SeverityLevel } from '../../store/schema.js';
import { cvss3Base, cvssRating } from '../../model/cvss3.js';
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

/** CVSS v3.0/v3.1 base score of a vector; undefined for a malformed one. */
export function cvss3BaseScore(vector: string): number | undefined {
  const base = cvss3Base(vector);
  return typeof base === 'string' ? undefined : base.score;
}

export function levelOfScore(score: number): SeverityLevel {
  return cvssRating(score);
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
