/**
 * RE2 patterns from templates, run so that a hostile response cannot stall the scanner.
 *
 * Policy (why, not just what):
 * - Every pattern is parsed as RE2 (re2-syntax.ts) and re-emitted as a JavaScript pattern that uses no
 *   `i`/`s`/`u` flags. That subset is exactly what V8's linear-time engine accepts, so the pattern is
 *   compiled with the `l` flag (enabled below with --enable-experimental-regexp-engine): matching time
 *   is then linear in the input whatever the pattern — the same guarantee RE2 gives nuclei.
 * - Counted repetitions above 16 are split into chunks of at most 16 (the linear engine's replication
 *   limit) when the repeated item holds no capture group or repetition.
 * - A pattern the linear engine still refuses (or a Node without it) runs on the backtracking engine
 *   only when its shape cannot backtrack catastrophically — no repetition nested in another unbounded
 *   one, at most one unbounded repetition — and then only over the first 64 KiB of the input.
 *   Anything else is refused at load time, making the template unsupported with that reason.
 * - Inputs are capped in every case: 1 MiB (the response cap) for light patterns, less for heavy
 *   ones (see LINEAR_BUDGET), 64 KiB on the backtracking engine.
 */
import v8 from 'node:v8';
import { TrawlError } from '../../../errors/trawl-error.js';
import type { CodeRanges } from './code-ranges.js';
import { parseRe2, type Re2Node } from './re2-syntax.js';

export const MAX_REGEX_INPUT = 1 << 20;
export const MAX_BACKTRACKING_INPUT = 64 * 1024;
const LINEAR_REPLICATION = 16;
/**
 * The linear engine simulates every NFA state at every input position, and a character class costs
 * about RANGE_WEIGHT states per range, so time ≈ weight(pattern) × input length (≈10 ns per unit). The input searched is capped at
 * LINEAR_BUDGET / weight (≈ a quarter second at worst), and patterns heavier than MAX_WEIGHT are refused.
 */
const LINEAR_BUDGET = 25_000_000;
const MAX_WEIGHT = 100_000;
const MIN_LINEAR_INPUT = 1024;
/** Measured: each range of a large class costs the linear engine about twenty literals. */
const RANGE_WEIGHT = 20;

let linearAvailable = false;
try {
  v8.setFlagsFromString('--enable-experimental-regexp-engine');
  linearAvailable = new RegExp('a', 'l').test('a');
} catch {
  linearAvailable = false;
}

/** True when this Node accepts the `l` (linear-time) RegExp flag. */
export function linearEngineAvailable(): boolean {
  return linearAvailable;
}

export interface RegexMatch {
  readonly index: number;
  /** Group 0 is the whole match. */
  readonly groups: string[];
}

export interface GuardedRegex {
  /** The RE2 pattern as written in the template. */
  readonly pattern: string;
  /** The JavaScript pattern it became. */
  readonly jsSource: string;
  readonly jsFlags: string;
  readonly engine: 'linear' | 'backtracking';
  /** Only this many leading UTF-16 units of an input are searched. */
  readonly inputCap: number;
  readonly groupCount: number;
  test(input: string): boolean;
  /** Every non-overlapping match with its groups (undefined groups as ''), at most `limit`. */
  matchAll(input: string, limit: number): RegexMatch[];
  /** The first match with groups, or null. */
  exec(input: string): string[] | null;
}

function hex4(n: number): string {
  return `\\u${n.toString(16).padStart(4, '0')}`;
}

function unit(n: number): string {
  return /[A-Za-z0-9]/.test(String.fromCharCode(n)) ? String.fromCharCode(n) : hex4(n);
}

function classSource(ranges: CodeRanges): string {
  if (ranges.length === 0) return '[]';
  if (ranges.length === 1 && ranges[0]![0] === 0 && ranges[0]![1] === 0xffff) return '[\\s\\S]';
  const body = (rs: CodeRanges): string => rs.map(([a, b]) => (a === b ? unit(a) : b === a + 1 ? unit(a) + unit(b) : `${unit(a)}-${unit(b)}`)).join('');
  // The complement is often far shorter ([^\n] rather than two huge ranges).
  const comp: [number, number][] = [];
  let next = 0;
  for (const [a, b] of ranges) {
    if (a > next) comp.push([next, a - 1]);
    next = b + 1;
  }
  if (next <= 0xffff) comp.push([next, 0xffff]);
  if (comp.length < ranges.length) return `[^${body(comp)}]`;
  if (ranges.length === 1 && ranges[0]![0] === ranges[0]![1]) return unit(ranges[0]![0]);
  return `[${body(ranges)}]`;
}

interface EmitOptions {
  /** Emit ^/$ in multiline meaning (JS `m` flag); \A and \z then need lookarounds. */
  readonly multiline: boolean;
  /** Split big counted repetitions for the linear engine. */
  readonly chunk: boolean;
}

function hasCaptureOrRep(n: Re2Node): boolean {
  switch (n.t) {
    case 'group':
      return n.capture || hasCaptureOrRep(n.body);
    case 'rep':
      return true;
    case 'cat':
      return n.items.some(hasCaptureOrRep);
    case 'alt':
      return n.alts.some(hasCaptureOrRep);
    default:
      return false;
  }
}

function emit(n: Re2Node, o: EmitOptions): string {
  switch (n.t) {
    case 'lit':
      if (n.cp > 0xffff) {
        const s = String.fromCodePoint(n.cp);
        return `(?:${hex4(s.charCodeAt(0))}${hex4(s.charCodeAt(1))})`;
      }
      return unit(n.cp);
    case 'class':
      return classSource(n.ranges);
    case 'bot':
      return o.multiline ? '(?<![\\s\\S])' : '^';
    case 'eot':
      return o.multiline ? '(?![\\s\\S])' : '$';
    case 'bol':
      return '^';
    case 'eol':
      return '$';
    case 'wb':
      return '\\b';
    case 'nwb':
      return '\\B';
    case 'group':
      return n.capture ? `(${emit(n.body, o)})` : `(?:${emit(n.body, o)})`;
    case 'cat':
      return n.items.map((i) => (i.t === 'alt' ? `(?:${emit(i, o)})` : emit(i, o))).join('');
    case 'alt':
      return n.alts.map((a) => emit(a, o)).join('|');
    case 'rep': {
      const body = atom(n.body, o);
      const lazy = n.greedy ? '' : '?';
      const q = (min: number, max: number): string => {
        if (min === 0 && max === -1) return '*';
        if (min === 1 && max === -1) return '+';
        if (min === 0 && max === 1) return '?';
        if (max === -1) return `{${min},}`;
        return min === max ? `{${min}}` : `{${min},${max}}`;
      };
      const big = n.min > LINEAR_REPLICATION || n.max > LINEAR_REPLICATION;
      if (!o.chunk || !big || hasCaptureOrRep(n.body)) return body + q(n.min, n.max) + lazy;
      const parts: string[] = [];
      for (let left = n.min; left > 0; left -= LINEAR_REPLICATION) parts.push(`${body}{${Math.min(left, LINEAR_REPLICATION)}}`);
      if (n.max === -1) parts.push(`${body}*${lazy}`);
      else for (let left = n.max - n.min; left > 0; left -= LINEAR_REPLICATION) parts.push(`${body}{0,${Math.min(left, LINEAR_REPLICATION)}}${lazy}`);
      return `(?:${parts.join('')})`;
    }
  }
}

function atom(n: Re2Node, o: EmitOptions): string {
  if (n.t === 'lit' || n.t === 'class' || n.t === 'group') return emit(n, o);
  return `(?:${emit(n, o)})`;
}

/** Approximate NFA size of the emitted pattern (what the linear engine pays per input character). */
export function linearWeight(n: Re2Node): number {
  switch (n.t) {
    case 'lit':
      return 1;
    case 'class': {
      // Emitted as the shorter of the set and its complement.
      let comp = 0;
      let next = 0;
      for (const [a, b] of n.ranges) {
        if (a > next) comp++;
        next = b + 1;
      }
      if (next <= 0xffff) comp++;
      const ranges = Math.min(n.ranges.length, comp);
      // Small classes such as [Tt] (from (?i)) cost about one literal per range; big ones far more.
      return ranges <= 4 ? Math.max(1, ranges) : ranges * RANGE_WEIGHT;
    }
    case 'group':
      return linearWeight(n.body) + 1;
    case 'cat':
      return n.items.reduce((a, i) => a + linearWeight(i), 0);
    case 'alt':
      return n.alts.reduce((a, i) => a + linearWeight(i), 1);
    case 'rep': {
      // Measured: threads living across positions (unbounded loops) and capture registers copied
      // inside repetitions cost several times their size.
      const body = linearWeight(n.body) * (n.max === -1 ? 8 : 1) * (hasCapture(n.body) ? 8 : 1);
      return body * Math.max(1, n.max === -1 ? Math.max(1, n.min) : n.max) + 1;
    }
    default:
      return 1;
  }
}

function hasCapture(n: Re2Node): boolean {
  return uses(n, (x) => x.t === 'group' && x.capture);
}

function uses(n: Re2Node, pred: (x: Re2Node) => boolean): boolean {
  if (pred(n)) return true;
  switch (n.t) {
    case 'group':
    case 'rep':
      return uses(n.body, pred);
    case 'cat':
      return n.items.some((i) => uses(i, pred));
    case 'alt':
      return n.alts.some((a) => uses(a, pred));
    default:
      return false;
  }
}

/** Why a pattern would be unsafe on a backtracking engine, or undefined when its shape is tame. */
function backtrackingHazard(root: Re2Node): string | undefined {
  let unbounded = 0;
  let hazard: string | undefined;
  const walk = (n: Re2Node, insideRep: boolean): void => {
    switch (n.t) {
      case 'rep': {
        if (n.max === -1) unbounded++;
        if (insideRep && (n.max === -1 || n.max > 1)) hazard ??= 'nested repetition (catastrophic backtracking)';
        walk(n.body, insideRep || n.max === -1 || n.max > 1);
        return;
      }
      case 'group':
        walk(n.body, insideRep);
        return;
      case 'cat':
        n.items.forEach((i) => walk(i, insideRep));
        return;
      case 'alt':
        if (insideRep) hazard ??= 'alternation inside a repetition (catastrophic backtracking)';
        n.alts.forEach((a) => walk(a, insideRep));
        return;
      default:
        return;
    }
  };
  walk(root, false);
  if (hazard) return hazard;
  if (unbounded > 1) return 'several unbounded repetitions (polynomial backtracking)';
  return undefined;
}

const cache = new Map<string, GuardedRegex>();
const CACHE_MAX = 4096;

/**
 * Compiles an RE2 pattern under the policy above. Throws TrawlError(TRAWL_E_VALIDATION) naming the
 * pattern when it is not valid RE2 or cannot be run safely.
 */
export function compileRe2(pattern: string): GuardedRegex {
  const hit = cache.get(pattern);
  if (hit) return hit;
  const { root, groups } = parseRe2(pattern);
  const weight = linearWeight(root);
  if (weight > MAX_WEIGHT) {
    throw new TrawlError('TRAWL_E_VALIDATION', `regex ${JSON.stringify(pattern.slice(0, 80))} is too complex to run safely (weight ${weight} > ${MAX_WEIGHT})`, { pattern: pattern.slice(0, 200) });
  }
  const multiline = uses(root, (x) => x.t === 'bol' || x.t === 'eol');
  const flags = `g${multiline ? 'm' : ''}`;
  let re: RegExp | undefined;
  let engine: GuardedRegex['engine'] = 'linear';
  let source = emit(root, { multiline, chunk: true });
  if (linearAvailable) {
    try {
      re = new RegExp(source, `${flags}l`);
    } catch {
      re = undefined;
    }
  }
  if (re === undefined) {
    const hazard = backtrackingHazard(root);
    if (hazard !== undefined) {
      throw new TrawlError('TRAWL_E_VALIDATION', `regex ${JSON.stringify(pattern.slice(0, 80))} cannot run in linear time and has ${hazard}`, { pattern: pattern.slice(0, 200) });
    }
    source = emit(root, { multiline, chunk: false });
    engine = 'backtracking';
    try {
      re = new RegExp(source, flags);
    } catch (e) {
      throw new TrawlError('TRAWL_E_VALIDATION', `regex ${JSON.stringify(pattern.slice(0, 80))} could not be translated: ${(e as Error).message}`, { pattern: pattern.slice(0, 200) });
    }
  }
  const inputCap = engine === 'linear' ? Math.min(MAX_REGEX_INPUT, Math.max(MIN_LINEAR_INPUT, Math.floor(LINEAR_BUDGET / weight))) : MAX_BACKTRACKING_INPUT;
  const compiled = re;
  const cut = (s: string): string => (s.length > inputCap ? s.slice(0, inputCap) : s);
  const groupsOf = (m: RegExpExecArray): string[] => Array.from({ length: groups + 1 }, (_, k) => m[k] ?? '');
  const g: GuardedRegex = {
    pattern,
    jsSource: source,
    jsFlags: compiled.flags,
    engine,
    inputCap,
    groupCount: groups,
    test(input) {
      compiled.lastIndex = 0;
      const r = compiled.test(cut(input));
      compiled.lastIndex = 0;
      return r;
    },
    exec(input) {
      compiled.lastIndex = 0;
      const m = compiled.exec(cut(input));
      compiled.lastIndex = 0;
      return m ? groupsOf(m) : null;
    },
    matchAll(input, limit) {
      const s = cut(input);
      const out: RegexMatch[] = [];
      compiled.lastIndex = 0;
      while (out.length < limit) {
        const m = compiled.exec(s);
        if (!m) break;
        out.push({ index: m.index, groups: groupsOf(m) });
        if (m[0] === '') compiled.lastIndex++;
        if (compiled.lastIndex > s.length) break;
      }
      compiled.lastIndex = 0;
      return out;
    },
  };
  if (cache.size >= CACHE_MAX) cache.clear();
  cache.set(pattern, g);
  return g;
}
