/**
 * Where the event intake puts functions to scan. In-process for now; the fleet's JobQueue will
 * implement the same interface.
 */
export interface ScanQueue {
  enqueue(functionArn: string): void | Promise<void>;
}

/**
 * A FIFO of function ARNs that coalesces duplicates still waiting (a burst of UpdateFunctionCode
 * events for one function is one scan) and drains through a worker, one at a time.
 */
export class InProcessScanQueue implements ScanQueue {
  readonly #waiting: string[] = [];
  readonly #queued = new Set<string>();
  #running: Promise<void> | undefined;

  constructor(private readonly worker?: (arn: string) => Promise<void>, private readonly onError?: (arn: string, e: unknown) => void) {}

  enqueue(functionArn: string): void {
    if (this.#queued.has(functionArn)) return;
    this.#queued.add(functionArn);
    this.#waiting.push(functionArn);
    if (this.worker !== undefined) this.#running ??= this.#drain();
  }

  /** ARNs waiting, oldest first. */
  pending(): string[] {
    return [...this.#waiting];
  }

  /** Resolves when the worker has emptied the queue. */
  async idle(): Promise<void> {
    while (this.#running !== undefined) await this.#running;
  }

  async #drain(): Promise<void> {
    try {
      for (let arn = this.#waiting.shift(); arn !== undefined; arn = this.#waiting.shift()) {
        this.#queued.delete(arn);
        try {
          await this.worker!(arn);
        } catch (e) {
          this.onError?.(arn, e);
        }
      }
    } finally {
      this.#running = undefined;
    }
  }
}
