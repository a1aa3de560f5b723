/**
 * Fairness to target networks: caps probes in flight and probes per second per destination
 * network (/24 for IPv4, /64 for IPv6), plus an optional global rate. The permutation already
 * spreads load; the pacer holds that promise when the scope is a single small network.
 */
export interface PacerOptions {
  /** Max probes in flight towards one network. */
  readonly perNetworkInFlight: number;
  /** Max probes per second towards one network (0 = unlimited). */
  readonly perNetworkRate: number;
  /** Max probes per second overall (0 = unlimited). */
  readonly globalRate: number;
}

interface NetState {
  inFlight: number;
  tokens: number;
  refilledAt: number;
}

export class NetworkPacer {
  private readonly nets = new Map<string | number, NetState>();
  private globalTokens: number;
  private globalRefilledAt: number;

  constructor(private readonly opts: PacerOptions, private readonly now: () => number = () => performance.now()) {
    this.globalTokens = Math.max(1, opts.globalRate / 20);
    this.globalRefilledAt = now();
  }

  private state(key: string | number): NetState {
    let s = this.nets.get(key);
    if (!s) {
      s = { inFlight: 0, tokens: Math.max(1, this.opts.perNetworkRate / 20), refilledAt: this.now() };
      this.nets.set(key, s);
    }
    return s;
  }

  /**
   * Takes a slot for a probe to `key` if allowed now. Returns 0 on success, otherwise the number of
   * milliseconds after which trying again makes sense (Infinity: wait for a probe to finish).
   */
  tryAcquire(key: string | number): number {
    const t = this.now();
    const s = this.state(key);
    if (s.inFlight >= this.opts.perNetworkInFlight) return Infinity;
    if (this.opts.globalRate > 0) {
      // Burst of at most 50 ms worth of tokens keeps the rate smooth.
      const cap = Math.max(1, this.opts.globalRate / 20);
      this.globalTokens = Math.min(cap, this.globalTokens + ((t - this.globalRefilledAt) * this.opts.globalRate) / 1000);
      this.globalRefilledAt = t;
      if (this.globalTokens < 1) return Math.max(1, ((1 - this.globalTokens) * 1000) / this.opts.globalRate);
    }
    if (this.opts.perNetworkRate > 0) {
      const cap = Math.max(1, this.opts.perNetworkRate / 20);
      s.tokens = Math.min(cap, s.tokens + ((t - s.refilledAt) * this.opts.perNetworkRate) / 1000);
      s.refilledAt = t;
      if (s.tokens < 1) return Math.max(1, ((1 - s.tokens) * 1000) / this.opts.perNetworkRate);
      s.tokens -= 1;
    }
    if (this.opts.globalRate > 0) this.globalTokens -= 1;
    s.inFlight++;
    return 0;
  }

  release(key: string | number): void {
    const s = this.nets.get(key);
    if (s && s.inFlight > 0) s.inFlight--;
  }
}

/** The pacing key of an address: its /24 (IPv4, as a number) or /64 (IPv6, as text). */
export function networkKeyV4(addr: number): number {
  return addr >>> 8;
}
