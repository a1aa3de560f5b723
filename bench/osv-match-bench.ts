/**
 * Matching benchmark: synthetic advisories and packages, timed through the same AdvisoryIndex the
 * scanner uses. Target: 100,000 packages against 50,000 advisories in under 2 s.
 *
 *   node dist/bench/osv-match-bench.js [--advisories 50000] [--packages 100000] [--store]
 *
 * --store also imports the advisories into an in-memory SQLite store and times loading the entries
 * a scan of these packages needs (the path `ScanCache.match` takes).
 */
import { performance } from 'node:perf_hooks';
import { openSqliteArtifactDb } from '../src/artifact/cache/artifact-db.js';
import type { ImportItem } from '../src/artifact/osv/advisory-store.js';
import { affectedEntriesOf, AdvisoryIndex } from '../src/artifact/osv/osv-matcher.js';
import type { OsvRecord } from '../src/artifact/osv/osv-record.js';
import { normalisePackageName } from '../src/artifact/osv/package-name.js';
import type { Ecosystem, PackageRef } from '../src/artifact/package-ref.js';

function arg(name: string, dflt: number): number {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
}

let seed = 42;
const rand = (): number => {
  seed = (seed * 1103515245 + 12345) & 0x7fffffff;
  return seed / 0x7fffffff;
};
const int = (n: number): number => Math.floor(rand() * n);

interface Eco { name: Ecosystem; version: (a: number, b: number, c: number) => string; pkg: (i: number) => string; release?: string }
const ECOS: Eco[] = [
  { name: 'npm', version: (a, b, c) => `${a}.${b}.${c}`, pkg: (i) => (i % 7 === 0 ? `@scope${i % 13}/pkg-${i}` : `pkg-${i}`) },
  { name: 'PyPI', version: (a, b, c) => (c % 5 === 0 ? `${a}.${b}rc${c}` : `${a}.${b}.${c}`), pkg: (i) => `Py_Pkg.${i}` },
  { name: 'Maven', version: (a, b, c) => (c % 6 === 0 ? `${a}.${b}-beta${c}` : `${a}.${b}.${c}`), pkg: (i) => `org.example${i % 50}:artifact-${i}` },
  { name: 'Go', version: (a, b, c) => `v${a}.${b}.${c}`, pkg: (i) => `github.com/org${i % 100}/mod${i}` },
  { name: 'Debian', version: (a, b, c) => `${a}.${b}.${c}-${1 + (c % 3)}~deb12u${c % 4}`, pkg: (i) => `libdeb${i}`, release: '12' },
];

const nAdv = arg('--advisories', 50_000);
const nPkg = arg('--packages', 100_000);
const NAMES = 20_000; // distinct package names per ecosystem

const records: OsvRecord[] = [];
for (let i = 0; i < nAdv; i++) {
  const eco = ECOS[i % ECOS.length]!;
  const name = eco.pkg(int(NAMES));
  const a = int(5);
  const b = int(20);
  // OSV writes Go versions without the v.
  const osv = (v: string): string => v.replace(/^v/, '');
  const ranges = [{ type: eco.name === 'Go' ? 'SEMVER' : 'ECOSYSTEM', events: [{ introduced: rand() < 0.3 ? '0' : osv(eco.version(a, b, 0)) }, { fixed: osv(eco.version(a, b + 1 + int(3), int(10))) }] }];
  records.push({
    id: `BENCH-${i}`,
    modified: '2024-01-01T00:00:00Z',
    aliases: [`CVE-2024-${10000 + i}`],
    severity: [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H' }],
    affected: [{ package: { ecosystem: eco.release ? `${eco.name}:${eco.release}` : eco.name, name }, ranges, ...(rand() < 0.1 ? { versions: [eco.version(a, b, 1)] } : {}) }],
  });
}
const packages: PackageRef[] = [];
for (let i = 0; i < nPkg; i++) {
  const eco = ECOS[i % ECOS.length]!;
  const name = eco.pkg(int(NAMES));
  const version = eco.version(int(5), int(25), int(10));
  packages.push({ ecosystem: eco.name, name, version, purl: `pkg:generic/${encodeURIComponent(name)}@${version}`, source: 'bench', ...(eco.release ? { distro: `${eco.name}:${eco.release}` } : {}) });
}

const t0 = performance.now();
const entries = records.flatMap(affectedEntriesOf);
const index = new AdvisoryIndex(entries);
const t1 = performance.now();
const result = index.match(packages);
const t2 = performance.now();
const again = index.match(packages);
const t3 = performance.now();

console.log(`advisories ${nAdv} (${index.size} affected entries), packages ${nPkg}`);
console.log(`index build            ${(t1 - t0).toFixed(0)} ms`);
console.log(`match (cold: compiles)  ${(t2 - t1).toFixed(0)} ms  → ${result.findings.length} findings, ${result.stats.entriesEvaluated} entry evaluations`);
console.log(`match (warm)           ${(t3 - t2).toFixed(0)} ms  → ${again.findings.length} findings`);
console.log(`total build + cold match ${(t2 - t0).toFixed(0)} ms (target < 2000 ms): ${t2 - t0 < 2000 ? 'PASS' : 'FAIL'}`);

if (process.argv.includes('--store')) {
  const db = await openSqliteArtifactDb(':memory:');
  await db.migrate();
  const s0 = performance.now();
  const items: ImportItem[] = records.map((record) => ({ ok: true, record, source: 'bench' }));
  await db.advisories.importRecords(items);
  const s1 = performance.now();
  const loaded = await db.advisories.entriesFor(packages.map((p) => ({ ecosystem: p.ecosystem, name: normalisePackageName(p.ecosystem, p.name) })));
  const s2 = performance.now();
  const viaStore = new AdvisoryIndex(loaded).match(packages);
  const s3 = performance.now();
  console.log(`store: import ${(s1 - s0).toFixed(0)} ms, load entries for the packages ${(s2 - s1).toFixed(0)} ms (${loaded.length} entries), match ${(s3 - s2).toFixed(0)} ms → ${viaStore.findings.length} findings`);
  await db.close();
}
