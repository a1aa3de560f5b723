import { badVersion, defineScheme } from './version-scheme.js';

export interface DebianVersion {
  readonly epoch: number;
  readonly upstream: string;
  readonly revision: string;
}

const UPSTREAM = /^[0-9][A-Za-z0-9.+~:-]*$/;
const REVISION = /^[A-Za-z0-9.+~]*$/;

/**
 * dpkg's parseversion: `[epoch:]upstream[-revision]`, the revision after the last hyphen. Stricter
 * than dpkg only where dpkg itself warns (upstream must start with a digit).
 */
function parseDebian(version: string): DebianVersion {
  const v = version.trim();
  if (v.length === 0) throw badVersion('dpkg', version, 'is empty');
  if (/\s/.test(v)) throw badVersion('dpkg', version, 'contains whitespace');
  let epoch = 0;
  let rest = v;
  const colon = v.indexOf(':');
  if (colon >= 0) {
    const e = v.slice(0, colon);
    if (!/^[0-9]+$/.test(e)) throw badVersion('dpkg', version, 'epoch is not a number');
    epoch = Number(e);
    if (!Number.isSafeInteger(epoch) || epoch > 2147483647) throw badVersion('dpkg', version, 'epoch is too big');
    rest = v.slice(colon + 1);
  }
  const hyphen = rest.lastIndexOf('-');
  const upstream = hyphen >= 0 ? rest.slice(0, hyphen) : rest;
  const revision = hyphen >= 0 ? rest.slice(hyphen + 1) : '';
  if (upstream.length === 0) throw badVersion('dpkg', version, 'upstream version is empty');
  if (hyphen >= 0 && revision.length === 0) throw badVersion('dpkg', version, 'revision is empty');
  if (!UPSTREAM.test(upstream)) throw badVersion('dpkg', version, 'upstream version must start with a digit and use only A-Za-z0-9.+~:-');
  if (!REVISION.test(revision)) throw badVersion('dpkg', version, 'revision may use only A-Za-z0-9.+~');
  return { epoch, upstream, revision };
}

/** dpkg's `order()`: `~` before everything (even the end), letters before other symbols. */
function order(c: number): number {
  if (c >= 48 && c <= 57) return 0;
  if ((c >= 65 && c <= 90) || (c >= 97 && c <= 122)) return c;
  if (c === 126) return -1;
  if (c) return c + 256;
  return 0;
}

const isDigit = (c: number): boolean => c >= 48 && c <= 57;

/** dpkg's `verrevcmp`: alternating non-digit runs (by `order`) and digit runs (numerically). */
export function verrevcmp(a: string, b: string): number {
  let i = 0;
  let j = 0;
  // charCodeAt past the end is NaN; `|| 0` makes it the C string terminator.
  const at = (s: string, k: number): number => s.charCodeAt(k) || 0;
  while (i < a.length || j < b.length) {
    let firstDiff = 0;
    while ((i < a.length && !isDigit(at(a, i))) || (j < b.length && !isDigit(at(b, j)))) {
      const ac = order(at(a, i));
      const bc = order(at(b, j));
      if (ac !== bc) return ac - bc;
      i++;
      j++;
    }
    while (at(a, i) === 48) i++;
    while (at(b, j) === 48) j++;
    while (isDigit(at(a, i)) && isDigit(at(b, j))) {
      if (!firstDiff) firstDiff = at(a, i) - at(b, j);
      i++;
      j++;
    }
    if (isDigit(at(a, i))) return 1;
    if (isDigit(at(b, j))) return -1;
    if (firstDiff) return firstDiff;
  }
  return 0;
}

function compareDebian(a: DebianVersion, b: DebianVersion): number {
  if (a.epoch !== b.epoch) return a.epoch - b.epoch;
  return verrevcmp(a.upstream, b.upstream) || verrevcmp(a.revision, b.revision);
}

/** Debian (and Ubuntu): `dpkg --compare-versions` order. */
export const debianVersions = defineScheme<DebianVersion>('dpkg', parseDebian, compareDebian);
