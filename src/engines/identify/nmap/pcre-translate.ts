import { PcreSyntaxError, setHas, setSize, otherCase, type ByteSet, type ParsedPcre, type PcreNode } from './pcre-ast.js';
import { parsePcre, type PcreFlags } from './pcre-parser.js';

/**
 * PCRE → JavaScript regex translation, exact for the 8-bit, ASCII-table PCRE that nmap uses:
 *
 * - Subjects are Latin-1 strings (one char per byte), so classes are emitted as explicit byte ranges
 *   (`\s` → [\t-\r ], never JS's Unicode-aware \s, which also matches 0xA0).
 * - Case folding is done here, ASCII only (`a` → [aA]); the JS `i` flag is avoided because it also
 *   folds Latin-1 letters (0xE0 ~ 0xC0), which PCRE's default tables do not. The one exception is a
 *   caseless back-reference, which needs the JS `i` flag (reported as `approximate`).
 * - `.` is [^\n] (PCRE's newline is LF; JS's `.` also excludes \r); with `s` every byte.
 * - `$`/`\Z` → (?=\n?$) (before a final newline, as PCRE); `\z` → $; `\A`/`\G` → ^ (we always
 *   match from offset 0, where \G is \A); multiline ^/$ become lookarounds on \n.
 * - Atomic groups and possessive quantifiers are emulated exactly with (?=(X))\k: a JS lookahead is
 *   atomic, and the back-reference then consumes what it matched. The helper groups are not PCRE
 *   groups, so `groupMap` maps PCRE group numbers to JS ones.
 *
 * Besides the source, the translation carries cheap prefilters (a literal prefix anchored at ^, and
 * the longest literal run every match must contain) so most of nmap's ~12k patterns are rejected
 * without running — or even compiling — a regex.
 */

export interface PcreTranslation {
  readonly ok: true;
  readonly source: string;
  /** '' normally; 'i' only for a caseless back-reference (approximate on Latin-1 letters). */
  readonly flags: string;
  /** groupMap[n] = JS group index of PCRE group n (groupMap[0] = 0). */
  readonly groupMap: readonly number[];
  readonly groupCount: number;
  /** Set when the JS regex may differ from PCRE on some inputs; says why. */
  readonly approximate?: string;
  /** Literal bytes every match starts with (pattern anchored at ^). */
  readonly prefix?: string;
  readonly prefixCaseless: boolean;
  /** A literal run every match contains (lower-cased when `requiredCaseless`). */
  readonly required?: string;
  readonly requiredCaseless: boolean;
  /**
   * All literal runs (2+ bytes) of the pattern's mandatory top-level sequence, in order: every match
   * contains them in this order without overlap (lower-cased when caseless).
   */
  readonly literals: readonly { readonly text: string; readonly caseless: boolean }[];
  /** Nested unbounded quantifiers ((a+)+ and the like): a backtracking risk. */
  readonly nestedQuantifiers: boolean;
}

export interface PcreTranslationFailure {
  readonly ok: false;
  readonly kind: 'invalid' | 'unsupported';
  readonly reason: string;
}

export type PcreTranslationResult = PcreTranslation | PcreTranslationFailure;

/** Parses and translates; never throws for any input string. */
export function translatePcre(pattern: string, flags: PcreFlags = {}): PcreTranslationResult {
  let parsed: ParsedPcre;
  try {
    parsed = parsePcre(pattern, flags);
  } catch (e) {
    if (e instanceof PcreSyntaxError) return { ok: false, kind: e.kind, reason: e.message };
    if (e instanceof RangeError) return { ok: false, kind: 'unsupported', reason: `pattern too complex (${e.message})` };
    throw e;
  }
  try {
    return emitTranslation(parsed);
  } catch (e) {
    if (e instanceof PcreSyntaxError) return { ok: false, kind: e.kind, reason: e.message };
    if (e instanceof RangeError) return { ok: false, kind: 'unsupported', reason: `pattern too complex (${e.message})` };
    throw e;
  }
}

/** PCRE option letters as nmap writes them after the closing delimiter. */
export function flagsFromLetters(letters: string): PcreFlags {
  return { caseless: letters.includes('i'), dotall: letters.includes('s') };
}

function hex2(c: number): string {
  return c.toString(16).padStart(2, '0');
}

function emitByte(c: number): string {
  if ((c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x5f) return String.fromCharCode(c);
  return `\\x${hex2(c)}`;
}

/** Emits a byte set as a JS class over the 0-255 range (subjects never hold larger code units). */
export function emitSet(bits: ByteSet): string {
  const n = setSize(bits);
  if (n === 256) return '[\\s\\S]';
  if (n === 0) return '[]';
  const negate = n > 128;
  const ranges: string[] = [];
  let c = 0;
  while (c < 256) {
    if (setHas(bits, c) !== negate) {
      let end = c;
      while (end + 1 < 256 && setHas(bits, end + 1) !== negate) end++;
      ranges.push(end === c ? emitByte(c) : end === c + 1 ? emitByte(c) + emitByte(end) : `${emitByte(c)}-${emitByte(end)}`);
      c = end + 1;
    } else c++;
  }
  if (!negate && n === 1) return ranges[0]!;
  return `[${negate ? '^' : ''}${ranges.join('')}]`;
}

interface EmitState {
  jsGroups: number;
  readonly groupMap: number[];
  needsIgnoreCase: boolean;
  approximate?: string;
  /** PCRE groups closed so far in a mandatory position: a back-reference to any other group may meet an unset group. */
  readonly closed: Set<number>;
  nested: boolean;
}

function emitTranslation(parsed: ParsedPcre): PcreTranslationResult {
  const st: EmitState = { jsGroups: 0, groupMap: [0], needsIgnoreCase: false, closed: new Set(), nested: false };
  const source = emit(parsed.root, st, ROOT_CTX);
  for (let g = 1; g <= parsed.groupCount; g++) if (st.groupMap[g] === undefined) st.groupMap[g] = -1;
  const pre = literalInfo(parsed.root);
  const result: PcreTranslation = {
    ok: true,
    source,
    flags: st.needsIgnoreCase ? 'i' : '',
    groupMap: st.groupMap,
    groupCount: parsed.groupCount,
    prefixCaseless: pre.prefixCaseless,
    requiredCaseless: pre.requiredCaseless,
    literals: pre.literals,
    nestedQuantifiers: st.nested,
    ...(pre.prefix ? { prefix: pre.prefix } : {}),
    ...(pre.required ? { required: pre.required } : {}),
    ...(st.approximate ? { approximate: st.approximate } : {}),
  };
  return result;
}

function isAtom(js: string, node: PcreNode): boolean {
  return node.type === 'char' || node.type === 'set' || node.type === 'backref' || (node.type === 'group' && node.kind !== 'atomic' && js.startsWith('('));
}

interface EmitCtx {
  /** Enclosing unbounded quantifiers (for the nested-quantifier flag). */
  readonly unbounded: number;
  /** Inside an alternative or a zero-minimum quantifier: a group closed here may stay unset. */
  readonly optional: boolean;
  /** Inside a repeated quantifier, and optional within one iteration (JS resets such captures). */
  readonly inRepeat: boolean;
  readonly optionalInRepeat: boolean;
}

const ROOT_CTX: EmitCtx = { unbounded: 0, optional: false, inRepeat: false, optionalInRepeat: false };

function emit(node: PcreNode, st: EmitState, ctx: EmitCtx): string {
  switch (node.type) {
    case 'empty':
      return '';
    case 'seq':
      return node.items.map((n) => emit(n, st, ctx)).join('');
    case 'alt':
      return node.branches.map((n) => emit(n, st, { ...ctx, optional: true, optionalInRepeat: ctx.inRepeat })).join('|');
    case 'char': {
      const other = node.caseless ? otherCase(node.code) : undefined;
      return other === undefined ? emitByte(node.code) : `[${emitByte(node.code)}${emitByte(other)}]`;
    }
    case 'set':
      return emitSet(node.bits);
    case 'newline-seq':
      return '(?:\\r\\n|\\r(?!\\n)|[\\n\\x0b\\x0c\\x85])';
    case 'assert':
      switch (node.kind) {
        case 'start':
          return '^';
        case 'end':
          return '(?=\\n?$)';
        case 'end-only':
          return '$';
        case 'line-start':
          return '(?:^|(?<=\\n)(?!$))';
        case 'line-end':
          return '(?=\\n|$)';
        case 'word-boundary':
          return '\\b';
        case 'not-word-boundary':
          return '\\B';
      }
      break;
    case 'backref': {
      if (node.caseless) {
        st.needsIgnoreCase = true;
        st.approximate ??= 'caseless back-reference uses the JS i flag (folds Latin-1 letters too)';
      }
      if (!st.closed.has(node.index)) st.approximate ??= `back-reference \\${node.index} may meet an unset group (JS matches empty, PCRE fails)`;
      const js = st.groupMap[node.index];
      if (js === undefined) {
        // Forward reference: the JS group number is not known yet. Rare enough to refuse.
        throw new PcreSyntaxError('unsupported', `forward back-reference \\${node.index}`, 0);
      }
      return `(?:\\${js})`;
    }
    case 'group': {
      switch (node.kind) {
        case 'capture': {
          const js = ++st.jsGroups;
          st.groupMap[node.index!] = js;
          const body = emit(node.body, st, ctx);
          if (!ctx.optional) st.closed.add(node.index!);
          if (ctx.optionalInRepeat) st.approximate ??= `group ${node.index} is optional inside a repetition (JS resets it per iteration, PCRE keeps the last value)`;
          return `(${body})`;
        }
        case 'noncapture':
          return `(?:${emit(node.body, st, ctx)})`;
        case 'atomic': {
          const helper = ++st.jsGroups;
          return `(?=(${emit(node.body, st, ctx)}))\\${helper}(?:)`;
        }
        case 'lookahead':
          return `(?=${emit(node.body, st, ctx)})`;
        case 'negative-lookahead':
          return `(?!${emit(node.body, st, ctx)})`;
        case 'lookbehind':
          return `(?<=${emit(node.body, st, ctx)})`;
        case 'negative-lookbehind':
          return `(?<!${emit(node.body, st, ctx)})`;
      }
      break;
    }
    case 'quant': {
      const unbounded = node.max === Infinity || node.max > 16;
      if (unbounded && ctx.unbounded > 0 && canRepeatNonEmpty(node.body)) st.nested = true;
      // A possessive quantifier's helper group opens before the body's groups: number it first.
      const helper = node.mode === 'possessive' ? ++st.jsGroups : 0;
      const repeats = node.max > 1;
      // JS refuses an optional iteration that matches empty (and so leaves its groups unset);
      // PCRE takes it. For `?` the alternation (?:X|) is exact; for repetitions it is flagged.
      const emptyCaptures = node.max > node.min && nullable(node.body) && hasCapture(node.body);
      if (emptyCaptures && repeats) {
        st.approximate ??= 'a group that can match empty inside a repetition (JS drops the final empty iteration, PCRE records it)';
      }
      const optionalOnce = emptyCaptures && node.min === 0 && node.max === 1;
      let body = emit(node.body, st, {
        unbounded: ctx.unbounded + (unbounded ? 1 : 0),
        optional: ctx.optional || node.min === 0,
        inRepeat: ctx.inRepeat || repeats,
        optionalInRepeat: ctx.inRepeat && (ctx.optionalInRepeat || node.min === 0),
      });
      if (optionalOnce) {
        const alt = node.mode === 'lazy' ? `(?:|${body})` : `(?:${body}|)`;
        return node.mode === 'possessive' ? `(?=(${alt}))\\${helper}(?:)` : alt;
      }
      if (!isAtom(body, node.body)) body = `(?:${body})`;
      const q = node.min === 0 && node.max === Infinity ? '*' : node.min === 1 && node.max === Infinity ? '+' : node.min === 0 && node.max === 1 ? '?' : node.max === Infinity ? `{${node.min},}` : node.min === node.max ? `{${node.min}}` : `{${node.min},${node.max}}`;
      if (node.mode === 'possessive') return `(?=(${body}${q}))\\${helper}(?:)`;
      return body + q + (node.mode === 'lazy' ? '?' : '');
    }
  }
  throw new Error('unreachable');
}

function nullable(n: PcreNode): boolean {
  switch (n.type) {
    case 'char':
    case 'set':
    case 'newline-seq':
      return false;
    case 'seq':
      return n.items.every(nullable);
    case 'alt':
      return n.branches.some(nullable);
    case 'quant':
      return n.min === 0 || nullable(n.body);
    case 'group':
      return n.kind === 'capture' || n.kind === 'noncapture' || n.kind === 'atomic' ? nullable(n.body) : true;
    default:
      return true;
  }
}

function hasCapture(n: PcreNode): boolean {
  switch (n.type) {
    case 'seq':
      return n.items.some(hasCapture);
    case 'alt':
      return n.branches.some(hasCapture);
    case 'quant':
      return hasCapture(n.body);
    case 'group':
      return n.kind === 'capture' || hasCapture(n.body);
    default:
      return false;
  }
}

function canRepeatNonEmpty(n: PcreNode): boolean {
  switch (n.type) {
    case 'char':
    case 'set':
    case 'newline-seq':
      return true;
    case 'quant':
      return n.max > 0 && canRepeatNonEmpty(n.body);
    case 'group':
      return n.kind === 'capture' || n.kind === 'noncapture' || n.kind === 'atomic' ? canRepeatNonEmpty(n.body) : false;
    case 'seq':
      return n.items.some(canRepeatNonEmpty);
    case 'alt':
      return n.branches.some(canRepeatNonEmpty);
    default:
      return false;
  }
}

/** A literal byte with its case variant, or undefined if the node is not a single literal. */
function literalOf(n: PcreNode): { code: number; caseless: boolean } | undefined {
  if (n.type === 'char') return { code: n.code, caseless: n.caseless };
  if (n.type === 'set') {
    const size = setSize(n.bits);
    if (size === 1 || size === 2) {
      const members: number[] = [];
      for (let c = 0; c < 256; c++) if (setHas(n.bits, c)) members.push(c);
      if (size === 1) return { code: members[0]!, caseless: false };
      if (otherCase(members[0]!) === members[1]) return { code: members[1]!, caseless: true };
    }
  }
  return undefined;
}

/** Items that must be matched in order, flattening unquantified single-branch groups. */
function mandatoryItems(n: PcreNode, out: PcreNode[]): void {
  if (n.type === 'seq') for (const i of n.items) mandatoryItems(i, out);
  else if (n.type === 'group' && (n.kind === 'capture' || n.kind === 'noncapture' || n.kind === 'atomic') && n.body.type !== 'alt') mandatoryItems(n.body, out);
  else out.push(n);
}

function asciiLower(s: string): string {
  return s.replace(/[A-Z]+/g, (m) => m.toLowerCase());
}

interface LiteralInfo {
  prefix?: string;
  prefixCaseless: boolean;
  required?: string;
  requiredCaseless: boolean;
  literals: { text: string; caseless: boolean }[];
}

function literalInfo(root: PcreNode): LiteralInfo {
  const items: PcreNode[] = [];
  mandatoryItems(root, items);
  const out: LiteralInfo = { prefixCaseless: false, requiredCaseless: false, literals: [] };
  if (items[0]?.type === 'assert' && items[0].kind === 'start') {
    let p = '';
    for (let i = 1; i < items.length; i++) {
      const lit = literalOf(items[i]!);
      if (!lit) break;
      p += String.fromCharCode(lit.code);
      out.prefixCaseless ||= lit.caseless;
    }
    if (p.length > 0) out.prefix = out.prefixCaseless ? asciiLower(p) : p;
  }
  let run = '';
  let runCaseless = false;
  const flush = (): void => {
    if (run.length >= 2) out.literals.push({ text: runCaseless ? asciiLower(run) : run, caseless: runCaseless });
    run = '';
    runCaseless = false;
  };
  for (const item of items) {
    const lit = literalOf(item);
    if (lit) {
      run += String.fromCharCode(lit.code);
      runCaseless ||= lit.caseless;
    } else if (item.type !== 'assert') flush();
  }
  flush();
  let best: { text: string; caseless: boolean } | undefined;
  for (const l of out.literals) if (!best || l.text.length > best.text.length) best = l;
  if (best) {
    out.required = best.text;
    out.requiredCaseless = best.caseless;
  }
  return out;
}
