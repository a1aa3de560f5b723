import type { JobInput } from './job.js';
import type { JobQueue } from './job-queue.js';
import type { Store } from '../store/store.js';
import type { Stage, WorkUnit } from '../model/work-unit.js';

/** The dedup key of a work unit's job: one job per unit, however often it is enqueued. */
export function workUnitKey(unit: Pick<WorkUnit, 'scanId' | 'stage' | 'unitIndex'>): string {
  return `${unit.scanId}/${unit.stage}/${unit.unitIndex}`;
}

export interface ReconcileOptions {
  readonly scanId: string;
  readonly stage?: Stage;
  /** The job of a unit; its dedupKey defaults to `workUnitKey(unit)` and must stay one per unit. */
  readonly toJob: (unit: WorkUnit) => JobInput;
}

/**
 * Re-enqueues every unfinished work unit of a scan from the store, the source of truth for work.
 * The queue may lose jobs (a Redis restarted without persistence, a flushed database, an operator's
 * mistake); the store never loses a unit or its checkpoint, so this restores the queue, and a worker
 * resumes each unit from its checkpoint. Safe to run at any time, as often as wanted: units already
 * queued or leased are deduplicated by key, done units are skipped.
 *
 * For this to be exact a worker must commit a unit's last progress (`unitDone`) before acking its job;
 * a job acked before the store saw the unit done would hold the key (done jobs are kept for
 * deduplication) while the unit stays unfinished.
 */
export async function reconcile(store: Store, queue: JobQueue, opts: ReconcileOptions): Promise<{ enqueued: number; done: number }> {
  const units = await store.listWorkUnits(opts.scanId, opts.stage ?? 'discover');
  const open = units.filter((u) => u.state !== 'done');
  const jobs = open.map((u) => {
    const job = opts.toJob(u);
    return job.dedupKey !== undefined ? job : { ...job, dedupKey: workUnitKey(u) };
  });
  for (let i = 0; i < jobs.length; i += 5000) await queue.enqueue(jobs.slice(i, i + 5000));
  return { enqueued: open.length, done: units.length - open.length };
}
