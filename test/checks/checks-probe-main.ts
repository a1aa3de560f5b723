/**
 * Identifies services and runs checks on them, printing JSON lines: one {"type":"identity"} per
 * endpoint, every finding (findingToJsonLine), one {"type":"check_run"} per check run and a final
 * {"type":"done"}. The daemon-lab test spawns it inside the lab's namespace (`lab.execArgs`), so
 * everything it sends stays on the namespace's loopback; the guard refuses anything else anyway.
 * argv[2]: JSON { endpoints: [{ ip, port, hostname? }], selection?, perHostRate?, timeoutMs? }.
 */
import { identifyByHandshake } from '../../src/engines/identify/cascade/index.js';
import { TrawlError } from '../../src/errors/index.js';
import { findingToJsonLine, runChecks, type CheckInput } from '../../src/checks/index.js';

interface Plan {
  readonly endpoints: readonly { readonly ip: string; readonly port: number; readonly hostname?: string }[];
  readonly selection?: string;
  readonly perHostRate?: number;
  readonly timeoutMs?: number;
}

const loopbackOnly = (ip: string): void => {
  if (!(ip.startsWith('127.') || ip === '::1')) throw new TrawlError('TRAWL_E_EGRESS_DENIED', `refused to send to ${ip}: not loopback`, { ip });
};

const plan = JSON.parse(process.argv[2] ?? '{}') as Plan;
const out = (o: unknown): boolean => process.stdout.write(`${JSON.stringify(o)}\n`);
const started = performance.now();

const inputs: CheckInput[] = await Promise.all(
  plan.endpoints.map(async (e) => {
    const target = { ip: e.ip, port: e.port, proto: 'tcp' as const, ...(e.hostname !== undefined ? { hostname: e.hostname } : {}) };
    const identity = await identifyByHandshake({ ip: e.ip, port: e.port, family: e.ip.includes(':') ? 6 : 4, ...(e.hostname !== undefined ? { hostname: e.hostname } : {}) }, { guard: loopbackOnly });
    out({ type: 'identity', ip: e.ip, port: e.port, name: identity?.name ?? null, product: identity?.product ?? null, tunnel: identity?.tunnel ?? null, facts: identity?.facts ?? null });
    return { target, identity };
  }),
);
const identifiedMs = Math.round(performance.now() - started);

for await (const f of runChecks(inputs, {
  selection: plan.selection ?? 'safe',
  guard: loopbackOnly,
  ...(plan.perHostRate !== undefined ? { perHostRate: plan.perHostRate } : {}),
  ...(plan.timeoutMs !== undefined ? { timeoutMs: plan.timeoutMs } : {}),
  onCheckRun: (r) => out({ type: 'check_run', check_id: r.checkId, ip: r.target.ip, port: r.target.port, outcome: r.outcome, findings: r.findings, ms: r.ms, ...(r.error !== undefined ? { error: r.error } : {}) }),
})) {
  process.stdout.write(findingToJsonLine(f));
}
out({ type: 'done', identify_ms: identifiedMs, total_ms: Math.round(performance.now() - started) });
