import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { TrawlError } from '../../../src/errors/trawl-error.js';
import { collectArtifact, tempDir } from '../fixtures/collect-artifact.js';
import { dockerSaveFiles, layer, ociLayoutFiles, sha256, writeTree, type BuiltLayer } from '../fixtures/image-builder.js';
import { buildTar, type TarEntrySpec } from '../fixtures/tar-builder.js';
import { buildZip } from '../fixtures/zip-writer.js';

const want = (p: string): boolean => p.endsWith('.json') || p.endsWith('/status') || p.endsWith('.properties');

/** Layer 1: a base with packages; layer 2 deletes one file, hides a directory (opaque), replaces one, and removes a jar. */
const base: TarEntrySpec[] = [
  { name: 'var/lib/dpkg/status', data: 'Package: libc6\nVersion: 2.36-9\n' },
  { name: 'app/node_modules/left-pad/package.json', data: '{"name":"left-pad","version":"1.3.0"}' },
  { name: 'app/node_modules/lodash/package.json', data: '{"name":"lodash","version":"4.17.20"}' },
  { name: 'opt/cache/', type: 'directory' },
  { name: 'opt/cache/old/package.json', data: '{"name":"old","version":"1.0.0"}' },
  { name: 'opt/lib/app.jar', data: buildZip([{ name: 'META-INF/maven/com.acme/app/pom.properties', data: 'groupId=com.acme\nartifactId=app\nversion=1.0\n' }]) },
];
const top: TarEntrySpec[] = [
  { name: 'app/node_modules/.wh.left-pad', data: '' },
  { name: 'opt/cache/.wh..wh..opq', data: '' },
  { name: 'opt/cache/new/package.json', data: '{"name":"new","version":"2.0.0"}' },
  { name: 'app/node_modules/lodash/package.json', data: '{"name":"lodash","version":"4.17.21"}' },
  { name: 'opt/lib/.wh.app.jar', data: '' },
];
const expected = ['app/node_modules/lodash/package.json', 'opt/cache/new/package.json', 'var/lib/dpkg/status'];

async function tarOf(files: Iterable<[string, Buffer]>): Promise<Buffer> {
  return buildTar([...files].map(([name, data]) => ({ name, data })));
}

function checkWhiteouts(c: Awaited<ReturnType<typeof collectArtifact>>, layers: { digest: string }[]): void {
  assert.deepEqual([...c.files.keys()], expected);
  assert.equal(JSON.parse(c.files.get('app/node_modules/lodash/package.json')?.text ?? '').version, '4.17.21');
  assert.equal(c.files.get('app/node_modules/lodash/package.json')?.layer, layers[1]?.digest);
  assert.equal(c.files.get('var/lib/dpkg/status')?.layer, layers[0]?.digest);
  assert.deepEqual(c.layers.map((l) => [l.index, l.digest]), layers.map((l, i) => [i, l.digest]));
}

describe('image readers: layers in order, whiteouts honoured', () => {
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  let l1: BuiltLayer;
  let l2: BuiltLayer;
  before(async () => {
    tmp = await tempDir();
    l1 = await layer(base);
    l2 = await layer(top, 'none');
  });
  after(async () => tmp.cleanup());

  it('sanity: without the second layer, everything in the base is there', async () => {
    const dir = join(tmp.dir, 'oci-one');
    await writeTree(dir, ociLayoutFiles([l1]));
    const c = await collectArtifact(dir, { interesting: want });
    assert.ok(c.files.has('app/node_modules/left-pad/package.json'));
    assert.ok(c.files.has('opt/cache/old/package.json'));
    assert.ok(c.files.has('opt/lib/app.jar!/META-INF/maven/com.acme/app/pom.properties'));
  });

  it('OCI image layout directory', async () => {
    const dir = join(tmp.dir, 'oci-dir');
    await writeTree(dir, ociLayoutFiles([l1, l2]));
    const c = await collectArtifact(dir, { interesting: want });
    assert.equal(c.format, 'oci-layout');
    checkWhiteouts(c, [l1, l2]);
    assert.deepEqual(c.warnings, []);
  });

  it('OCI image layout as a tar (index.json after the blobs)', async () => {
    const files = [...ociLayoutFiles([l1, l2])].sort(([a], [b]) => (a.startsWith('blobs') === b.startsWith('blobs') ? 0 : a.startsWith('blobs') ? -1 : 1));
    const path = await tmp.file('oci.tar', await tarOf(files));
    const c = await collectArtifact(path, { interesting: want });
    assert.equal(c.format, 'oci-layout');
    checkWhiteouts(c, [l1, l2]);
  });

  it('docker save archive (layer.tar per layer, manifest.json last)', async () => {
    const t1 = await buildTar(base);
    const t2 = await buildTar(top);
    const path = await tmp.file('saved.tar', await tarOf(dockerSaveFiles([t1, t2])));
    const c = await collectArtifact(path, { interesting: want });
    assert.equal(c.format, 'docker-save');
    // Legacy layers have no digest in the manifest: it is the hash of the layer tar (the diff id).
    checkWhiteouts(c, [{ digest: `sha256:${sha256(t1)}` }, { digest: `sha256:${sha256(t2)}` }]);
  });

  it('docker save piped through gzip is detected and re-read as an image', async () => {
    const t1 = await buildTar(base);
    const t2 = await buildTar(top);
    const path = await tmp.file('saved.tar.gz', gzipSync(await tarOf(dockerSaveFiles([t1, t2]))));
    const c = await collectArtifact(path, { interesting: want });
    assert.equal(c.format, 'docker-save');
    checkWhiteouts(c, [{ digest: `sha256:${sha256(t1)}` }, { digest: `sha256:${sha256(t2)}` }]);
  });

  it('picks the requested platform from a multi-platform index and says so', async () => {
    const other = await layer([{ name: 'arm.json', data: '{}' }]);
    const armFiles = ociLayoutFiles([other]);
    const armIndex = JSON.parse(armFiles.get('index.json')?.toString() ?? '{}') as { manifests: { digest: string }[] };
    const armManifest = armIndex.manifests[0] as { digest: string };
    const files = ociLayoutFiles([l1, l2], {
      extraIndexManifests: [
        { ...armManifest, platform: { os: 'linux', architecture: 'arm64' } },
        { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: `sha256:${'a'.repeat(64)}`, size: 1, platform: { os: 'unknown', architecture: 'unknown' } },
      ],
    });
    for (const [k, v] of armFiles) if (k.startsWith('blobs/')) files.set(k, v);
    const dir = join(tmp.dir, 'multi');
    await writeTree(dir, files);
    const c = await collectArtifact(dir, { interesting: want });
    checkWhiteouts(c, [l1, l2]);
    assert.equal(c.warnings.length, 1);
    assert.match(c.warnings[0]?.message ?? '', /2 images in the layout; scanned sha256:[0-9a-f]{64} \(linux\/amd64\)/);
    const arm = await collectArtifact(dir, { interesting: want, platform: { os: 'linux', architecture: 'arm64' } });
    assert.deepEqual([...arm.files.keys()], ['arm.json']);
  });

  it('warns when a layer blob does not hash to its descriptor digest', async () => {
    const dir = join(tmp.dir, 'corrupt-digest');
    await writeTree(dir, ociLayoutFiles([l1, l2], { corruptDigestOf: 1 }));
    const c = await collectArtifact(dir, { interesting: want });
    assert.deepEqual([...c.files.keys()], expected);
    assert.equal(c.warnings.length, 1);
    assert.match(c.warnings[0]?.message ?? '', new RegExp(`layer 1 digest mismatch: descriptor says sha256:0{64}, blob hashes to ${l2.digest}`));
  });

  it('refuses a descriptor digest that would be a path outside blobs/', async () => {
    const files = ociLayoutFiles([l1]);
    const index = JSON.parse(files.get('index.json')?.toString() ?? '{}') as { manifests: { digest: string }[] };
    (index.manifests[0] as { digest: string }).digest = 'sha256:../../../../etc/passwd';
    files.set('index.json', Buffer.from(JSON.stringify(index)));
    const dir = join(tmp.dir, 'bad-digest');
    await writeTree(dir, files);
    await assert.rejects(collectArtifact(dir), (e: unknown) => e instanceof TrawlError && e.code === 'TRAWL_E_ARTIFACT_FORMAT' && /invalid descriptor digest "sha256:\.\.\/\.\.\/\.\.\/\.\.\/etc\/passwd"/.test(e.message));
  });

  it('refuses a docker save manifest whose layer path climbs out', async () => {
    const t1 = await buildTar(base);
    const files = dockerSaveFiles([t1]).map(([n, d]): [string, Buffer] => (n === 'manifest.json' ? [n, Buffer.from(JSON.stringify([{ Config: 'x.json', Layers: ['../../etc/passwd'] }]))] : [n, d]));
    const path = await tmp.file('bad-save.tar', await tarOf(files));
    await assert.rejects(collectArtifact(path), /manifest\.json names an invalid layer path "\.\.\/\.\.\/etc\/passwd"/);
  });

  it('caps the number of layers', async () => {
    const dir = join(tmp.dir, 'layers-cap');
    await mkdir(dir, { recursive: true });
    await writeTree(dir, ociLayoutFiles([l1, l2]));
    await assert.rejects(collectArtifact(dir, { maxLayers: 1 }), /2 layers, over the 1-layer cap/);
  });
});
