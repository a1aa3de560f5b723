/**
 * A work unit is a half-open range of a stage's permuted index space: a handful of integers.
 * `checkpoint` is a low watermark: every index in [start, checkpoint) is finished and its results
 * are stored, so a resume re-runs only [checkpoint, end).
 */
export type Stage = 'discover';
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
