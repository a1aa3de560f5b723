/**
 * nuclei's `flow:` is a JavaScript program that calls protocol functions (`http(1)`, `tcp("login")`)
 * and decides what runs next. The engine has no script runtime, so it accepts only the shape most
 * templates use — a chain of such calls joined by `&&` (run in order, stop at the first that fails)
 * or by `||` (stop at the first that succeeds) — and reports anything else as unsupported.
 */
import type { TemplateFlow, TemplateProtocol } from './template-types.js';

/** What a flow refers to: the template's blocks with their protocol and optional `id`. */
export interface FlowBlock {
  readonly protocol: TemplateProtocol;
  readonly id?: string;
}

export type FlowParse =
  | { readonly kind: 'chain'; readonly flow: TemplateFlow }
  /** A valid-looking chain that names protocols this engine does not run (code(1) && code(2)). */
  | { readonly kind: 'foreign'; readonly protocols: readonly string[] }
  | { readonly kind: 'unsupported'; readonly reason: string }
  | { readonly kind: 'invalid'; readonly reason: string };

const MAX_FLOW = 4096;
const MAX_STEPS = 100;
/** nuclei's protocol function names for the protocols this engine runs. */
const PROTOCOL_OF: Readonly<Record<string, TemplateProtocol>> = { http: 'http', tcp: 'tcp', network: 'tcp', ssl: 'ssl' };
/** nuclei protocols the engine does not run; a chain over them is judged by those protocols. */
const OTHER_PROTOCOLS: ReadonlySet<string> = new Set(['dns', 'file', 'headless', 'websocket', 'whois', 'code', 'javascript']);
const CALL = /^\s*([A-Za-z_][A-Za-z0-9_]*)\s*\(\s*((?:"[^"\\\n]*"|'[^'\\\n]*'|[0-9]+)(?:\s*,\s*(?:"[^"\\\n]*"|'[^'\\\n]*'|[0-9]+))*)?\s*\)\s*/;

export const FLOW_SCRIPT_REASON = 'flow scripts are not supported (only chains such as http(1) && http(2) or http(1) || http(2))';

/** Parses a flow into a chain of steps over `blocks` (indices into the template's request list). */
export function parseFlow(source: unknown, blocks: readonly FlowBlock[]): FlowParse {
  if (typeof source !== 'string') return { kind: 'invalid', reason: 'flow must be a string' };
  if (source.length > MAX_FLOW) return { kind: 'unsupported', reason: FLOW_SCRIPT_REASON };
  // Comments and a trailing semicolon do not change a chain.
  const text = source.replace(/\/\/[^\n]*/g, '').replace(/;\s*$/, '').trim();
  if (text === '') return { kind: 'invalid', reason: 'flow is empty' };
  const calls: Array<{ name: string; args: string[] }> = [];
  const ops = new Set<string>();
  let rest = text;
  for (;;) {
    const m = CALL.exec(rest);
    if (!m) return { kind: 'unsupported', reason: FLOW_SCRIPT_REASON };
    const args = m[2] === undefined ? [] : [...m[2].matchAll(/"([^"]*)"|'([^']*)'|([0-9]+)/g)].map((a) => a[1] ?? a[2] ?? a[3]!);
    calls.push({ name: m[1]!, args });
    if (calls.length > MAX_STEPS) return { kind: 'unsupported', reason: FLOW_SCRIPT_REASON };
    rest = rest.slice(m[0].length);
    if (rest === '') break;
    const op = /^(&&|\|\|)\s*/.exec(rest);
    if (!op) return { kind: 'unsupported', reason: FLOW_SCRIPT_REASON };
    ops.add(op[1]!);
    rest = rest.slice(op[0].length);
  }
  if (ops.size > 1) return { kind: 'unsupported', reason: `${FLOW_SCRIPT_REASON}; this one mixes && and ||` };
  const foreign = calls.map((c) => c.name).filter((n) => PROTOCOL_OF[n] === undefined);
  // Any other function (set, log, iterate…) makes it a script.
  if (foreign.some((n) => !OTHER_PROTOCOLS.has(n))) return { kind: 'unsupported', reason: FLOW_SCRIPT_REASON };
  if (foreign.length > 0) return { kind: 'foreign', protocols: [...new Set(foreign)] };
  const steps: number[][] = [];
  for (const c of calls) {
    const protocol = PROTOCOL_OF[c.name]!;
    const mine = blocks.map((b, i) => ({ ...b, index: i })).filter((b) => b.protocol === protocol);
    if (mine.length === 0) return { kind: 'invalid', reason: `flow calls ${c.name}() but the template has no ${c.name} requests` };
    if (c.args.length === 0) {
      steps.push(mine.map((b) => b.index));
      continue;
    }
    const step: number[] = [];
    for (const a of c.args) {
      // nuclei looks a block up by its `id`, else by its 1-based position among the protocol's blocks.
      const byId = mine.find((b) => b.id === a);
      const byPos = /^[0-9]+$/.test(a) ? mine[Number(a) - 1] : undefined;
      const hit = byId ?? byPos;
      if (hit === undefined) return { kind: 'invalid', reason: `flow: ${c.name}(${JSON.stringify(a)}) names no request (the template has ${mine.length} ${c.name} block${mine.length === 1 ? '' : 's'})` };
      step.push(hit.index);
    }
    steps.push(step);
  }
  return { kind: 'chain', flow: { op: ops.has('||') ? 'or' : 'and', steps, source: text } };
}
