/**
 * inventoryArtifact on a large Lambda-style function package: ~200 MB zip, 3,000 installed npm
 * packages (node_modules/<pkg>/package.json + code + README), a package-lock.json v3 listing them,
 * incompressible filler (prebuilt .node addons, source maps) making up the size, and one 8 MB
 * executable the Go build-info extractor must scan end to end.
 *
 *   npx tsc -p tsconfig.json && node dist/bench/artifact-inventory-bench.js [--packages 3000] [--mb 200] [--runs 3]
 *
 * Target: under 5 s per inventory on the 2-core reference machine.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inventoryArtifact } from '../src/artifact/inventory.js';
import { buildZip, type ZipEntrySpec } from '../test/artifact/fixtures/zip-writer.js';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  if (!Number.isFinite(v) || v <= 0) throw new Error(`--${name} must be a positive number`);
  return v;
}

const PACKAGES = arg('packages', 3000);
const TARGET_MB = arg('mb', 200);
const RUNS = arg('runs', 3);
const TARGET_SECONDS = 5;

function packageName(i: number): string {
  return i % 5 === 0 ? `@scope${i % 37}/pkg-${i}` : `pkg-${i}`;
}

function buildPackage(): { zip: Buffer; expected: number } {
  const entries: ZipEntrySpec[] = [
    { name: 'index.mjs', data: 'export const handler = async () => ({ statusCode: 200 });\n' },
    { name: 'package.json', data: JSON.stringify({ name: 'big-fn', version: '1.0.0', private: true }) },
  ];
  const lockPackages: Record<string, unknown> = { '': { name: 'big-fn', version: '1.0.0' } };
  for (let i = 0; i < PACKAGES; i++) {
    const name = packageName(i);
    const version = `${1 + (i % 9)}.${i % 23}.${i % 7}`;
    lockPackages[`node_modules/${name}`] = {
      version,
      resolved: `https://registry.npmjs.org/${name}/-/${name.split('/').pop()}-${version}.tgz`,
      integrity: `sha512-${randomBytes(48).toString('base64')}`,
      ...(i % 10 === 0 ? { dev: true } : {}),
    };
    const pkg = { name, version, description: `Benchmark package ${i}`, main: 'index.js', license: 'MIT', repository: { type: 'git', url: `git+https://example.invalid/${name}.git` } };
    entries.push({ name: `node_modules/${name}/package.json`, data: JSON.stringify(pkg, null, 2) });
    entries.push({ name: `node_modules/${name}/index.js`, data: `'use strict';\nmodule.exports = function p${i}(x) { return x + ${i}; };\n`.repeat(20) });
    entries.push({ name: `node_modules/${name}/README.md`, data: `# ${name}\n\n${'Lorem ipsum dolor sit amet. '.repeat(40)}\n` });
  }
  entries.push({ name: 'package-lock.json', data: JSON.stringify({ name: 'big-fn', version: '1.0.0', lockfileVersion: 3, requires: true, packages: lockPackages }, null, 2) });
  // One executable, scanned in full by the Go build-info extractor (it is not a Go binary).
  entries.push({ name: 'bin/helper', data: Buffer.concat([Buffer.from([0x7f, 0x45, 0x4c, 0x46]), randomBytes(8 << 20)]), method: 'store', mode: 0o100755 });
  const base = entries.reduce((n, e) => n + (Buffer.isBuffer(e.data) ? e.data.length : Buffer.byteLength(e.data ?? '')), 0);
  const fillerTotal = Math.max(0, TARGET_MB * 1024 * 1024 - base);
  const chunk = 4 << 20;
  for (let i = 0; i * chunk < fillerTotal; i++) {
    const size = Math.min(chunk, fillerTotal - i * chunk);
    const owner = packageName((i * 97) % PACKAGES);
    entries.push({ name: `node_modules/${owner}/prebuilds/linux-x64/addon-${i}.node`, data: randomBytes(size), method: 'store' });
  }
  return { zip: buildZip(entries), expected: PACKAGES * 2 };
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'trawl-inventory-bench-'));
  try {
    const t0 = performance.now();
    const { zip, expected } = buildPackage();
    const path = join(dir, 'function.zip');
    await writeFile(path, zip);
    const size = (await stat(path)).size;
    console.log(`generated ${path}: ${(size / 1048576).toFixed(1)} MiB, ${PACKAGES} packages, in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    const times: number[] = [];
    for (let run = 1; run <= RUNS; run++) {
      const t = performance.now();
      const result = await inventoryArtifact(path);
      const seconds = (performance.now() - t) / 1000;
      times.push(seconds);
      if (result.packages.length !== expected) throw new Error(`expected ${expected} package refs (lockfile + installed), got ${result.packages.length}`);
      console.log(`run ${run}: inventoryArtifact ${seconds.toFixed(2)} s — ${result.packages.length} package refs, sha256 ${result.sha256.slice(0, 16)}…, ${result.warnings.length} warnings, ${((size / 1048576) / seconds).toFixed(0)} MiB/s`);
    }
    const best = Math.min(...times);
    const worst = Math.max(...times);
    console.log(`inventoryArtifact on a ${(size / 1048576).toFixed(0)} MiB package with ${PACKAGES} dependencies: best ${best.toFixed(2)} s, worst ${worst.toFixed(2)} s (target < ${TARGET_SECONDS} s) ${worst < TARGET_SECONDS ? 'PASS' : 'FAIL'}`);
    if (worst >= TARGET_SECONDS) process.exitCode = 1;
  } finally {
    if (process.env.KEEP === undefined) await rm(dir, { recursive: true, force: true });
  }
}

await main();
