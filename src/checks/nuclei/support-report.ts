/** Summary of a template load: how much of a collection runs, and why the rest does not. */
import type { LoadReport } from './template-loader.js';

export interface SupportSummary {
  readonly total: number;
  readonly supported: number;
  readonly unsupported: number;
  readonly invalid: number;
  /** Share of files that parsed as valid templates (supported + unsupported) / total. */
  readonly parsedShare: number;
  /** supported / total. */
  readonly supportedShare: number;
  /** Reason → number of templates it affects (unsupported and invalid). */
  readonly reasons: ReadonlyArray<readonly [string, number]>;
  readonly byProtocol: Readonly<Record<string, number>>;
}

/** Normalises reasons that embed a value (a path, a pattern) so like counts with like. */
export function reasonKey(r: string): string {
  return r
    .replace(/"[^"]*"/g, '"…"')
    .replace(/^(matcher|extractor|input) \d+/, '$1 N')
    .replace(/\d{3,}/g, 'N');
}

export function supportReport(report: LoadReport): SupportSummary {
  const total = report.entries.length;
  const count = (s: string): number => report.entries.filter((e) => e.status === s).length;
  const supported = count('supported');
  const unsupported = count('unsupported');
  const invalid = count('invalid');
  const reasons = new Map<string, number>();
  const byProtocol: Record<string, number> = {};
  for (const e of report.entries) {
    if (e.status === 'supported' && e.protocol) byProtocol[e.protocol] = (byProtocol[e.protocol] ?? 0) + 1;
    for (const r of new Set(e.reasons.map(reasonKey))) reasons.set(r, (reasons.get(r) ?? 0) + 1);
  }
  return {
    total,
    supported,
    unsupported,
    invalid,
    parsedShare: total === 0 ? 0 : (supported + unsupported) / total,
    supportedShare: total === 0 ? 0 : supported / total,
    reasons: [...reasons].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])),
    byProtocol,
  };
}

/** Plain-text rendering: the summary, then one line per template. */
export function formatSupportReport(report: LoadReport): string {
  const s = supportReport(report);
  const pct = (x: number): string => `${(x * 100).toFixed(1)}%`;
  const lines = [
    `templates: ${s.total}  supported: ${s.supported} (${pct(s.supportedShare)})  unsupported: ${s.unsupported}  invalid: ${s.invalid}  parsed: ${pct(s.parsedShare)}`,
    `supported by protocol: ${Object.entries(s.byProtocol).map(([k, v]) => `${k}=${v}`).join(' ') || '-'}`,
  ];
  if (s.reasons.length > 0) {
    lines.push('reasons:');
    for (const [r, n] of s.reasons) lines.push(`  ${String(n).padStart(4)}  ${r}`);
  }
  lines.push('templates:');
  for (const e of report.entries) {
    const why = e.reasons.length > 0 ? ` — ${e.reasons.join('; ')}` : '';
    const cav = e.caveats.length > 0 ? ` [caveats: ${e.caveats.join('; ')}]` : '';
    lines.push(`  ${e.status.padEnd(11)} ${e.path}${e.id ? ` (${e.id})` : ''}${why}${cav}`);
  }
  return lines.join('\n');
}
