import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { TrawlError } from '../../../src/errors/trawl-error.js';
import { inventoryArtifact } from '../../../src/artifact/inventory.js';
import type { PackageRef } from '../../../src/artifact/package-ref.js';
import { tempDir } from '../fixtures/collect-artifact.js';
import { fixturePath, readFixture } from '../fixtures/fixture-files.js';
import { dockerSaveFiles, layer, ociLayoutFiles, writeTree } from '../fixtures/image-builder.js';
import { buildTar } from '../fixtures/tar-builder.js';
import { buildZip } from '../fixtures/zip-writer.js';

const brief = (refs: PackageRef[]): string[] => refs.map((r) => `${r.ecosystem}:${r.name}@${r.version} <${r.source}>`);
const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

describe('inventoryArtifact', () => {
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  before(async () => {
    tmp = await tempDir();
  });
  after(async () => tmp.cleanup());

  it('inventories the Info-ZIP function package and hashes its bytes', async () => {
    const path = fixturePath('zip/function.zip');
    const r = await inventoryArtifact(path);
    assert.equal(r.format, 'zip');
    assert.equal(r.sha256, sha256(readFileSync(path)));
    assert.deepEqual(brief(r.packages), ['npm:@smithy/types@2.4.0 <node_modules/@smithy/types/package.json>', 'npm:uuid@9.0.1 <node_modules/uuid/package.json>']);
    assert.equal(r.layers, undefined);
    assert.deepEqual(r.warnings, []);
  });

  it('a polyglot Lambda package: lockfiles, a Go binary, jars, deps.json; dedupes; one bad lockfile is a warning', async () => {
    const jar = buildZip([
      { name: 'META-INF/MANIFEST.MF', data: readFixture('java/MANIFEST.MF') },
      { name: 'META-INF/maven/com.fasterxml.jackson.core/jackson-databind/pom.properties', data: readFixture('java/pom.properties') },
    ]);
    const bundleJar = buildZip([{ name: 'META-INF/MANIFEST.MF', data: readFixture('java/MANIFEST-bundle-only.MF') }]);
    const fatJar = buildZip([
      { name: 'META-INF/MANIFEST.MF', data: readFixture('java/MANIFEST-spring-boot.MF') },
      { name: 'BOOT-INF/lib/jackson-databind-2.13.4.1.jar', data: jar, method: 'store' },
      { name: 'BOOT-INF/lib/log4j-core-2.14.1.jar', data: bundleJar, method: 'store' },
    ]);
    const zip = buildZip([
      { name: 'bootstrap', data: gunzipSync(readFixture('go/bootstrap.gz')), mode: 0o100755 },
      { name: 'package-lock.json', data: readFixture('npm/package-lock-v1.json') },
      { name: 'node_modules/lodash/package.json', data: '{"name":"lodash","version":"4.17.20"}' },
      { name: 'node_modules/lodash/fp/package.json', data: '{"main":"../fp.js"}' },
      { name: 'requirements.txt', data: 'requests==2.25.0\nboto3\n' },
      { name: 'python/urllib3-1.26.5.dist-info/METADATA', data: readFixture('python/METADATA') },
      { name: 'app.jar', data: fatJar, method: 'store' },
      { name: 'OrdersFunction.deps.json', data: readFixture('dotnet/OrdersFunction.deps.json') },
      { name: 'Cargo.lock', data: 'this is = not [toml' },
      { name: 'README.md', data: '# not inventoried' },
    ]);
    const path = await tmp.file('polyglot.zip', zip);
    const r = await inventoryArtifact(path);
    assert.equal(r.sha256, sha256(zip));
    assert.deepEqual(brief(r.packages), [
      'NuGet:Amazon.Lambda.Core@2.2.0 <OrdersFunction.deps.json>',
      'NuGet:Newtonsoft.Json@13.0.1 <OrdersFunction.deps.json>',
      'NuGet:System.Text.Encodings.Web@4.7.1 <OrdersFunction.deps.json>',
      // pom.properties wins inside jackson's jar; log4j has only its manifest.
      'Maven:com.fasterxml.jackson.core:jackson-databind@2.13.4.1 <app.jar!/BOOT-INF/lib/jackson-databind-2.13.4.1.jar!/META-INF/maven/com.fasterxml.jackson.core/jackson-databind/pom.properties>',
      'Maven:org.apache.logging.log4j:core@2.14.1 <app.jar!/BOOT-INF/lib/log4j-core-2.14.1.jar!/META-INF/MANIFEST.MF>',
      'Go:github.com/acme/greet-fork@v1.4.3 <bootstrap>',
      'Go:golang.org/x/text@v0.3.7 <bootstrap>',
      'Go:stdlib@1.19.8 <bootstrap>',
      'npm:lodash@4.17.20 <node_modules/lodash/package.json>',
      'npm:@types/node@14.18.63 <package-lock.json>',
      'npm:axios@0.21.1 <package-lock.json>',
      'npm:follow-redirects@1.14.8 <package-lock.json>',
      'npm:lodash@4.17.20 <package-lock.json>',
      'npm:minimist@1.2.5 <package-lock.json>',
      'npm:node-fetch@2.6.1 <package-lock.json>',
      'npm:whatwg-url@5.0.0 <package-lock.json>',
      'PyPI:urllib3@1.26.5 <python/urllib3-1.26.5.dist-info/METADATA>',
      'PyPI:requests@2.25.0 <requirements.txt>',
    ]);
    assert.equal(r.packages.find((p) => p.name === '@types/node')?.dev, true);
    const w = r.warnings.join('\n');
    assert.match(w, /Cargo\.lock: TOML line 1/);
    assert.match(w, /requirements\.txt: 1 requirements not pinned with ==, version unknown: boto3/);
    assert.match(w, /local-utils@file:/);
  });

  it('same purl from the same file counts once', async () => {
    // The v1 tree lists the same version at two depths.
    const lock = JSON.stringify({ lockfileVersion: 1, dependencies: { a: { version: '1.0.0', dependencies: { b: { version: '2.0.0' } } }, b: { version: '2.0.0' } } });
    const r = await inventoryArtifact(await tmp.file('package-lock.json', lock));
    assert.deepEqual(brief(r.packages), ['npm:a@1.0.0 <package-lock.json>', 'npm:b@2.0.0 <package-lock.json>']);
  });

  it('a Debian image: OS packages qualified by os-release, whiteouts honoured, packages counted per layer', async () => {
    const l1 = await layer([
      { name: 'usr/lib/os-release', data: readFixture('os/os-release-debian') },
      { name: 'etc/os-release', type: 'symlink', linkname: '../usr/lib/os-release' },
      { name: 'var/lib/dpkg/status', data: readFixture('os/dpkg-status') },
    ]);
    const l2 = await layer([
      { name: 'var/task/node_modules/express/package.json', data: readFixture('npm/express-package.json') },
      { name: 'var/task/node_modules/left-pad/package.json', data: '{"name":"left-pad","version":"1.3.0"}' },
      { name: 'usr/local/bin/orders', data: gunzipSync(readFixture('go/bootstrap.gz')), mode: 0o755 },
    ]);
    const l3 = await layer([{ name: 'var/task/node_modules/.wh.left-pad', data: '' }]);
    const dir = join(tmp.dir, 'debian-image');
    await writeTree(dir, ociLayoutFiles([l1, l2, l3]));
    const r = await inventoryArtifact(dir);
    assert.equal(r.format, 'oci-layout');
    assert.deepEqual(r.os, { id: 'debian', versionId: '12', distro: 'Debian:12' });
    const debs = r.packages.filter((p) => p.ecosystem === 'Debian');
    assert.deepEqual(debs.map((p) => `${p.name}@${p.version} (${p.sourcePackage?.name}) ${p.distro}`), [
      'base-files@12.4+deb12u4 (base-files) Debian:12',
      'libc6@2.36-9+deb12u3 (glibc) Debian:12',
      'libgcc-s1@12.2.0-14+b1 (gcc-12) Debian:12',
      'libssl3@3.0.11-1~deb12u2 (openssl) Debian:12',
    ]);
    assert.ok(debs.every((p) => p.purl.endsWith('?arch=amd64&distro=debian-12')));
    assert.ok(r.packages.some((p) => p.name === 'express'));
    assert.equal(r.packages.some((p) => p.name === 'left-pad'), false, 'whited out in layer 3');
    assert.ok(r.packages.some((p) => p.name === 'stdlib' && p.source === 'usr/local/bin/orders'));
    assert.deepEqual(r.layers, [
      { digest: l1.digest, packages: 4 },
      { digest: l2.digest, packages: 4 },
      { digest: l3.digest, packages: 0 },
    ]);
  });

  it('an Alpine image saved with docker save', async () => {
    const t1 = await buildTar([
      { name: 'etc/os-release', data: readFixture('os/os-release-alpine') },
      { name: 'lib/apk/db/installed', data: readFixture('os/apk-installed') },
    ]);
    const path = await tmp.file('alpine.tar', await buildTar(dockerSaveFiles([t1]).map(([name, data]) => ({ name, data }))));
    const r = await inventoryArtifact(path);
    assert.equal(r.format, 'docker-save');
    assert.deepEqual(r.packages.map((p) => `${p.name}@${p.version} ${p.distro} ${p.purl}`), [
      'busybox@1.36.1-r15 Alpine:v3.19 pkg:apk/alpine/busybox@1.36.1-r15?arch=x86_64&distro=alpine-3.19.1',
      'libcrypto3@3.1.4-r2 Alpine:v3.19 pkg:apk/alpine/libcrypto3@3.1.4-r2?arch=x86_64&distro=alpine-3.19.1',
      'musl@1.2.4_git20230717-r4 Alpine:v3.19 pkg:apk/alpine/musl@1.2.4_git20230717-r4?arch=x86_64&distro=alpine-3.19.1',
    ]);
    assert.equal(r.layers?.length, 1);
    assert.equal(r.layers?.[0]?.packages, 3);
  });

  it('limits still throw; missing artifacts are TRAWL_E_ARTIFACT_READ', async () => {
    const bomb = await tmp.file('bomb.zip', buildZip([{ name: 'package-lock.json', data: Buffer.alloc(30 * 1024 * 1024, 0x20) }]));
    await assert.rejects(inventoryArtifact(bomb), (e: unknown) => e instanceof TrawlError && e.code === 'TRAWL_E_ARTIFACT_LIMIT');
    await assert.rejects(inventoryArtifact(join(tmp.dir, 'nope.zip')), (e: unknown) => e instanceof TrawlError && e.code === 'TRAWL_E_ARTIFACT_READ');
  });
});
