import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createPermutation } from '../../src/plan/keyed-permutation.js';
import { parseSeed } from '../../src/plan/seed.js';
import { parseShard, shardRange } from '../../src/plan/shard.js';
import { planUnits } from '../../src/plan/unit-planner.js';
import { isTrawlError } from '../../src/errors/index.js';

function assertBijection(size: number, seed: bigint): void {
  const p = createPermutation(BigInt(size), seed);
  const seen = new Uint8Array(size);
  for (let i = 0; i < size; i++) {
    const v = p.atNumber(i);
    assert.ok(Number.isInteger(v) && v >= 0 && v < size, `value ${v} out of range for size ${size}`);
    assert.equal(seen[v], 0, `duplicate ${v} for size ${size}`);
    seen[v] = 1;
  }
}

describe('keyed permutation', () => {
  it('is a bijection for awkward sizes', () => {
    for (const size of [1, 2, 3, 5, 7, 8, 9, 10, 17, 31, 97, 100, 255, 256, 257, 1000, 4093, 65535, 65536, 122_880, 250_007]) {
      assertBijection(size, 42n);
    }
  });

  it('is a bijection for many seeds on prime sizes', () => {
    for (let s = 0n; s < 20n; s++) assertBijection(1009, s * 0x9e3779b97f4a7c15n);
  });

  it('bigint path agrees with itself and is a bijection on a sample above 2^52', () => {
    const size = 2n ** 64n + 13n;
    const p = createPermutation(size, 7n);
    const seen = new Set<bigint>();
    for (let i = 0n; i < 2000n; i++) {
      const v = p.at(i * 9_223_372_036_854_775n);
      assert.ok(v >= 0n && v < size);
      seen.add(v);
    }
    assert.equal(seen.size, 2000);
    assert.throws(() => p.atNumber(0), RangeError);
    assert.throws(() => p.at(size), RangeError);
  });

  it('is a true bijection through the bigint path on a small space', () => {
    // Force the bigint code by comparing a space just below and checking sizes > 2^52 are not needed:
    // exercise `at` (which uses numbers for small sizes) against `atNumber` for consistency.
    const p = createPermutation(5000n, 3n);
    for (let i = 0; i < 5000; i++) assert.equal(p.at(BigInt(i)), BigInt(p.atNumber(i)));
  });

  it('depends on the seed and is reproducible', () => {
    const a = createPermutation(10_000n, 1n);
    const b = createPermutation(10_000n, 1n);
    const c = createPermutation(10_000n, 2n);
    let same = 0;
    for (let i = 0; i < 1000; i++) {
      assert.equal(a.atNumber(i), b.atNumber(i));
      if (a.atNumber(i) === c.atNumber(i)) same++;
    }
    assert.ok(same < 20, `different seeds should give different orders (same=${same})`);
  });

  it('spreads consecutive indices across hosts', () => {
    // 4096 hosts × 30 ports, host = value % hosts: the next 64 probes should hit ~64 distinct hosts.
    const hosts = 4096;
    const p = createPermutation(BigInt(hosts * 30), 99n);
    const distinct = new Set<number>();
    for (let i = 0; i < 64; i++) distinct.add(p.atNumber(i) % hosts);
    assert.ok(distinct.size >= 60, `only ${distinct.size} distinct hosts in 64 consecutive probes`);
  });
});

describe('seed, shard and units', () => {
  it('parses seeds and rejects bad ones naming the value', () => {
    assert.equal(parseSeed('12345'), 12345n);
    assert.equal(parseSeed('0xff'), 255n);
    for (const bad of ['', '-1', '1.5', 'abc', '0x', '1'.repeat(40)]) {
      assert.throws(() => parseSeed(bad), (e: unknown) => isTrawlError(e) && e.code === 'TRAWL_E_BAD_SEED' && e.message.includes(`"${bad}"`));
    }
  });

  it('shards cover the space exactly once', () => {
    for (const size of [0n, 1n, 7n, 1000n, 122_880n]) {
      for (const n of [1, 2, 3, 7]) {
        let covered = 0n;
        let prevEnd = 0n;
        for (let i = 1; i <= n; i++) {
          const r = shardRange(size, parseShard(`${i}/${n}`));
          assert.equal(r.start, prevEnd);
          covered += r.end - r.start;
          prevEnd = r.end;
        }
        assert.equal(covered, size);
        assert.equal(prevEnd, size);
      }
    }
    for (const bad of ['0/2', '3/2', '1/0', 'a/b', '1', '1/2/3']) {
      assert.throws(() => parseShard(bad), (e: unknown) => isTrawlError(e) && e.code === 'TRAWL_E_BAD_SHARD' && e.message.includes(bad));
    }
  });

  it('units tile a range with no gap or overlap', () => {
    const units = planUnits('s', 'discover', 10n, 1_000_010n, 64, 4096n);
    assert.equal(units[0]!.start, 10n);
    assert.equal(units.at(-1)!.end, 1_000_010n);
    for (let i = 1; i < units.length; i++) assert.equal(units[i]!.start, units[i - 1]!.end);
    assert.ok(units.length <= 64);
    assert.deepEqual(planUnits('s', 'discover', 5n, 5n), []);
  });
});
