/** Compiles matcher/extractor YAML through the real loader and runs it on a synthetic response. */
import { bytesToDsl, parseTemplate, type DslValue, type Operators } from '../../../src/checks/nuclei/index.js';
import { runOperators, type OperatorResult, type PartValue } from '../../../src/checks/nuclei/operators/operator-engine.js';

export function operators(yamlOps: string, protocol: 'http' | 'tcp' = 'http'): Operators {
  const indented = yamlOps
    .trim()
    .split('\n')
    .map((l) => `    ${l}`)
    .join('\n');
  const head = protocol === 'http' ? '  - method: GET\n    path: ["{{BaseURL}}"]' : '  - host: ["{{Hostname}}"]\n    inputs: [{ data: "x" }]';
  const yaml = `id: op-test\ninfo: { name: op, author: t, severity: info }\n${protocol}:\n${head}\n${indented}\n`;
  const { template, entry } = parseTemplate(yaml);
  if (!template) throw new Error(`${entry.status}: ${entry.reasons.join('; ')}`);
  return template.requests[0]!.operators;
}

export interface FakeResponse {
  readonly status?: number;
  readonly headers?: Record<string, string>;
  readonly body?: string | Buffer;
  readonly vars?: Record<string, DslValue>;
}

/** Builds the same parts and variables the http executor builds. */
export function evaluate(ops: Operators, r: FakeResponse): OperatorResult {
  const bodyBuf = typeof r.body === 'string' ? Buffer.from(r.body) : (r.body ?? Buffer.alloc(0));
  const body = typeof r.body === 'string' ? r.body : bytesToDsl(bodyBuf);
  const headerText = `HTTP/1.1 ${r.status ?? 200} X\r\n${Object.entries(r.headers ?? {}).map(([k, v]) => `${k}: ${v}\r\n`).join('')}`;
  const raw = `${headerText}\r\n${body}`;
  const vars = new Map<string, DslValue>(Object.entries(r.vars ?? {}));
  for (const [k, v] of Object.entries(r.headers ?? {})) vars.set(k.toLowerCase().replace(/-/g, '_'), v);
  vars.set('status_code', r.status ?? 200);
  vars.set('body', body);
  vars.set('header', headerText);
  vars.set('raw', raw);
  vars.set('content_length', bodyBuf.length);
  const parts = new Map<string, PartValue>([
    ['body', { text: body, bytes: bodyBuf }],
    ['header', { text: headerText }],
    ['all', { text: raw }],
    ['raw', { text: raw }],
  ]);
  const lookup = (n: string): DslValue | undefined => vars.get(n);
  return runOperators(ops, {
    lookup,
    part: (n) => parts.get(n) ?? (vars.has(n) ? { text: String(vars.get(n)) } : undefined),
  });
}
