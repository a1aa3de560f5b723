/**
 * Payload combinations for the three nuclei attack types:
 * - batteringram: one payload set; each value is used in every position that names it;
 * - pitchfork: several sets of equal length walked in lockstep (i-th value of each);
 * - clusterbomb: every combination (cartesian product, first set outermost).
 * The loader checks the combination count against MAX_PAYLOAD_COMBINATIONS before anything runs.
 */
import { TrawlError } from '../../errors/trawl-error.js';
import type { AttackType, PayloadSpec } from './template-types.js';

export const MAX_PAYLOAD_COMBINATIONS = 10_000;

export function combinationCount(spec: PayloadSpec): number {
  const lengths = [...spec.sets.values()].map((v) => v.length);
  if (lengths.length === 0) return 0;
  if (spec.attack === 'clusterbomb') return lengths.reduce((a, b) => a * b, 1);
  return Math.min(...lengths);
}

/** Checks the shape rules nuclei enforces; returns the reason when they are broken. */
export function payloadProblem(attack: AttackType, sets: ReadonlyMap<string, readonly string[]>): string | undefined {
  if (sets.size === 0) return 'payloads has no sets';
  for (const [k, v] of sets) if (v.length === 0) return `payload set "${k}" is empty`;
  if (attack === 'batteringram' && sets.size !== 1) return 'batteringram takes exactly one payload set';
  if (attack === 'pitchfork') {
    const lengths = new Set([...sets.values()].map((v) => v.length));
    if (lengths.size > 1) return 'pitchfork payload sets must have the same number of values';
  }
  const n = combinationCount({ attack, sets });
  if (n > MAX_PAYLOAD_COMBINATIONS) return `payloads make ${n} combinations (limit ${MAX_PAYLOAD_COMBINATIONS})`;
  return undefined;
}

/** Yields one Map per combination (name → value). */
export function* payloadCombinations(spec: PayloadSpec): Generator<ReadonlyMap<string, string>> {
  const names = [...spec.sets.keys()];
  const lists = names.map((n) => spec.sets.get(n)!);
  if (names.length === 0) return;
  const problem = payloadProblem(spec.attack, spec.sets);
  if (problem) throw new TrawlError('TRAWL_E_VALIDATION', problem, { attack: spec.attack });
  if (spec.attack === 'batteringram' || spec.attack === 'pitchfork') {
    const n = Math.min(...lists.map((l) => l.length));
    for (let i = 0; i < n; i++) yield new Map(names.map((name, k) => [name, lists[k]![i]!]));
    return;
  }
  const idx = names.map(() => 0);
  for (;;) {
    yield new Map(names.map((name, k) => [name, lists[k]![idx[k]!]!]));
    // Odometer: the last set turns fastest, the first is outermost.
    let k = names.length - 1;
    while (k >= 0) {
      idx[k] = idx[k]! + 1;
      if (idx[k]! < lists[k]!.length) break;
      idx[k] = 0;
      k--;
    }
    if (k < 0) return;
  }
}
