/** Builds NucleiResults from operator output (shared by the protocol executors). */
import { dslDisplay } from '../dsl/dsl-bytes.js';
import type { NucleiResult } from '../nuclei-result.js';
import type { OperatorResult } from '../operators/operator-engine.js';
import type { Operators } from '../template-types.js';
import type { ExecContext } from './exec-context.js';

const EXCERPT = 4096;

export function excerpt(s: string): string {
  return dslDisplay(s.length > EXCERPT ? `${s.slice(0, EXCERPT)}…` : s);
}

/**
 * Adds the results one operator run yields. As nuclei does, an OR-condition run with named
 * matchers reports each named matcher separately; otherwise one result (no matcher name). A match
 * made only of `internal: true` matchers is a step of a chain (a flow's first request, a login
 * check), not a finding: nuclei does not print it, and neither does this.
 */
export function recordMatch(
  ctx: ExecContext,
  op: OperatorResult,
  matchedAt: string,
  detail: { request?: string; response?: string; payload?: ReadonlyMap<string, string> },
  ops: Operators,
): void {
  if (ops.matchers.length > 0 && ops.matchers.every((m) => m.internal)) return;
  const condition = ops.condition;
  const t = ctx.template;
  const extracted: Record<string, string[]> = {};
  const all: string[] = [];
  // Results leave the engine as well-formed text: escaped bytes shown as Latin-1 (dsl-bytes.ts).
  for (const [k, v] of op.extracted) {
    extracted[k] = v.map(dslDisplay);
    all.push(...extracted[k]);
  }
  const base: Omit<NucleiResult, 'matcherName'> = {
    kind: 'match',
    templateId: t.id,
    templatePath: t.path,
    name: t.info.name,
    severity: t.info.severity,
    tags: t.info.tags,
    reference: t.info.reference,
    ...(t.info.classification ? { classification: t.info.classification } : {}),
    protocol: t.protocol,
    intrusive: t.intrusive,
    ...(t.info.description !== undefined ? { description: t.info.description } : {}),
    ...(t.info.remediation !== undefined ? { remediation: t.info.remediation } : {}),
    target: ctx.target,
    matchedAt,
    extracted,
    extractedResults: all,
    matchedValues: op.matchedValues.map(dslDisplay),
    ...(detail.payload && detail.payload.size > 0 ? { payload: Object.fromEntries([...detail.payload].map(([k, v]) => [k, dslDisplay(v)])) } : {}),
    ...(detail.request !== undefined ? { request: excerpt(detail.request) } : {}),
    ...(detail.response !== undefined ? { response: excerpt(detail.response) } : {}),
    ts: new Date().toISOString(),
  };
  if (condition === 'or' && op.matcherNames.length > 0) {
    for (const name of new Set(op.matcherNames)) ctx.results.push({ ...base, matcherName: name });
  } else {
    ctx.results.push(base);
  }
}

/** Stores internal extractor values for later requests (first value wins, as in nuclei). */
export function absorbDynamic(ctx: ExecContext, op: OperatorResult): void {
  for (const [k, v] of op.dynamic) if (v[0] !== undefined) ctx.dynamic.set(k, v[0]);
}

/**
 * Whether one evaluated response makes a flow step succeed, as nuclei's protocol functions decide:
 * a block with matchers needs a match; one with only extractors needs something extracted
 * (internal or not); one with no operators succeeds on any answer.
 */
export function flowPassed(ops: Operators, op: OperatorResult): boolean {
  if (ops.matchers.length > 0) return op.matched;
  if (ops.extractors.length > 0) return op.extracted.size > 0 || op.dynamic.size > 0;
  return true;
}
