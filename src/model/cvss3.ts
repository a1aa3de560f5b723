/**
 * CVSS v3.0/v3.1 base scores from a vector (FIRST's specification, §7.1 and Appendix A). The one
 * calculator behind the checks' stated vectors and the advisories' imported ones.
 */

export type CvssRating = 'none' | 'low' | 'medium' | 'high' | 'critical';

export interface Cvss3Base {
  readonly version: '3.0' | '3.1';
  readonly score: number;
}

const METRICS = ['AV', 'AC', 'PR', 'UI', 'S', 'C', 'I', 'A'] as const;
type Metric = (typeof METRICS)[number];

const WEIGHTS = {
  AV: { N: 0.85, A: 0.62, L: 0.55, P: 0.2 },
  AC: { L: 0.77, H: 0.44 },
  PR: { N: 0.85, L: 0.62, H: 0.27 },
  PR_CHANGED: { N: 0.85, L: 0.68, H: 0.5 },
  UI: { N: 0.85, R: 0.62 },
  S: { U: 0, C: 0 },
  CIA: { H: 0.56, L: 0.22, N: 0 },
} as const;

const TABLE: Readonly<Record<Metric, Readonly<Record<string, number>>>> = {
  AV: WEIGHTS.AV, AC: WEIGHTS.AC, PR: WEIGHTS.PR, UI: WEIGHTS.UI, S: WEIGHTS.S, C: WEIGHTS.CIA, I: WEIGHTS.CIA, A: WEIGHTS.CIA,
};

/** v3.1's Roundup: the smallest one-decimal number >= x, immune to floating-point noise (Appendix A). */
function roundUp31(x: number): number {
  const i = Math.round(x * 100_000);
  return i % 10_000 === 0 ? i / 100_000 : (Math.floor(i / 10_000) + 1) / 10;
}

/**
 * Scores "CVSS:3.x/AV:_/AC:_/PR:_/UI:_/S:_/C:_/I:_/A:_" (temporal and environmental metrics are
 * ignored). A malformed vector gives the reason as a string, so each caller chooses how to refuse it.
 */
export function cvss3Base(vector: string): Cvss3Base | string {
  const head = /^CVSS:3\.([01])\/(.*)$/.exec(vector.trim());
  if (head === null) return "must start with 'CVSS:3.0/' or 'CVSS:3.1/'";
  const m = new Map<string, string>();
  for (const part of head[2]!.split('/')) {
    const [k, v, extra] = part.split(':');
    if (k === undefined || v === undefined || extra !== undefined) return `has a malformed metric '${part}'`;
    if (!(METRICS as readonly string[]).includes(k)) continue;
    if (m.has(k)) return `repeats metric ${k}`;
    if (!Object.hasOwn(TABLE[k as Metric], v)) return `has an invalid value ${k}:${v}`;
    m.set(k, v);
  }
  for (const k of METRICS) if (!m.has(k)) return `lacks metric ${k}`;
  const w = (k: Metric): number => TABLE[k][m.get(k)!]!;
  const changed = m.get('S') === 'C';
  const pr = (changed ? WEIGHTS.PR_CHANGED : WEIGHTS.PR)[m.get('PR') as 'N' | 'L' | 'H'];
  const iss = 1 - (1 - w('C')) * (1 - w('I')) * (1 - w('A'));
  const impact = changed ? 7.52 * (iss - 0.029) - 3.25 * (iss - 0.02) ** 15 : 6.42 * iss;
  const exploitability = 8.22 * w('AV') * w('AC') * pr * w('UI');
  const version = head[1] === '1' ? '3.1' : '3.0';
  if (impact <= 0) return { version, score: 0 };
  const raw = Math.min((changed ? 1.08 : 1) * (impact + exploitability), 10);
  // v3.0 rounds up with a plain ceiling; v3.1 fixed its float artefacts.
  return { version, score: version === '3.1' ? roundUp31(raw) : Math.ceil(raw * 10) / 10 };
}

export function cvssRating(score: number): CvssRating {
  if (score === 0) return 'none';
  if (score < 4) return 'low';
  if (score < 7) return 'medium';
  if (score < 9) return 'high';
  return 'critical';
}
