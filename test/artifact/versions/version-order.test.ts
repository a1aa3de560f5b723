import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import { alpineVersions, cratesVersions, debianVersions, goVersions, mavenVersions, npmVersions, pep440Versions, rubygemsVersions, versionSchemeFor, type VersionScheme } from '../../../src/artifact/versions/version-schemes.js';
import { TrawlError } from '../../../src/errors/trawl-error.js';
import { dpkgCompare, gemCompare, mavenCompare, packagingCompare, apkCompare, type Pair, type ToolResult } from './reference-tools.js';
import { debianVersion, gemVersion, mavenVersion, pairsFrom, pep440Version, rng } from './version-generators.js';

type Vector = readonly [string, '<' | '=' | '>', string];
const SIGN = { '<': -1, '=': 0, '>': 1 } as const;
const SEED = Number(process.env['TRAWL_VERSION_SEED'] ?? 20240611);

function checkVectors(scheme: VersionScheme, vectors: readonly Vector[]): void {
  for (const [a, op, b] of vectors) {
    assert.equal(scheme.compare(a, b), SIGN[op], `${scheme.name}: ${a} ${op} ${b}`);
    assert.equal(scheme.compare(b, a), -SIGN[op] || 0, `${scheme.name}: ${b} vs ${a} (reversed)`);
  }
}

/** Our answers against the tool's; every disagreement is listed, not just the first. */
function agreeWithTool(t: TestContext, scheme: VersionScheme, pairs: readonly Pair[], tool: ToolResult, label: string): void {
  if (!tool.ok) {
    t.skip(`${label}: ${tool.reason}`);
    return;
  }
  const bad: string[] = [];
  pairs.forEach(([a, b], i) => {
    const ours = scheme.compare(a, b);
    if (ours !== tool.results[i]) bad.push(`${a} vs ${b}: ours ${ours}, ${label} ${tool.results[i]}`);
  });
  t.diagnostic(`${scheme.name}: ${pairs.length} pairs checked against ${label}, ${pairs.length - bad.length} agree`);
  assert.deepEqual(bad, [], `disagreements with ${label}`);
}

/** Hand-picked pairs are also put to the tool, so the expectations themselves are checked. */
function vectorPairs(vectors: readonly Vector[]): Pair[] {
  return vectors.map(([a, , b]) => [a, b] as const);
}

function checkTotalOrder(scheme: VersionScheme, versions: readonly string[]): void {
  const sorted = [...versions].sort((a, b) => scheme.compare(a, b));
  for (let i = 0; i + 1 < sorted.length; i++) {
    for (let j = i + 1; j < sorted.length; j++) {
      assert.ok(scheme.compare(sorted[i]!, sorted[j]!) <= 0, `${scheme.name}: sort is not transitive at ${sorted[i]} / ${sorted[j]}`);
    }
  }
}

const DEBIAN: Vector[] = [
  ['1.0', '<', '1.0-1'], ['1.0~rc1', '<', '1.0'], ['1.0~rc1-1', '<', '1.0-1'], ['1.0~~', '<', '1.0~'], ['1.0~~a', '<', '1.0~'],
  ['1:0.1', '>', '2.0'], ['0:1.0', '=', '1.0'], ['1.0-0', '=', '1.0'], ['1.0a', '>', '1.0'], ['1.0+dfsg', '>', '1.0'],
  ['1.0.1', '>', '1.0a'], ['1.0a', '<', '1.0+'], ['1.01', '=', '1.1'], ['1.10', '>', '1.9'], ['2.15.0-1~deb11u1', '<', '2.15.0-1'],
  ['2.15.0-1~deb11u1', '>', '2.14.0-1'], ['1.2.3-1+deb12u1', '>', '1.2.3-1'], ['1.2.3-1+b1', '>', '1.2.3-1'], ['7.88.1-10+deb12u5', '<', '7.88.1-10+deb12u12'],
  ['1.0-1ubuntu1', '>', '1.0-1'], ['1.0-1~bpo11+1', '<', '1.0-1'], ['3.0.11-1~deb12u2', '>', '3.0.9-1'], ['1:2.3', '<', '2:1.0'], ['A', '<', 'a'].map(() => '1A') as unknown as Vector,
  ['1.0.0', '>', '1.0'], ['1.0', '<', '1.0.'], ['10', '>', '9'], ['1-1', '<', '1-a'], ['1~', '<', '1'],
];
DEBIAN.splice(DEBIAN.findIndex((v) => v[0] === '1A'), 1);

const PEP440: Vector[] = [
  ['1.0', '=', '1.0.0'], ['1.0.dev0', '<', '1.0a0'], ['1.0a1', '<', '1.0b1'], ['1.0b1', '<', '1.0rc1'], ['1.0rc1', '<', '1.0'], ['1.0', '<', '1.0.post1'],
  ['1.0.post1.dev1', '<', '1.0.post1'], ['1.0a1.post1', '>', '1.0a1'], ['1.0a1.dev1', '<', '1.0a1'], ['1.0+local', '>', '1.0'], ['1.0+1', '>', '1.0+abc'],
  ['1.0+abc.1', '<', '1.0+abc.1.0'], ['1!0.1', '>', '2.0'], ['1.0-1', '=', '1.0.post1'], ['1.0c1', '=', '1.0rc1'], ['1.0alpha1', '=', '1.0a1'],
  ['1.0-r1', '=', '1.0.post1'], ['1.0.DEV', '=', '1.0.dev0'], ['v1.0', '=', '1.0'], ['1.01', '=', '1.1'], ['1.0preview2', '=', '1.0rc2'],
  ['5.4', '>', '5.3.1'], ['5.4b1', '<', '5.4'], ['5.4.post0', '>', '5.4'], ['2.0.dev1', '>', '1.9.post3'], ['1.0+ubuntu.1', '<', '1.0+ubuntu.2'],
];

const GEM: Vector[] = [
  ['1.0', '=', '1'], ['1.0.a', '<', '1.0'], ['1.0.a', '=', '1.a'], ['1.0.0.a.0', '=', '1.a'], ['1.0.a', '<', '1.0.b'], ['1.0.rc1', '>', '1.0.beta2'],
  ['1.0-1', '=', '1.0.pre.1'], ['1.13.4', '>', '1.13.3'], ['1.13.4.rc1', '<', '1.13.4'], ['1.10', '>', '1.9'], ['1.a', '<', '1.0.0.1'],
  ['2.0.0.pre', '<', '2.0.0'], ['1.0.A', '<', '1.0.a'], ['1.2.3.4', '>', '1.2.3'], ['0', '=', ''], ['1.01', '=', '1.1'],
];

const MAVEN: Vector[] = [
  ['1', '=', '1.0'], ['1', '=', '1.0.0'], ['1-alpha', '<', '1-beta'], ['1-beta', '<', '1-milestone'], ['1-milestone', '<', '1-rc'], ['1-rc', '=', '1-cr'],
  ['1-rc', '<', '1-SNAPSHOT'], ['1-SNAPSHOT', '<', '1'], ['1', '=', '1-ga'], ['1', '=', '1-final'], ['1', '<', '1-sp'], ['1-sp', '<', '1-foo'],
  ['1-foo', '<', '1-1'], ['1-1', '<', '1.1'], ['1a1', '=', '1-alpha-1'], ['1b2', '=', '1-beta-2'], ['1m3', '=', '1-milestone-3'], ['2.0-beta9', '<', '2.0'],
  ['2.0-beta9', '<', '2.3.1'], ['2.12.2', '<', '2.13.0'], ['2.15.0', '>', '2.14.1'], ['2.0-rc1', '>', '2.0-beta9'], ['1.0.0.RELEASE', '=', '1.0.0'], ['1.0.0.X1', '<', '1.0.0-X2'],
  // ComparableVersion is not transitive: this cycle is Maven's own (checked below against the jar).
  ['1.0.0', '<', '01.x-SNAPSHOT'], ['01.x-SNAPSHOT', '<', '01-SNAPSHOT.2-SNAPSHOT'], ['01-SNAPSHOT.2-SNAPSHOT', '<', '1.0.0'],
  ['1-abc', '<', '1-abd'], ['2.17.1', '>', '2.17.0'], ['1.0-alpha-1', '<', '1.0'], ['1.0', '<', '1.0-1'], ['1.0.1', '>', '1.0-1'],
];

const ALPINE: Vector[] = [
  ['1.0', '<', '1.0.1'], ['1.0_alpha', '<', '1.0_beta'], ['1.0_beta', '<', '1.0_pre'], ['1.0_pre', '<', '1.0_rc'], ['1.0_rc1', '<', '1.0'],
  ['1.0', '<', '1.0_p1'], ['1.0_p1', '<', '1.0.1'], ['1.0-r0', '<', '1.0-r1'], ['1.0-r9', '<', '1.0-r10'], ['1.0-r1', '<', '1.0.1'],
  ['1.0a', '>', '1.0'], ['1.0a', '<', '1.0b'], ['1.0a', '<', '1.0.1'], ['1.1.1n-r0', '>', '1.1.1m-r0'], ['1.1.1n-r0', '>', '1.1.1l-r8'],
  ['1.1.1k-r0', '<', '1.1.1n-r0'], ['3.0.8-r0', '<', '3.0.8-r1'], ['1.02', '<', '1.1'], ['1.002', '<', '1.02'], ['2.0_alpha1', '<', '2.0_alpha2'],
  ['2.0_alpha2', '<', '2.0_beta1'], ['1.0_git20230101', '>', '1.0'], ['1.0_cvs', '<', '1.0_svn'], ['1.0_p10', '>', '1.0_p9'], ['0.1.0_alpha_pre2', '<', '0.1.0_alpha'],
  ['1.2.3-r1', '=', '1.2.3-r1'], ['10', '>', '9'], ['1.0', '=', '1.0'], ['1.3_pre1-r1', '<', '1.3.2'], ['2.12r-r4', '<', '2.12r-r5'],
];

const GO: Vector[] = [
  ['v1.2.3', '<', 'v1.2.4'], ['v1.2.3-pre', '<', 'v1.2.3'], ['v1.2.3', '=', '1.2.3'], ['v1', '=', 'v1.0.0'], ['v1.2', '=', 'v1.2.0'],
  ['v2.0.0+incompatible', '=', 'v2.0.0'], ['v0.0.0-20191109021931-daa7c04131f5', '<', 'v0.0.1'], ['v0.0.0-20191109021931-daa7c04131f5', '<', 'v0.0.0-20200101000000-aaaaaaaaaaaa'],
  ['v1.2.4-0.20191109021931-daa7c04131f5', '>', 'v1.2.3'], ['v1.2.4-0.20191109021931-daa7c04131f5', '<', 'v1.2.4'], ['v1.2.3-pre.0.20191109021931-daa7c04131f5', '>', 'v1.2.3-pre'],
  ['0.3.7', '<', '0.3.8'], ['v0.3.8', '=', '0.3.8'], ['v1.10.0', '>', 'v1.9.9'], ['v1.0.0-rc.1', '<', 'v1.0.0-rc.2'], ['v1.0.0-rc.10', '>', 'v1.0.0-rc.2'],
  ['v1.0.0-alpha', '<', 'v1.0.0-alpha.1'], ['v1.0.0-alpha.beta', '>', 'v1.0.0-alpha.1'],
];

const SEMVER: Vector[] = [
  ['1.0.0', '<', '1.0.1'], ['1.0.0-alpha', '<', '1.0.0'], ['1.0.0-alpha', '<', '1.0.0-alpha.1'], ['1.0.0-alpha.1', '<', '1.0.0-alpha.beta'],
  ['1.0.0-beta.2', '<', '1.0.0-beta.11'], ['1.0.0-rc.1', '<', '1.0.0'], ['1.0.0+build.1', '=', '1.0.0'], ['4.17.19', '>', '4.17.15'], ['4.17.21', '>', '4.17.19'],
  ['1.2.6', '>', '1.2.5'], ['0.2.4', '<', '1.0.0'], ['10.0.0', '>', '9.99.99'],
];

describe('version order: Debian dpkg', () => {
  it('hand-picked edge cases', () => checkVectors(debianVersions, DEBIAN));
  it('hand-picked cases agree with dpkg --compare-versions', (t) => agreeWithTool(t, debianVersions, vectorPairs(DEBIAN), dpkgCompare(vectorPairs(DEBIAN)), 'dpkg'));
  it('randomised pairs agree with dpkg --compare-versions', (t) => {
    const pairs = pairsFrom(rng(SEED), debianVersion, 700);
    agreeWithTool(t, debianVersions, pairs, dpkgCompare(pairs), 'dpkg');
  });
  it('rejects malformed versions with TRAWL_E_BAD_VERSION', () => {
    for (const bad of ['', 'a1.0', '1:', 'x:1.0', '1.0-', '1.0 1', '1.0-a_b']) {
      assert.throws(() => debianVersions.parse(bad), (e: unknown) => e instanceof TrawlError && e.code === 'TRAWL_E_BAD_VERSION' && e.message.includes(JSON.stringify(bad)), bad);
    }
  });
});

describe('version order: PyPI PEP 440', () => {
  it('hand-picked edge cases', () => checkVectors(pep440Versions, PEP440));
  it('hand-picked cases agree with packaging.version', (t) => agreeWithTool(t, pep440Versions, vectorPairs(PEP440), packagingCompare(vectorPairs(PEP440)), 'packaging'));
  it('randomised pairs agree with packaging.version', (t) => {
    const pairs = pairsFrom(rng(SEED + 1), pep440Version, 1500);
    const tool = packagingCompare(pairs);
    if (tool.ok && 'tool' in tool) t.diagnostic(`reference: ${tool.tool}`);
    agreeWithTool(t, pep440Versions, pairs, tool, 'packaging');
  });
  it('rejects non-PEP 440 versions', () => {
    for (const bad of ['', 'abc', '1..0', '1.0+', '1.0+a..b', '2.0.0.0.x']) assert.equal(pep440Versions.isValid(bad), false, bad);
  });
});

describe('version order: RubyGems', () => {
  it('hand-picked edge cases', () => checkVectors(rubygemsVersions, GEM));
  it('hand-picked cases agree with Gem::Version', (t) => agreeWithTool(t, rubygemsVersions, vectorPairs(GEM), gemCompare(vectorPairs(GEM)), 'Gem::Version'));
  it('randomised pairs agree with Gem::Version', (t) => {
    const pairs = pairsFrom(rng(SEED + 2), gemVersion, 1500);
    agreeWithTool(t, rubygemsVersions, pairs, gemCompare(pairs), 'Gem::Version');
  });
  it('rejects malformed versions', () => {
    for (const bad of ['a', '1..0', '1.0-', '1.0 beta', '-1']) assert.equal(rubygemsVersions.isValid(bad), false, bad);
  });
});

describe('version order: Maven', () => {
  it('hand-picked edge cases', () => checkVectors(mavenVersions, MAVEN));
  it('hand-picked cases agree with ComparableVersion', (t) => agreeWithTool(t, mavenVersions, vectorPairs(MAVEN), mavenCompare(vectorPairs(MAVEN)), 'maven-artifact ComparableVersion'));
  it('randomised pairs agree with ComparableVersion', (t) => {
    const pairs = pairsFrom(rng(SEED + 3), mavenVersion, 1200);
    agreeWithTool(t, mavenVersions, pairs, mavenCompare(pairs), 'maven-artifact ComparableVersion');
  });
});

describe('version order: Alpine apk', () => {
  it('hand-picked edge cases', () => checkVectors(alpineVersions, ALPINE));
  it('hand-picked cases agree with apk version -t', (t) => agreeWithTool(t, alpineVersions, vectorPairs(ALPINE), apkCompare(vectorPairs(ALPINE)), 'apk'));
  it('rejects malformed versions', () => {
    for (const bad of ['', 'a', '1.0-1', '1.0_foo', '1.0-r', '1.0.', '1.0ab']) assert.equal(alpineVersions.isValid(bad), false, bad);
  });
});

describe('version order: Go, npm, crates.io', () => {
  it('Go: pseudo-versions, +incompatible, v prefix', () => checkVectors(goVersions, GO));
  it('npm and crates.io: SemVer precedence', () => {
    checkVectors(npmVersions, SEMVER);
    checkVectors(cratesVersions, SEMVER);
  });
  it('validation differs where the ecosystems differ', () => {
    assert.equal(npmVersions.isValid('v1.2.3'), true);
    assert.equal(cratesVersions.isValid('v1.2.3'), false);
    assert.equal(goVersions.isValid('v1.2-pre'), false);
    assert.equal(goVersions.isValid('1.2.3.4'), false);
    assert.equal(npmVersions.isValid('1.2'), false);
  });
});

describe('version order: every scheme is a total order', () => {
  it('sorting random versions is transitive', () => {
    const r = rng(SEED + 9);
    checkTotalOrder(debianVersions, Array.from({ length: 80 }, () => debianVersion(r)));
    checkTotalOrder(pep440Versions, Array.from({ length: 80 }, () => pep440Version(r)));
    checkTotalOrder(rubygemsVersions, Array.from({ length: 80 }, () => gemVersion(r)));
    // Not Maven: ComparableVersion has cycles of its own (see the Maven vectors), and we follow it.
    checkTotalOrder(alpineVersions, ALPINE.flatMap(([a, , b]) => [a, b]));
  });
  it('versionSchemeFor maps OSV ecosystems, release qualifiers included', () => {
    assert.equal(versionSchemeFor('Debian:12'), debianVersions);
    assert.equal(versionSchemeFor('Alpine:v3.19'), alpineVersions);
    assert.equal(versionSchemeFor('PyPI'), pep440Versions);
    assert.equal(versionSchemeFor('NuGet'), undefined);
    assert.equal(versionSchemeFor('constructor'), undefined);
  });
});
