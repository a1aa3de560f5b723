/**
 * Jacobson/Karels RTT estimation (as TCP and nmap do) turned into a probe timeout:
 * srtt + 4·rttvar, clamped. Silence is what makes scans slow, so the timeout follows the network
 * instead of a fixed worst case — but never below a floor that an event-loop stall could undercut.
 */
export interface RttOptions {
  readonly initialTimeoutMs: number;
  readonly minTimeoutMs: number;
  readonly maxTimeoutMs: number;
}

export class RttEstimator {
  private srtt = -1;
  private rttvar = 0;
  private samples = 0;

  constructor(private readonly opts: RttOptions) {}

  observe(rttMs: number): void {
    if (!(rttMs >= 0)) return;
    this.samples++;
    if (this.srtt < 0) {
      this.srtt = rttMs;
      this.rttvar = rttMs / 2;
      return;
    }
    const err = rttMs - this.srtt;
    this.srtt += err / 8;
    this.rttvar += (Math.abs(err) - this.rttvar) / 4;
  }

  get sampleCount(): number {
    return this.samples;
  }

  /** Current timeout, quantised to 10 ms so Node keeps few timer lists. */
  timeoutMs(): number {
    const raw = this.srtt < 0 ? this.opts.initialTimeoutMs : this.srtt + 4 * this.rttvar;
    const clamped = Math.min(this.opts.maxTimeoutMs, Math.max(this.opts.minTimeoutMs, raw));
    return Math.ceil(clamped / 10) * 10;
  }
}
