/**
 * A work unit is a half-open range of a stage's permuted index space: a handful of integers.
 * `checkpoint` is a low watermark: every index in [start, checkpoint) is finished and its results
 * are stored, so a resume re-runs only [checkpoint, end).
 *
 * Stages: `discover` units are ranges of the (address × port) space; a fleet assessment's `check`
 * units are one per host with open ports (the range [0, 1), done once the host's checks are stored),
 * so the store, not the queue, records which hosts are checked.
 */
export type Stage = 'discover' | 'check';
export type WorkUnitState = 'pending' | 'leased' | 'done';

export interface WorkUnit {
  readonly scanId: string;
  readonly stage: Stage;
  readonly unitIndex: number;
  readonly start: bigint;
  readonly end: bigint;
  readonly checkpoint: bigint;
  readonly state: WorkUnitState;
  readonly attempts: number;
  readonly leaseOwner: string | null;
}
