/** The parts of GET /assessments/:id/progress the demo shows. */
export interface ProgressDocument {
  readonly status: string;
  readonly phase: string;
  readonly blocked: string | null;
  readonly discover: { readonly probesPlanned: number; readonly probesDone: number; readonly openFound: number };
  readonly identify: { readonly requested: boolean; readonly unitsPlanned: number; readonly portsPlanned: number; readonly portsDone: number };
  readonly check: { readonly requested: boolean; readonly unitsPlanned: number; readonly unitsDone: number };
}

/** One line per reading: `[identify] discover 160/160 probes, 11 open · identify 4/11 ports · check 0/9 hosts`. */
export function formatProgress(p: ProgressDocument): string {
  const d = p.discover;
  const parts = [`discover ${d.probesDone}/${d.probesPlanned} probes, ${d.openFound} open`];
  // Identify and check units are planned once discovery completes: until then there is nothing to count.
  const later = (n: number, text: string): string => (n > 0 || p.phase !== 'discover' ? text : `${text.split(' ')[0]!} waiting`);
  if (p.identify.requested) parts.push(later(p.identify.portsPlanned, `identify ${p.identify.portsDone}/${p.identify.portsPlanned} ports`));
  if (p.check.requested) parts.push(later(p.check.unitsPlanned, `check ${p.check.unitsDone}/${p.check.unitsPlanned} hosts`));
  return `[${p.phase}] ${parts.join(' · ')}${p.blocked !== null ? ` — blocked: ${p.blocked}` : ''}`;
}

/**
 * Progress on stderr: redrawn in place on a terminal, otherwise a plain line whenever it changes (at
 * most one a second, the last one always), so logs and CI stay short.
 */
export class DemoProgressPrinter {
  #last = '';
  #lastAt = 0;
  #pending: string | undefined;
  #drawn = false;

  constructor(private readonly stream: NodeJS.WritableStream & { isTTY?: boolean }, private readonly prefix: string) {}

  show(p: ProgressDocument, elapsedMs: number): void {
    const line = formatProgress(p);
    const text = `${this.prefix}${line} · ${(elapsedMs / 1000).toFixed(1)} s`;
    if (this.stream.isTTY === true) {
      this.stream.write(`\r\x1b[K${text}`);
      this.#drawn = true;
      return;
    }
    if (line === this.#last) {
      this.#pending = undefined;
      return;
    }
    const now = Date.now();
    if (now - this.#lastAt < 1000) {
      this.#pending = text;
      return;
    }
    this.#write(line, text, now);
  }

  /** Ends the display: the last reading stays on screen, and what follows starts on a new line. */
  end(): void {
    if (this.#drawn) this.stream.write('\n');
    else if (this.#pending !== undefined) this.stream.write(`${this.#pending}\n`);
    this.#drawn = false;
    this.#pending = undefined;
  }

  #write(line: string, text: string, now: number): void {
    this.stream.write(`${text}\n`);
    this.#last = line;
    this.#lastAt = now;
    this.#pending = undefined;
  }
}
