/**
 * Evaluates parsed DSL expressions. Strictly typed like govaluate (== compares type and value,
 * && needs booleans), with `+` concatenating when either side is a string. Every evaluation has a
 * step budget, and every string result is size-checked by the helpers, so a template cannot make
 * one expression run long or grow memory without bound.
 */
import { TrawlError } from '../../../errors/trawl-error.js';
import { compileRe2 } from '../regex/guarded-regex.js';
import { DSL_FUNCTIONS, DslRuntimeError } from './dsl-functions.js';
import { type DslNode, dslError, parseDsl } from './dsl-parser.js';
import { type DslValue, MAX_DSL_STRING, dslEquals, toDslString } from './dsl-value.js';
import { canonicalDsl } from './dsl-bytes.js';

const MAX_STEPS = 100_000;

/** A variable the expression needs is not defined: requests holding one are skipped, as in nuclei. */
export class DslUnresolvedError extends TrawlError {
  readonly variable: string;
  constructor(variable: string) {
    super('TRAWL_E_VALIDATION', `unresolved variable "${variable}"`, { variable });
    this.variable = variable;
  }
}

export type DslLookup = (name: string) => DslValue | undefined;

export interface DslEvalOptions {
  /** Allow rand_* helpers (building requests); matchers and extractors must be deterministic. */
  readonly allowRandom?: boolean;
}

const parsedCache = new Map<string, DslNode>();

/** Parses with a small cache (templates evaluate the same expressions for every response). */
export function parseCached(expr: string): DslNode {
  const hit = parsedCache.get(expr);
  if (hit) return hit;
  const node = parseDsl(expr);
  if (parsedCache.size > 10_000) parsedCache.clear();
  parsedCache.set(expr, node);
  return node;
}

/**
 * Evaluates `expr`. Throws DslUnresolvedError for an undefined variable and TrawlError
 * (TRAWL_E_VALIDATION) for anything else that goes wrong; never anything else.
 */
export function evaluateDsl(expr: string, lookup: DslLookup, opts: DslEvalOptions = {}): DslValue {
  const root = parseCached(expr);
  let steps = 0;
  const fail = (why: string): never => {
    throw dslError(expr, why);
  };
  const num = (v: DslValue, op: string): number => {
    if (typeof v !== 'number') fail(`operator ${op} needs numbers, got ${typeof v === 'string' ? 'string' : JSON.stringify(v)}`);
    return v as number;
  };
  const bool = (v: DslValue, op: string): boolean => {
    if (typeof v !== 'boolean') fail(`operator ${op} needs booleans`);
    return v as boolean;
  };
  const int32 = (v: DslValue, op: string): number => {
    const n = num(v, op);
    if (!Number.isInteger(n)) fail(`operator ${op} needs integers`);
    return n;
  };

  const ev = (n: DslNode): DslValue => {
    if (++steps > MAX_STEPS) fail(`more than ${MAX_STEPS} evaluation steps`);
    switch (n.k) {
      case 'num':
      case 'str':
      case 'bool':
        return n.v;
      case 'null':
        return null;
      case 'var': {
        const v = lookup(n.name);
        if (v === undefined) throw new DslUnresolvedError(n.name);
        return v;
      }
      case 'list':
        return n.items.map(ev);
      case 'cond':
        return bool(ev(n.c), '?:') ? ev(n.a) : ev(n.b);
      case 'unary': {
        const x = ev(n.x);
        if (n.op === '!') return !bool(x, '!');
        if (n.op === '-') return -num(x, '-');
        return ~int32(x, '~');
      }
      case 'call': {
        const f = Object.hasOwn(DSL_FUNCTIONS, n.fn) ? DSL_FUNCTIONS[n.fn] : undefined;
        if (f === undefined) fail(`unknown function ${n.fn}()`);
        const fn = f!;
        if (fn.random && !opts.allowRandom) fail(`${n.fn}() is random and cannot be used in matchers or extractors`);
        if (n.args.length < fn.min || (fn.max >= 0 && n.args.length > fn.max)) {
          fail(`${n.fn}() takes ${fn.max === fn.min ? fn.min : fn.max < 0 ? `at least ${fn.min}` : `${fn.min}..${fn.max}`} arguments, got ${n.args.length}`);
        }
        const args = n.args.map(ev);
        try {
          return fn.fn(args);
        } catch (e) {
          if (e instanceof TrawlError) throw e;
          if (e instanceof DslRuntimeError) fail(`${n.fn}(): ${e.message}`);
          fail(`${n.fn}() failed: ${e instanceof Error ? e.message : String(e)}`);
        }
        return null;
      }
      case 'bin':
        return binary(n.op, n.a, n.b);
    }
  };

  const binary = (op: string, an: DslNode, bn: DslNode): DslValue => {
    if (op === '&&') return bool(ev(an), op) ? bool(ev(bn), op) : false;
    if (op === '||') return bool(ev(an), op) ? true : bool(ev(bn), op);
    if (op === '??') {
      let a: DslValue;
      try {
        a = ev(an);
      } catch (e) {
        if (!(e instanceof DslUnresolvedError)) throw e;
        a = null;
      }
      return a === null ? ev(bn) : a;
    }
    const a = ev(an);
    const b = ev(bn);
    switch (op) {
      case '+': {
        if (typeof a === 'number' && typeof b === 'number') return a + b;
        const s = toDslString(a) + toDslString(b);
        if (s.length > MAX_DSL_STRING) fail('string too long');
        return canonicalDsl(s); // escaped bytes meeting at the seam may form a character
      }
      case '-':
        return num(a, op) - num(b, op);
      case '*':
        return num(a, op) * num(b, op);
      case '/': {
        const d = num(b, op);
        if (d === 0) fail('division by zero');
        return num(a, op) / d;
      }
      case '%': {
        const d = num(b, op);
        if (d === 0) fail('modulo by zero');
        return num(a, op) % d;
      }
      case '**':
        return num(a, op) ** num(b, op);
      case '==':
        return dslEquals(a, b);
      case '!=':
        return !dslEquals(a, b);
      case '<':
      case '<=':
      case '>':
      case '>=': {
        let c: number;
        if (typeof a === 'number' && typeof b === 'number') c = a - b;
        else if (typeof a === 'string' && typeof b === 'string') c = a < b ? -1 : a > b ? 1 : 0;
        else return fail(`operator ${op} compares numbers or strings, not a mix`);
        return op === '<' ? c < 0 : op === '<=' ? c <= 0 : op === '>' ? c > 0 : c >= 0;
      }
      case '=~':
        return compileRe2(toDslString(b)).test(toDslString(a));
      case '!~':
        return !compileRe2(toDslString(b)).test(toDslString(a));
      case 'in': {
        if (!Array.isArray(b)) fail('operator in needs a list on its right');
        return (b as readonly DslValue[]).some((x) => dslEquals(a, x));
      }
      case '&':
        return int32(a, op) & int32(b, op);
      case '|':
        return int32(a, op) | int32(b, op);
      case '^':
        return int32(a, op) ^ int32(b, op);
      case '<<':
        return int32(a, op) << int32(b, op);
      case '>>':
        return int32(a, op) >> int32(b, op);
      default:
        return fail(`unknown operator ${op}`);
    }
  };

  return ev(root);
}

/** Matcher semantics: only a boolean true counts; errors and unresolved variables are false. */
export function dslIsTrue(expr: string, lookup: DslLookup): boolean {
  try {
    return evaluateDsl(expr, lookup) === true;
  } catch (e) {
    if (e instanceof TrawlError) return false;
    throw e;
  }
}

export { parseDsl };
