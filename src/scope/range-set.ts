/**
 * A set of addresses as sorted, disjoint, non-adjacent inclusive ranges (IPv4 before IPv6), with a
 * dense index space [0, size) so the planner can permute integers and map each one back to an address.
 *
 * IPv4 ranges live in typed arrays as plain numbers (exact below 2^53) so that building a set from a
 * million-line target file and the per-probe `at()` lookup avoid bigint work; IPv6 needs bigints.
 */
import { IPV6_MAX, type IpAddress, type IpFamily } from './ip-address.js';

export interface AddressRange {
  readonly family: IpFamily;
  /** Inclusive. */
  readonly first: bigint;
  /** Inclusive. */
  readonly last: bigint;
}

const V4_MAX = 0xffff_ffff;

/** Collects ranges in any order, then normalises them once. Cheaper than building objects per range. */
export class RangeSetBuilder {
  #v4f = new Uint32Array(256);
  #v4l = new Uint32Array(256);
  #n4 = 0;
  #v6f: bigint[] = [];
  #v6l: bigint[] = [];

  /** Ranges added so far (before merging). */
  get count(): number {
    return this.#n4 + this.#v6f.length;
  }

  add(r: AddressRange): this {
    if (r.family === 4) {
      if (r.first < 0n || r.last > 0xffff_ffffn || r.first > r.last) throw new RangeError(`invalid IPv4 range ${r.first}-${r.last}`);
      return this.#pushV4(Number(r.first), Number(r.last));
    }
    if (r.family === 6) return this.addV6(r.first, r.last);
    throw new RangeError(`unknown address family ${String((r as { family: unknown }).family)}`);
  }

  addV4(first: number, last: number): this {
    if (!Number.isInteger(first) || !Number.isInteger(last) || first < 0 || last > V4_MAX || first > last) {
      throw new RangeError(`invalid IPv4 range ${first}-${last}`);
    }
    return this.#pushV4(first, last);
  }

  addV6(first: bigint, last: bigint): this {
    if (first < 0n || last > IPV6_MAX || first > last) throw new RangeError(`invalid IPv6 range ${first}-${last}`);
    this.#v6f.push(first);
    this.#v6l.push(last);
    return this;
  }

  addAll(ranges: Iterable<AddressRange>): this {
    for (const r of ranges) this.add(r);
    return this;
  }

  addSet(s: RangeSet): this {
    for (const r of s.ranges) this.add(r);
    return this;
  }

  build(): RangeSet {
    const [f4, l4] = normalizeV4(this.#v4f, this.#v4l, this.#n4);
    const [f6, l6] = normalizeV6(this.#v6f, this.#v6l);
    return RangeSet.fromNormalized(f4, l4, f6, l6);
  }

  #pushV4(first: number, last: number): this {
    if (this.#n4 === this.#v4f.length) {
      const f = new Uint32Array(this.#v4f.length * 2);
      const l = new Uint32Array(this.#v4l.length * 2);
      f.set(this.#v4f);
      l.set(this.#v4l);
      this.#v4f = f;
      this.#v4l = l;
    }
    this.#v4f[this.#n4] = first;
    this.#v4l[this.#n4] = last;
    this.#n4++;
    return this;
  }
}

export class RangeSet {
  static readonly empty: RangeSet = RangeSet.fromNormalized(new Uint32Array(0), new Uint32Array(0), [], []);

  /** Sorts and merges overlapping or adjacent ranges, per family (IPv4 first). */
  static from(ranges: Iterable<AddressRange>): RangeSet {
    return new RangeSetBuilder().addAll(ranges).build();
  }

  /** @internal Inputs must already be sorted, disjoint and non-adjacent. */
  static fromNormalized(v4First: Uint32Array, v4Last: Uint32Array, v6First: readonly bigint[], v6Last: readonly bigint[]): RangeSet {
    return new RangeSet(v4First, v4Last, v6First, v6Last);
  }

  /** Number of addresses. */
  readonly size: bigint;
  /** Number of IPv4 addresses; they occupy indices [0, v4Count). */
  readonly v4Count: number;

  readonly #v4CountBig: bigint;
  readonly #v4f: Uint32Array;
  readonly #v4l: Uint32Array;
  /** Index of the first address of each IPv4 range (prefix sums; at most 2^32, exact as a double). */
  readonly #v4s: Float64Array;
  readonly #v6f: readonly bigint[];
  readonly #v6l: readonly bigint[];
  /** Absolute index of the first address of each IPv6 range. */
  readonly #v6s: bigint[];
  #ranges: readonly AddressRange[] | undefined;

  private constructor(v4f: Uint32Array, v4l: Uint32Array, v6f: readonly bigint[], v6l: readonly bigint[]) {
    this.#v4f = v4f;
    this.#v4l = v4l;
    this.#v6f = v6f;
    this.#v6l = v6l;
    const n4 = v4f.length;
    const s4 = new Float64Array(n4);
    let acc = 0;
    for (let i = 0; i < n4; i++) {
      s4[i] = acc;
      acc += (v4l[i] as number) - (v4f[i] as number) + 1;
    }
    this.#v4s = s4;
    this.v4Count = acc;
    this.#v4CountBig = BigInt(acc);
    let acc6 = this.#v4CountBig;
    const s6: bigint[] = new Array<bigint>(v6f.length);
    for (let i = 0; i < v6f.length; i++) {
      s6[i] = acc6;
      acc6 += (v6l[i] as bigint) - (v6f[i] as bigint) + 1n;
    }
    this.#v6s = s6;
    this.size = acc6;
  }

  /** The normalised ranges, IPv4 first, each family ascending. Built on first use. */
  get ranges(): readonly AddressRange[] {
    if (this.#ranges === undefined) {
      const out: AddressRange[] = new Array<AddressRange>(this.rangeCount);
      const n4 = this.#v4f.length;
      for (let i = 0; i < n4; i++) out[i] = { family: 4, first: BigInt(this.#v4f[i] as number), last: BigInt(this.#v4l[i] as number) };
      for (let i = 0; i < this.#v6f.length; i++) out[n4 + i] = { family: 6, first: this.#v6f[i] as bigint, last: this.#v6l[i] as bigint };
      this.#ranges = Object.freeze(out);
    }
    return this.#ranges;
  }

  get rangeCount(): number {
    return this.#v4f.length + this.#v6f.length;
  }

  get isEmpty(): boolean {
    return this.size === 0n;
  }

  /** True when every index maps to IPv4, so `atV4Number` covers the whole index space. */
  get isV4Only(): boolean {
    return this.#v6f.length === 0;
  }

  /** The address at `index` in [0, size). O(log ranges). */
  at(index: bigint): IpAddress {
    if (index < 0n || index >= this.size) throw new RangeError(`index ${index} outside [0, ${this.size})`);
    if (index < this.#v4CountBig) return { family: 4, value: BigInt(this.#atV4(Number(index))) };
    const s = this.#v6s;
    let lo = 0;
    let hi = s.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if ((s[mid] as bigint) <= index) lo = mid;
      else hi = mid - 1;
    }
    return { family: 6, value: (this.#v6f[lo] as bigint) + (index - (s[lo] as bigint)) };
  }

  /** Allocation-free IPv4 lookup for index in [0, v4Count): returns the address as a uint32 number. */
  atV4Number(index: number): number {
    if (!(index >= 0 && index < this.v4Count) || !Number.isInteger(index)) {
      throw new RangeError(`index ${index} outside the IPv4 part [0, ${this.v4Count})`);
    }
    return this.#atV4(index);
  }

  /** Position of `a` in the index space, or undefined when it is not in the set. */
  indexOf(a: IpAddress): bigint | undefined {
    if (a.family === 4) {
      if (a.value < 0n || a.value > 0xffff_ffffn) return undefined;
      const i = this.#findV4(Number(a.value));
      return i < 0 ? undefined : BigInt((this.#v4s[i] as number) + (Number(a.value) - (this.#v4f[i] as number)));
    }
    const i = this.#findV6(a.value);
    return i < 0 ? undefined : (this.#v6s[i] as bigint) + (a.value - (this.#v6f[i] as bigint));
  }

  contains(a: IpAddress): boolean {
    if (a.family === 4) return a.value >= 0n && a.value <= 0xffff_ffffn && this.#findV4(Number(a.value)) >= 0;
    return this.#findV6(a.value) >= 0;
  }

  /** Fast membership for a uint32 IPv4 address. */
  containsV4Number(n: number): boolean {
    return this.#findV4(n) >= 0;
  }

  /** Addresses in this set and not in `other`. Linear in the number of ranges. */
  subtract(other: RangeSet): RangeSet {
    const f4: number[] = [];
    const l4: number[] = [];
    subtractSorted(this.#v4f, this.#v4l, other.#v4f, other.#v4l, inc, dec, f4, l4);
    const f6: bigint[] = [];
    const l6: bigint[] = [];
    subtractSorted(this.#v6f, this.#v6l, other.#v6f, other.#v6l, inc6, dec6, f6, l6);
    return new RangeSet(Uint32Array.from(f4), Uint32Array.from(l4), f6, l6);
  }

  /** Addresses in both sets. Linear in the number of ranges. */
  intersect(other: RangeSet): RangeSet {
    const f4: number[] = [];
    const l4: number[] = [];
    intersectSorted(this.#v4f, this.#v4l, other.#v4f, other.#v4l, f4, l4);
    const f6: bigint[] = [];
    const l6: bigint[] = [];
    intersectSorted(this.#v6f, this.#v6l, other.#v6f, other.#v6l, f6, l6);
    return new RangeSet(Uint32Array.from(f4), Uint32Array.from(l4), f6, l6);
  }

  union(other: RangeSet): RangeSet {
    return new RangeSetBuilder().addSet(this).addSet(other).build();
  }

  /** Same addresses. */
  equals(other: RangeSet): boolean {
    if (this.size !== other.size || this.#v4f.length !== other.#v4f.length || this.#v6f.length !== other.#v6f.length) return false;
    for (let i = 0; i < this.#v4f.length; i++) {
      if (this.#v4f[i] !== other.#v4f[i] || this.#v4l[i] !== other.#v4l[i]) return false;
    }
    for (let i = 0; i < this.#v6f.length; i++) {
      if (this.#v6f[i] !== other.#v6f[i] || this.#v6l[i] !== other.#v6l[i]) return false;
    }
    return true;
  }

  #atV4(index: number): number {
    const s = this.#v4s;
    let lo = 0;
    let hi = s.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if ((s[mid] as number) <= index) lo = mid;
      else hi = mid - 1;
    }
    return (this.#v4f[lo] as number) + (index - (s[lo] as number));
  }

  /** Index of the IPv4 range holding n, or -1. */
  #findV4(n: number): number {
    const f = this.#v4f;
    let lo = 0;
    let hi = f.length - 1;
    if (hi < 0 || n < (f[0] as number)) return -1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if ((f[mid] as number) <= n) lo = mid;
      else hi = mid - 1;
    }
    return n <= (this.#v4l[lo] as number) ? lo : -1;
  }

  #findV6(v: bigint): number {
    const f = this.#v6f;
    let lo = 0;
    let hi = f.length - 1;
    if (hi < 0 || v < (f[0] as bigint)) return -1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if ((f[mid] as bigint) <= v) lo = mid;
      else hi = mid - 1;
    }
    return v <= (this.#v6l[lo] as bigint) ? lo : -1;
  }
}

// ---- normalisation and sweeps ----------------------------------------------------------------------

const KEY_SPAN = 2 ** 21;

function normalizeV4(f: Uint32Array, l: Uint32Array, n: number): [Uint32Array, Uint32Array] {
  let sorted = true;
  for (let i = 1; i < n; i++) {
    if ((f[i] as number) < (f[i - 1] as number)) {
      sorted = false;
      break;
    }
  }
  let order: Uint32Array | undefined;
  if (!sorted) {
    order = new Uint32Array(n);
    if (n <= KEY_SPAN) {
      // first * 2^21 + i stays below 2^53, so a comparator-free numeric sort orders by first and
      // recovers i exactly: several times faster than a comparator over a million entries.
      const keys = new Float64Array(n);
      for (let i = 0; i < n; i++) keys[i] = (f[i] as number) * KEY_SPAN + i;
      keys.sort();
      for (let k = 0; k < n; k++) order[k] = (keys[k] as number) % KEY_SPAN;
    } else {
      for (let i = 0; i < n; i++) order[i] = i;
      order.sort((a, b) => (f[a] as number) - (f[b] as number));
    }
  }
  const outF = new Uint32Array(n);
  const outL = new Uint32Array(n);
  let m = -1;
  let curL = -2;
  for (let k = 0; k < n; k++) {
    const i = order === undefined ? k : (order[k] as number);
    const fi = f[i] as number;
    const li = l[i] as number;
    if (m >= 0 && fi <= curL + 1) {
      if (li > curL) {
        curL = li;
        outL[m] = li;
      }
    } else {
      m++;
      outF[m] = fi;
      outL[m] = li;
      curL = li;
    }
  }
  return [outF.slice(0, m + 1), outL.slice(0, m + 1)];
}

function normalizeV6(f: readonly bigint[], l: readonly bigint[]): [bigint[], bigint[]] {
  const n = f.length;
  const order: number[] = new Array<number>(n);
  for (let i = 0; i < n; i++) order[i] = i;
  order.sort((a, b) => {
    const x = f[a] as bigint;
    const y = f[b] as bigint;
    return x < y ? -1 : x > y ? 1 : 0;
  });
  const outF: bigint[] = [];
  const outL: bigint[] = [];
  for (const i of order) {
    const fi = f[i] as bigint;
    const li = l[i] as bigint;
    const m = outF.length - 1;
    if (m >= 0 && fi <= (outL[m] as bigint) + 1n) {
      if (li > (outL[m] as bigint)) outL[m] = li;
    } else {
      outF.push(fi);
      outL.push(li);
    }
  }
  return [outF, outL];
}

const inc = (x: number): number => x + 1;
const dec = (x: number): number => x - 1;
const inc6 = (x: bigint): bigint => x + 1n;
const dec6 = (x: bigint): bigint => x - 1n;

/** A − B over sorted, disjoint range lists; appends to outF/outL (result is normalised too). */
function subtractSorted<T extends number | bigint>(
  af: ArrayLike<T>, al: ArrayLike<T>, bf: ArrayLike<T>, bl: ArrayLike<T>,
  succ: (x: T) => T, pred: (x: T) => T, outF: T[], outL: T[],
): void {
  let j = 0;
  const nb = bf.length;
  for (let i = 0; i < af.length; i++) {
    let cur = af[i] as T;
    const end = al[i] as T;
    while (j < nb && (bl[j] as T) < cur) j++;
    let k = j;
    let open = true;
    while (k < nb && (bf[k] as T) <= end) {
      const bfk = bf[k] as T;
      const blk = bl[k] as T;
      if (bfk > cur) {
        outF.push(cur);
        outL.push(pred(bfk));
      }
      if (blk >= end) {
        open = false;
        break;
      }
      cur = succ(blk);
      k++;
    }
    if (open) {
      outF.push(cur);
      outL.push(end);
    }
    // B[k] may reach into the next A range, so it is not skipped.
    j = k;
  }
}

function intersectSorted<T extends number | bigint>(
  af: ArrayLike<T>, al: ArrayLike<T>, bf: ArrayLike<T>, bl: ArrayLike<T>, outF: T[], outL: T[],
): void {
  let i = 0;
  let j = 0;
  while (i < af.length && j < bf.length) {
    const a0 = af[i] as T;
    const a1 = al[i] as T;
    const b0 = bf[j] as T;
    const b1 = bl[j] as T;
    const lo = a0 > b0 ? a0 : b0;
    const hi = a1 < b1 ? a1 : b1;
    if (lo <= hi) {
      outF.push(lo);
      outL.push(hi);
    }
    if (a1 < b1) i++;
    else j++;
  }
}
