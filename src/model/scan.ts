/** An assessment run and its honest coverage counters. */
export type ScanStatus = 'running' | 'interrupted' | 'done' | 'failed';

export interface ScanCounters {
  /** Probes the plan holds for this scan (this shard only), after exclusions and the blocklist. */
  probesPlanned: bigint;
  /** Connection attempts made, retries included. */
  probesSent: bigint;
  /** Probes that got an answer (handshake or reset). */
  probesAnswered: bigint;
  /** Probes left silent after every retry. */
  probesTimedOut: bigint;
  /** Retries sent for silent probes. */
  probesRetried: bigint;
  /** Probes never sent because their address is in the default blocklist. */
  probesSkippedBlocklist: bigint;
  /** Probes not sent because host discovery found the host down (counted, never silently dropped). */
  probesSkippedDown: bigint;
  openFound: bigint;
  /** Host-discovery probes (ICMP echo and TCP 443/80) sent before the port scan. */
  discoveryProbesSent: bigint;
}

export interface ScanSpec {
  /** Target expressions as given, in order. */
  readonly targets: readonly string[];
  readonly targetFiles: readonly string[];
  readonly excludes: readonly string[];
  readonly excludeFiles: readonly string[];
  readonly ports: readonly number[];
  /** Hostnames as resolved at plan time, recorded so a resume scans the same addresses. */
  readonly resolved: Readonly<Record<string, readonly string[]>>;
  readonly seed: string;
  readonly shard: { readonly index: number; readonly count: number };
  /** Engine and run options; lists only for labels such as an assessment's `tags`. */
  readonly options: Readonly<Record<string, string | number | boolean | readonly string[]>>;
}

export interface ScanRecord {
  readonly id: string;
  readonly createdAt: string;
  readonly finishedAt: string | null;
  readonly status: ScanStatus;
  readonly spec: ScanSpec;
  readonly counters: ScanCounters;
}

export function emptyCounters(): ScanCounters {
  return {
    probesPlanned: 0n, probesSent: 0n, probesAnswered: 0n, probesTimedOut: 0n, probesRetried: 0n,
    probesSkippedBlocklist: 0n, probesSkippedDown: 0n, openFound: 0n, discoveryProbesSent: 0n,
  };
}
