import type { PortObservation } from '../../model/observation.js';
import { tcpServiceName } from '../../output/service-names.js';

/** Human-readable default output (no -o given): one line per open port, grouped by host. */
export async function printOpenPorts(out: NodeJS.WritableStream, observations: AsyncIterable<PortObservation>): Promise<number> {
  let n = 0;
  let host = '';
  for await (const o of observations) {
    if (o.ip !== host) {
      host = o.ip;
      out.write(`${n === 0 ? '' : '\n'}${o.ip}${o.hostname ? ` (${o.hostname})` : ''}\n`);
    }
    const s = o.service;
    const name = s ? [s.tunnel === 'ssl' ? `ssl/${s.name}` : s.name, s.product, s.version, s.extrainfo ? `(${s.extrainfo})` : undefined].filter(Boolean).join(' ') : tcpServiceName(o.port) ?? '';
    out.write(`  ${`${o.port}/${o.proto}`.padEnd(10)} ${o.state.padEnd(6)} ${name}\n`);
    for (const f of o.findings ?? []) out.write(`    [${f.severity}] ${f.check_id}: ${f.title}\n`);
    n++;
  }
  if (n === 0) out.write('no open ports found\n');
  return n;
}
