import type { DemoApiClient } from './demo-api-client.js';

interface ServiceDoc {
  readonly address: string;
  readonly port: number;
  readonly proto: string;
  readonly identity: { readonly name: string; readonly product: string | null; readonly version: string | null } | null;
  /** Set when the service spoke TLS. */
  readonly tls: { readonly fingerprint: string } | null;
  readonly lastScanId: string;
}

interface FindingDoc {
  readonly address: string;
  readonly port: number;
  readonly checkId: string;
  readonly severity: string;
  readonly title: string | null;
  readonly lastScanId: string;
}

/** What one demo run left in the inventory, read back through the API. */
export interface DemoSummary {
  readonly services: readonly ServiceDoc[];
  readonly findings: readonly FindingDoc[];
  /** Change events of this run (with their count by kind), and of every run of the org. */
  readonly changes: { readonly run: number; readonly all: number; readonly kinds: Readonly<Record<string, number>> };
  /** Open services and findings last seen by an earlier run (a lab on another subnet). */
  readonly olderServices: number;
  readonly olderFindings: number;
}

const SEVERITIES = ['critical', 'high', 'medium', 'low', 'none', 'unknown'];

/** Open services and findings of the org (as GET /services and GET /findings give them) that this run saw. */
export async function readDemoSummary(api: DemoApiClient, scanId: string): Promise<DemoSummary> {
  const services = await api.all<ServiceDoc>('/services?state=open');
  const findings = await api.all<FindingDoc>('/findings?status=open');
  const mine = <T extends { lastScanId: string }>(xs: readonly T[]): T[] => xs.filter((x) => x.lastScanId === scanId);
  const changes = await api.all<{ kind: string }>(`/changes?scanId=${encodeURIComponent(scanId)}`);
  const kinds: Record<string, number> = {};
  for (const c of changes) kinds[c.kind] = (kinds[c.kind] ?? 0) + 1;
  const all = (await api.all<unknown>('/changes')).length;
  return {
    services: mine(services), findings: mine(findings), changes: { run: changes.length, all, kinds },
    olderServices: services.length - mine(services).length, olderFindings: findings.length - mine(findings).length,
  };
}

function rank(severity: string): number {
  const i = SEVERITIES.indexOf(severity);
  return i < 0 ? SEVERITIES.length : i;
}

/** The summary as the demo prints it: services, findings by severity with their check ids, change counts. */
export function formatDemoSummary(s: DemoSummary): string {
  const lines: string[] = [];
  const endpoint = (x: { address: string; port: number }): string => `${x.address.includes(':') ? `[${x.address}]` : x.address}:${x.port}`;
  lines.push(`Services found (${s.services.length}):`);
  for (const x of s.services) {
    const id = x.identity;
    const product = id ? [id.product, id.version].filter((v): v is string => v !== null && v !== '').join(' ') : '';
    // nmap's way of naming a service behind TLS.
    const name = `${x.tls !== null ? 'ssl/' : ''}${id?.name ?? 'unidentified'}`;
    lines.push(`  ${endpoint(x).padEnd(21)} ${name.padEnd(12)} ${product}`.trimEnd());
  }
  if (s.olderServices > 0) lines.push(`  (and ${s.olderServices} seen by earlier runs only)`);

  const bySeverity = new Map<string, FindingDoc[]>();
  for (const f of [...s.findings].sort((a, b) => rank(a.severity) - rank(b.severity) || a.checkId.localeCompare(b.checkId))) {
    bySeverity.set(f.severity, [...(bySeverity.get(f.severity) ?? []), f]);
  }
  const counts = [...bySeverity].map(([sev, fs]) => `${fs.length} ${sev}`).join(', ');
  lines.push('', `Findings (${s.findings.length} open${counts ? `: ${counts}` : ''}):`);
  const checkWidth = Math.max(0, ...s.findings.map((f) => f.checkId.length));
  for (const [sev, fs] of bySeverity) {
    lines.push(`  ${sev}:`);
    for (const f of fs) lines.push(`    ${f.checkId.padEnd(checkWidth)}  ${endpoint(f).padEnd(21)} ${f.title ?? ''}`.trimEnd());
  }
  if (s.olderFindings > 0) lines.push(`  (and ${s.olderFindings} open from earlier runs only)`);
  const kinds = Object.entries(s.changes.kinds).sort(([a], [b]) => a.localeCompare(b)).map(([k, n]) => `${n} ${k}`).join(', ');
  lines.push('', `Change events: ${s.changes.run} from this run${kinds ? ` (${kinds})` : ''}, ${s.changes.all} in all.`);
  return `${lines.join('\n')}\n`;
}
