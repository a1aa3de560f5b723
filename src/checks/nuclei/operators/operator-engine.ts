/**
 * Matchers and extractors over one response, with nuclei's semantics:
 * - a matcher whose part is missing is false (negative does not turn that into true);
 * - `matchers-condition: and` needs every matcher, `or` (default) any;
 * - with no matchers, a result exists when some (non-internal) extractor produced output;
 * - internal extractors feed later requests (dynamic values) and are not reported.
 */
import { TrawlError } from '../../../errors/trawl-error.js';
import { type DslLookup, dslIsTrue, evaluateDsl } from '../dsl/dsl-eval.js';
import { interpolate } from '../dsl/template-expr.js';
import { toDslString } from '../dsl/dsl-value.js';
import { dslByteLength, dslBytes, dslIncludes } from '../dsl/dsl-bytes.js';
import type { CompiledExtractor, CompiledMatcher, Operators } from '../template-types.js';
import { runJsonQuery } from './json-query.js';

const MAX_EXTRACTS = 1000;
const MAX_JSON_INPUT = 1 << 20;

export interface PartValue {
  readonly text: string;
  /** The exact bytes, when the part came off the wire (binary matchers use them). */
  readonly bytes?: Buffer;
}

/** What operators see of one response: named parts and the DSL variables. */
export interface OperatorInput {
  part(name: string): PartValue | undefined;
  readonly lookup: DslLookup;
}

export interface OperatorResult {
  readonly matched: boolean;
  /** Names of matched, non-internal named matchers. */
  readonly matcherNames: readonly string[];
  /** Words/patterns that matched when a matcher asked for match-all (nuclei's matched output). */
  readonly matchedValues: readonly string[];
  /** Output extractor values by extractor name ('' for unnamed). */
  readonly extracted: ReadonlyMap<string, readonly string[]>;
  /** Internal extractor values by name: variables for later requests. */
  readonly dynamic: ReadonlyMap<string, readonly string[]>;
}

function partBytes(p: PartValue): Buffer {
  return p.bytes ?? dslBytes(p.text);
}

function combine(results: readonly boolean[], condition: 'and' | 'or'): boolean {
  return condition === 'and' ? results.length > 0 && results.every(Boolean) : results.some(Boolean);
}

function interpolateWord(word: string, lookup: DslLookup): string {
  if (!word.includes('{{')) return word;
  try {
    return interpolate(word, lookup, { allowRandom: false });
  } catch (e) {
    if (e instanceof TrawlError) return word; // an unresolvable word stays literal, as in nuclei
    throw e;
  }
}

/** One matcher: [matched, matched values]. */
export function runMatcher(m: CompiledMatcher, input: OperatorInput): [boolean, string[]] {
  const values: string[] = [];
  let ok: boolean;
  if (m.type === 'dsl') {
    ok = combine(
      m.dsl.map((e) => dslIsTrue(e, input.lookup)),
      m.condition,
    );
  } else if (m.type === 'status') {
    const sc = input.lookup('status_code');
    if (typeof sc !== 'number') return [false, values];
    ok = m.status.includes(sc);
  } else {
    const part = input.part(m.part);
    if (part === undefined) return [false, values];
    switch (m.type) {
      case 'word': {
        const hay = m.caseInsensitive ? part.text.toLowerCase() : part.text;
        const results = m.words.map((w0) => {
          const w = interpolateWord(w0, input.lookup);
          const hit = dslIncludes(hay, m.caseInsensitive ? w.toLowerCase() : w);
          if (hit) values.push(w);
          return hit;
        });
        // Hex-encoded words (encoding: hex) were compiled to byte needles.
        const bytes = m.binary.length > 0 ? partBytes(part) : undefined;
        const binResults = m.binary.map((b) => bytes!.includes(b));
        ok = combine([...results, ...binResults], m.condition);
        break;
      }
      case 'regex': {
        const results = m.regex.map((r) => {
          if (!m.matchAll) return r.test(part.text);
          const all = r.matchAll(part.text, MAX_EXTRACTS);
          for (const x of all) values.push(x.groups[0]!);
          return all.length > 0;
        });
        ok = combine(results, m.condition);
        break;
      }
      case 'binary': {
        const bytes = partBytes(part);
        ok = combine(
          m.binary.map((b) => bytes.includes(b)),
          m.condition,
        );
        break;
      }
      case 'size': {
        const len = part.bytes ? part.bytes.length : dslByteLength(part.text);
        ok = m.size.includes(len);
        break;
      }
    }
  }
  return [m.negative ? !ok : ok, values];
}

export function runExtractor(x: CompiledExtractor, input: OperatorInput): string[] {
  const out = new Set<string>();
  const add = (v: string): void => {
    if (out.size < MAX_EXTRACTS) out.add(x.caseInsensitive ? v.toLowerCase() : v);
  };
  switch (x.type) {
    case 'regex': {
      const part = input.part(x.part);
      if (part === undefined) break;
      for (const r of x.regex) {
        for (const m of r.matchAll(part.text, MAX_EXTRACTS)) {
          const g = m.groups[x.group];
          if (x.group < m.groups.length && g !== undefined) add(g);
        }
      }
      break;
    }
    case 'kval': {
      for (const key0 of x.kval) {
        const key = key0.toLowerCase().replace(/-/g, '_');
        const v = input.lookup(key0) ?? input.lookup(key);
        if (v === undefined || v === null) continue;
        const s = toDslString(v);
        if (s !== '') add(s);
      }
      break;
    }
    case 'json': {
      const part = input.part(x.part);
      if (part === undefined || part.text.length > MAX_JSON_INPUT) break;
      let doc: unknown;
      try {
        doc = JSON.parse(part.text) as unknown;
      } catch {
        break;
      }
      for (const q of x.json) for (const v of runJsonQuery(q, doc)) add(v);
      break;
    }
    case 'dsl': {
      for (const e of x.dsl) {
        try {
          const v = evaluateDsl(e, input.lookup);
          if (v === null || v === false) continue;
          const s = toDslString(v);
          if (s !== '') add(s);
        } catch (err) {
          if (!(err instanceof TrawlError)) throw err;
        }
      }
      break;
    }
  }
  return [...out];
}

export function runOperators(ops: Operators, input: OperatorInput): OperatorResult {
  const extracted = new Map<string, string[]>();
  const dynamic = new Map<string, string[]>();
  // Extractors first: internal values may be referenced by DSL matchers of the same request.
  const dynLookup = new Map<string, string>();
  for (const x of ops.extractors) {
    const values = runExtractor(x, {
      part: input.part,
      lookup: (n) => dynLookup.get(n) ?? input.lookup(n),
    });
    if (values.length === 0) continue;
    const key = x.name ?? '';
    const target = x.internal ? dynamic : extracted;
    target.set(key, [...(target.get(key) ?? []), ...values]);
    if (x.internal && x.name !== undefined && !dynLookup.has(x.name)) dynLookup.set(x.name, values[0]!);
  }
  const lookup: DslLookup = (n) => dynLookup.get(n) ?? input.lookup(n);
  const names: string[] = [];
  const values: string[] = [];
  let matched: boolean;
  if (ops.matchers.length === 0) {
    matched = extracted.size > 0;
  } else {
    const results: boolean[] = [];
    for (const m of ops.matchers) {
      const [ok, vals] = runMatcher(m, { part: input.part, lookup });
      results.push(ok);
      if (ok) {
        if (m.name !== undefined && !m.internal) names.push(m.name);
        values.push(...vals);
      }
      if (!ok && ops.condition === 'and') break;
    }
    matched = ops.condition === 'and' ? results.length === ops.matchers.length && results.every(Boolean) : results.some(Boolean);
  }
  return { matched, matcherNames: names, matchedValues: values, extracted, dynamic };
}
