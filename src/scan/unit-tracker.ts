import type { WorkUnit } from '../model/work-unit.js';

/**
 * Tracks which indices of one work unit are finished, out of order, and exposes the low watermark:
 * the first index not yet finished. Everything below it is safe to checkpoint.
 */
export class UnitTracker {
  readonly unit: WorkUnit;
  readonly end: number;
  /** Next index to hand out. */
  cursor: number;
  #watermark: number;
  #finishedAhead = new Set<number>();
  #committedWatermark: number;

  constructor(unit: WorkUnit) {
    this.unit = unit;
    this.end = Number(unit.end);
    this.cursor = Number(unit.checkpoint);
    this.#watermark = this.cursor;
    this.#committedWatermark = this.cursor;
  }

  finish(index: number): void {
    if (index === this.#watermark) {
      this.#watermark++;
      while (this.#finishedAhead.delete(this.#watermark)) this.#watermark++;
    } else if (index > this.#watermark) {
      this.#finishedAhead.add(index);
    }
  }

  get watermark(): number {
    return this.#watermark;
  }

  get exhausted(): boolean {
    return this.cursor >= this.end;
  }

  get done(): boolean {
    return this.#watermark >= this.end;
  }

  /** True when the watermark moved since the last commit. */
  get dirty(): boolean {
    return this.#watermark !== this.#committedWatermark;
  }

  markCommitted(watermark: number): void {
    this.#committedWatermark = watermark;
  }
}
