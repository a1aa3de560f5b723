import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { openSqliteArtifactDb, type ArtifactDb } from '../../../src/artifact/cache/artifact-db.js';
import { ScanCache } from '../../../src/artifact/cache/scan-cache.js';
import { readAdvisories } from '../../../src/artifact/osv/osv-importer.js';
import type { Finding } from '../../../src/artifact/osv/osv-matcher.js';
import type { PackageRef } from '../../../src/artifact/package-ref.js';
import { DATA_DIR, pkg } from './fixtures.js';

/**
 * The attributed real records in test/artifact/data, imported through the GHSA-layout and
 * directory importers, matched against synthetic packages at the range boundaries.
 */
describe('real advisories: import and match at the boundaries', () => {
  let db: ArtifactDb;
  let cache: ScanCache;

  before(async () => {
    db = await openSqliteArtifactDb(':memory:');
    await db.migrate();
    const ghsa = await db.advisories.importRecords(readAdvisories(join(DATA_DIR, 'ghsa')));
    assert.equal(ghsa.inserted, 7, JSON.stringify(ghsa));
    const osv = await db.advisories.importRecords(readAdvisories(join(DATA_DIR, 'osv')));
    assert.equal(osv.inserted, 4, JSON.stringify(osv));
    cache = new ScanCache(db);
  });
  after(() => db.close());

  async function hits(p: PackageRef): Promise<Finding[]> {
    return (await cache.match([p])).findings;
  }
  async function ids(p: PackageRef): Promise<string[]> {
    return (await hits(p)).map((f) => f.advisoryId).sort();
  }

  it('npm lodash (CVE-2020-8203): introduced 3.7.0, fixed 4.17.19', async () => {
    assert.deepEqual(await ids(pkg('npm', 'lodash', '3.6.0')), []);
    assert.deepEqual(await ids(pkg('npm', 'lodash', '3.7.0')), ['GHSA-p6mc-m468-83gw'], 'exactly introduced is affected');
    assert.deepEqual(await ids(pkg('npm', 'lodash', '4.17.18')), ['GHSA-p6mc-m468-83gw']);
    assert.deepEqual(await ids(pkg('npm', 'lodash', '4.17.19')), [], 'exactly fixed is not affected');
    assert.deepEqual(await ids(pkg('npm', 'lodash', '4.17.21')), [], 'the withdrawn synthetic record was never imported here');
    const [f] = await hits(pkg('npm', 'lodash', '4.17.15'));
    assert.ok(f);
    assert.deepEqual(f.fixedVersions, ['4.17.19']);
    assert.deepEqual(f.cves, ['CVE-2020-8203']);
    assert.equal(f.severity.score, 7.4);
    assert.equal(f.severity.level, 'high');
    assert.equal(f.severity.vector, 'CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:N/I:H/A:H');
  });

  it('npm minimist (CVE-2021-44906): two entries, each with its own fix', async () => {
    const old = await hits(pkg('npm', 'minimist', '0.2.3'));
    assert.deepEqual(old.map((f) => [f.advisoryId, f.fixedVersions]), [['GHSA-xvch-5gv4-984h', ['0.2.4']]]);
    assert.deepEqual(await ids(pkg('npm', 'minimist', '0.2.4')), []);
    assert.deepEqual(await ids(pkg('npm', 'minimist', '1.0.0')), ['GHSA-xvch-5gv4-984h']);
    const [f] = await hits(pkg('npm', 'minimist', '1.2.5'));
    assert.deepEqual(f?.fixedVersions, ['1.2.6']);
    assert.equal(f?.severity.level, 'critical');
    assert.equal(f?.severity.score, 9.8);
    assert.deepEqual(await ids(pkg('npm', 'minimist', '1.2.6')), []);
  });

  it('npm node-serialize (CVE-2017-5941): last_affected 0.0.4 is inclusive, no fix', async () => {
    const [f] = await hits(pkg('npm', 'node-serialize', '0.0.4'));
    assert.equal(f?.advisoryId, 'GHSA-q4v7-4rhw-9hqm');
    assert.deepEqual(f?.fixedVersions, []);
    assert.deepEqual(await ids(pkg('npm', 'node-serialize', '0.0.1')), ['GHSA-q4v7-4rhw-9hqm']);
    assert.deepEqual(await ids(pkg('npm', 'node-serialize', '0.0.5')), [], 'above last_affected');
  });

  it('PyPI PyYAML (CVE-2020-14343) under any PEP 503 spelling; pre-releases of the fix still affected', async () => {
    for (const name of ['PyYAML', 'pyyaml', 'PYYAML']) {
      assert.deepEqual(await ids(pkg('PyPI', name, '5.3.1')), ['GHSA-8q59-q68h-6hv4'], name);
    }
    assert.deepEqual(await ids(pkg('PyPI', 'py_yaml', '5.3.1')), [], 'py-yaml is another project under PEP 503');
    assert.deepEqual(await ids(pkg('PyPI', 'DJANGO', '3.2.1')), ['GHSA-p64x-8rxx-wf6q']);
    assert.deepEqual(await ids(pkg('PyPI', 'PyYAML', '5.4b2')), ['GHSA-8q59-q68h-6hv4'], '5.4b2 < 5.4');
    assert.deepEqual(await ids(pkg('PyPI', 'PyYAML', '5.4')), []);
    assert.deepEqual(await ids(pkg('PyPI', 'PyYAML', '5.4.0')), [], '5.4.0 == 5.4');
    assert.deepEqual(await ids(pkg('PyPI', 'PyYAML', '5.4.post1')), []);
  });

  it('PyPI Django (CVE-2022-34265): 3.2 ≤ v < 3.2.14 and 4.0 ≤ v < 4.0.6', async () => {
    assert.deepEqual(await ids(pkg('PyPI', 'django', '3.1.14')), []);
    assert.deepEqual(await ids(pkg('PyPI', 'Django', '3.2')), ['GHSA-p64x-8rxx-wf6q']);
    assert.deepEqual(await ids(pkg('PyPI', 'Django', '3.2.13')), ['GHSA-p64x-8rxx-wf6q']);
    assert.deepEqual(await ids(pkg('PyPI', 'Django', '3.2.14')), []);
    assert.deepEqual(await ids(pkg('PyPI', 'Django', '4.0rc1')), [], '4.0rc1 sorts before introduced 4.0');
    const [f] = await hits(pkg('PyPI', 'Django', '4.0.5'));
    assert.deepEqual(f?.fixedVersions, ['4.0.6']);
    assert.deepEqual(await ids(pkg('PyPI', 'Django', '4.1')), []);
  });

  it('Maven log4j-core (CVE-2021-44228): three ranges, 2.0-beta9 boundary in Maven order', async () => {
    const core = 'org.apache.logging.log4j:log4j-core';
    assert.deepEqual(await ids(pkg('Maven', core, '2.0-beta8')), []);
    assert.deepEqual(await ids(pkg('Maven', core, '2.0-beta9')), ['GHSA-jfh8-c2jp-5v3q']);
    assert.deepEqual(await ids(pkg('Maven', core, '2.0')), ['GHSA-jfh8-c2jp-5v3q']);
    assert.deepEqual(await ids(pkg('Maven', core, '2.3.1')), []);
    assert.deepEqual(await ids(pkg('Maven', core, '2.3.2')), [], 'between ranges (2.3.1 ≤ v < 2.4)');
    const [f] = await hits(pkg('Maven', core, '2.14.1'));
    assert.deepEqual(f?.fixedVersions, ['2.15.0']);
    assert.equal(f?.severity.score, 10);
    assert.equal(f?.severity.level, 'critical');
    assert.deepEqual(await ids(pkg('Maven', core, '2.12.2')), []);
    assert.deepEqual(await ids(pkg('Maven', core, '2.15.0')), []);
    assert.deepEqual(await ids(pkg('Maven', 'org.apache.logging.log4j:log4j-api', '2.14.1')), [], 'another artifact');
  });

  it('Go golang.org/x/text (CVE-2022-32149): SEMVER range, v prefix and pseudo-versions', async () => {
    const [f] = await hits(pkg('Go', 'golang.org/x/text', 'v0.3.7'));
    assert.equal(f?.advisoryId, 'GO-2022-1059');
    assert.deepEqual(f?.cves, ['CVE-2022-32149']);
    assert.equal(f?.severity.level, 'unknown', 'Go records carry no severity');
    assert.deepEqual(await ids(pkg('Go', 'golang.org/x/text', 'v0.3.8')), []);
    assert.deepEqual(await ids(pkg('Go', 'golang.org/x/text', 'v0.0.0-20210226172049-e18ecbb05110')), ['GO-2022-1059'], 'pseudo-version before 0.3.8');
    assert.deepEqual(await ids(pkg('Go', 'golang.org/x/text', 'v0.3.8-0.20221005000000-aaaaaaaaaaaa')), ['GO-2022-1059'], 'pseudo-version on top of v0.3.7 is a pre-release of v0.3.8');
  });

  it('Debian apache-log4j2 (DSA-5020-1): release-qualified, the ~ rule at the fix', async () => {
    const deb11 = { distro: 'Debian:11' };
    assert.deepEqual(await ids(pkg('Debian', 'apache-log4j2', '2.13.3-1', deb11)), ['DSA-5020-1']);
    assert.deepEqual(await ids(pkg('Debian', 'apache-log4j2', '2.15.0-1~deb11u1', deb11)), [], 'exactly fixed');
    assert.deepEqual(await ids(pkg('Debian', 'apache-log4j2', '2.15.0-1~deb10u1', deb11)), ['DSA-5020-1'], 'deb10u1 < deb11u1');
    assert.deepEqual(await ids(pkg('Debian', 'apache-log4j2', '2.13.3-1', { distro: 'Debian:12' })), [], 'no entry for Debian 12');
    const [f] = await hits(pkg('Debian', 'apache-log4j2', '2.13.3-1', { distro: 'Debian:10' }));
    assert.deepEqual(f?.fixedVersions, ['2.15.0-1~deb10u1']);
    assert.deepEqual(f?.cves, ['CVE-2021-44228'], 'CVE from the related field');
    const r = await cache.match([pkg('Debian', 'apache-log4j2', '2.13.3-1')]);
    assert.deepEqual(r.findings, [], 'release unknown: not matched against release-qualified entries');
    assert.equal(r.stats.releaseUnknown, 2);
  });

  it('Debian binary packages match through their source package (liblog4j2-java from apache-log4j2)', async () => {
    const binary: PackageRef = { ...pkg('Debian', 'liblog4j2-java', '2.13.3-1+b1', { distro: 'Debian:11' }), sourcePackage: { name: 'apache-log4j2', version: '2.13.3-1' } };
    assert.deepEqual(await ids(binary), ['DSA-5020-1']);
    const fixedBinary: PackageRef = { ...binary, version: '2.15.0-1~deb11u1', sourcePackage: { name: 'apache-log4j2', version: '2.15.0-1~deb11u1' } };
    assert.deepEqual(await ids(fixedBinary), []);
    const { sourcePackage: _dropped, ...noSource } = binary;
    assert.deepEqual(await ids(noSource), [], 'by binary name alone it cannot match');
  });

  it('Alpine openssl (CVE-2022-0778): apk order with letters and -r', async () => {
    const v315 = { distro: 'Alpine:v3.15' };
    assert.deepEqual(await ids(pkg('Alpine', 'openssl', '1.1.1l-r7', v315)), ['ALPINE-CVE-2022-0778']);
    assert.deepEqual(await ids(pkg('Alpine', 'openssl', '1.1.1m-r0', v315)), ['ALPINE-CVE-2022-0778']);
    assert.deepEqual(await ids(pkg('Alpine', 'openssl', '1.1.1n-r0', v315)), []);
    assert.deepEqual(await ids(pkg('Alpine', 'openssl', '1.1.1n-r1', v315)), []);
    const [f] = await hits(pkg('Alpine', 'openssl', '1.1.1k-r0', { distro: 'Alpine:v3.14' }));
    assert.deepEqual(f?.cves, ['CVE-2022-0778'], 'CVE from the upstream field');
  });

  it('RubyGems nokogiri (CVE-2022-24836) and crates.io smallvec (CVE-2021-25900)', async () => {
    assert.deepEqual(await ids(pkg('RubyGems', 'nokogiri', '1.13.3')), ['GHSA-crjr-9rc5-ghw8']);
    assert.deepEqual(await ids(pkg('RubyGems', 'nokogiri', '1.13.4.rc1')), ['GHSA-crjr-9rc5-ghw8'], 'rc1 < 1.13.4');
    assert.deepEqual(await ids(pkg('RubyGems', 'nokogiri', '1.13.4')), []);
    assert.deepEqual(await ids(pkg('crates.io', 'smallvec', '0.6.2')), []);
    assert.deepEqual(await ids(pkg('crates.io', 'smallvec', '0.6.3')), ['RUSTSEC-2021-0003']);
    assert.deepEqual(await ids(pkg('crates.io', 'smallvec', '0.6.14')), []);
    assert.deepEqual(await ids(pkg('crates.io', 'smallvec', '0.9.0')), [], 'between the two ranges of one event list');
    const [f] = await hits(pkg('crates.io', 'smallvec', '1.6.0'));
    assert.deepEqual(f?.fixedVersions, ['1.6.1']);
  });

  it('many packages at once: one finding per (package, advisory), the rest clean', async () => {
    const packages = [
      pkg('npm', 'lodash', '4.17.15'), pkg('npm', 'minimist', '1.2.5'), pkg('npm', 'left-pad', '1.0.0'), pkg('PyPI', 'requests', '2.0.0'),
      pkg('Maven', 'org.apache.logging.log4j:log4j-core', '2.14.1'), pkg('npm', 'lodash', 'not-a-version'),
    ];
    const r = await cache.match(packages);
    assert.deepEqual(r.findings.map((f) => `${f.package}@${f.installedVersion}:${f.advisoryId}`).sort(), [
      'lodash@4.17.15:GHSA-p6mc-m468-83gw', 'minimist@1.2.5:GHSA-xvch-5gv4-984h', 'org.apache.logging.log4j:log4j-core@2.14.1:GHSA-jfh8-c2jp-5v3q',
    ]);
    assert.equal(r.stats.unparsableVersions, 1);
  });
});
