import type { WorkUnit, Stage } from '../model/work-unit.js';

/**
 * Splits [start, end) of a stage's index space into units. Units are small enough to checkpoint
 * often and to spread over workers, large enough that per-unit overhead is noise.
 */
export function planUnits(scanId: string, stage: Stage, start: bigint, end: bigint, targetUnits = 64, minUnitSize = 4096n): WorkUnit[] {
  const total = end - start;
  if (total <= 0n) return [];
  let unitSize = (total + BigInt(targetUnits) - 1n) / BigInt(targetUnits);
  if (unitSize < minUnitSize) unitSize = minUnitSize;
  const units: WorkUnit[] = [];
  let unitIndex = 0;
  for (let s = start; s < end; s += unitSize) {
    const e = s + unitSize < end ? s + unitSize : end;
    units.push({ scanId, stage, unitIndex: unitIndex++, start: s, end: e, checkpoint: s, state: 'pending', attempts: 0, leaseOwner: null });
  }
  return units;
}
