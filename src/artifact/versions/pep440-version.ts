import { badVersion, compareDigits, compareStrings, defineScheme, stripZeros } from './version-scheme.js';

/** The PEP 440 grammar as `packaging.version.VERSION_PATTERN` writes it (case-insensitive, `v` allowed). */
const PEP440 = new RegExp(
  '^\\s*v?' +
    '(?:(?<epoch>[0-9]+)!)?' +
    '(?<release>[0-9]+(?:\\.[0-9]+)*)' +
    '(?<pre>[-_.]?(?<pre_l>alpha|a|beta|b|preview|pre|c|rc)[-_.]?(?<pre_n>[0-9]+)?)?' +
    '(?<post>(?:-(?<post_n1>[0-9]+))|(?:[-_.]?(?<post_l>post|rev|r)[-_.]?(?<post_n2>[0-9]+)?))?' +
    '(?<dev>[-_.]?(?<dev_l>dev)[-_.]?(?<dev_n>[0-9]+)?)?' +
    '(?:\\+(?<local>[a-z0-9]+(?:[-_.][a-z0-9]+)*))?\\s*$',
  'i',
);

/** a < b < rc; `c`, `pre` and `preview` are spellings of rc, `alpha`/`beta` of a/b. */
const PRE_RANK: Readonly<Record<string, number>> = { a: 0, alpha: 0, b: 1, beta: 1, c: 2, rc: 2, pre: 2, preview: 2 };

export interface Pep440Version {
  readonly epoch: string;
  /** Release segments with trailing zeros dropped (1.0 == 1.0.0), digits without leading zeros. */
  readonly release: readonly string[];
  /** [rank, number] or undefined. */
  readonly pre: readonly [number, string] | undefined;
  readonly post: string | undefined;
  readonly dev: string | undefined;
  /** Local segments: numbers as digit strings, words lower-cased; undefined when absent. */
  readonly local: readonly (string | { word: string })[] | undefined;
}

function parsePep440(version: string): Pep440Version {
  const m = PEP440.exec(version);
  const g = m?.groups;
  if (g === undefined) throw badVersion('PEP 440', version, 'does not match the PEP 440 grammar');
  const release = g['release']!.split('.').map(stripZeros);
  while (release.length > 1 && release[release.length - 1] === '0') release.pop();
  const preL = g['pre_l']?.toLowerCase();
  const postN = g['post_n1'] ?? g['post_n2'] ?? (g['post_l'] !== undefined ? '0' : undefined);
  const dev = g['dev_l'] !== undefined ? stripZeros(g['dev_n'] ?? '0') : undefined;
  const local = g['local']?.toLowerCase().split(/[-_.]/).map((s) => (/^[0-9]+$/.test(s) ? stripZeros(s) : { word: s }));
  return {
    epoch: stripZeros(g['epoch'] ?? '0'),
    release,
    pre: preL !== undefined ? [PRE_RANK[preL]!, stripZeros(g['pre_n'] ?? '0')] : undefined,
    post: postN !== undefined ? stripZeros(postN) : undefined,
    dev,
    local,
  };
}

/**
 * packaging's `_cmpkey`: epoch, release, then the pre-release slot (a dev-only release sorts before
 * every pre-release of it: 1.0.dev0 < 1.0a0; no pre-release sorts after all of them), post (none
 * first), dev (none last), local (none first; numeric segments beat words, shorter prefix first).
 */
function comparePep440(a: Pep440Version, b: Pep440Version): number {
  let c = compareDigits(a.epoch, b.epoch);
  if (c !== 0) return c;
  const n = Math.max(a.release.length, b.release.length);
  for (let i = 0; i < n; i++) {
    c = compareDigits(a.release[i] ?? '0', b.release[i] ?? '0');
    if (c !== 0) return c;
  }
  c = preKey(a) - preKey(b);
  if (c !== 0) return c;
  if (a.pre !== undefined && b.pre !== undefined) {
    c = a.pre[0] - b.pre[0] || compareDigits(a.pre[1], b.pre[1]);
    if (c !== 0) return c;
  }
  c = compareOptional(a.post, b.post, -1);
  if (c !== 0) return c;
  c = compareOptional(a.dev, b.dev, 1);
  if (c !== 0) return c;
  return compareLocal(a.local, b.local);
}

/** -1: dev-only release; 0: has a pre-release (compared further); 1: no pre-release. */
function preKey(v: Pep440Version): number {
  if (v.pre === undefined && v.post === undefined && v.dev !== undefined) return -1;
  return v.pre === undefined ? 1 : 0;
}

/** `missing` = -1: absence sorts first; 1: absence sorts last. */
function compareOptional(a: string | undefined, b: string | undefined, missing: -1 | 1): number {
  if (a === undefined) return b === undefined ? 0 : missing;
  if (b === undefined) return -missing;
  return compareDigits(a, b);
}

function compareLocal(a: Pep440Version['local'], b: Pep440Version['local']): number {
  if (a === undefined) return b === undefined ? 0 : -1;
  if (b === undefined) return 1;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a[i]!;
    const y = b[i]!;
    let c: number;
    if (typeof x === 'string') c = typeof y === 'string' ? compareDigits(x, y) : 1;
    else c = typeof y === 'string' ? -1 : compareStrings(x.word, y.word);
    if (c !== 0) return c;
  }
  return a.length - b.length;
}

/** PyPI: PEP 440 as implemented by `packaging.version.Version`. */
export const pep440Versions = defineScheme<Pep440Version>('PEP 440', parsePep440, comparePep440);
