import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { apkInstalledParser } from '../../../src/artifact/parsers/apk-installed-parser.js';
import { dpkgStatusParser } from '../../../src/artifact/parsers/dpkg-status-parser.js';
import { osvDistro, parseOsRelease } from '../../../src/artifact/parsers/os-release-parser.js';
import { readFixture } from '../fixtures/fixture-files.js';

describe('os-release', () => {
  it('parses quoted values and gives the OSV distro', () => {
    const debian = parseOsRelease(readFixture('os/os-release-debian'));
    assert.deepEqual(debian, { id: 'debian', like: [], versionId: '12' });
    assert.equal(osvDistro(debian), 'Debian:12');
    assert.equal(osvDistro(parseOsRelease(readFixture('os/os-release-alpine'))), 'Alpine:v3.19');
    const ubuntu = parseOsRelease(readFixture('os/os-release-ubuntu'));
    assert.deepEqual(ubuntu?.like, ['debian']);
    assert.equal(osvDistro(ubuntu), 'Ubuntu:22.04');
    assert.equal(parseOsRelease(Buffer.from('NAME=nothing\n')), undefined);
  });
});

describe('dpkg status', () => {
  const os = parseOsRelease(readFixture('os/os-release-debian'));

  it('installed packages only, with the source package OSV matches on and a qualified purl', () => {
    const refs = dpkgStatusParser.parse('var/lib/dpkg/status', readFixture('os/dpkg-status'), os ? { os } : {});
    assert.deepEqual(
      refs.map((r) => [r.name, r.version, r.sourcePackage?.name, r.sourcePackage?.version]),
      [
        ['base-files', '12.4+deb12u4', 'base-files', '12.4+deb12u4'],
        ['libc6', '2.36-9+deb12u3', 'glibc', '2.36-9+deb12u3'],
        ['libssl3', '3.0.11-1~deb12u2', 'openssl', '3.0.11-1~deb12u2'],
        // binNMU: the binary is +b1, the source version is in parentheses.
        ['libgcc-s1', '12.2.0-14+b1', 'gcc-12', '12.2.0-14'],
      ],
    );
    for (const r of refs) {
      assert.equal(r.ecosystem, 'Debian');
      assert.equal(r.distro, 'Debian:12');
    }
    assert.equal(refs[1]?.purl, 'pkg:deb/debian/libc6@2.36-9%2Bdeb12u3?arch=amd64&distro=debian-12');
  });

  it('distroless status.d entries; md5sums are not stanzas', () => {
    assert.ok(dpkgStatusParser.match('var/lib/dpkg/status.d/libssl3'));
    assert.equal(dpkgStatusParser.match('var/lib/dpkg/status.d/libssl3.md5sums'), false);
    const refs = dpkgStatusParser.parse('var/lib/dpkg/status.d/libssl3', readFixture('os/status.d/libssl3'));
    assert.deepEqual(refs.map((r) => [r.name, r.version, r.sourcePackage?.name, r.distro]), [['libssl3', '3.0.11-1~deb12u2', 'openssl', undefined]]);
    assert.equal(refs[0]?.purl, 'pkg:deb/debian/libssl3@3.0.11-1~deb12u2?arch=amd64');
  });

  it('Ubuntu keeps its own vendor and release', () => {
    const ubuntu = parseOsRelease(readFixture('os/os-release-ubuntu'));
    const refs = dpkgStatusParser.parse('var/lib/dpkg/status', readFixture('os/status.d/libssl3'), ubuntu ? { os: ubuntu } : {});
    assert.equal(refs[0]?.distro, 'Ubuntu:22.04');
    assert.equal(refs[0]?.purl, 'pkg:deb/ubuntu/libssl3@3.0.11-1~deb12u2?arch=amd64&distro=ubuntu-22.04');
  });
});

describe('apk installed', () => {
  it('P/V/A/o records, origin as source package', () => {
    const os = parseOsRelease(readFixture('os/os-release-alpine'));
    const refs = apkInstalledParser.parse('lib/apk/db/installed', readFixture('os/apk-installed'), os ? { os } : {});
    assert.deepEqual(
      refs.map((r) => [r.name, r.version, r.sourcePackage?.name, r.distro]),
      [
        ['musl', '1.2.4_git20230717-r4', 'musl', 'Alpine:v3.19'],
        ['libcrypto3', '3.1.4-r2', 'openssl', 'Alpine:v3.19'],
        ['busybox', '1.36.1-r15', 'busybox', 'Alpine:v3.19'],
      ],
    );
    assert.equal(refs[1]?.purl, 'pkg:apk/alpine/libcrypto3@3.1.4-r2?arch=x86_64&distro=alpine-3.19.1');
  });
});
