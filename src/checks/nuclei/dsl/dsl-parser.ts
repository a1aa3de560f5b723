/**
 * Parser for nuclei's DSL (the govaluate expression language plus nuclei's helper functions).
 * Hand-written precedence climbing over a token list — no eval, no Function. Bounded: expression
 * length, token count and nesting depth are capped so a hostile template cannot exhaust the stack.
 *
 * Precedence, lowest first (as govaluate): ?: , ?? , || , && , comparators (== != < <= > >= =~ !~ in),
 * | , ^ , & , << >> , + - , * / % , ** , prefix (! - ~), call/primary.
 */
import { TrawlError } from '../../../errors/trawl-error.js';
import { canonicalDsl } from './dsl-bytes.js';

export const MAX_EXPRESSION_LENGTH = 16 * 1024;
const MAX_TOKENS = 4096;
const MAX_DEPTH = 64;
const MAX_ARGS = 64;

export type DslNode =
  | { readonly k: 'num'; readonly v: number }
  | { readonly k: 'str'; readonly v: string }
  | { readonly k: 'bool'; readonly v: boolean }
  | { readonly k: 'null' }
  | { readonly k: 'var'; readonly name: string }
  | { readonly k: 'call'; readonly fn: string; readonly args: readonly DslNode[] }
  | { readonly k: 'unary'; readonly op: '!' | '-' | '~'; readonly x: DslNode }
  | { readonly k: 'bin'; readonly op: string; readonly a: DslNode; readonly b: DslNode }
  | { readonly k: 'cond'; readonly c: DslNode; readonly a: DslNode; readonly b: DslNode }
  | { readonly k: 'list'; readonly items: readonly DslNode[] };

type Tok =
  | { readonly t: 'num'; readonly v: number; readonly at: number }
  | { readonly t: 'str'; readonly v: string; readonly at: number }
  | { readonly t: 'id'; readonly v: string; readonly at: number }
  | { readonly t: 'op'; readonly v: string; readonly at: number };

export function dslError(expr: string, why: string): TrawlError {
  const shown = expr.length > 120 ? `${expr.slice(0, 120)}…` : expr;
  return new TrawlError('TRAWL_E_VALIDATION', `DSL expression ${JSON.stringify(shown)}: ${why}`, { expression: expr.slice(0, 500) });
}

const OPS = ['**', '==', '!=', '<=', '>=', '=~', '!~', '&&', '||', '??', '<<', '>>', '+', '-', '*', '/', '%', '<', '>', '!', '~', '&', '|', '^', '?', ':', '(', ')', ',', '[', ']'];

function tokenize(src: string): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  while (i < src.length) {
    if (out.length > MAX_TOKENS) throw dslError(src, `more than ${MAX_TOKENS} tokens`);
    const c = src[i]!;
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      i++;
      continue;
    }
    const at = i;
    if (/[0-9]/.test(c) || (c === '.' && /[0-9]/.test(src[i + 1] ?? ''))) {
      const m = /^(0[xX][0-9a-fA-F]+|(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)/.exec(src.slice(i, i + 64));
      if (!m) throw dslError(src, `bad number at ${i}`);
      out.push({ t: 'num', v: Number(m[1]), at });
      i += m[1]!.length;
      continue;
    }
    if (c === '"' || c === "'" || c === '`') {
      let v = '';
      i++;
      let closed = false;
      while (i < src.length) {
        const d = src[i]!;
        if (d === c) {
          closed = true;
          i++;
          break;
        }
        if (d === '\\' && c !== '`' && i + 1 < src.length) {
          const e = src[i + 1]!;
          const map: Record<string, string> = { n: '\n', r: '\r', t: '\t', '\\': '\\', '"': '"', "'": "'", '0': '\0' };
          if (e === 'x' && /^[0-9a-fA-F]{2}$/.test(src.slice(i + 2, i + 4))) {
            // A byte, as in a Go string literal: "\xff" is the byte 0xFF (escaped, see dsl-bytes.ts).
            const byte = Number.parseInt(src.slice(i + 2, i + 4), 16);
            v += String.fromCharCode(byte < 0x80 ? byte : 0xdc00 | byte);
            i += 4;
            continue;
          }
          // Unknown escapes keep their backslash: regex patterns in DSL strings rely on it ("\d").
          v += map[e] ?? `\\${e}`;
          i += 2;
          continue;
        }
        v += d;
        i++;
      }
      if (!closed) throw dslError(src, `unterminated string starting at ${at}`);
      out.push({ t: 'str', v: canonicalDsl(v), at });
      continue;
    }
    if (/[A-Za-z_$]/.test(c)) {
      const m = /^[A-Za-z_$][A-Za-z0-9_$.]*/.exec(src.slice(i, i + 256))!;
      let name = m[0];
      // Trailing dots are not part of a name.
      while (name.endsWith('.')) name = name.slice(0, -1);
      out.push({ t: 'id', v: name, at });
      i += name.length;
      continue;
    }
    const op = OPS.find((o) => src.startsWith(o, i));
    if (!op) throw dslError(src, `unexpected character ${JSON.stringify(c)} at ${i}`);
    // govaluate's [escaped-name] variable syntax: a bracket directly holding a name with dashes etc.
    if (op === '[') {
      const m = /^\[([A-Za-z_][A-Za-z0-9_.\-]*)\]/.exec(src.slice(i, i + 256));
      const prev = out[out.length - 1];
      const afterValue = prev !== undefined && (prev.t !== 'op' || prev.v === ')' || prev.v === ']');
      if (m && !afterValue) {
        out.push({ t: 'id', v: m[1]!, at });
        i += m[0].length;
        continue;
      }
    }
    out.push({ t: 'op', v: op, at });
    i += op.length;
  }
  return out;
}

const BINARY_LEVELS: readonly (readonly string[])[] = [
  ['??'],
  ['||'],
  ['&&'],
  ['==', '!=', '<', '<=', '>', '>=', '=~', '!~', 'in'],
  ['|'],
  ['^'],
  ['&'],
  ['<<', '>>'],
  ['+', '-'],
  ['*', '/', '%'],
  ['**'],
];

/** Parses one expression. Throws TrawlError(TRAWL_E_VALIDATION) on bad syntax or exceeded bounds. */
export function parseDsl(src: string): DslNode {
  if (src.length > MAX_EXPRESSION_LENGTH) throw dslError(src, `longer than ${MAX_EXPRESSION_LENGTH} characters`);
  const toks = tokenize(src);
  let p = 0;
  let depth = 0;

  const peek = (): Tok | undefined => toks[p];
  const isOp = (v: string): boolean => {
    const t = toks[p];
    return t !== undefined && ((t.t === 'op' && t.v === v) || (v === 'in' && t.t === 'id' && t.v === 'in'));
  };
  const expectOp = (v: string): void => {
    if (!isOp(v)) {
      const t = peek();
      throw dslError(src, t ? `expected "${v}" at ${t.at}` : `expected "${v}" at end`);
    }
    p++;
  };
  const enter = (): void => {
    if (++depth > MAX_DEPTH) throw dslError(src, `nested deeper than ${MAX_DEPTH}`);
  };

  const ternary = (): DslNode => {
    enter();
    const c = binary(0);
    let out = c;
    if (isOp('?')) {
      p++;
      const a = ternary();
      expectOp(':');
      const b = ternary();
      out = { k: 'cond', c, a, b };
    }
    depth--;
    return out;
  };

  const binary = (level: number): DslNode => {
    if (level >= BINARY_LEVELS.length) return unary();
    enter();
    let left = binary(level + 1);
    for (;;) {
      const op = BINARY_LEVELS[level]!.find((o) => isOp(o));
      if (op === undefined) break;
      p++;
      // ** is right-associative; everything else left.
      const right = op === '**' ? binary(level) : binary(level + 1);
      left = { k: 'bin', op, a: left, b: right };
    }
    depth--;
    return left;
  };

  const unary = (): DslNode => {
    const t = peek();
    if (t && t.t === 'op' && (t.v === '!' || t.v === '-' || t.v === '~')) {
      p++;
      enter();
      const x = unary();
      depth--;
      if (t.v === '-' && x.k === 'num') return { k: 'num', v: -x.v };
      return { k: 'unary', op: t.v, x };
    }
    return primary();
  };

  const primary = (): DslNode => {
    const t = peek();
    if (!t) throw dslError(src, 'unexpected end of expression');
    p++;
    if (t.t === 'num') return { k: 'num', v: t.v };
    if (t.t === 'str') return { k: 'str', v: t.v };
    if (t.t === 'id') {
      if (t.v === 'true' || t.v === 'false') return { k: 'bool', v: t.v === 'true' };
      if (t.v === 'nil' || t.v === 'null') return { k: 'null' };
      if (isOp('(')) {
        p++;
        const args: DslNode[] = [];
        if (!isOp(')')) {
          for (;;) {
            args.push(ternary());
            if (args.length > MAX_ARGS) throw dslError(src, `more than ${MAX_ARGS} arguments`);
            if (isOp(',')) {
              p++;
              continue;
            }
            break;
          }
        }
        expectOp(')');
        return { k: 'call', fn: t.v, args };
      }
      return { k: 'var', name: t.v };
    }
    if (t.v === '(') {
      enter();
      const first = ternary();
      // govaluate accepts (a, b) as an array literal, used with `in`.
      if (isOp(',')) {
        const items = [first];
        while (isOp(',')) {
          p++;
          items.push(ternary());
          if (items.length > MAX_ARGS) throw dslError(src, `more than ${MAX_ARGS} list items`);
        }
        expectOp(')');
        depth--;
        return { k: 'list', items };
      }
      expectOp(')');
      depth--;
      return first;
    }
    throw dslError(src, `unexpected "${t.v}" at ${t.at}`);
  };

  if (toks.length === 0) throw dslError(src, 'empty expression');
  const root = ternary();
  if (p < toks.length) throw dslError(src, `unexpected "${toks[p]!.t === 'str' ? 'string' : String(toks[p]!.v)}" at ${toks[p]!.at}`);
  return root;
}

/** Every function name and variable name an expression uses (for load-time checks). */
export function dslNames(node: DslNode): { functions: Set<string>; variables: Set<string> } {
  const functions = new Set<string>();
  const variables = new Set<string>();
  const walk = (n: DslNode): void => {
    switch (n.k) {
      case 'call':
        functions.add(n.fn);
        n.args.forEach(walk);
        return;
      case 'var':
        variables.add(n.name);
        return;
      case 'unary':
        walk(n.x);
        return;
      case 'bin':
        walk(n.a);
        walk(n.b);
        return;
      case 'cond':
        walk(n.c);
        walk(n.a);
        walk(n.b);
        return;
      case 'list':
        n.items.forEach(walk);
        return;
      default:
        return;
    }
  };
  walk(node);
  return { functions, variables };
}
