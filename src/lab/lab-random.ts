/**
 * A small seeded PRNG (splitmix32 seeding a mulberry32 stream). The labs only need reproducible
 * layouts from a seed, not cryptographic quality, and must not depend on Math.random.
 */
export interface LabRandom {
  /** Uniform in [0, 1). */
  next(): number;
  /** Uniform integer in [0, n). */
  int(n: number): number;
  /** Exponential variate with rate `lambda` (mean 1/lambda). */
  exp(lambda: number): number;
  /** Fisher-Yates shuffle of a copy. */
  shuffle<T>(items: readonly T[]): T[];
}

/**
 * mulberry32: a small seeded generator of numbers in [0, 1) — reproducible labs, and tests that
 * replay a failure from the seed they print.
 */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function labRandom(seed: number): LabRandom {
  // splitmix32 step turns small, similar seeds (1, 2, 3...) into unrelated starting states.
  let z = (Math.trunc(seed) ^ 0x9e3779b9) >>> 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
  const state = (z ^ (z >>> 16)) >>> 0;

  const next = mulberry32(state);
  const int = (n: number): number => Math.floor(next() * n);
  return {
    next,
    int,
    exp: (lambda) => -Math.log(1 - next()) / lambda,
    shuffle<T>(items: readonly T[]): T[] {
      const a = [...items];
      for (let i = a.length - 1; i > 0; i--) {
        const j = int(i + 1);
        const tmp = a[i] as T;
        a[i] = a[j] as T;
        a[j] = tmp;
      }
      return a;
    },
  };
}
