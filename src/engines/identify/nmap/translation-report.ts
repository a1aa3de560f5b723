import { PatternMatcher } from './pattern-matcher.js';
import type { ProbeDatabase } from './probe-database.js';

/**
 * Translates every pattern of a database up front and says how many JavaScript can express: the
 * "N of M patterns translated" figure, with the line of each one that cannot be (never thrown).
 */
export interface TranslationReport {
  readonly total: number;
  readonly translated: number;
  /** Valid PCRE with no JavaScript equivalent (recursion, \K, conditionals...). */
  readonly unsupported: readonly { readonly line: number; readonly reason: string }[];
  /** Rejected by PCRE itself (nmap would refuse the file). */
  readonly invalid: readonly { readonly line: number; readonly reason: string }[];
  /** Translated, but JS may differ on some inputs (see PcreTranslation.approximate). */
  readonly approximate: readonly { readonly line: number; readonly reason: string }[];
  /** Patterns with nested unbounded quantifiers: the ones the match pool's budget exists for. */
  readonly nestedQuantifiers: number;
  readonly withPrefilter: number;
  readonly ms: number;
}

export function translationReport(db: ProbeDatabase): TranslationReport {
  const started = performance.now();
  const matcher = new PatternMatcher(db.matches.map((m) => ({ pattern: m.pattern, flags: m.flags })));
  const unsupported: { line: number; reason: string }[] = [];
  const invalid: { line: number; reason: string }[] = [];
  const approximate: { line: number; reason: string }[] = [];
  let translated = 0;
  let nested = 0;
  let prefiltered = 0;
  for (const m of db.matches) {
    const t = matcher.translation(m.id);
    if (!t.ok) {
      (t.kind === 'invalid' ? invalid : unsupported).push({ line: m.line, reason: t.reason });
      continue;
    }
    try {
      new RegExp(t.source, t.flags);
    } catch (e) {
      unsupported.push({ line: m.line, reason: `JavaScript rejected the translation: ${e instanceof Error ? e.message : String(e)}` });
      continue;
    }
    translated++;
    if (t.approximate) approximate.push({ line: m.line, reason: t.approximate });
    if (t.nestedQuantifiers) nested++;
    if (t.prefix !== undefined || t.required !== undefined) prefiltered++;
  }
  return { total: db.matches.length, translated, unsupported, invalid, approximate, nestedQuantifiers: nested, withPrefilter: prefiltered, ms: performance.now() - started };
}
