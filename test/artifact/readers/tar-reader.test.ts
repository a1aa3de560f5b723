import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import zlib from 'node:zlib';
import { TrawlError } from '../../../src/errors/trawl-error.js';
import { zstdAvailable } from '../../../src/artifact/readers/compression.js';
import { collectArtifact, tempDir } from '../fixtures/collect-artifact.js';
import { fixturePath } from '../fixtures/fixture-files.js';
import { buildTar, type TarEntrySpec } from '../fixtures/tar-builder.js';
import { buildZip } from '../fixtures/zip-writer.js';

const MiB = 1024 * 1024;

const rootfs: TarEntrySpec[] = [
  { name: './', type: 'directory' },
  { name: './etc/', type: 'directory' },
  { name: './usr/lib/os-release', data: 'ID=debian\nVERSION_ID="12"\n' },
  { name: './etc/os-release', type: 'symlink', linkname: '../usr/lib/os-release' },
  { name: './var/lib/dpkg/status', data: 'Package: libc6\nVersion: 2.36-9\n' },
  { name: './app/node_modules/lodash/package.json', data: '{"name":"lodash","version":"4.17.21"}' },
  { name: './app/node_modules/lodash/lodash.js', data: '/* big */' },
  { name: './usr/bin/dpkg-status-copy', type: 'link', linkname: './var/lib/dpkg/status' },
];
const want = (p: string): boolean => /os-release$|dpkg\/status$|package\.json$|status-copy$/.test(p);

function zstd(buf: Buffer): Buffer {
  return (zlib as unknown as { zstdCompressSync(b: Buffer): Buffer }).zstdCompressSync(buf);
}

describe('tar reader', () => {
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  before(async () => {
    tmp = await tempDir();
  });
  after(async () => tmp.cleanup());

  it('reads tar, tar.gz and tar.zst alike, resolving symlinks and hard links inside the root', async () => {
    const tar = await buildTar(rootfs);
    const variants: [string, Buffer, string][] = [
      ['rootfs.tar', tar, 'tar'],
      ['rootfs.tar.gz', gzipSync(tar), 'tar.gz'],
    ];
    if (zstdAvailable()) variants.push(['rootfs.tar.zst', zstd(tar), 'tar.zst']);
    for (const [name, bytes, format] of variants) {
      const c = await collectArtifact(await tmp.file(name, bytes), { interesting: want });
      assert.equal(c.format, format);
      assert.deepEqual([...c.files.keys()], ['app/node_modules/lodash/package.json', 'etc/os-release', 'usr/bin/dpkg-status-copy', 'usr/lib/os-release', 'var/lib/dpkg/status']);
      assert.equal(c.files.get('etc/os-release')?.text, 'ID=debian\nVERSION_ID="12"\n');
      assert.equal(c.files.get('etc/os-release')?.linkTarget, 'usr/lib/os-release');
      assert.equal(c.files.get('usr/bin/dpkg-status-copy')?.text, 'Package: libc6\nVersion: 2.36-9\n');
      assert.deepEqual(c.warnings, []);
    }
  });

  it('reads a layer compressed by the zstd CLI (or says clearly that this Node cannot)', async () => {
    const path = fixturePath('layers/rootfs.tar.zst');
    if (zstdAvailable()) {
      const c = await collectArtifact(path, { interesting: want });
      assert.equal(c.format, 'tar.zst');
      assert.deepEqual([...c.files.keys()], ['etc/os-release', 'var/lib/dpkg/status']);
      assert.match(c.files.get('var/lib/dpkg/status')?.text ?? '', /^Package: libssl3$/m);
    } else {
      await assert.rejects(collectArtifact(path, { interesting: want }), (e: unknown) => e instanceof TrawlError && e.code === 'TRAWL_E_ARTIFACT_FORMAT' && /zstd-compressed and this Node\.js .* has no zstd decoder \(needs 22\.15\+\)/.test(e.message));
    }
  });

  it('records a symlink that escapes the root and never reads through it', async () => {
    const tar = await buildTar([
      { name: 'etc/os-release', type: 'symlink', linkname: '../../../../../etc/os-release' },
      { name: 'app/config.json', type: 'symlink', linkname: '../../etc/shadow' },
      { name: 'loop/a', type: 'symlink', linkname: 'b' },
      { name: 'loop/b', type: 'symlink', linkname: 'a' },
      { name: 'dirlink', type: 'symlink', linkname: 'real' },
      { name: 'real/package.json', data: '{"via":"dir link"}' },
      { name: 'through/package.json', type: 'symlink', linkname: '../dirlink/package.json' },
    ]);
    const c = await collectArtifact(await tmp.file('escape.tar', tar), { interesting: (p) => p.endsWith('os-release') || p.endsWith('.json') || p.startsWith('loop/') });
    assert.deepEqual([...c.files.keys()], ['real/package.json', 'through/package.json']);
    assert.equal(c.files.get('through/package.json')?.text, '{"via":"dir link"}');
    const escapes = c.warnings.filter((w) => w.code === 'TRAWL_E_ARTIFACT_PATH').map((w) => w.message);
    assert.equal(escapes.length, 2);
    assert.match(escapes[0] ?? '', /symlink etc\/os-release -> \.\.\/\.\.\/\.\.\/\.\.\/\.\.\/etc\/os-release escapes the artifact root; not followed/);
    assert.match(escapes[1] ?? '', /symlink app\/config\.json -> \.\.\/\.\.\/etc\/shadow escapes/);
  });

  it('rejects traversal and absolute entries, and whiteouts outside an image do nothing', async () => {
    const tar = await buildTar([
      { name: '../outside.json', data: '{}' },
      { name: 'a/../../up.json', data: '{}' },
      { name: 'keep.json', data: '{"k":1}' },
      { name: '.wh.keep.json', data: '' },
      { name: 'dir/.wh..wh..opq', data: '' },
      { name: 'dir/x.json', data: '{}' },
    ]);
    const c = await collectArtifact(await tmp.file('trav.tar', tar), { interesting: (p) => p.endsWith('.json') || p.includes('.wh.') });
    assert.deepEqual([...c.files.keys()], ['dir/x.json', 'keep.json']);
    const msgs = c.warnings.map((w) => w.message);
    assert.equal(msgs.length, 2);
    assert.match(msgs[0] ?? '', /"\.\.\/outside\.json" rejected: path traversal/);
    assert.match(msgs[1] ?? '', /"a\/\.\.\/\.\.\/up\.json" rejected: path traversal/);
  });

  it('reads long (pax) names', async () => {
    const long = `${'very-long-directory-name/'.repeat(8)}node_modules/pkg/package.json`;
    const c = await collectArtifact(await tmp.file('long.tar', await buildTar([{ name: long, data: '{"long":true}' }])), { interesting: (p) => p.endsWith('.json') });
    assert.equal(c.files.get(long)?.text, '{"long":true}');
  });

  it('refuses a gzip bomb by the ratio of the stream, whatever the headers say', async () => {
    const tar = await buildTar([{ name: 'zeros.bin', data: Buffer.alloc(40 * MiB) }]);
    const bomb = await tmp.file('bomb.tar.gz', gzipSync(tar, { level: 9 }));
    await assert.rejects(collectArtifact(bomb), (e: unknown) => {
      assert.ok(e instanceof TrawlError);
      assert.equal(e.code, 'TRAWL_E_ARTIFACT_LIMIT');
      assert.match(e.message, /bomb\.tar\.gz \(gzip\) expands \d+ bytes to \d+ \(ratio \d+, cap 250\)/);
      return true;
    });
    // The total cap catches it from the tar header alone when set lower.
    await assert.rejects(collectArtifact(bomb, { maxTotalBytes: 10 * MiB, maxCompressionRatio: 1e9 }), /more than 10485760 bytes uncompressed in total \(at zeros\.bin\)/);
  });

  it('opens a zip inside a tar layer', async () => {
    const plugin = buildZip([{ name: 'node_modules/left-pad/package.json', data: '{"name":"left-pad","version":"1.3.0"}' }]);
    const tar = await buildTar([{ name: 'opt/plugins/plugin.zip', data: plugin }, { name: 'after.json', data: '{}' }]);
    const c = await collectArtifact(await tmp.file('layer.tar.gz', gzipSync(tar)), { interesting: (p) => p.endsWith('.json') });
    assert.deepEqual([...c.files.keys()], ['after.json', 'opt/plugins/plugin.zip!/node_modules/left-pad/package.json']);
  });

  it('opens a tar.gz inside a tar, and survives a corrupt one', async () => {
    const inner = gzipSync(await buildTar([{ name: 'inner.json', data: '{"i":1}' }]));
    const tar = await buildTar([
      { name: 'bundle.tgz', data: inner },
      { name: 'broken.tar.gz', data: Buffer.concat([inner.subarray(0, 20), Buffer.alloc(100, 0x41)]) },
      { name: 'last.json', data: '{}' },
    ]);
    const c = await collectArtifact(await tmp.file('nested.tar', tar), { interesting: (p) => p.endsWith('.json') });
    assert.deepEqual([...c.files.keys()], ['bundle.tgz!/inner.json', 'last.json']);
    assert.equal(c.warnings.length, 1);
    assert.match(c.warnings[0]?.message ?? '', /nested archive broken\.tar\.gz skipped/);
  });

  it('fails a corrupt tar.gz with TRAWL_E_ARTIFACT_FORMAT', async () => {
    const good = gzipSync(await buildTar(rootfs));
    const bad = Buffer.from(good);
    bad.fill(0x55, 40, 200);
    await assert.rejects(collectArtifact(await tmp.file('bad.tar.gz', bad), { interesting: want }), (e: unknown) => e instanceof TrawlError && e.code === 'TRAWL_E_ARTIFACT_FORMAT' && /bad\.tar\.gz/.test(e.message));
  });
});
