import { mulberry32 } from '../../../src/lab/lab-random.js';
/** Seeded generators of plausible and awkward versions, for comparing against the reference tools. */
export type Rng = () => number;

/** mulberry32: small, seeded, good enough to spread test cases. */
export function rng(seed: number): Rng {
  return mulberry32(seed);
}

export const pick = <T>(r: Rng, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
const chance = (r: Rng, p: number): boolean => r() < p;
const num = (r: Rng): string => pick(r, ['0', '1', '2', '3', '9', '10', '11', '01', '00', '20240101', '123456789012345678901']);

/** Pairs drawn from a small pool, so equal prefixes and equal versions are common. */
export function pairsFrom(r: Rng, gen: (r: Rng) => string, count: number, pool = 60): Array<[string, string]> {
  const versions = Array.from({ length: pool }, () => gen(r));
  const out: Array<[string, string]> = [];
  for (let i = 0; i < count; i++) {
    const a = pick(r, versions);
    // Half the pairs are a version against a small mutation of itself: where orders disagree.
    out.push([a, chance(r, 0.5) ? pick(r, versions) : gen(r)]);
  }
  return out;
}

export function debianVersion(r: Rng): string {
  const epoch = chance(r, 0.15) ? `${pick(r, ['0', '1', '2', '10'])}:` : '';
  let up = num(r).replace(/^123456789012345678901$/, '9');
  const parts = Math.floor(r() * 4);
  for (let i = 0; i < parts; i++) up += pick(r, ['.', '.', '+', '~', '']) + pick(r, ['0', '1', '2', '10', 'a', 'b', 'rc1', 'dfsg', 'beta2', '~', 'git20230101', 'A', 'Z']);
  if (chance(r, 0.15)) up += pick(r, ['~rc1', '~~', '~', '+really1.0', '.']);
  const rev = chance(r, 0.7) ? `-${pick(r, ['1', '2', '0', '1~deb12u1', '1+deb11u2', '0ubuntu1', '1+b2', '2~bpo11+1', '10', '1.1', '1~', 'a'])}` : '';
  return epoch + up + rev;
}

export function pep440Version(r: Rng): string {
  let v = chance(r, 0.1) ? `${pick(r, ['0', '1', '2'])}!` : '';
  if (chance(r, 0.1)) v = `v${v}`;
  const parts = 1 + Math.floor(r() * 4);
  v += Array.from({ length: parts }, () => pick(r, ['0', '1', '2', '3', '10', '01', '0', '2024'])).join('.');
  if (chance(r, 0.4)) v += pick(r, ['', '.', '-', '_']) + pick(r, ['a', 'b', 'rc', 'alpha', 'beta', 'c', 'pre', 'preview', 'A', 'RC']) + pick(r, ['', '0', '1', '2', '.1', '-3']);
  if (chance(r, 0.3)) v += pick(r, ['.post1', '-1', 'post', '.post', '-post2', '_r3', 'rev1', '.POST0']);
  if (chance(r, 0.3)) v += pick(r, ['.dev', '.dev0', 'dev1', '-dev2', '.DEV10']);
  if (chance(r, 0.15)) v += `+${pick(r, ['ubuntu1', 'abc.5', '1', '1.a', 'a.1', 'ABC', 'cpu-1', '01'])}`;
  return v;
}

export function gemVersion(r: Rng): string {
  const parts = 1 + Math.floor(r() * 4);
  let v = Array.from({ length: parts }, () => pick(r, ['0', '1', '2', '3', '10', '01', '0'])).join('.');
  if (chance(r, 0.4)) v += '.' + pick(r, ['a', 'b', 'pre', 'rc', 'rc1', 'beta2', 'alpha', 'A', 'Z', 'pre.1', 'a.0', 'b.0.1']);
  if (chance(r, 0.15)) v += pick(r, ['-1', '-rc1', '-pre', '-x-y', '-0']);
  if (chance(r, 0.1)) v += pick(r, ['.0', '.0.0', '.1']);
  return v;
}

export function mavenVersion(r: Rng): string {
  let v = pick(r, ['1', '0', '2', '10', '1.0', '1.0.0', '2.0', '01']);
  const parts = Math.floor(r() * 4);
  for (let i = 0; i < parts; i++) {
    v += pick(r, ['.', '-', '-', '']) + pick(r, ['0', '1', '2', '10', 'alpha', 'a1', 'beta', 'b2', 'm3', 'rc1', 'cr1', 'SNAPSHOT', 'ga', 'final', 'sp1', 'jre', 'RELEASE', 'foo', 'x', '20240101', 'Alpha2', 'M1']);
  }
  return v;
}
