/**
 * The jq subset nuclei's json extractors use in practice: paths (`.a.b`, `.["x-y"]`, `.a[0]`,
 * `.a[-1]`, `.a[]`, `.[]`, optional `?`), pipes (`.a[] | .b`), and `length` / `keys`. Anything else is
 * refused at load time so the template is reported unsupported rather than silently extracting
 * nothing.
 */
import { TrawlError } from '../../../errors/trawl-error.js';

type Step = { readonly k: 'field'; readonly name: string } | { readonly k: 'index'; readonly i: number } | { readonly k: 'iter' } | { readonly k: 'length' } | { readonly k: 'keys' };

export interface JsonQuery {
  readonly source: string;
  readonly stages: readonly (readonly Step[])[];
}

const MAX_QUERY = 1024;
const MAX_OUTPUTS = 10_000;

function bad(q: string, why: string): never {
  throw new TrawlError('TRAWL_E_VALIDATION', `json query ${JSON.stringify(q.slice(0, 80))}: ${why}`, { query: q.slice(0, 200) });
}

export function parseJsonQuery(source: string): JsonQuery {
  if (source.length > MAX_QUERY) bad(source, `longer than ${MAX_QUERY} characters`);
  const stages: Step[][] = [];
  for (const rawStage of splitPipes(source)) {
    const s = rawStage.trim();
    if (s === 'length' || s === 'keys') {
      stages.push([{ k: s }]);
      continue;
    }
    if (s.startsWith('..')) bad(source, 'recursive descent (..) is not supported');
    if (!s.startsWith('.')) bad(source, `unsupported jq expression "${s}" (only paths, pipes, length and keys)`);
    const steps: Step[] = [];
    let i = 1;
    while (i < s.length) {
      const c = s[i]!;
      if (c === '?') {
        i++;
        continue;
      }
      if (c === '.') {
        if (s[i + 1] === '.') bad(source, 'recursive descent (..) is not supported');
        i++;
        continue;
      }
      if (c === '[') {
        const end = s.indexOf(']', i);
        if (end < 0) bad(source, 'missing ]');
        const inner = s.slice(i + 1, end).trim();
        if (inner === '') steps.push({ k: 'iter' });
        else if (/^-?\d+$/.test(inner)) steps.push({ k: 'index', i: Number(inner) });
        else if (/^"(?:[^"\\]|\\.)*"$/.test(inner)) steps.push({ k: 'field', name: JSON.parse(inner) as string });
        else bad(source, `unsupported subscript [${inner}]`);
        i = end + 1;
        continue;
      }
      if (c === '"') {
        const m = /^"(?:[^"\\]|\\.)*"/.exec(s.slice(i));
        if (!m) bad(source, 'unterminated quoted key');
        steps.push({ k: 'field', name: JSON.parse(m[0]) as string });
        i += m[0].length;
        continue;
      }
      const m = /^[A-Za-z_$][A-Za-z0-9_$\-]*/.exec(s.slice(i));
      if (!m) bad(source, `unsupported jq syntax at "${s.slice(i, i + 20)}"`);
      steps.push({ k: 'field', name: m[0] });
      i += m[0].length;
    }
    stages.push(steps);
  }
  if (stages.length === 0) bad(source, 'empty query');
  return { source, stages };
}

function splitPipes(q: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < q.length; i++) {
    const c = q[i]!;
    if (c === '"' && q[i - 1] !== '\\') quoted = !quoted;
    if (c === '|' && !quoted) {
      out.push(cur);
      cur = '';
    } else cur += c;
  }
  out.push(cur);
  return out;
}

function applyStep(v: unknown, step: Step, out: unknown[]): void {
  switch (step.k) {
    case 'field':
      if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
        const o = v as Record<string, unknown>;
        out.push(Object.hasOwn(o, step.name) ? o[step.name] : null);
      } else if (v === null) out.push(null);
      return;
    case 'index':
      if (Array.isArray(v)) out.push(v[step.i < 0 ? v.length + step.i : step.i] ?? null);
      else if (v === null) out.push(null);
      return;
    case 'iter':
      if (Array.isArray(v)) out.push(...v);
      else if (v !== null && typeof v === 'object') out.push(...Object.values(v));
      return;
    case 'length':
      if (typeof v === 'string' || Array.isArray(v)) out.push(v.length);
      else if (v !== null && typeof v === 'object') out.push(Object.keys(v).length);
      else if (v === null) out.push(0);
      return;
    case 'keys':
      if (Array.isArray(v)) out.push(v.map((_, i) => i));
      else if (v !== null && typeof v === 'object') out.push(Object.keys(v).sort());
      return;
  }
}

/** Runs the query on a parsed JSON value; results as nuclei prints them (strings raw, others JSON). */
export function runJsonQuery(q: JsonQuery, doc: unknown): string[] {
  let current: unknown[] = [doc];
  for (const stage of q.stages) {
    for (const step of stage) {
      const next: unknown[] = [];
      for (const v of current) {
        applyStep(v, step, next);
        if (next.length > MAX_OUTPUTS) break;
      }
      current = next.slice(0, MAX_OUTPUTS);
    }
  }
  const out: string[] = [];
  for (const v of current) {
    if (v === null || v === undefined) continue;
    out.push(typeof v === 'string' ? v : JSON.stringify(v));
  }
  return out;
}
