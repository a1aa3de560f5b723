import { readFileSync } from 'node:fs';

export type DiscoveryMode = 'auto' | 'on' | 'off';

/** Engine tuning; every field has a default sized for this process (see `defaultEngineOptions`). */
export interface EngineTuning {
  readonly concurrency: number;
  readonly retries: number;
  readonly initialTimeoutMs: number;
  readonly minTimeoutMs: number;
  readonly maxTimeoutMs: number;
  readonly perNetworkInFlight: number;
  readonly perNetworkRate: number;
  readonly globalRate: number;
}

/** The soft RLIMIT_NOFILE (Node raises it to the hard limit at start). Linux reads /proc; else 1024. */
export function fileDescriptorLimit(): number {
  try {
    const text = readFileSync('/proc/self/limits', 'utf8');
    const m = /^Max open files\s+(\d+|unlimited)/m.exec(text);
    if (m) return m[1] === 'unlimited' ? 1 << 20 : Number(m[1]);
  } catch {
    // not Linux: fall through
  }
  return 1024;
}

export function defaultEngineOptions(): EngineTuning {
  // Leave headroom for the store, outputs and the runtime's own descriptors.
  const concurrency = Math.max(64, Math.min(12_000, fileDescriptorLimit() - 256));
  return {
    concurrency,
    retries: 1,
    initialTimeoutMs: 500,
    minTimeoutMs: 100,
    maxTimeoutMs: 1500,
    perNetworkInFlight: 1024,
    perNetworkRate: 20_000,
    globalRate: 0,
  };
}
