/** What the scan reports about itself; numbers, so the reporter never touches scan state. */
export interface ProgressSnapshot {
  readonly phase: string;
  readonly done: number;
  readonly planned: number;
  readonly sent: number;
  readonly openFound: number;
}

export type ProgressMode = 'tty' | 'plain' | 'off';

export function progressModeFor(stream: NodeJS.WritableStream & { isTTY?: boolean }, quiet: boolean): ProgressMode {
  if (quiet) return 'off';
  return stream.isTTY ? 'tty' : 'plain';
}

function fmtDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '--:--';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${String(sec).padStart(2, '0')}` : `${String(m).padStart(2, '0')}:${String(sec).padStart(2, '0')}`;
}

export function formatProgressLine(s: ProgressSnapshot, elapsedMs: number, width: number | undefined): string {
  const frac = s.planned > 0 ? Math.min(1, s.done / s.planned) : 1;
  const rate = elapsedMs > 0 ? (s.sent * 1000) / elapsedMs : 0;
  const eta = frac > 0 && frac < 1 ? (elapsedMs / 1000) * ((1 - frac) / frac) : frac >= 1 ? 0 : NaN;
  const stats = `${(frac * 100).toFixed(1).padStart(5)}% ${s.done}/${s.planned} probes  ${Math.round(rate)}/s  open ${s.openFound}  ETA ${fmtDuration(eta)}`;
  if (width === undefined) return `trawl: ${s.phase}: ${stats}`;
  const barWidth = Math.max(10, Math.min(40, width - stats.length - s.phase.length - 6));
  const filled = Math.round(frac * barWidth);
  return `${s.phase} [${'#'.repeat(filled)}${'.'.repeat(barWidth - filled)}] ${stats}`;
}

/**
 * Progress on stderr: a redrawn bar on a terminal, a plain line every few seconds otherwise
 * (logs, CI), nothing with -q. stdout is never touched, so `-oJ -` stays clean.
 */
export class ProgressReporter {
  #timer: NodeJS.Timeout | undefined;
  #started = performance.now();
  #lastLen = 0;

  constructor(
    private readonly stream: NodeJS.WritableStream & { isTTY?: boolean; columns?: number },
    private readonly mode: ProgressMode,
    private readonly sample: () => ProgressSnapshot,
    private readonly intervalMs = mode === 'tty' ? 200 : 5000,
  ) {}

  start(): void {
    if (this.mode === 'off') return;
    this.#started = performance.now();
    this.#timer = setInterval(() => this.render(), this.intervalMs);
    this.#timer.unref();
  }

  render(): void {
    const elapsed = performance.now() - this.#started;
    if (this.mode === 'tty') {
      const line = formatProgressLine(this.sample(), elapsed, this.stream.columns ?? 100);
      this.stream.write(`\r${line}${' '.repeat(Math.max(0, this.#lastLen - line.length))}`);
      this.#lastLen = line.length;
    } else if (this.mode === 'plain') {
      this.stream.write(`${formatProgressLine(this.sample(), elapsed, undefined)}\n`);
    }
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    if (this.mode === 'tty') {
      this.render();
      this.stream.write('\n');
    }
  }
}
