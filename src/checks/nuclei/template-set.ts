/**
 * A template set: what a scan runs from one or more directories of nuclei templates — the
 * templates that will run, the run limits, and every file that will not run with the reason
 * (unsupported, invalid, intrusive without opt-in, left out by tag), so nothing is skipped silently.
 *
 * Intrusive templates (tags such as intrusive, dos, fuzz, brute, default-login, rce, sqli; payload
 * guessing; state-changing methods) are left out unless `intrusive` is set, as `--checks safe` leaves
 * out intrusive built-in checks.
 */
import { TrawlError } from '../../errors/trawl-error.js';
import { reasonKey } from './support-report.js';
import { INTRUSIVE_TAGS, SAFE_METHODS } from './template-compile.js';
import { loadTemplates } from './template-loader.js';
import { resolveRunLimits, type RunTemplatesOptions } from './template-runner.js';
import type { NucleiTemplate } from './template-types.js';

export interface TemplateSelection {
  /** Only templates with at least one of these tags (nuclei -tags). */
  readonly tags?: readonly string[];
  /** Never templates with any of these tags (nuclei -etags). */
  readonly excludeTags?: readonly string[];
  /** Run intrusive templates too. Default false. */
  readonly intrusive?: boolean;
}

export type TemplateRunLimits = Omit<RunTemplatesOptions, 'guard' | 'signal' | 'rateLimiter'>;

export type NotRunStatus = 'unsupported' | 'invalid' | 'intrusive' | 'filtered';

export interface TemplateNotRun {
  /** The directory as given. */
  readonly dir: string;
  /** Path relative to `dir`. */
  readonly path: string;
  readonly id?: string;
  readonly status: NotRunStatus;
  readonly reason: string;
}

export interface TemplateSet {
  readonly dirs: readonly string[];
  /** What will run. */
  readonly templates: readonly NucleiTemplate[];
  readonly notRun: readonly TemplateNotRun[];
  /** Template files seen. */
  readonly files: number;
  readonly limits: Required<TemplateRunLimits>;
}

export interface LoadTemplateSetOptions {
  readonly selection?: TemplateSelection;
  readonly limits?: TemplateRunLimits;
}

const lower = (xs: readonly string[] | undefined): Set<string> => new Set((xs ?? []).map((x) => x.trim().toLowerCase()).filter(Boolean));

/** Why a template counts as intrusive (undefined: it does not). */
export function intrusiveReason(t: NucleiTemplate): string | undefined {
  if (!t.intrusive) return undefined;
  const tags = t.info.tags.filter((x) => INTRUSIVE_TAGS.has(x.toLowerCase()));
  if (tags.length > 0) return `intrusive: tagged ${tags.join(', ')}`;
  for (const r of t.requests) {
    if (r.kind !== 'ssl' && r.payloads) return 'intrusive: sends payload lists (guessing)';
    if (r.kind === 'http' && !SAFE_METHODS.has(r.method) && r.paths.length > 0) return `intrusive: ${r.method} requests`;
    if (r.kind === 'http') {
      const m = r.raw.map((raw) => (/^\s*(?:@[^\n]*\n\s*)*([A-Za-z]+)/.exec(raw)?.[1] ?? 'GET').toUpperCase()).find((x) => !SAFE_METHODS.has(x));
      if (m !== undefined) return `intrusive: ${m} requests`;
    }
  }
  return 'intrusive';
}

/** Splits templates into those the selection runs and those it leaves out (with why). */
export function selectTemplates(templates: readonly NucleiTemplate[], selection: TemplateSelection = {}): { run: NucleiTemplate[]; left: Array<{ template: NucleiTemplate; status: 'intrusive' | 'filtered'; reason: string }> } {
  const want = lower(selection.tags);
  const drop = lower(selection.excludeTags);
  const run: NucleiTemplate[] = [];
  const left: Array<{ template: NucleiTemplate; status: 'intrusive' | 'filtered'; reason: string }> = [];
  for (const t of templates) {
    const tags = t.info.tags.map((x) => x.toLowerCase());
    const excluded = tags.find((x) => drop.has(x));
    if (excluded !== undefined) {
      left.push({ template: t, status: 'filtered', reason: `excluded tag ${excluded}` });
      continue;
    }
    if (want.size > 0 && !tags.some((x) => want.has(x))) {
      left.push({ template: t, status: 'filtered', reason: 'none of the selected tags' });
      continue;
    }
    const why = intrusiveReason(t);
    if (why !== undefined && selection.intrusive !== true) {
      left.push({ template: t, status: 'intrusive', reason: `${why} (not run without opt-in)` });
      continue;
    }
    run.push(t);
  }
  return { run, left };
}

/**
 * Loads every directory (recursively), selects, and validates the limits — all before a scan
 * starts. Throws TRAWL_E_TARGET_FILE for a directory that cannot be read, TRAWL_E_BAD_OPTION for
 * one without any template file or for a limit out of range. Template ids must be unique across
 * directories: a repeated id is reported invalid, the first one runs.
 */
export async function loadTemplateSet(dirs: readonly string[], opts: LoadTemplateSetOptions = {}): Promise<TemplateSet> {
  if (dirs.length === 0) throw new TrawlError('TRAWL_E_BAD_OPTION', 'no template directory given', {});
  const limits = resolveRunLimits(opts.limits ?? {});
  const all: NucleiTemplate[] = [];
  const dirOf = new Map<NucleiTemplate, string>();
  const notRun: TemplateNotRun[] = [];
  const seen = new Map<string, string>();
  let files = 0;
  for (const dir of dirs) {
    const { templates, report } = await loadTemplates(dir);
    if (report.entries.length === 0) throw new TrawlError('TRAWL_E_BAD_OPTION', `template directory ${JSON.stringify(dir)} holds no nuclei templates (.yaml/.yml files)`, { dir });
    files += report.entries.length;
    for (const e of report.entries) {
      if (e.status === 'supported') continue;
      notRun.push({ dir, path: e.path, ...(e.id !== undefined ? { id: e.id } : {}), status: e.status, reason: e.reasons.join('; ') || e.status });
    }
    for (const t of templates) {
      const first = seen.get(t.id);
      if (first !== undefined) {
        notRun.push({ dir, path: t.path, id: t.id, status: 'invalid', reason: `duplicate id "${t.id}" (also ${first})` });
        continue;
      }
      seen.set(t.id, `${dir}/${t.path}`);
      all.push(t);
      dirOf.set(t, dir);
    }
  }
  const { run, left } = selectTemplates(all, opts.selection);
  for (const l of left) notRun.push({ dir: dirOf.get(l.template)!, path: l.template.path, id: l.template.id, status: l.status, reason: l.reason });
  return { dirs: [...dirs], templates: run, notRun, files, limits };
}

export interface TemplateSetSummary {
  readonly files: number;
  readonly runnable: number;
  readonly byStatus: Readonly<Record<NotRunStatus, number>>;
  /** Normalised reason → templates, unsupported and invalid ones, most common first. */
  readonly reasons: ReadonlyArray<readonly [string, number]>;
}

export function summarizeTemplateSet(set: TemplateSet): TemplateSetSummary {
  const byStatus: Record<NotRunStatus, number> = { unsupported: 0, invalid: 0, intrusive: 0, filtered: 0 };
  const reasons = new Map<string, number>();
  for (const n of set.notRun) {
    byStatus[n.status]++;
    if (n.status !== 'unsupported' && n.status !== 'invalid') continue;
    for (const r of new Set(n.reason.split('; ').map(reasonKey))) reasons.set(`${n.status}: ${r}`, (reasons.get(`${n.status}: ${r}`) ?? 0) + 1);
  }
  return { files: set.files, runnable: set.templates.length, byStatus, reasons: [...reasons].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])) };
}

/** The stderr account of a set: one line of counts, then the reasons by count (at most `maxReasons`). */
export function formatTemplateSetSummary(set: TemplateSet, maxReasons = 15): string {
  const s = summarizeTemplateSet(set);
  const b = s.byStatus;
  const lines = [`templates: ${s.files} file(s) in ${set.dirs.length} dir(s): ${s.runnable} will run, ${b.unsupported} unsupported, ${b.invalid} invalid, ${b.intrusive} intrusive not run${b.intrusive > 0 ? ' (--intrusive-templates runs them)' : ''}, ${b.filtered} left out by tags`];
  for (const [r, n] of s.reasons.slice(0, maxReasons)) lines.push(`  ${String(n).padStart(5)}  ${r}`);
  if (s.reasons.length > maxReasons) lines.push(`  … ${s.reasons.length - maxReasons} more reason(s); the JSON lines output lists every template`);
  return `${lines.join('\n')}\n`;
}

/** JSON-lines records for templates that will not run (tag filtering is the user's choice and is not listed). */
export function templateSetRecords(set: TemplateSet): Array<{ type: 'template-unsupported' | 'template-skipped'; id: string | null; path: string; dir: string; status: NotRunStatus; reason: string }> {
  return set.notRun
    .filter((n) => n.status !== 'filtered')
    .map((n) => ({ type: n.status === 'intrusive' ? 'template-skipped' : 'template-unsupported', id: n.id ?? null, path: n.path, dir: n.dir, status: n.status, reason: n.reason }));
}
