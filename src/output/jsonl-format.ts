import type { PortObservation } from '../model/observation.js';

/** One JSON Lines row: snake_case keys, optional fields only when known. JSON.stringify escapes the rest. */
export function jsonlRow(o: PortObservation): string {
  const row: Record<string, unknown> = {
    type: 'port', ip: o.ip, port: o.port, proto: o.proto, state: o.state, evidence: o.evidence,
  };
  if (o.rttMs !== undefined) row['rtt_ms'] = o.rttMs;
  if (o.hostname !== undefined) row['hostname'] = o.hostname;
  if (o.worker !== undefined) row['worker'] = o.worker;
  if (o.service !== undefined) {
    const { facts, ...identity } = o.service;
    row['service'] = identity;
    if (facts !== undefined) row['facts'] = facts;
  }
  row['scan_id'] = o.scanId;
  row['ts'] = o.ts;
  // Findings follow the port they are about, as lines of their own.
  const findings = (o.findings ?? []).map((f) => `${JSON.stringify({ ...f, scan_id: o.scanId })}\n`).join('');
  return `${JSON.stringify(row)}\n${findings}`;
}
