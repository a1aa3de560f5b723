import { runConnectEngine, type ConnectProbe } from '../engines/connect/connect-engine.js';
import { icmpSweep, type PingTarget } from '../engines/liveness/icmp-sweeper.js';
import type { EngineTuning } from './scan-options.js';

/** TCP ports nmap's unprivileged host discovery uses. */
export const TCP_DISCOVERY_PORTS = [443, 80] as const;

export interface DiscoveryHost {
  readonly ip: string;
  readonly family: 4 | 6;
  readonly netKey: string | number;
}

export interface DiscoveryReport {
  readonly method: string;
  readonly hostsProbed: number;
  readonly hostsUp: number;
  readonly icmpSent: number;
  readonly tcpSent: number;
  /** Why ICMP was not used, when it was not. */
  readonly icmpUnavailable?: string;
  /** Largest echo RTT seen, used to seed the port scan's timeout. */
  readonly maxRttMs: number;
}

/**
 * Host discovery before the port scan, as nmap does: ICMP echo where raw sockets are permitted,
 * then TCP connects to 443 and 80 for hosts that stayed silent. A host is up if anything answered
 * (echo reply, handshake or reset). Returns a bitmap over host indices.
 */
export async function discoverHosts(
  count: number,
  hostAt: (i: number) => DiscoveryHost,
  tuning: EngineTuning,
  guard: (ip: string, family: 4 | 6) => void,
  signal: AbortSignal | undefined,
  onProgress: (sent: number) => void,
): Promise<{ up: Uint8Array; report: DiscoveryReport }> {
  const up = new Uint8Array(count);
  const targets: PingTarget[] = [];
  for (let i = 0; i < count; i++) {
    const h = hostAt(i);
    targets.push({ id: i, ip: h.ip, family: h.family });
  }
  const icmp = await icmpSweep(targets, {
    attempts: 1 + tuning.retries,
    rate: tuning.globalRate > 0 ? tuning.globalRate : 50_000,
    waitMs: Math.min(tuning.maxTimeoutMs, Math.max(tuning.minTimeoutMs, tuning.initialTimeoutMs)),
    minWaitMs: 50,
    guard,
    ...(signal ? { signal } : {}),
  });
  let icmpSent = 0;
  let maxRttMs = 0;
  if (icmp.available) {
    for (const id of icmp.alive) up[id] = 1;
    icmpSent = icmp.sent;
    maxRttMs = icmp.maxRttMs;
  }
  onProgress(icmpSent);

  const silent: number[] = [];
  for (let i = 0; i < count; i++) if (!up[i]) silent.push(i);
  let next = 0;
  let portIdx = 0;
  const source = {
    next(): ConnectProbe<number> | undefined {
      if (portIdx >= TCP_DISCOVERY_PORTS.length) return undefined;
      // Skip hosts an earlier discovery port already found.
      while (next < silent.length && up[silent[next]!]) next++;
      if (next >= silent.length) {
        next = 0;
        portIdx++;
        return this.next();
      }
      const i = silent[next++]!;
      const h = hostAt(i);
      return { ip: h.ip, family: h.family, port: TCP_DISCOVERY_PORTS[portIdx]!, netKey: h.netKey, tag: i };
    },
  };
  const initialTimeoutMs = maxRttMs > 0 ? Math.max(tuning.minTimeoutMs, 4 * maxRttMs) : tuning.initialTimeoutMs;
  // With ICMP answered, TCP is only the backstop for hosts that block echo: one try per port.
  const retries = icmp.available && icmp.alive.size > 0 ? 0 : tuning.retries;
  const stats = await runConnectEngine(source, { ...tuning, retries, initialTimeoutMs, guard, ...(signal ? { signal } : {}) }, (r) => {
    if (r.evidence === 'syn-ack' || r.evidence === 'reset') up[r.probe.tag] = 1;
  });
  onProgress(icmpSent + stats.sent);
  let hostsUp = 0;
  for (let i = 0; i < count; i++) hostsUp += up[i]!;
  const method = icmp.available ? `icmp-echo + tcp-connect ${TCP_DISCOVERY_PORTS.join(',')}` : `tcp-connect ${TCP_DISCOVERY_PORTS.join(',')}`;
  return {
    up,
    report: {
      method,
      hostsProbed: count,
      hostsUp,
      icmpSent,
      tcpSent: stats.sent,
      maxRttMs,
      ...(icmp.available ? {} : { icmpUnavailable: icmp.reason }),
    },
  };
}
