/**
 * A keyed bijection on [0, n) — BlackRock-style (masscan): a Feistel network over the mixed-radix
 * domain a×b ≥ n with a ≈ b ≈ √n, plus cycle-walking for the few values that land in [n, a×b).
 * Because a×b exceeds n by O(√n), a walk is almost always a single step.
 *
 * Two implementations share the algorithm: a `number` one (n < 2^52, the common case, no allocation)
 * and a bigint one for IPv6-sized spaces. The order depends only on (n, seed), so a scan can be
 * resumed, sharded and reproduced with nothing but integers.
 */
const ROUNDS = 6;

export interface Permutation {
  readonly size: bigint;
  /** The permuted position of `index` (0 ≤ index < size). */
  at(index: bigint): bigint;
  /** Fast path for spaces below 2^52; throws if the space is larger. */
  atNumber(index: number): number;
}

/** 32-bit avalanche mix (murmur3 finaliser) of (round, value, key). */
function mix32(round: number, value: number, k0: number, k1: number): number {
  let h = Math.imul(value ^ k0, 0xcc9e2d51) ^ Math.imul(round + 1, 0x1b873593) ^ k1;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Round function for number domains: mixes both 26-bit halves of a value below 2^52. */
function roundNumber(round: number, r: number, k: number[]): number {
  const lo = r % 0x4000000;
  const hi = Math.floor(r / 0x4000000);
  const a = mix32(round, lo, k[0]!, k[1]!);
  const b = mix32(round, hi ^ a, k[2]!, k[3]!);
  // 52 bits of output so `% modulus` stays nearly uniform for moduli up to 2^26.
  return (a % 0x4000000) * 0x4000000 + (b % 0x4000000);
}

function roundBig(round: number, r: bigint, k: number[]): bigint {
  // Fold the value 32 bits at a time, then expand to 128 bits of output.
  let acc = mix32(round, 0x9e3779b9, k[0]!, k[1]!);
  let v = r;
  do {
    acc = mix32(round, Number(v & 0xffffffffn) ^ acc, k[2]!, k[3]!);
    v >>= 32n;
  } while (v > 0n);
  let out = 0n;
  for (let i = 0; i < 4; i++) {
    acc = mix32(round + i, acc, k[i % 4]!, k[(i + 1) % 4]!);
    out = (out << 32n) | BigInt(acc);
  }
  return out;
}

function isqrt(n: bigint): bigint {
  if (n < 2n) return n;
  let x = BigInt(Math.floor(Math.sqrt(Number(n))));
  while (x * x > n) x--;
  while ((x + 1n) * (x + 1n) <= n) x++;
  return x;
}

/** Derives four 32-bit key words from the seed (any bigint). */
function keyWords(seed: bigint): number[] {
  const words: number[] = [];
  let s = BigInt.asUintN(128, seed);
  for (let i = 0; i < 4; i++) {
    words.push(mix32(i, Number(s & 0xffffffffn), 0x243f6a88, 0x85a308d3 + i));
    s >>= 32n;
  }
  return words;
}

const NUMBER_LIMIT = 2n ** 52n;

export function createPermutation(size: bigint, seed: bigint): Permutation {
  if (size < 0n) throw new RangeError(`permutation size must be ≥ 0, got ${size}`);
  const k = keyWords(seed);
  // a×b ≥ size with a ≈ b; a ≥ 1 so tiny spaces still work (a = 1 degenerates to a keyed rotation).
  let a = isqrt(size);
  if (a < 1n) a = 1n;
  let b = (size + a - 1n) / a;
  if (b < 1n) b = 1n;

  const small = size < NUMBER_LIMIT;
  const an = Number(a);
  const bn = Number(b);
  const sizeN = Number(size);

  function encryptNumber(m: number): number {
    let l = m % an;
    let r = Math.floor(m / an);
    for (let j = 1; j <= ROUNDS; j++) {
      const mod = j & 1 ? an : bn;
      const tmp = (l + (roundNumber(j, r, k) % mod)) % mod;
      l = r;
      r = tmp;
    }
    return ROUNDS & 1 ? an * l + r : an * r + l;
  }

  function encryptBig(m: bigint): bigint {
    let l = m % a;
    let r = m / a;
    for (let j = 1; j <= ROUNDS; j++) {
      const mod = j & 1 ? a : b;
      const tmp = (l + (roundBig(j, r, k) % mod)) % mod;
      l = r;
      r = tmp;
    }
    return ROUNDS & 1 ? a * l + r : a * r + l;
  }

  function atNumber(index: number): number {
    if (!small) throw new RangeError('permutation space too large for the number fast path');
    if (!(index >= 0 && index < sizeN)) throw new RangeError(`index ${index} outside [0, ${sizeN})`);
    let c = encryptNumber(index);
    while (c >= sizeN) c = encryptNumber(c);
    return c;
  }

  function at(index: bigint): bigint {
    if (index < 0n || index >= size) throw new RangeError(`index ${index} outside [0, ${size})`);
    if (small) return BigInt(atNumber(Number(index)));
    let c = encryptBig(index);
    while (c >= size) c = encryptBig(c);
    return c;
  }

  return { size, at, atNumber };
}
