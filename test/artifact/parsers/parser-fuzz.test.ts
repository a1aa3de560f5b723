import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TrawlError } from '../../../src/errors/trawl-error.js';
import { apkInstalledParser } from '../../../src/artifact/parsers/apk-installed-parser.js';
import { cargoLockParser } from '../../../src/artifact/parsers/cargo-lock-parser.js';
import { composerLockParser } from '../../../src/artifact/parsers/composer-lock-parser.js';
import { dotnetDepsParser } from '../../../src/artifact/parsers/dotnet-deps-parser.js';
import { dpkgStatusParser } from '../../../src/artifact/parsers/dpkg-status-parser.js';
import { gemfileLockParser } from '../../../src/artifact/parsers/gemfile-lock-parser.js';
import { goBinaryParser, goBuildInfoExtractor } from '../../../src/artifact/parsers/go-binary-parser.js';
import { goModParser } from '../../../src/artifact/parsers/go-mod-parser.js';
import { jarManifestParser, pomPropertiesParser } from '../../../src/artifact/parsers/java-archive-parser.js';
import { npmInstalledParser } from '../../../src/artifact/parsers/npm-installed-parser.js';
import { npmLockParser } from '../../../src/artifact/parsers/npm-lock-parser.js';
import { parseOsRelease } from '../../../src/artifact/parsers/os-release-parser.js';
import type { InventoryParser } from '../../../src/artifact/parsers/parser-support.js';
import { pipfileLockParser } from '../../../src/artifact/parsers/pipfile-lock-parser.js';
import { pnpmLockParser } from '../../../src/artifact/parsers/pnpm-lock-parser.js';
import { poetryLockParser } from '../../../src/artifact/parsers/poetry-lock-parser.js';
import { pythonMetadataParser } from '../../../src/artifact/parsers/python-metadata-parser.js';
import { requirementsParser } from '../../../src/artifact/parsers/requirements-parser.js';
import { yarnLockParser } from '../../../src/artifact/parsers/yarn-lock-parser.js';
import { gunzipSync } from 'node:zlib';
import { mutate, prng, randomBytes } from '../fixtures/fuzz-support.js';
import { readFixture } from '../fixtures/fixture-files.js';

const ROUNDS = Number(process.env.TRAWL_FUZZ_ROUNDS ?? 250);
/** Generous for a 2-core CI machine; a real parse of these fixtures takes well under a millisecond. */
const MAX_MS = 1000;

const cases: [InventoryParser, string, string[]][] = [
  [npmLockParser, 'package-lock.json', ['npm/package-lock-v1.json', 'npm/package-lock-v2.json', 'npm/package-lock-v3.json']],
  [yarnLockParser, 'yarn.lock', ['npm/yarn-v1.lock', 'npm/yarn-berry.lock']],
  [pnpmLockParser, 'pnpm-lock.yaml', ['npm/pnpm-lock-v5.yaml', 'npm/pnpm-lock-v6.yaml', 'npm/pnpm-lock-v9.yaml']],
  [npmInstalledParser, 'node_modules/express/package.json', ['npm/express-package.json']],
  [requirementsParser, 'requirements.txt', ['python/requirements.txt']],
  [poetryLockParser, 'poetry.lock', ['python/poetry.lock']],
  [pipfileLockParser, 'Pipfile.lock', ['python/Pipfile.lock']],
  [pythonMetadataParser, 'x.dist-info/METADATA', ['python/METADATA']],
  [goModParser, 'go.mod', ['go/go.mod']],
  [cargoLockParser, 'Cargo.lock', ['rust/Cargo.lock']],
  [gemfileLockParser, 'Gemfile.lock', ['ruby/Gemfile.lock']],
  [composerLockParser, 'composer.lock', ['php/composer.lock']],
  [pomPropertiesParser, 'META-INF/maven/g/a/pom.properties', ['java/pom.properties']],
  [jarManifestParser, 'META-INF/MANIFEST.MF', ['java/MANIFEST.MF', 'java/MANIFEST-bundle-only.MF']],
  [dotnetDepsParser, 'a.deps.json', ['dotnet/OrdersFunction.deps.json']],
  [dpkgStatusParser, 'var/lib/dpkg/status', ['os/dpkg-status']],
  [apkInstalledParser, 'lib/apk/db/installed', ['os/apk-installed']],
];

function check(parser: InventoryParser, path: string, input: Buffer, label: string): void {
  const t = performance.now();
  try {
    const refs = parser.parse(path, input, { note: () => undefined, os: { id: 'debian', versionId: '12', like: [] } });
    assert.ok(Array.isArray(refs), label);
    for (const r of refs) {
      assert.equal(typeof r.name, 'string', label);
      assert.ok(r.name.length > 0 && r.version.length > 0, label);
      assert.ok(r.purl.startsWith('pkg:'), label);
      // eslint-disable-next-line no-control-regex
      assert.doesNotMatch(r.purl, /[\u0000-\u0020"<>\\^`{|}]/, label);
      assert.equal(r.source, path, label);
    }
  } catch (e) {
    if (!(e instanceof TrawlError)) throw new Error(`${label}: ${parser.name} threw a non-TrawlError: ${(e as Error).stack ?? String(e)}`);
    assert.equal(e.code, 'TRAWL_E_ARTIFACT_FORMAT', label);
  }
  const ms = performance.now() - t;
  assert.ok(ms < MAX_MS, `${label}: ${ms.toFixed(0)} ms`);
}

describe('parser fuzzing (seeded): only TrawlErrors, bounded time', () => {
  for (const [parser, path, fixtures] of cases) {
    it(parser.name, () => {
      const rand = prng(Number(process.env.TRAWL_FUZZ_SEED ?? 0x5eed) ^ (parser.name.length * 7919));
      for (const f of fixtures) {
        const base = readFixture(f);
        check(parser, path, base, `${f} unmodified`);
        for (let i = 0; i < ROUNDS; i++) check(parser, path, mutate(base, rand), `${f} mutation ${i}`);
      }
      for (let i = 0; i < 30; i++) check(parser, path, randomBytes(rand, 4096), `random ${i}`);
      check(parser, path, Buffer.alloc(0), 'empty');
    });
  }

  it('Go build info: mutated binaries and blobs', () => {
    const bin = gunzipSync(readFixture('go/bootstrap.gz'));
    const at = bin.indexOf(Buffer.from('\xff Go buildinf:', 'latin1'));
    const blob = bin.subarray(at - 64, at + 4096);
    const rand = prng(7);
    for (let i = 0; i < ROUNDS * 2; i++) {
      const m = mutate(blob, rand);
      check(goBinaryParser, 'bootstrap', m, `blob mutation ${i}`);
      const x = goBuildInfoExtractor();
      x.push(Buffer.concat([Buffer.from([0x7f, 0x45, 0x4c, 0x46]), m]));
      const kept = x.finish();
      if (kept !== undefined) check(goBinaryParser, 'bootstrap', kept, `extracted ${i}`);
    }
  });

  it('os-release never throws', () => {
    const rand = prng(11);
    const base = readFixture('os/os-release-debian');
    for (let i = 0; i < ROUNDS; i++) parseOsRelease(mutate(base, rand));
  });

  it('pathological inputs stay fast (no catastrophic backtracking)', () => {
    const big = (s: string, n: number): Buffer => Buffer.from(s.repeat(n));
    check(pomPropertiesParser, 'META-INF/maven/g/a/pom.properties', big('\\', 500_000), 'backslashes');
    check(requirementsParser, 'requirements.txt', big('a', 1_000_000), 'long name');
    check(requirementsParser, 'requirements.txt', big('a-', 300_000), 'dashes');
    check(gemfileLockParser, 'Gemfile.lock', Buffer.from(`GEM\n  specs:\n    ${'x'.repeat(500_000)} (`), 'gem');
    check(yarnLockParser, 'yarn.lock', big('"a@1", ', 100_000), 'yarn header');
    check(cargoLockParser, 'Cargo.lock', big('[', 100_000), 'toml brackets');
    check(npmLockParser, 'package-lock.json', Buffer.from(`{"dependencies":${'['.repeat(100_000)}`), 'json nesting');
    check(pnpmLockParser, 'pnpm-lock.yaml', big('- ', 50_000), 'yaml nesting');
  });
});
