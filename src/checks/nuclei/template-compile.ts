/**
 * Turns one template's parsed YAML into a NucleiTemplate, or explains why it cannot run: every
 * problem is a reason in the report ('invalid' when the template breaks nuclei's own rules,
 * 'unsupported' when it is valid nuclei this engine does not run), never a silent skip. Work done
 * here once — regex translation, DSL parsing, jq parsing, payload files — is not repeated per target.
 */
import { lstatSync, readFileSync, realpathSync } from 'node:fs';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { bytesToDsl } from './dsl/dsl-bytes.js';
import { DSL_FUNCTIONS } from './dsl/dsl-functions.js';
import { dslNames, parseDsl } from './dsl/dsl-parser.js';
import { markerIsExpression, markersIn } from './dsl/template-expr.js';
import { parseJsonQuery, type JsonQuery } from './operators/json-query.js';
import { payloadProblem } from './payload-generator.js';
import { compileRe2, type GuardedRegex } from './regex/guarded-regex.js';
import { parseRe2 } from './regex/re2-syntax.js';
import { parseFlow } from './template-flow.js';
import type {
  AttackType,
  CompiledExtractor,
  CompiledMatcher,
  HttpRequestSpec,
  NetworkInput,
  NetworkRequestSpec,
  NucleiSeverity,
  NucleiTemplate,
  Operators,
  PayloadSpec,
  RequestSpec,
  SslRequestSpec,
  TemplateClassification,
  TemplateFlow,
  TemplateInfo,
  TemplateProtocol,
  TlsVersionName,
} from './template-types.js';

export const MAX_PAYLOAD_FILE_BYTES = 1 << 20;
const MAX_PAYLOAD_VALUES = 100_000;
const MAX_REQUESTS_PER_TEMPLATE = 100;
const MAX_LIST = 10_000;
const MAX_REDIRECTS = 10;

export type TemplateStatus = 'supported' | 'unsupported' | 'invalid';

export interface CompileContext {
  /** Template path relative to the loaded root (for reports). */
  readonly path: string;
  /** Absolute directory of the template file (payload files are relative to it). */
  readonly templateDir: string;
  /** Absolute, real path of the loaded root; payload files must stay inside it. */
  readonly root: string;
}

export interface CompileOutcome {
  readonly status: TemplateStatus;
  readonly id?: string;
  readonly info?: TemplateInfo;
  readonly protocol?: TemplateProtocol;
  readonly reasons: readonly string[];
  readonly caveats: readonly string[];
  readonly template?: NucleiTemplate;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);

class Problems {
  readonly invalid: string[] = [];
  readonly unsupported: string[] = [];
  readonly caveats: string[] = [];
  bad(r: string): void {
    if (!this.invalid.includes(r)) this.invalid.push(r);
  }
  unsup(r: string): void {
    if (!this.unsupported.includes(r)) this.unsupported.push(r);
  }
  caveat(r: string): void {
    if (!this.caveats.includes(r)) this.caveats.push(r);
  }
}

const ID_RE = /^([a-zA-Z0-9]+[-_])*[a-zA-Z0-9]+$/;
const SEVERITIES: readonly NucleiSeverity[] = ['info', 'low', 'medium', 'high', 'critical', 'unknown'];

/** Protocols this engine does not run, by design: each needs something a network check must not do. */
const UNSUPPORTED_PROTOCOLS: Readonly<Record<string, string>> = {
  dns: 'dns protocol is not supported (the check stage never resolves names)',
  file: 'file protocol is not supported (checks run against network targets)',
  headless: 'headless (browser) protocol is not supported (no browser runtime)',
  code: 'code protocol is not supported (it runs local programs)',
  javascript: 'javascript protocol is not supported (no script runtime)',
  websocket: 'websocket protocol is not supported',
  whois: 'whois protocol is not supported (it queries external registries)',
  workflows: 'workflows are not supported (run the referenced templates directly)',
};

const TOP_KEYS = new Set(['id', 'info', 'variables', 'constants', 'http', 'requests', 'network', 'tcp', 'ssl', 'stop-at-first-match', 'self-contained', 'signature', 'flow', ...Object.keys(UNSUPPORTED_PROTOCOLS)]);

/** Names the engine always defines for a target. */
export const BUILTIN_VARIABLES: ReadonlySet<string> = new Set(['BaseURL', 'RootURL', 'Hostname', 'Host', 'Port', 'Path', 'File', 'Scheme', 'FQDN', 'RDN', 'DN', 'SD', 'TLD', 'Input', 'ip', 'IP', 'randstr']);

/** Response variables (usable in matchers/extractors and in later requests of the same template). */
const RESPONSE_VARIABLE = /^(status_code|body|header|all_headers|content_length|content_type|raw|response|request|duration|host|matched|data|tls_version|cipher|not_before|not_after|subject_dn|subject_cn|subject_org|subject_an|issuer_dn|issuer_cn|issuer_org|serial|fingerprint_hash|expired|self_signed|mismatched|wildcard_certificate|untrusted|revoked|domains|probe_status|port|ip|template-id|type|redirect_chain|location|server|set_cookie|x_[a-z0-9_]+|[a-z][a-z0-9_]*)(_\d+)?$/;

function strList(v: unknown): string[] | undefined {
  if (v === undefined || v === null) return [];
  if (typeof v === 'string') return [v];
  if (typeof v === 'number' || typeof v === 'boolean') return [String(v)];
  if (Array.isArray(v) && v.every((x) => typeof x === 'string' || typeof x === 'number' || typeof x === 'boolean')) return v.map(String).slice(0, MAX_LIST);
  return undefined;
}

function commaList(v: unknown): string[] | undefined {
  const l = strList(v);
  if (l === undefined) return undefined;
  return l.flatMap((s) => s.split(',')).map((s) => s.trim()).filter(Boolean);
}

function walkStrings(v: unknown, f: (s: string) => void, depth = 0): void {
  if (depth > 80) return;
  if (typeof v === 'string') f(v);
  else if (Array.isArray(v)) v.forEach((x) => walkStrings(x, f, depth + 1));
  else if (isObj(v)) for (const [k, x] of Object.entries(v)) {
    f(k);
    walkStrings(x, f, depth + 1);
  }
}

/** NVD's placeholders for "no specific CWE" (nuclei-templates use them); they name no weakness. */
const NVD_CWE_PLACEHOLDERS: ReadonlySet<string> = new Set(['NVD-CWE-OTHER', 'NVD-CWE-NOINFO']);

/** `workflow`: a workflow file, where nuclei does not require a severity. */
function parseInfo(v: unknown, p: Problems, workflow = false): TemplateInfo | undefined {
  if (!isObj(v)) {
    p.bad('info is missing or not a mapping');
    return undefined;
  }
  const name = typeof v['name'] === 'string' ? v['name'].trim() : '';
  if (name === '') p.bad('info.name is required');
  const authors = commaList(v['author']);
  if (authors === undefined || authors.length === 0) p.bad('info.author is required');
  const sevRaw = typeof v['severity'] === 'string' ? v['severity'].trim().toLowerCase() : '';
  if (!SEVERITIES.includes(sevRaw as NucleiSeverity) && !(workflow && sevRaw === '')) p.bad(sevRaw === '' ? 'info.severity is required' : `info.severity "${sevRaw}" is not one of ${SEVERITIES.join(', ')}`);
  const tags = commaList(v['tags']);
  if (tags === undefined) p.bad('info.tags must be a string or a list of strings');
  const reference = strList(v['reference']);
  if (reference === undefined) p.bad('info.reference must be a string or a list of strings');
  const description = v['description'];
  if (description !== undefined && typeof description !== 'string') p.bad('info.description must be a string');
  const remediation = v['remediation'];
  if (remediation !== undefined && typeof remediation !== 'string') p.bad('info.remediation must be a string');
  let classification: TemplateClassification | undefined;
  const c = v['classification'];
  if (c !== undefined && c !== null) {
    if (!isObj(c)) p.bad('info.classification must be a mapping');
    else {
      const cve = commaList(c['cve-id']) ?? [];
      const cwe = commaList(c['cwe-id']) ?? [];
      for (const x of cve) if (!/^CVE-\d{4}-\d{4,}$/i.test(x)) p.bad(`classification cve-id "${x}" is not CVE-YYYY-NNNN`);
      for (const x of cwe) if (!/^CWE-\d+$/i.test(x) && !NVD_CWE_PLACEHOLDERS.has(x.toUpperCase())) p.bad(`classification cwe-id "${x}" is not CWE-N (or NVD-CWE-Other / NVD-CWE-noinfo)`);
      const scoreRaw = c['cvss-score'];
      let cvssScore: number | undefined;
      if (scoreRaw !== undefined && scoreRaw !== null) {
        cvssScore = typeof scoreRaw === 'number' ? scoreRaw : Number(scoreRaw);
        if (!Number.isFinite(cvssScore) || cvssScore < 0 || cvssScore > 10) p.bad(`classification cvss-score "${String(scoreRaw)}" is not 0..10`);
      }
      const metrics = typeof c['cvss-metrics'] === 'string' ? c['cvss-metrics'] : undefined;
      classification = {
        cveId: cve.map((x) => x.toUpperCase()),
        // The NVD placeholders say "no CWE": findings carry only real CWE ids.
        cweId: cwe.map((x) => x.toUpperCase()).filter((x) => !NVD_CWE_PLACEHOLDERS.has(x)),
        ...(cvssScore !== undefined && Number.isFinite(cvssScore) ? { cvssScore } : {}),
        ...(metrics !== undefined ? { cvssMetrics: metrics } : {}),
      };
    }
  }
  if (p.invalid.length > 0) return undefined;
  return {
    name,
    authors: authors ?? [],
    severity: (sevRaw === '' ? 'unknown' : sevRaw) as NucleiSeverity,
    tags: tags ?? [],
    ...(typeof description === 'string' ? { description: description.trim() } : {}),
    reference: reference ?? [],
    ...(classification ? { classification } : {}),
    ...(typeof remediation === 'string' ? { remediation: remediation.trim() } : {}),
  };
}

export const INTRUSIVE_TAGS: ReadonlySet<string> = new Set(['intrusive', 'brute', 'bruteforce', 'default-login', 'fuzz', 'fuzzing', 'dos', 'rce', 'sqli', 'injection']);
export const SAFE_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS']);

function isIntrusive(info: TemplateInfo, requests: readonly RequestSpec[]): boolean {
  if (info.tags.some((t) => INTRUSIVE_TAGS.has(t.toLowerCase()))) return true;
  return requests.some((r) => {
    if (r.kind === 'ssl') return false;
    if (r.payloads) return true;
    if (r.kind !== 'http') return false;
    if (!SAFE_METHODS.has(r.method) && r.paths.length > 0) return true;
    return r.raw.some((raw) => !SAFE_METHODS.has((/^\s*(?:@[^\n]*\n\s*)*([A-Za-z]+)/.exec(raw)?.[1] ?? 'GET').toUpperCase()));
  });
}

/** Checks a DSL expression at load time: syntax, known helpers, no random helpers in operators. */
function checkDsl(expr: string, p: Problems, where: string, allowRandom: boolean): boolean {
  let names: ReturnType<typeof dslNames>;
  try {
    names = dslNames(parseDsl(expr));
  } catch (e) {
    p.bad(`${where}: ${e instanceof Error ? e.message : String(e)}`);
    return false;
  }
  for (const fn of names.functions) {
    const f = Object.hasOwn(DSL_FUNCTIONS, fn) ? DSL_FUNCTIONS[fn] : undefined;
    if (f === undefined) {
      p.unsup(`DSL helper ${fn}() is not implemented`);
      return false;
    }
    if (f.random && !allowRandom) {
      p.bad(`${where}: ${fn}() is random and cannot decide a match`);
      return false;
    }
  }
  for (const v of names.variables) if (/^interactsh/.test(v)) p.unsup('interactsh (out-of-band callbacks) is not supported');
  return true;
}

/** A variable name with dashes (`x-wp-nonce`): nuclei replaces `{{x-wp-nonce}}` by such a variable. */
const DASHED_NAME = /^[A-Za-z_][A-Za-z0-9_]*(?:-[A-Za-z0-9_]+)+$/;

/**
 * Checks {{markers}} in request text; records variables the text needs. A dashed marker is
 * recorded as is: whether it names a variable or is a subtraction is known only once every
 * variable is (see compileTemplate).
 */
function checkMarkers(text: string, p: Problems, where: string, used: Set<string>): void {
  for (const inner of markersIn(text)) {
    if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(inner) || DASHED_NAME.test(inner)) {
      used.add(inner);
      continue;
    }
    if (!markerIsExpression(inner)) continue;
    checkDsl(inner, p, where, true);
    try {
      for (const v of dslNames(parseDsl(inner)).variables) used.add(v);
    } catch {
      /* reported by checkDsl */
    }
  }
}

function compileRegexList(list: readonly string[], p: Problems, where: string): GuardedRegex[] {
  const out: GuardedRegex[] = [];
  for (const r of list) {
    try {
      parseRe2(r);
    } catch (e) {
      p.bad(`${where}: ${e instanceof Error ? e.message : String(e)}`);
      continue;
    }
    try {
      out.push(compileRe2(r));
    } catch (e) {
      p.unsup(`${where}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  return out;
}

const MATCHER_KEYS = new Set(['type', 'condition', 'part', 'negative', 'internal', 'name', 'words', 'regex', 'status', 'size', 'binary', 'dsl', 'case-insensitive', 'encoding', 'match-all', 'xpath', 'attribute']);
const EXTRACTOR_KEYS = new Set(['type', 'name', 'part', 'internal', 'group', 'regex', 'kval', 'json', 'dsl', 'case-insensitive', 'xpath', 'attribute', 'to-lower']);

function checkPart(part: string, p: Problems, where: string): void {
  if (/^interactsh/.test(part)) p.unsup('interactsh (out-of-band callbacks) is not supported');
  if (!/^[A-Za-z0-9_\-]{1,64}$/.test(part)) p.bad(`${where}: part "${part}" is not a valid part name`);
}

function compileMatcher(m: unknown, i: number, defaultPart: string, p: Problems): CompiledMatcher | undefined {
  const where = `matcher ${i + 1}`;
  if (!isObj(m)) {
    p.bad(`${where} is not a mapping`);
    return undefined;
  }
  for (const k of Object.keys(m)) if (!MATCHER_KEYS.has(k)) p.bad(`${where}: unknown field "${k}"`);
  const type = m['type'];
  if (type === 'xpath') {
    p.unsup('xpath matchers are not supported (no HTML/XML parser in the engine)');
    return undefined;
  }
  if (type !== 'word' && type !== 'regex' && type !== 'status' && type !== 'size' && type !== 'binary' && type !== 'dsl') {
    p.bad(`${where}: unknown matcher type ${JSON.stringify(type)}`);
    return undefined;
  }
  const condition = m['condition'] ?? 'or';
  if (condition !== 'and' && condition !== 'or') p.bad(`${where}: condition must be and/or`);
  const part = typeof m['part'] === 'string' ? m['part'] : defaultPart;
  checkPart(part, p, where);
  const words = strList(m['words']) ?? [];
  const regexSrc = strList(m['regex']) ?? [];
  const dsl = strList(m['dsl']) ?? [];
  const binarySrc = strList(m['binary']) ?? [];
  const numbers = (k: string): number[] => {
    const raw = m[k];
    const list = Array.isArray(raw) ? raw : raw === undefined ? [] : [raw];
    const out = list.map((x) => (typeof x === 'number' ? x : Number(x)));
    if (out.some((x) => !Number.isInteger(x) || x < 0)) p.bad(`${where}: ${k} must be a list of non-negative integers`);
    return out;
  };
  const status = numbers('status');
  const size = numbers('size');
  const hexOk = (h: string): boolean => /^(?:[0-9a-fA-F]{2})+$/.test(h.replace(/\s+/g, ''));
  let binary: Buffer[] = [];
  let plainWords = words;
  if (type === 'binary') {
    for (const h of binarySrc) if (!hexOk(h)) p.bad(`${where}: binary value "${h.slice(0, 40)}" is not hex`);
    binary = binarySrc.filter(hexOk).map((h) => Buffer.from(h.replace(/\s+/g, ''), 'hex'));
  }
  if (type === 'word' && m['encoding'] === 'hex') {
    for (const h of words) if (!hexOk(h)) p.bad(`${where}: hex word "${h.slice(0, 40)}" is not hex`);
    binary = words.filter(hexOk).map((h) => Buffer.from(h.replace(/\s+/g, ''), 'hex'));
    plainWords = [];
  } else if (m['encoding'] !== undefined && m['encoding'] !== 'hex') p.bad(`${where}: encoding must be hex`);
  const need: Record<string, number> = { word: words.length, regex: regexSrc.length, status: status.length, size: size.length, binary: binarySrc.length, dsl: dsl.length };
  if (need[type] === 0) p.bad(`${where}: a ${type} matcher needs at least one ${type === 'word' ? 'word' : type} value`);
  const regex = type === 'regex' ? compileRegexList(regexSrc, p, where) : [];
  if (type === 'dsl') dsl.forEach((e, k) => checkDsl(e, p, `${where} dsl ${k + 1}`, false));
  if (type === 'word') for (const w of words) for (const inner of markersIn(w)) if (markerIsExpression(inner)) checkDsl(inner, p, where, false);
  const name = typeof m['name'] === 'string' ? m['name'] : undefined;
  return {
    type,
    ...(name !== undefined ? { name } : {}),
    part,
    condition: condition === 'and' ? 'and' : 'or',
    negative: m['negative'] === true,
    internal: m['internal'] === true,
    caseInsensitive: m['case-insensitive'] === true,
    matchAll: m['match-all'] === true,
    words: plainWords,
    regex,
    status,
    size,
    binary,
    dsl,
  };
}

function compileExtractor(x: unknown, i: number, defaultPart: string, p: Problems): CompiledExtractor | undefined {
  const where = `extractor ${i + 1}`;
  if (!isObj(x)) {
    p.bad(`${where} is not a mapping`);
    return undefined;
  }
  for (const k of Object.keys(x)) if (!EXTRACTOR_KEYS.has(k)) p.bad(`${where}: unknown field "${k}"`);
  const type = x['type'];
  if (type === 'xpath') {
    p.unsup('xpath extractors are not supported (no HTML/XML parser in the engine)');
    return undefined;
  }
  if (type !== 'regex' && type !== 'kval' && type !== 'json' && type !== 'dsl') {
    p.bad(`${where}: unknown extractor type ${JSON.stringify(type)}`);
    return undefined;
  }
  const part = typeof x['part'] === 'string' ? x['part'] : defaultPart;
  checkPart(part, p, where);
  const regexSrc = strList(x['regex']) ?? [];
  const kval = strList(x['kval']) ?? [];
  const jsonSrc = strList(x['json']) ?? [];
  const dsl = strList(x['dsl']) ?? [];
  const need: Record<string, number> = { regex: regexSrc.length, kval: kval.length, json: jsonSrc.length, dsl: dsl.length };
  if (need[type] === 0) p.bad(`${where}: a ${type} extractor needs at least one ${type} value`);
  const group = x['group'] === undefined ? 0 : Number(x['group']);
  if (!Number.isInteger(group) || group < 0 || group > 100) p.bad(`${where}: group must be a small non-negative integer`);
  const json: JsonQuery[] = [];
  if (type === 'json') {
    for (const q of jsonSrc) {
      try {
        json.push(parseJsonQuery(q));
      } catch (e) {
        p.unsup(`${where}: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
  }
  if (type === 'dsl') dsl.forEach((e, k) => checkDsl(e, p, `${where} dsl ${k + 1}`, false));
  const name = typeof x['name'] === 'string' ? x['name'] : undefined;
  if (x['internal'] === true && name === undefined) p.bad(`${where}: an internal extractor needs a name`);
  return {
    type,
    ...(name !== undefined ? { name } : {}),
    part,
    internal: x['internal'] === true,
    caseInsensitive: x['case-insensitive'] === true || x['to-lower'] === true,
    group: Number.isInteger(group) ? group : 0,
    regex: type === 'regex' ? compileRegexList(regexSrc, p, where) : [],
    kval,
    json,
    dsl,
  };
}

function compileOperators(r: Obj, defaultPart: string, p: Problems): Operators {
  const rawMatchers = r['matchers'] ?? [];
  const rawExtractors = r['extractors'] ?? [];
  if (!Array.isArray(rawMatchers)) p.bad('matchers must be a list');
  if (!Array.isArray(rawExtractors)) p.bad('extractors must be a list');
  const matchers = (Array.isArray(rawMatchers) ? rawMatchers : []).map((m, i) => compileMatcher(m, i, defaultPart, p)).filter((m): m is CompiledMatcher => m !== undefined);
  const extractors = (Array.isArray(rawExtractors) ? rawExtractors : []).map((x, i) => compileExtractor(x, i, defaultPart, p)).filter((x): x is CompiledExtractor => x !== undefined);
  const cond = r['matchers-condition'] ?? 'or';
  if (cond !== 'and' && cond !== 'or') p.bad('matchers-condition must be and/or');
  return { matchers, extractors, condition: cond === 'and' ? 'and' : 'or' };
}

function readPayloadFile(file: string, ctx: CompileContext, p: Problems, name: string): string[] | undefined {
  const abs = isAbsolute(file) ? file : resolve(ctx.templateDir, file);
  let real: string;
  try {
    real = realpathSync(abs);
  } catch {
    // nuclei also resolves helper files against the templates root.
    try {
      real = realpathSync(resolve(ctx.root, file));
    } catch {
      p.bad(`payload "${name}": file ${JSON.stringify(file)} not found`);
      return undefined;
    }
  }
  const rel = relative(ctx.root, real);
  if (rel.startsWith('..') || isAbsolute(rel) || rel.split(sep).includes('..')) {
    p.unsup(`payload "${name}": file ${JSON.stringify(file)} is outside the template directory (not read)`);
    return undefined;
  }
  const st = lstatSync(real);
  if (!st.isFile()) {
    p.bad(`payload "${name}": ${JSON.stringify(file)} is not a regular file`);
    return undefined;
  }
  if (st.size > MAX_PAYLOAD_FILE_BYTES) {
    p.unsup(`payload "${name}": file ${JSON.stringify(file)} is larger than ${MAX_PAYLOAD_FILE_BYTES} bytes`);
    return undefined;
  }
  // Bytes, not UTF-8 text: a payload line that is not valid UTF-8 is sent as it is (dsl-bytes.ts).
  const lines = bytesToDsl(readFileSync(real)).split('\n').map((l) => l.replace(/\r$/, '')).filter((l) => l !== '');
  if (lines.length > MAX_PAYLOAD_VALUES) {
    p.unsup(`payload "${name}": more than ${MAX_PAYLOAD_VALUES} values`);
    return undefined;
  }
  return lines;
}

/** Variable, constant and payload names: nuclei takes any key; `-` is common (`x-wp-nonce`). */
const VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_-]*$/;

const AGGRESSION_LEVELS = ['low', 'medium', 'high'] as const;

/**
 * A payload given per aggression level (`low:`/`medium:`/`high:` lists, nuclei's -fuzz-aggression):
 * nuclei's default level is low, whose list is used; medium and high add to it only on request.
 */
function aggressionPayloads(name: string, v: Obj, p: Problems): unknown[] | undefined {
  for (const [k, list] of Object.entries(v)) {
    if (!(AGGRESSION_LEVELS as readonly string[]).includes(k)) {
      p.bad(`payload "${name}": invalid aggression level "${k}" (low, medium or high)`);
      return undefined;
    }
    if (!Array.isArray(list)) {
      p.bad(`payload "${name}": aggression level "${k}" must be a list`);
      return undefined;
    }
  }
  const low = v['low'];
  if (v['medium'] !== undefined || v['high'] !== undefined) p.caveat(`payload "${name}": only the default aggression level (low) is used`);
  return Array.isArray(low) ? low : [];
}

function compilePayloads(r: Obj, ctx: CompileContext, p: Problems): PayloadSpec | undefined {
  const raw = r['payloads'];
  if (raw === undefined || raw === null) {
    if (r['attack'] !== undefined) p.caveat('attack is set without payloads (ignored)');
    return undefined;
  }
  if (!isObj(raw)) {
    p.bad('payloads must be a mapping of name to list or file');
    return undefined;
  }
  const sets = new Map<string, string[]>();
  for (const [name, v0] of Object.entries(raw)) {
    if (!VARIABLE_NAME.test(name)) p.bad(`payload name "${name}" is not a valid variable name`);
    const v = isObj(v0) ? aggressionPayloads(name, v0, p) : v0;
    if (v === undefined) continue;
    if (typeof v === 'string' && !v.includes('\n')) {
      const lines = readPayloadFile(v, ctx, p, name);
      if (lines) sets.set(name, lines);
    } else if (typeof v === 'string') {
      sets.set(name, v.split('\n').filter((l) => l !== ''));
    } else {
      const l = strList(v);
      if (l === undefined) p.bad(`payload "${name}" must be a list of strings or a file path`);
      else sets.set(name, l);
    }
  }
  const attackRaw = r['attack'];
  let attack: AttackType;
  if (attackRaw === undefined) attack = sets.size > 1 ? 'clusterbomb' : 'batteringram';
  else if (attackRaw === 'batteringram' || attackRaw === 'pitchfork' || attackRaw === 'clusterbomb') attack = attackRaw;
  else if (attackRaw === 'sniper') attack = 'batteringram';
  else {
    p.bad(`attack ${JSON.stringify(attackRaw)} is not batteringram, pitchfork or clusterbomb`);
    return undefined;
  }
  if (p.invalid.length > 0 || p.unsupported.length > 0) return undefined;
  const problem = payloadProblem(attack, sets);
  if (problem) {
    if (problem.includes('combinations')) p.unsup(problem);
    else p.bad(problem);
    return undefined;
  }
  return { attack, sets };
}

const HTTP_KEYS = new Set(['id', 'name', 'method', 'path', 'raw', 'headers', 'body', 'redirects', 'host-redirects', 'max-redirects', 'payloads', 'attack', 'threads', 'matchers', 'matchers-condition', 'extractors', 'stop-at-first-match', 'req-condition', 'cookie-reuse', 'disable-cookie', 'unsafe', 'max-size', 'skip-variables-check', 'iterate-all', 'read-all', 'pipeline', 'pipeline-concurrent-connections', 'pipeline-requests-per-connection', 'race', 'race_count', 'fuzzing', 'digest-username', 'digest-password', 'signature', 'self-contained', 'analyzer', 'disable-path-automerge', 'pre-condition', 'global-matchers', 'max-size']);
const METHODS = new Set(['GET', 'POST', 'PUT', 'DELETE', 'HEAD', 'OPTIONS', 'PATCH', 'CONNECT', 'TRACE', 'PURGE', 'DEBUG']);

function compileHttp(r: Obj, ctx: CompileContext, p: Problems, used: Set<string>): HttpRequestSpec | undefined {
  for (const k of Object.keys(r)) if (!HTTP_KEYS.has(k)) p.bad(`http request: unknown field "${k}"`);
  if (r['race'] === true) p.unsup('race requests are not supported');
  if (r['fuzzing'] !== undefined) p.unsup('fuzzing rules are not supported');
  if (r['digest-username'] !== undefined) p.unsup('digest authentication is not supported');
  if (r['signature'] !== undefined) p.unsup('request signing (signature) is not supported');
  if (r['analyzer'] !== undefined) p.unsup('analyzers (time-delay detection) are not supported');
  if (r['pre-condition'] !== undefined) p.unsup('pre-condition is not supported');
  if (r['global-matchers'] === true) p.unsup('global matchers are not supported');
  if (r['pipeline'] === true) p.caveat('pipeline: requests are sent one per connection instead');
  if (r['iterate-all'] === true) p.caveat('iterate-all: only the first value of each extracted variable is used');
  const method = typeof r['method'] === 'string' ? r['method'].toUpperCase() : 'GET';
  if (!METHODS.has(method)) p.bad(`http method "${String(r['method'])}" is not known`);
  const paths = strList(r['path']) ?? [];
  const raw = strList(r['raw']) ?? [];
  if (strList(r['path']) === undefined || strList(r['raw']) === undefined) p.bad('path and raw must be strings or lists of strings');
  if (paths.length === 0 && raw.length === 0 && r['fuzzing'] === undefined) p.bad('http request has neither path nor raw');
  if (paths.length > 0 && raw.length > 0) p.bad('http request has both path and raw');
  for (const path of paths) {
    if (!/^\s*\{\{(BaseURL|RootURL)\}\}/.test(path)) p.unsup(`path "${path.slice(0, 60)}" does not start with {{BaseURL}} or {{RootURL}} (requests go only to the target)`);
    checkMarkers(path, p, 'path', used);
  }
  for (const block of raw) {
    const lines = block.replace(/^\s+/, '').split('\n');
    while (lines[0]?.startsWith('@')) {
      const ann = lines.shift()!;
      if (/^@timeout\s*:/i.test(ann)) p.caveat('@timeout annotation ignored (the run timeout applies)');
      else if (!/^@tls-sni\s*:/i.test(ann)) p.unsup(`raw request annotation ${ann.split(':')[0]} is not supported`);
      // @tls-sni only names the TLS server name; the connection still goes to the target.
    }
    // Markers may hold spaces ({{repeat("A", 518)}}); the line is checked with each as one token.
    const requestLine = (lines[0] ?? '').replace(/\{\{[\s\S]*?\}\}/g, 'X');
    if (!/^[A-Za-z]+ \S+ HTTP\/\d(\.\d)?\s*$/.test(requestLine)) p.bad(`raw request does not start with "METHOD target HTTP/x": ${JSON.stringify((lines[0] ?? '').slice(0, 60))}`);
    checkMarkers(block, p, 'raw request', used);
  }
  const headers: [string, string][] = [];
  const hv = r['headers'];
  if (hv !== undefined && hv !== null) {
    if (!isObj(hv)) p.bad('headers must be a mapping');
    else
      for (const [k, v] of Object.entries(hv)) {
        if (!/^[!#$%&'*+\-.^_`|~0-9A-Za-z{}]+$/.test(k)) p.bad(`header name "${k}" is not a token`);
        const val = typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? String(v) : undefined;
        if (val === undefined || /[\r\n]/.test(val)) p.bad(`header "${k}" must be a single-line string`);
        else {
          headers.push([k, val]);
          checkMarkers(val, p, `header ${k}`, used);
        }
      }
  }
  const body = r['body'] === undefined || r['body'] === null ? '' : typeof r['body'] === 'string' ? r['body'] : undefined;
  if (body === undefined) p.bad('body must be a string');
  else checkMarkers(body, p, 'body', used);
  const maxRedirects = r['max-redirects'] === undefined ? MAX_REDIRECTS : Number(r['max-redirects']);
  if (!Number.isInteger(maxRedirects) || maxRedirects < 0) p.bad('max-redirects must be a non-negative integer');
  const maxSize = r['max-size'] === undefined ? undefined : Number(r['max-size']);
  if (maxSize !== undefined && (!Number.isInteger(maxSize) || maxSize <= 0)) p.bad('max-size must be a positive integer');
  const payloads = compilePayloads(r, ctx, p);
  const operators = compileOperators(r, 'body', p);
  return {
    kind: 'http',
    method,
    paths,
    raw,
    headers,
    body: body ?? '',
    redirects: r['redirects'] === true,
    hostRedirects: r['host-redirects'] === true,
    maxRedirects: Math.min(Number.isInteger(maxRedirects) ? maxRedirects : MAX_REDIRECTS, MAX_REDIRECTS),
    ...(payloads ? { payloads } : {}),
    stopAtFirstMatch: r['stop-at-first-match'] === true,
    reqCondition: r['req-condition'] === true,
    unsafe: r['unsafe'] === true,
    ...(maxSize !== undefined && Number.isInteger(maxSize) && maxSize > 0 ? { maxSize } : {}),
    cookieReuse: r['disable-cookie'] !== true,
    operators,
  };
}

const NETWORK_KEYS = new Set(['id', 'name', 'host', 'address', 'inputs', 'read-size', 'read-all', 'port', 'exclude-ports', 'payloads', 'attack', 'threads', 'matchers', 'matchers-condition', 'extractors']);

function compileNetwork(r: Obj, ctx: CompileContext, p: Problems, used: Set<string>): NetworkRequestSpec | undefined {
  for (const k of Object.keys(r)) if (!NETWORK_KEYS.has(k)) p.bad(`network request: unknown field "${k}"`);
  const hosts = strList(r['host'] ?? r['address']) ?? [];
  if (hosts.length === 0) p.bad('network request has no host');
  for (const h of hosts) {
    const bare = h.replace(/^tls:\/\//, '');
    if (!/^\{\{(Hostname|Host)\}\}(:\d{1,5}|:\{\{Port\}\})?$/.test(bare)) p.unsup(`network host "${h}" is not {{Hostname}} or {{Host}}:port (requests go only to the target)`);
  }
  const inputs: NetworkInput[] = [];
  const rawInputs = r['inputs'] ?? [];
  if (!Array.isArray(rawInputs)) p.bad('inputs must be a list');
  else
    rawInputs.forEach((inp: unknown, i) => {
      if (!isObj(inp)) {
        p.bad(`input ${i + 1} is not a mapping`);
        return;
      }
      for (const k of Object.keys(inp)) if (!['data', 'type', 'read', 'name'].includes(k)) p.bad(`input ${i + 1}: unknown field "${k}"`);
      const data = inp['data'] === undefined ? '' : typeof inp['data'] === 'string' || typeof inp['data'] === 'number' ? String(inp['data']) : undefined;
      if (data === undefined) return p.bad(`input ${i + 1}: data must be a string`);
      const type = inp['type'] ?? 'text';
      if (type !== 'hex' && type !== 'text') p.bad(`input ${i + 1}: type must be hex or text`);
      if (type === 'hex' && !/^(?:[0-9a-fA-F]{2})*$/.test(data.replace(/\s+/g, '')) && !data.includes('{{')) p.bad(`input ${i + 1}: data is not hex`);
      const read = inp['read'] === undefined ? 0 : Number(inp['read']);
      if (!Number.isInteger(read) || read < 0) p.bad(`input ${i + 1}: read must be a non-negative integer`);
      checkMarkers(data, p, `input ${i + 1}`, used);
      const name = typeof inp['name'] === 'string' ? inp['name'] : undefined;
      inputs.push({ data, hex: type === 'hex', read: Number.isInteger(read) ? read : 0, ...(name !== undefined ? { name } : {}) });
    });
  const readSize = r['read-size'] === undefined ? 1024 : Number(r['read-size']);
  if (!Number.isInteger(readSize) || readSize <= 0) p.bad('read-size must be a positive integer');
  const ports = commaList(r['port']) ?? [];
  const portNums = ports.map(Number);
  if (portNums.some((n) => !Number.isInteger(n) || n < 1 || n > 65535)) p.bad('port must list ports 1..65535');
  if (r['exclude-ports'] !== undefined) p.caveat('exclude-ports is ignored (the caller chooses targets)');
  const payloads = compilePayloads(r, ctx, p);
  const operators = compileOperators(r, 'data', p);
  return {
    kind: 'tcp',
    hosts,
    inputs,
    readSize: Number.isInteger(readSize) && readSize > 0 ? readSize : 1024,
    readAll: r['read-all'] === true,
    ports: portNums.filter((n) => Number.isInteger(n)),
    ...(payloads ? { payloads } : {}),
    operators,
  };
}

const SSL_KEYS = new Set(['id', 'name', 'address', 'min_version', 'max_version', 'cipher_suites', 'scan_mode', 'tls_version_enum', 'tls_cipher_enum', 'tls_cipher_types', 'matchers', 'matchers-condition', 'extractors']);
const TLS_NAMES = new Set<TlsVersionName>(['sslv3', 'tls10', 'tls11', 'tls12', 'tls13']);

function compileSsl(r: Obj, p: Problems, used: Set<string>): SslRequestSpec | undefined {
  for (const k of Object.keys(r)) if (!SSL_KEYS.has(k)) p.bad(`ssl request: unknown field "${k}"`);
  if (r['cipher_suites'] !== undefined) p.unsup('ssl cipher_suites selection is not supported');
  if (r['tls_version_enum'] === true || r['tls_cipher_enum'] === true) p.unsup('ssl version/cipher enumeration is not supported');
  const address = typeof r['address'] === 'string' ? r['address'] : '{{Host}}:{{Port}}';
  if (!/^\{\{(Host|Hostname)\}\}(:\{\{Port\}\}|:\d{1,5})?$/.test(address)) p.unsup(`ssl address "${address}" is not the target`);
  checkMarkers(address, p, 'address', used);
  const version = (k: string): TlsVersionName | undefined => {
    const v0 = r[k];
    if (v0 === undefined) return undefined;
    // tlsx (nuclei's TLS client) names SSL 3.0 "ssl30".
    const v = v0 === 'ssl30' ? 'sslv3' : v0;
    if (typeof v !== 'string' || !TLS_NAMES.has(v as TlsVersionName)) {
      p.bad(`${k} must be one of ${[...TLS_NAMES].join(', ')} (or ssl30)`);
      return undefined;
    }
    return v as TlsVersionName;
  };
  const minVersion = version('min_version');
  const maxVersion = version('max_version');
  if (minVersion === 'sslv3' || maxVersion === 'sslv3') p.caveat('SSLv3 handshakes are not possible with Node\'s OpenSSL: those requests never match');
  const operators = compileOperators(r, 'response', p);
  return { kind: 'ssl', address, ...(minVersion ? { minVersion } : {}), ...(maxVersion ? { maxVersion } : {}), operators };
}

/** Compiles one parsed YAML document. Never throws for template content; only for I/O bugs. */
export function compileTemplate(doc: unknown, ctx: CompileContext): CompileOutcome {
  const p = new Problems();
  if (!isObj(doc)) return { status: 'invalid', reasons: ['template is not a YAML mapping'], caveats: [] };
  const idRaw = doc['id'];
  const id = typeof idRaw === 'string' ? idRaw : undefined;
  if (id === undefined) p.bad('id is required');
  else if (!ID_RE.test(id)) p.bad(`id "${id}" must be letters/digits joined by - or _`);
  const info = parseInfo(doc['info'], p, doc['workflows'] !== undefined);
  for (const k of Object.keys(doc)) if (!TOP_KEYS.has(k)) p.bad(`unknown top-level field "${k}"`);

  walkStrings(doc, (s) => {
    if (/\{\{\s*interactsh-url\s*\}\}|interactsh_(protocol|request|response|ip)/.test(s)) p.unsup('interactsh (out-of-band callbacks) is not supported');
  });
  for (const [k, why] of Object.entries(UNSUPPORTED_PROTOCOLS)) if (doc[k] !== undefined) p.unsup(why);
  if (doc['self-contained'] === true) p.unsup('self-contained templates (fixed external targets) are not supported');
  if (doc['signature'] !== undefined) p.unsup('request signing (signature) is not supported');

  const protoKeys = (['http', 'requests', 'network', 'tcp', 'ssl'] as const).filter((k) => doc[k] !== undefined);
  const protocols = new Set(protoKeys.map((k) => (k === 'requests' ? 'http' : k === 'network' ? 'tcp' : k)));
  const foreign = Object.keys(UNSUPPORTED_PROTOCOLS).some((k) => doc[k] !== undefined);
  if (protocols.size === 0 && !foreign) p.bad('template has no requests (http, tcp/network or ssl)');
  if (protocols.size > 1 || (protocols.size === 1 && foreign)) p.unsup('multi-protocol templates are not supported');
  if (protoKeys.includes('http') && protoKeys.includes('requests')) p.bad('both http and requests are set');
  if (protoKeys.includes('network') && protoKeys.includes('tcp')) p.bad('both network and tcp are set');

  const used = new Set<string>();
  const defined = new Set<string>(BUILTIN_VARIABLES);
  const readVars = (key: 'variables' | 'constants'): [string, string][] => {
    const v = doc[key];
    if (v === undefined || v === null) return [];
    if (!isObj(v)) {
      p.bad(`${key} must be a mapping`);
      return [];
    }
    const out: [string, string][] = [];
    for (const [k, x] of Object.entries(v)) {
      if (!VARIABLE_NAME.test(k)) p.bad(`${key} name "${k}" is not a valid variable name`);
      if (typeof x !== 'string' && typeof x !== 'number' && typeof x !== 'boolean') {
        p.bad(`${key}.${k} must be a scalar`);
        continue;
      }
      out.push([k, String(x)]);
      checkMarkers(String(x), p, `${key}.${k}`, used);
      defined.add(k);
    }
    return out;
  };
  const constants = readVars('constants');
  const variables = readVars('variables');

  const protocol = [...protocols][0] as TemplateProtocol | undefined;
  const requests: RequestSpec[] = [];
  const blockIds: Array<string | undefined> = [];
  if (protocols.size === 1 && protoKeys.length === 1) {
    const list = doc[protoKeys[0]!];
    if (!Array.isArray(list) || list.length === 0) p.bad(`${protoKeys[0]} must be a non-empty list of requests`);
    else if (list.length > MAX_REQUESTS_PER_TEMPLATE) p.unsup(`more than ${MAX_REQUESTS_PER_TEMPLATE} request blocks`);
    else
      list.forEach((r: unknown, i) => {
        if (!isObj(r)) return p.bad(`request ${i + 1} is not a mapping`);
        const spec = protocol === 'http' ? compileHttp(r, ctx, p, used) : protocol === 'tcp' ? compileNetwork(r, ctx, p, used) : compileSsl(r, p, used);
        if (spec) {
          requests.push(spec);
          blockIds.push(typeof r['id'] === 'string' ? r['id'] : undefined);
          if (spec.kind !== 'ssl' && spec.payloads) for (const k of spec.payloads.sets.keys()) defined.add(k);
          for (const x of spec.operators.extractors) if (x.name !== undefined) defined.add(x.name);
          if (spec.kind === 'tcp') for (const inp of spec.inputs) if (inp.name) defined.add(inp.name);
        }
      });
  }
  const undefinedVariable = (u: string): void => {
    if (defined.has(u) || /^randstr(_\w+)?$/.test(u) || RESPONSE_VARIABLE.test(u)) return;
    p.caveat(`variable "${u}" is never defined: requests that use it are skipped`);
  };
  for (const u of used) {
    if (defined.has(u) || !DASHED_NAME.test(u)) {
      undefinedVariable(u);
      continue;
    }
    // {{a-b}} with no variable "a-b" is an expression, as nuclei evaluates it.
    if (!checkDsl(u, p, `{{${u}}}`, true)) continue;
    for (const v of dslNames(parseDsl(u)).variables) undefinedVariable(v);
  }

  let flow: TemplateFlow | undefined;
  if (doc['flow'] !== undefined) {
    const parsed = parseFlow(doc['flow'], requests.map((r, i) => ({ protocol: r.kind, ...(blockIds[i] !== undefined ? { id: blockIds[i] } : {}) })));
    if (parsed.kind === 'chain') flow = parsed.flow;
    else if (parsed.kind === 'unsupported') p.unsup(parsed.reason);
    else if (parsed.kind === 'invalid') p.bad(parsed.reason);
    // A chain over protocols the engine does not run (code(1) && code(2)) is unsupported for those.
    else if (!foreign) p.bad(`flow calls ${parsed.protocols.join('(), ')}() but the template has no such requests`);
  }

  const reasons = p.invalid.length > 0 ? p.invalid : p.unsupported;
  const status: TemplateStatus = p.invalid.length > 0 ? 'invalid' : p.unsupported.length > 0 ? 'unsupported' : 'supported';
  const base = {
    status,
    ...(id !== undefined ? { id } : {}),
    ...(info ? { info } : {}),
    ...(protocol ? { protocol } : {}),
    reasons: status === 'invalid' ? [...p.invalid, ...p.unsupported] : reasons,
    caveats: p.caveats,
  };
  if (status !== 'supported' || id === undefined || info === undefined || protocol === undefined) return base;
  return {
    ...base,
    template: {
      id,
      path: ctx.path,
      info,
      protocol,
      requests,
      variables,
      constants,
      stopAtFirstMatch: doc['stop-at-first-match'] === true,
      ...(flow ? { flow } : {}),
      intrusive: isIntrusive(info, requests),
    },
  };
}
