/**
 * Loads a directory of nuclei templates (users point Trawl at their copy of the community
 * collection). Every .yaml/.yml file gets a report entry — supported, unsupported or invalid, with
 * reasons — so nothing is skipped silently. Files are untrusted input: size, YAML nesting depth,
 * alias expansion, file count and directory depth are all bounded.
 */
import { lstatSync, readFileSync, readdirSync, realpathSync, type Stats } from 'node:fs';
import { join, relative, resolve, dirname } from 'node:path';
import { parseDocument, visit, type Document } from 'yaml';
import { TrawlError } from '../../errors/trawl-error.js';
import { compileTemplate, type TemplateStatus } from './template-compile.js';
import type { NucleiSeverity, NucleiTemplate, TemplateProtocol } from './template-types.js';

export const MAX_TEMPLATE_BYTES = 512 * 1024;
export const MAX_YAML_DEPTH = 64;
export const MAX_YAML_ALIASES = 64;
const MAX_YAML_NODES = 200_000;
const MAX_FILES = 50_000;
const MAX_DIR_DEPTH = 32;

export interface TemplateReportEntry {
  /** Path relative to the loaded directory. */
  readonly path: string;
  readonly id?: string;
  readonly name?: string;
  readonly severity?: NucleiSeverity;
  readonly protocol?: TemplateProtocol;
  readonly status: TemplateStatus;
  /** Why it is unsupported or invalid (empty when supported). */
  readonly reasons: readonly string[];
  /** Things that run differently from nuclei (the template still runs). */
  readonly caveats: readonly string[];
}

export interface LoadReport {
  readonly dir: string;
  readonly entries: readonly TemplateReportEntry[];
}

export interface LoadedTemplates {
  readonly templates: NucleiTemplate[];
  readonly report: LoadReport;
}

export interface ParseTemplateOptions {
  /** Path shown in reports. */
  readonly path?: string;
  /** Root directory payload files must stay within (defaults to the template's directory). */
  readonly root?: string;
  /** Directory payload paths are relative to. */
  readonly templateDir?: string;
}

/** Cheap pre-parse bound on flow nesting ([ and {), so a hostile file cannot exhaust the parser's stack. */
function flowDepthExceeds(text: string, limit: number): boolean {
  let depth = 0;
  let quote: string | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quote) {
      if (c === '\\' && quote === '"') i++;
      else if (c === quote) quote = undefined;
      continue;
    }
    if (c === '"' || c === "'") quote = c;
    else if (c === '#' && (i === 0 || /\s/.test(text[i - 1]!))) {
      const nl = text.indexOf('\n', i);
      i = nl < 0 ? text.length : nl;
    } else if (c === '[' || c === '{') {
      if (++depth > limit) return true;
    } else if (c === ']' || c === '}') depth = Math.max(0, depth - 1);
    else if (c === '\n') quote = undefined;
  }
  return false;
}

function depthOf(v: unknown, budget: { nodes: number }, depth = 0): number {
  if (--budget.nodes < 0) return Number.POSITIVE_INFINITY;
  if (depth > MAX_YAML_DEPTH) return depth;
  let max = depth;
  if (Array.isArray(v)) for (const x of v) max = Math.max(max, depthOf(x, budget, depth + 1));
  else if (v !== null && typeof v === 'object') for (const x of Object.values(v)) max = Math.max(max, depthOf(x, budget, depth + 1));
  return max;
}

/**
 * Plain scalars that YAML reads as numbers (`444953543030303030303031`, `0x1F`, `010`, `1e5`) keep
 * their source text: nuclei decodes into Go string fields, which receive the text as written, and
 * a number would silently lose digits, leading zeros or its hex form. Fields that want a number
 * (status, size, read, max-size…) parse the text themselves. Explicitly tagged scalars (!!int 5)
 * stay numbers.
 */
function keepNumberSource(d: Document): void {
  visit(d, {
    Scalar(_key, node) {
      if ((typeof node.value === 'number' || typeof node.value === 'bigint') && node.type === 'PLAIN' && node.tag === undefined && typeof node.source === 'string') {
        node.value = node.source;
      }
    },
  });
}

/** Parses the YAML text of one template, bounded. Returns the document or the reason it was refused. */
export function parseTemplateYaml(text: string): { doc?: unknown; error?: string } {
  if (text.length > MAX_TEMPLATE_BYTES) return { error: `template larger than ${MAX_TEMPLATE_BYTES} bytes` };
  if (flowDepthExceeds(text, MAX_YAML_DEPTH)) return { error: `YAML nested deeper than ${MAX_YAML_DEPTH}` };
  if (/^ {1024,}\S/m.test(text)) return { error: 'YAML indented too deeply' };
  try {
    const d = parseDocument(text, { prettyErrors: false, uniqueKeys: true, strict: false, stringKeys: true });
    if (d.errors.length > 0) return { error: `YAML: ${d.errors[0]!.message.split('\n')[0]}` };
    keepNumberSource(d);
    const doc = d.toJS({ maxAliasCount: MAX_YAML_ALIASES }) as unknown;
    const budget = { nodes: MAX_YAML_NODES };
    const depth = depthOf(doc, budget);
    if (budget.nodes < 0) return { error: `YAML has more than ${MAX_YAML_NODES} nodes` };
    if (depth > MAX_YAML_DEPTH) return { error: `YAML nested deeper than ${MAX_YAML_DEPTH}` };
    return { doc };
  } catch (e) {
    // yaml throws for alias bombs (maxAliasCount) and the like; a stack overflow is caught too.
    return { error: `YAML: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}` };
  }
}

/**
 * Parses and compiles one template from text. Never throws for bad content: the entry says what is
 * wrong. (Used by the loader and by tests/fuzzers.)
 */
export function parseTemplate(text: string, opts: ParseTemplateOptions = {}): { template?: NucleiTemplate; entry: TemplateReportEntry } {
  const path = opts.path ?? '<inline>';
  const parsed = parseTemplateYaml(text);
  if (parsed.error !== undefined) return { entry: { path, status: 'invalid', reasons: [parsed.error], caveats: [] } };
  const templateDir = opts.templateDir ?? opts.root ?? process.cwd();
  const root = opts.root ?? templateDir;
  const out = compileTemplate(parsed.doc, { path, templateDir, root });
  const entry: TemplateReportEntry = {
    path,
    ...(out.id !== undefined ? { id: out.id } : {}),
    ...(out.info ? { name: out.info.name, severity: out.info.severity } : {}),
    ...(out.protocol ? { protocol: out.protocol } : {}),
    status: out.status,
    reasons: out.reasons,
    caveats: out.caveats,
  };
  return out.template ? { template: out.template, entry } : { entry };
}

function listYaml(root: string): { files: string[]; skipped: TemplateReportEntry[] } {
  const files: string[] = [];
  const skipped: TemplateReportEntry[] = [];
  const walk = (dir: string, depth: number): void => {
    if (depth > MAX_DIR_DEPTH) return;
    let names: string[];
    try {
      names = readdirSync(dir).sort();
    } catch {
      return;
    }
    for (const name of names) {
      if (name.startsWith('.')) continue;
      const abs = join(dir, name);
      let st: Stats;
      try {
        st = lstatSync(abs);
      } catch {
        continue;
      }
      const isYaml = /\.ya?ml$/i.test(name);
      if (st.isSymbolicLink()) {
        if (isYaml) skipped.push({ path: relative(root, abs), status: 'invalid', reasons: ['symbolic link not followed'], caveats: [] });
        continue;
      }
      if (st.isDirectory()) walk(abs, depth + 1);
      else if (st.isFile() && isYaml) {
        if (files.length >= MAX_FILES) throw new TrawlError('TRAWL_E_BAD_OPTION', `more than ${MAX_FILES} template files under ${root}`, { dir: root });
        files.push(abs);
      }
    }
  };
  walk(root, 0);
  return { files, skipped };
}

/**
 * Loads every template under `dir`. Throws TrawlError(TRAWL_E_TARGET_FILE) only when the directory
 * itself cannot be read; problems with single templates are report entries.
 */
export async function loadTemplates(dir: string): Promise<LoadedTemplates> {
  let root: string;
  try {
    root = realpathSync(resolve(dir));
    if (!lstatSync(root).isDirectory()) throw new Error('not a directory');
  } catch (e) {
    throw new TrawlError('TRAWL_E_TARGET_FILE', `template directory ${JSON.stringify(dir)} cannot be read: ${e instanceof Error ? e.message : String(e)}`, { dir });
  }
  const { files, skipped } = listYaml(root);
  const entries: TemplateReportEntry[] = [...skipped];
  const templates: NucleiTemplate[] = [];
  const seen = new Map<string, string>();
  for (const abs of files) {
    const path = relative(root, abs);
    let text: string;
    try {
      const st = lstatSync(abs);
      if (st.size > MAX_TEMPLATE_BYTES) {
        entries.push({ path, status: 'invalid', reasons: [`template larger than ${MAX_TEMPLATE_BYTES} bytes`], caveats: [] });
        continue;
      }
      text = readFileSync(abs, 'utf8');
    } catch (e) {
      entries.push({ path, status: 'invalid', reasons: [`cannot be read: ${e instanceof Error ? e.message : String(e)}`], caveats: [] });
      continue;
    }
    const { template, entry } = parseTemplate(text, { path, root, templateDir: dirname(abs) });
    if (template && seen.has(template.id)) {
      entries.push({ ...entry, status: 'invalid', reasons: [`duplicate id "${template.id}" (also ${seen.get(template.id)})`] });
      continue;
    }
    if (template) {
      seen.set(template.id, path);
      templates.push(template);
    }
    entries.push(entry);
    // Keep the event loop responsive on big collections.
    if (entries.length % 200 === 0) await new Promise((r) => setImmediate(r));
  }
  entries.sort((a, b) => a.path.localeCompare(b.path));
  return { templates, report: { dir: root, entries } };
}
