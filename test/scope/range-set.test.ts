import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { RangeSet, RangeSetBuilder, formatIp, parseIp, type AddressRange, type IpAddress, type IpFamily } from '../../src/scope/index.js';
import { mulberry32 } from '../../src/lab/lab-random.js';

const r4 = (a: string, b: string = a): AddressRange => ({ family: 4, first: (parseIp(a) as IpAddress).value, last: (parseIp(b) as IpAddress).value });
const r6 = (a: string, b: string = a): AddressRange => ({ family: 6, first: (parseIp(a) as IpAddress).value, last: (parseIp(b) as IpAddress).value });
const show = (s: RangeSet): string[] => s.ranges.map((r) => `${formatIp({ family: r.family, value: r.first })}-${formatIp({ family: r.family, value: r.last })}`);

/** Deterministic PRNG so a failure reproduces. */
function rng(seed: number): () => number {
  return mulberry32(seed);
}

/** Naive model: a set of "family:value" strings. Small universe so collisions and adjacency are common. */
function model(ranges: readonly AddressRange[]): Set<string> {
  const s = new Set<string>();
  for (const r of ranges) for (let v = r.first; v <= r.last; v++) s.add(`${r.family}:${v}`);
  return s;
}

function randomRanges(rand: () => number, count: number, base6: bigint): AddressRange[] {
  const out: AddressRange[] = [];
  for (let i = 0; i < count; i++) {
    const family: IpFamily = rand() < 0.7 ? 4 : 6;
    const start = BigInt(Math.floor(rand() * 120));
    const len = BigInt(Math.floor(rand() * (rand() < 0.2 ? 30 : 5)));
    // IPv4 near the top of the space and IPv6 near the top too, to exercise edges.
    const off = family === 4 ? (rand() < 0.3 ? 0xffffffffn - 150n : 0n) : base6;
    const first = off + start;
    let last = first + len;
    if (family === 4 && last > 0xffffffffn) last = 0xffffffffn;
    if (family === 6 && last > (1n << 128n) - 1n) last = (1n << 128n) - 1n;
    out.push({ family, first, last });
  }
  return out;
}

function assertMatchesModel(s: RangeSet, m: Set<string>, label: string): void {
  assert.equal(s.size, BigInt(m.size), `${label}: size`);
  // Normalised: sorted, disjoint, not adjacent, v4 before v6.
  const rs = s.ranges;
  for (let i = 1; i < rs.length; i++) {
    const p = rs[i - 1] as AddressRange;
    const c = rs[i] as AddressRange;
    assert.ok(p.first <= p.last && c.first <= c.last);
    if (p.family === c.family) assert.ok(p.last + 1n < c.first, `${label}: ranges ${i - 1},${i} overlap or touch`);
    else assert.ok(p.family === 4 && c.family === 6, `${label}: family order`);
  }
  const seen = new Set<string>();
  for (let i = 0n; i < s.size; i++) {
    const a = s.at(i);
    const key = `${a.family}:${a.value}`;
    assert.ok(m.has(key), `${label}: at(${i}) = ${key} not in model`);
    assert.ok(!seen.has(key), `${label}: at(${i}) repeats`);
    seen.add(key);
    assert.equal(s.indexOf(a), i, `${label}: indexOf(at(${i}))`);
  }
}

describe('RangeSet.from', () => {
  it('sorts, merges overlapping and adjacent ranges, keeps families apart', () => {
    const s = RangeSet.from([
      r6('2001:db8::10', '2001:db8::20'),
      r4('10.0.0.10', '10.0.0.20'),
      r4('10.0.0.21', '10.0.0.30'), // adjacent: merges
      r4('10.0.0.5', '10.0.0.12'), // overlapping: merges
      r4('10.0.0.40'),
      r6('2001:db8::21'), // adjacent in v6
      r4('0.0.0.0'),
      r4('255.255.255.255'),
      r6('::', '::'),
    ]);
    assert.deepEqual(show(s), ['0.0.0.0-0.0.0.0', '10.0.0.5-10.0.0.30', '10.0.0.40-10.0.0.40', '255.255.255.255-255.255.255.255', '::-::', '2001:db8::10-2001:db8::21']);
    assert.equal(s.size, 1n + 26n + 1n + 1n + 1n + 18n);
    assert.equal(s.v4Count, 29);
    assert.equal(s.isV4Only, false);
  });

  it('handles the whole spaces', () => {
    const all4 = RangeSet.from([r4('0.0.0.0', '255.255.255.255')]);
    assert.equal(all4.size, 1n << 32n);
    assert.equal(all4.v4Count, 2 ** 32);
    assert.deepEqual(all4.at((1n << 32n) - 1n), { family: 4, value: 0xffffffffn });
    assert.equal(all4.atV4Number(2 ** 32 - 1), 0xffffffff);
    const all6 = RangeSet.from([r6('::', 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff'), r6('::1', '::2')]);
    assert.equal(all6.size, 1n << 128n);
    assert.equal(all6.at((1n << 128n) - 1n).value, (1n << 128n) - 1n);
    const both = all4.union(all6);
    assert.equal(both.size, (1n << 32n) + (1n << 128n));
    assert.deepEqual(both.at(1n << 32n), { family: 6, value: 0n });
    assert.equal(both.indexOf({ family: 6, value: 5n }), (1n << 32n) + 5n);
  });

  it('rejects invalid ranges', () => {
    assert.throws(() => RangeSet.from([{ family: 4, first: 5n, last: 4n }]), RangeError);
    assert.throws(() => RangeSet.from([{ family: 4, first: 0n, last: 1n << 32n }]), RangeError);
    assert.throws(() => RangeSet.from([{ family: 6, first: -1n, last: 0n }]), RangeError);
    assert.throws(() => RangeSet.from([{ family: 6, first: 0n, last: 1n << 128n }]), RangeError);
    assert.throws(() => new RangeSetBuilder().addV4(1.5, 2), RangeError);
  });

  it('empty set', () => {
    const e = RangeSet.from([]);
    assert.equal(e.size, 0n);
    assert.ok(e.isEmpty);
    assert.throws(() => e.at(0n), RangeError);
    assert.equal(e.indexOf({ family: 4, value: 0n }), undefined);
    assert.equal(e.contains({ family: 6, value: 0n }), false);
    assert.ok(RangeSet.empty.equals(e));
  });
});

describe('RangeSet lookups', () => {
  const s = RangeSet.from([r4('10.0.0.0', '10.0.0.9'), r4('10.0.1.0', '10.0.1.4'), r6('2001:db8::', '2001:db8::2')]);

  it('at / atV4Number / indexOf / contains agree', () => {
    assert.equal(s.size, 18n);
    assert.equal(formatIp(s.at(0n)), '10.0.0.0');
    assert.equal(formatIp(s.at(9n)), '10.0.0.9');
    assert.equal(formatIp(s.at(10n)), '10.0.1.0');
    assert.equal(formatIp(s.at(14n)), '10.0.1.4');
    assert.equal(formatIp(s.at(15n)), '2001:db8::');
    assert.equal(formatIp(s.at(17n)), '2001:db8::2');
    for (let i = 0; i < s.v4Count; i++) assert.equal(BigInt(s.atV4Number(i)), s.at(BigInt(i)).value);
    assert.equal(s.indexOf(parseIp('10.0.1.2') as IpAddress), 12n);
    assert.equal(s.indexOf(parseIp('10.0.0.10') as IpAddress), undefined);
    assert.equal(s.indexOf(parseIp('9.255.255.255') as IpAddress), undefined);
    assert.equal(s.indexOf(parseIp('2001:db8::3') as IpAddress), undefined);
    assert.ok(s.contains(parseIp('2001:db8::1') as IpAddress));
    assert.ok(!s.contains(parseIp('::a00:1') as IpAddress), 'an IPv6 value equal to an IPv4 member is not a member');
    assert.ok(s.containsV4Number(0x0a000104));
    assert.ok(!s.containsV4Number(0x0a000105));
  });

  it('throws RangeError outside [0, size)', () => {
    assert.throws(() => s.at(-1n), RangeError);
    assert.throws(() => s.at(18n), RangeError);
    assert.throws(() => s.atV4Number(15), RangeError);
    assert.throws(() => s.atV4Number(-1), RangeError);
    assert.throws(() => s.atV4Number(0.5), RangeError);
  });
});

describe('RangeSet set algebra against a naive model', () => {
  it('from / subtract / intersect / union match Set-based results on random small inputs', () => {
    const rand = rng(20240601);
    const base6s = [0n, 1n << 64n, (1n << 128n) - 160n];
    for (let round = 0; round < 300; round++) {
      const base6 = base6s[round % 3] as bigint;
      const aIn = randomRanges(rand, 1 + Math.floor(rand() * 12), base6);
      const bIn = randomRanges(rand, Math.floor(rand() * 12), base6);
      const a = RangeSet.from(aIn);
      const b = RangeSet.from(bIn);
      const ma = model(aIn);
      const mb = model(bIn);
      assertMatchesModel(a, ma, `round ${round} A`);
      assertMatchesModel(b, mb, `round ${round} B`);
      assertMatchesModel(a.subtract(b), new Set([...ma].filter((k) => !mb.has(k))), `round ${round} A-B`);
      assertMatchesModel(b.subtract(a), new Set([...mb].filter((k) => !ma.has(k))), `round ${round} B-A`);
      assertMatchesModel(a.intersect(b), new Set([...ma].filter((k) => mb.has(k))), `round ${round} A&B`);
      assertMatchesModel(a.union(b), new Set([...ma, ...mb]), `round ${round} A|B`);
      // Algebraic identities, checked with equals().
      assert.ok(a.subtract(b).union(a.intersect(b)).equals(a));
      assert.ok(a.intersect(b).equals(b.intersect(a)));
      assert.ok(a.subtract(a).isEmpty);
      // Input order does not matter.
      assert.ok(RangeSet.from([...aIn].reverse()).equals(a));
      // contains agrees with the model for members and near-misses.
      for (const r of aIn) {
        for (const v of [r.first - 1n, r.first, r.last, r.last + 1n]) {
          if (v < 0n || (r.family === 4 && v > 0xffffffffn) || v > (1n << 128n) - 1n) continue;
          assert.equal(a.contains({ family: r.family, value: v }), ma.has(`${r.family}:${v}`));
        }
      }
    }
  });
});

describe('RangeSet scale', () => {
  it('builds from 1,000,000 single addresses and looks them all up', () => {
    const n = 1_000_000;
    const rand = rng(7);
    const values = new Uint32Array(n);
    for (let i = 0; i < n; i++) values[i] = Math.floor(rand() * 2 ** 32);
    const ranges: AddressRange[] = new Array<AddressRange>(n);
    for (let i = 0; i < n; i++) {
      const v = BigInt(values[i] as number);
      ranges[i] = { family: 4, first: v, last: v };
    }
    const s = RangeSet.from(ranges);
    const distinct = new Set(values).size;
    assert.equal(s.size, BigInt(distinct));
    assert.ok(s.isV4Only);
    // Every input is a member, and at/indexOf round-trip on a sample.
    for (let i = 0; i < n; i += 997) {
      const v = values[i] as number;
      assert.ok(s.containsV4Number(v));
      const idx = s.indexOf({ family: 4, value: BigInt(v) });
      assert.ok(idx !== undefined);
      assert.equal(s.atV4Number(Number(idx)), v);
    }
    // Indices map to ascending addresses.
    let prev = -1;
    for (let i = 0; i < s.v4Count; i += 101) {
      const v = s.atV4Number(i);
      assert.ok(v > prev);
      prev = v;
    }
  });
});
