import type { Kysely, Selectable } from 'kysely';
import type { Database, SchedulesTable } from '../store/schema.js';
import { advanceSchedule, dueSchedules, recordScheduledScan } from './schedule-queries.js';

export interface SchedulerOptions {
  readonly db: Kysely<Database>;
  /**
   * Starts the schedule's assessment; resolves to the new scan id, or undefined when it was skipped
   * (the assessment is still running from the previous fire, or is gone). A rejection is reported
   * through `onError` and the schedule moves on to its next run.
   */
  readonly launch: (schedule: Selectable<SchedulesTable>) => Promise<string | undefined>;
  readonly now?: () => Date;
  /** How often due schedules are looked for (default 15 s). */
  readonly pollMs?: number;
  readonly onError?: (error: unknown, schedule: Selectable<SchedulesTable>) => void;
}

/** Schedules fired per tick; more wait for the next tick. */
const BATCH = 100;

/**
 * Fires due schedules. A schedule whose next run passed while the server was down fires once on the
 * next tick, however many runs were missed, and its next run is computed from now: catching up
 * would start the same scan back to back.
 */
export class Scheduler {
  readonly #opts: SchedulerOptions;
  #timer: NodeJS.Timeout | undefined;
  #ticking: Promise<number> | undefined;

  constructor(opts: SchedulerOptions) {
    this.#opts = opts;
  }

  /** One pass; resolves to the number of schedules fired. Concurrent calls share one pass. */
  tick(): Promise<number> {
    this.#ticking ??= this.#tick().finally(() => {
      this.#ticking = undefined;
    });
    return this.#ticking;
  }

  start(): void {
    if (this.#timer) return;
    void this.tick().catch(() => undefined);
    this.#timer = setInterval(() => void this.tick().catch(() => undefined), this.#opts.pollMs ?? 15_000);
    this.#timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#ticking?.catch(() => undefined);
  }

  async #tick(): Promise<number> {
    const now = (this.#opts.now ?? (() => new Date()))();
    let fired = 0;
    for (const row of await dueSchedules(this.#opts.db, now, BATCH)) {
      if (!(await advanceSchedule(this.#opts.db, row, now))) continue; // another server took it
      try {
        const scanId = await this.#opts.launch(row);
        if (scanId !== undefined) {
          await recordScheduledScan(this.#opts.db, row.id, scanId);
          fired++;
        }
      } catch (e) {
        this.#opts.onError?.(e, row);
      }
    }
    return fired;
  }
}
