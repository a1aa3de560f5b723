import type { PortObservation } from '../model/observation.js';

/** RFC 4180: CRLF record ends, header first. */
export const csvHeader = 'ip,port,proto,state,evidence,rtt_ms,hostname,ts,scan_id,service,product,version\r\n';

/**
 * One field. Cells a spreadsheet would evaluate as a formula (= + - @, tab, CR first) get a leading
 * apostrophe: hostnames, and later banners, are chosen by whoever runs the scanned host.
 */
export function csvField(value: string | number | undefined): string {
  if (value === undefined) return '';
  let s = String(value);
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function csvRow(o: PortObservation): string {
  return [o.ip, o.port, o.proto, o.state, o.evidence, o.rttMs, o.hostname, o.ts, o.scanId, o.service?.name, o.service?.product, o.service?.version].map(csvField).join(',') + '\r\n';
}
