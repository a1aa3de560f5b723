import { TrawlError } from '../errors/index.js';
import { cvss3Base, cvssRating, type CvssRating } from '../model/cvss3.js';

/**
 * CVSS v3.1 base scores, computed from the vector (FIRST's specification, §7.1 and Appendix A), so a
 * check states only a vector and its score can never disagree with it.
 */

export interface CvssScore {
  readonly version: '3.1';
  readonly vector: string;
  readonly score: number;
  readonly rating: CvssRating;
}

function bad(vector: string, why: string): TrawlError {
  return new TrawlError('TRAWL_E_BAD_OPTION', `CVSS vector '${vector}' ${why}`, { value: vector });
}

/** Parses "CVSS:3.1/AV:N/AC:L/..." (all eight base metrics, each once) and scores it. */
export function cvss31(vector: string): CvssScore {
  if (!vector.startsWith('CVSS:3.1/')) throw bad(vector, "must start with 'CVSS:3.1/'");
  const base = cvss3Base(vector);
  if (typeof base === 'string') throw bad(vector, base);
  return { version: '3.1', vector, score: base.score, rating: cvssRating(base.score) };
}

export { cvssRating };
