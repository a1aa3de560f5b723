import { TrawlError } from '../errors/index.js';

/**
 * CVSS v3.1 base scores, computed from the vector (FIRST's specification, §7.1 and Appendix A), so a
 * check states only a vector and its score can never disagree with it.
 */

export interface CvssScore {
  readonly version: '3.1';
  readonly vector: string;
  readonly score: number;
  readonly rating: 'none' | 'low' | 'medium' | 'high' | 'critical';
}

const WEIGHTS = {
  AV: { N: 0.85, A: 0.62, L: 0.55, P: 0.2 },
  AC: { L: 0.77, H: 0.44 },
  UI: { N: 0.85, R: 0.62 },
  CIA: { H: 0.56, L: 0.22, N: 0 },
} as const;

const METRICS = ['AV', 'AC', 'PR', 'UI', 'S', 'C', 'I', 'A'] as const;
const ALLOWED: Readonly<Record<(typeof METRICS)[number], readonly string[]>> = {
  AV: ['N', 'A', 'L', 'P'],
  AC: ['L', 'H'],
  PR: ['N', 'L', 'H'],
  UI: ['N', 'R'],
  S: ['U', 'C'],
  C: ['H', 'L', 'N'],
  I: ['H', 'L', 'N'],
  A: ['H', 'L', 'N'],
};

/** Appendix A's Roundup: the smallest one-decimal number >= x, immune to floating-point noise. */
function roundUp(x: number): number {
  const i = Math.round(x * 100_000);
  return i % 10_000 === 0 ? i / 100_000 : (Math.floor(i / 10_000) + 1) / 10;
}

function bad(vector: string, why: string): TrawlError {
  return new TrawlError('TRAWL_E_BAD_OPTION', `CVSS vector '${vector}' ${why}`, { value: vector });
}

/** Parses "CVSS:3.1/AV:N/AC:L/..." (all eight base metrics, each once) and scores it. */
export function cvss31(vector: string): CvssScore {
  const parts = vector.split('/');
  if (parts[0] !== 'CVSS:3.1') throw bad(vector, "must start with 'CVSS:3.1/'");
  const m: Record<string, string> = {};
  for (const p of parts.slice(1)) {
    const [k, v, extra] = p.split(':');
    if (k === undefined || v === undefined || extra !== undefined) throw bad(vector, `has a malformed metric '${p}'`);
    if (!(METRICS as readonly string[]).includes(k)) continue; // temporal/environmental metrics: not part of the base score
    if (m[k] !== undefined) throw bad(vector, `repeats metric ${k}`);
    if (!ALLOWED[k as (typeof METRICS)[number]].includes(v)) throw bad(vector, `has an invalid value ${k}:${v}`);
    m[k] = v;
  }
  for (const k of METRICS) if (m[k] === undefined) throw bad(vector, `lacks metric ${k}`);
  const changed = m['S'] === 'C';
  const pr = m['PR'] === 'N' ? 0.85 : m['PR'] === 'L' ? (changed ? 0.68 : 0.62) : changed ? 0.5 : 0.27;
  const cia = (k: 'C' | 'I' | 'A'): number => WEIGHTS.CIA[m[k] as 'H' | 'L' | 'N'];
  const iss = 1 - (1 - cia('C')) * (1 - cia('I')) * (1 - cia('A'));
  const impact = changed ? 7.52 * (iss - 0.029) - 3.25 * (iss - 0.02) ** 15 : 6.42 * iss;
  const exploitability = 8.22 * WEIGHTS.AV[m['AV'] as 'N'] * WEIGHTS.AC[m['AC'] as 'L'] * pr * WEIGHTS.UI[m['UI'] as 'N'];
  const score = impact <= 0 ? 0 : roundUp(Math.min((changed ? 1.08 : 1) * (impact + exploitability), 10));
  return { version: '3.1', vector, score, rating: cvssRating(score) };
}

export function cvssRating(score: number): CvssScore['rating'] {
  if (score === 0) return 'none';
  if (score < 4) return 'low';
  if (score < 7) return 'medium';
  if (score < 9) return 'high';
  return 'critical';
}
