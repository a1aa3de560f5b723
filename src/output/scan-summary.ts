import type { ScanSummaryInfo } from './result-writer.js';

/** The end-of-scan summary for machines: snake_case like the JSONL rows, counters as JSON numbers. */
export interface ScanSummaryJson {
  readonly type: 'summary';
  readonly scan_id: string;
  readonly status: string;
  readonly started_at: string;
  readonly finished_at: string;
  readonly elapsed_s: number;
  readonly probes_planned: number;
  readonly probes_sent: number;
  readonly probes_answered: number;
  readonly probes_timed_out: number;
  readonly probes_retried: number;
  readonly probes_skipped_blocklist: number;
  readonly probes_skipped_down: number;
  readonly discovery_probes_sent: number;
  readonly open_found: number;
  /** Probes sent per second of elapsed time (0 when no time elapsed). */
  readonly rate_pps: number;
}

/** Probes sent per second, rounded to one decimal. */
function rate(info: ScanSummaryInfo): number {
  if (!(info.elapsedSeconds > 0)) return 0;
  return Math.round((Number(info.scan.counters.probesSent) / info.elapsedSeconds) * 10) / 10;
}

// Counters are bigint in the model; a scan cannot send 2^53 probes, so Number is exact here.
export function summaryJson(info: ScanSummaryInfo): ScanSummaryJson {
  const c = info.scan.counters;
  return {
    type: 'summary',
    scan_id: info.scan.id,
    status: info.scan.status,
    started_at: info.startedAt,
    finished_at: info.finishedAt,
    elapsed_s: Math.round(info.elapsedSeconds * 1000) / 1000,
    probes_planned: Number(c.probesPlanned),
    probes_sent: Number(c.probesSent),
    probes_answered: Number(c.probesAnswered),
    probes_timed_out: Number(c.probesTimedOut),
    probes_retried: Number(c.probesRetried),
    probes_skipped_blocklist: Number(c.probesSkippedBlocklist),
    probes_skipped_down: Number(c.probesSkippedDown),
    discovery_probes_sent: Number(c.discoveryProbesSent),
    open_found: Number(c.openFound),
    rate_pps: rate(info),
  };
}

const count = (n: bigint | number): string => n.toLocaleString('en-US');

/** The human summary the CLI prints to stderr (stdout may be carrying results). Ends with a newline. */
export function formatSummaryText(info: ScanSummaryInfo): string {
  const c = info.scan.counters;
  const rows: [string, string][] = [
    ['probes planned', count(c.probesPlanned)],
    ['probes sent', count(c.probesSent)],
    ['answered', count(c.probesAnswered)],
    ['timed out', count(c.probesTimedOut)],
    ['retried', count(c.probesRetried)],
    ['skipped by blocklist', count(c.probesSkippedBlocklist)],
    ['skipped as down', count(c.probesSkippedDown)],
    ['discovery probes', count(c.discoveryProbesSent)],
    ['open found', count(c.openFound)],
    ['elapsed', `${info.elapsedSeconds.toFixed(2)} s`],
    ['rate', `${count(rate(info))} probes/s`],
  ];
  const width = Math.max(...rows.map(([k]) => k.length)) + 2;
  const lines = rows.map(([k, v]) => `  ${k.padEnd(width)}${v}`);
  return `Trawl scan ${info.scan.id} ${info.scan.status}: ${count(c.openFound)} open ports\n${lines.join('\n')}\n`;
}
