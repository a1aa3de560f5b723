import { runWorker, WorkerControl, type WorkerOptions, type WorkerStats } from './fleet-worker.js';

export interface EmbeddedWorkersOptions extends Omit<WorkerOptions, 'signal' | 'id' | 'control' | 'zones'> {
  /** Worker loops in this process (each runs up to `concurrency` jobs). */
  readonly count: number;
  /**
   * Zones served besides zone-less jobs. 'all' (the default): every zone a run of this process uses
   * (`serveZone`), for a server whose own workers do all the work, zones being labels only.
   */
  readonly zones?: readonly string[] | 'all';
  /** Worker ids are `<idPrefix>-<n>`; default `serve-<pid>`. */
  readonly idPrefix?: string;
}

/**
 * Workers inside another process (`trawl serve` without `--no-workers`): the same `runWorker` loop as
 * `trawl worker`, on the same queue and store. They start on the first `ensureRunning()` (a server
 * that never runs an assessment polls no queue), and `control` lets the owner stop a cancelled
 * assessment's jobs at once and wake the loops when it queued work.
 */
export class EmbeddedWorkers {
  readonly control = new WorkerControl();
  readonly #opts: EmbeddedWorkersOptions;
  readonly #stop = new AbortController();
  readonly #zones: string[];
  readonly #allZones: boolean;
  #running: Promise<WorkerStats[]> | undefined;

  constructor(opts: EmbeddedWorkersOptions) {
    this.#opts = opts;
    this.#allZones = opts.zones === undefined || opts.zones === 'all';
    this.#zones = Array.isArray(opts.zones) ? [...opts.zones] : [];
  }

  /** A run of this process uses this zone: serve it too when serving all zones. */
  serveZone(zone: string | null): void {
    if (zone !== null && this.#allZones && !this.#zones.includes(zone)) this.#zones.push(zone);
  }

  get count(): number {
    return this.#opts.count;
  }

  ensureRunning(): void {
    if (this.#running !== undefined || this.#stop.signal.aborted || this.#opts.count < 1) return;
    const { count, idPrefix, zones: _zones, ...worker } = this.#opts;
    const prefix = idPrefix ?? `serve-${process.pid}`;
    const zones = (): readonly string[] => this.#zones;
    this.#running = Promise.all(Array.from({ length: count }, (_, i) => runWorker({ ...worker, zones, id: `${prefix}-${i + 1}`, signal: this.#stop.signal, control: this.control })));
  }

  /** Stops leasing; jobs in flight get the workers' drain time, then stop with their progress committed. */
  async stop(): Promise<WorkerStats[]> {
    this.#stop.abort();
    return (await this.#running) ?? [];
  }
}
