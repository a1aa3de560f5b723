import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { TrawlError } from '../../../src/errors/trawl-error.js';
import { collectArtifact, tempDir } from '../fixtures/collect-artifact.js';
import { fixturePath } from '../fixtures/fixture-files.js';
import { buildZip } from '../fixtures/zip-writer.js';

const json = (p: string): boolean => p.endsWith('.json');
const MiB = 1024 * 1024;

async function rejects(p: Promise<unknown>, code: string, pattern: RegExp): Promise<TrawlError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof TrawlError, `expected a TrawlError, got ${String(e)}`);
    assert.equal(e.code, code);
    assert.match(e.message, pattern);
    return e;
  }
  assert.fail('expected a rejection');
}

describe('zip reader', () => {
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  before(async () => {
    tmp = await tempDir();
  });
  after(async () => tmp.cleanup());

  it('reads a function package written by Info-ZIP, holding only the files asked for', async () => {
    const c = await collectArtifact(fixturePath('zip/function.zip'), { interesting: (p) => p.endsWith('package.json') });
    assert.equal(c.format, 'zip');
    assert.deepEqual([...c.files.keys()], [
      'node_modules/@smithy/types/package.json',
      'node_modules/uuid/dist/esm-node/package.json',
      'node_modules/uuid/package.json',
      'package.json',
    ]);
    assert.equal(JSON.parse(c.files.get('node_modules/uuid/package.json')?.text ?? '').version, '9.0.1');
    assert.equal(c.files.get('node_modules/uuid/package.json')?.size, 236);
    // index.js was not selected, so it was never inflated or held.
    assert.equal(c.files.has('index.js'), false);
    assert.deepEqual(c.warnings, []);
  });

  it('read(max) truncates', async () => {
    const zip = await tmp.file('trunc.zip', buildZip([{ name: 'a.json', data: '{"name":"abcdef"}' }]));
    const c = await collectArtifact(zip, { interesting: json });
    const f = c.files.get('a.json');
    assert.ok(f);
    assert.equal((await f.read(5)).toString(), '{"nam');
  });

  it('rejects traversal, absolute, drive-letter and backslash entries one by one, keeping the rest', async () => {
    const zip = await tmp.file(
      'traversal.zip',
      buildZip([
        { name: '../evil.json', data: '{}' },
        { name: '/etc/abs.json', data: '{}' },
        { name: 'C:/windows/drive.json', data: '{}' },
        { name: 'dir\\back.json', data: '{}' },
        { name: 'ok/../../up.json', data: '{}' },
        { name: 'good.json', data: '{"ok":true}' },
      ]),
    );
    const c = await collectArtifact(zip, { interesting: json });
    assert.deepEqual([...c.files.keys()], ['good.json']);
    assert.equal(c.warnings.length, 5);
    for (const w of c.warnings) assert.equal(w.code, 'TRAWL_E_ARTIFACT_PATH');
    const text = c.warnings.map((w) => w.message).join('\n');
    for (const name of ['../evil.json', '/etc/abs.json', 'C:/windows/drive.json', 'dir\\\\back.json', 'ok/../../up.json']) assert.ok(text.includes(name), `warning names ${name}: ${text}`);
    assert.match(text, /traversal/);
    assert.match(text, /absolute path/);
    assert.match(text, /drive letter/);
    assert.match(text, /backslash/);
  });

  it('strict mode turns an unsafe entry into an error naming it', async () => {
    const zip = await tmp.file('strict.zip', buildZip([{ name: '../evil.json', data: '{}' }]));
    await rejects(collectArtifact(zip, { interesting: json, strict: true }), 'TRAWL_E_ARTIFACT_PATH', /\.\.\/evil\.json/);
  });

  it('follows symlinks inside the package and records, but never follows, ones that escape', async () => {
    const zip = await tmp.file(
      'links.zip',
      buildZip([
        { name: 'etc/os-release', data: 'ID=debian\n' },
        { name: 'os-release', data: 'etc/os-release', mode: 0o120777, method: 'store' },
        { name: 'passwd', data: '../../../../etc/passwd', mode: 0o120777, method: 'store' },
        { name: 'abs', data: '/etc/os-release', mode: 0o120777, method: 'store' },
      ]),
    );
    const c = await collectArtifact(zip, { interesting: (p) => ['os-release', 'passwd', 'abs', 'etc/os-release'].includes(p) });
    assert.equal(c.files.get('os-release')?.text, 'ID=debian\n');
    assert.equal(c.files.get('os-release')?.linkTarget, 'etc/os-release');
    // An absolute target means the artifact's own /etc, never the scanning host's.
    assert.equal(c.files.get('abs')?.text, 'ID=debian\n');
    assert.equal(c.files.has('passwd'), false);
    assert.equal(c.warnings.length, 1);
    assert.equal(c.warnings[0]?.code, 'TRAWL_E_ARTIFACT_PATH');
    assert.match(c.warnings[0]?.message ?? '', /symlink passwd -> \.\.\/\.\.\/\.\.\/\.\.\/etc\/passwd escapes/);
  });

  it('refuses a zip bomb by its compression ratio before inflating it', async () => {
    const zeros = Buffer.alloc(24 * MiB);
    const zip = await tmp.file('bomb.zip', buildZip([{ name: 'readme.txt', data: 'hi' }, { name: 'zeros.bin', data: zeros }]));
    assert.ok((await import('node:fs')).statSync(zip).size < 100 * 1024, 'the bomb is tiny');
    const t = performance.now();
    const err = await rejects(collectArtifact(zip, { interesting: () => true }), 'TRAWL_E_ARTIFACT_LIMIT', /zeros\.bin expands \d+ bytes to 25165824 \(ratio \d+, cap 250\)/);
    assert.equal(err.detail.limit, 'maxCompressionRatio');
    assert.ok(performance.now() - t < 2000);
  });

  it('enforces the per-entry, total-bytes and entry-count caps', async () => {
    const big = Buffer.alloc(MiB, 7);
    const zip = await tmp.file('caps.zip', buildZip([{ name: 'one.bin', data: big, method: 'store' }, { name: 'two.bin', data: big, method: 'store' }]));
    await rejects(collectArtifact(zip, { maxEntryBytes: MiB - 1 }), 'TRAWL_E_ARTIFACT_LIMIT', /entry one\.bin is 1048576 bytes uncompressed, over the 1048575-byte entry cap/);
    await rejects(collectArtifact(zip, { maxTotalBytes: 1.5 * MiB }), 'TRAWL_E_ARTIFACT_LIMIT', /more than 1572864 bytes uncompressed in total \(at two\.bin\)/);
    const many = await tmp.file('many.zip', buildZip(Array.from({ length: 50 }, (_, i) => ({ name: `f${i}.txt`, data: `${i}` }))));
    await rejects(collectArtifact(many, { maxEntries: 10 }), 'TRAWL_E_ARTIFACT_LIMIT', /more than 10 entries \(at f10\.txt\)/);
    // Within the caps the same archives read fine.
    const ok = await collectArtifact(many, { interesting: (p) => p === 'f7.txt' });
    assert.equal(ok.files.get('f7.txt')?.text, '7');
  });

  it('refuses overlapping entries (the non-recursive zip bomb)', async () => {
    const zip = await tmp.file(
      'overlap.zip',
      buildZip([{ name: 'kernel.bin', data: Buffer.alloc(1000, 1) }], { centralOverride: (w) => [w[0]!, { ...w[0]!, name: Buffer.from('copy.bin') }] }),
    );
    await rejects(collectArtifact(zip), 'TRAWL_E_ARTIFACT_LIMIT', /overlap/);
  });

  it('never trusts declared sizes: an entry inflating past its header is not returned', async () => {
    const zip = await tmp.file('liar.zip', buildZip([{ name: 'lie.json', data: Buffer.alloc(2 * MiB, 0x20), declaredSize: 100 }, { name: 'fine.json', data: '{}' }]));
    const c = await collectArtifact(zip, { interesting: json });
    assert.deepEqual([...c.files.keys()], ['fine.json']);
    assert.equal(c.warnings.length, 1);
    assert.match(c.warnings[0]?.message ?? '', /lie\.json/);
  });

  it('skips interesting files over the read cap with a warning', async () => {
    const zip = await tmp.file('huge.zip', buildZip([{ name: 'huge.json', data: Buffer.alloc(2 * MiB, 0x20) }, { name: 'small.json', data: '{}' }]));
    const c = await collectArtifact(zip, { interesting: json, maxReadBytes: MiB });
    assert.deepEqual([...c.files.keys()], ['small.json']);
    assert.equal(c.warnings[0]?.code, 'TRAWL_E_ARTIFACT_LIMIT');
    assert.match(c.warnings[0]?.message ?? '', /huge\.json skipped: 2097152 bytes is over the 1048576-byte read cap/);
  });

  it('reports encrypted and unsupported-method entries it was asked for', async () => {
    const zip = await tmp.file('methods.zip', buildZip([{ name: 'enc.json', data: '{}', method: 'store', encrypted: true }, { name: 'bz.json', data: '{}', method: 'store', rawMethod: 12 }]));
    const c = await collectArtifact(zip, { interesting: json });
    assert.equal(c.files.size, 0);
    const text = c.warnings.map((w) => w.message).join('\n');
    assert.match(text, /enc\.json not read: encrypted entry/);
    assert.match(text, /bz\.json not read: unsupported compression method 12/);
  });

  it('opens nested jars (in memory and spooled), names members outer!/inner, and caps nesting depth', async () => {
    const pom = 'groupId=com.acme\nartifactId=core\nversion=1.2.3\n';
    const innerZip = buildZip([{ name: 'deep.json', data: '{"deep":true}' }]);
    const jar = buildZip([
      { name: 'META-INF/MANIFEST.MF', data: 'Manifest-Version: 1.0\n' },
      { name: 'META-INF/maven/com.acme/core/pom.properties', data: pom },
      { name: 'inner.zip', data: innerZip, method: 'store' },
    ]);
    // Over 32 MiB the nested jar is spooled to a temp file instead of held.
    const fatJar = buildZip([{ name: 'filler.bin', data: Buffer.alloc(33 * MiB, 3), method: 'store' }, { name: 'META-INF/maven/com.acme/fat/pom.properties', data: pom }]);
    const zip = await tmp.file(
      'nested.zip',
      buildZip([
        { name: 'lib/core-1.2.3.jar', data: jar, method: 'store' },
        { name: 'lib/fat.jar', data: fatJar, method: 'store' },
        { name: 'lib/broken.jar', data: Buffer.from('PK\u0003\u0004 not really a jar') },
      ]),
    );
    const want = (p: string): boolean => p.endsWith('.properties') || p.endsWith('.json');
    const c = await collectArtifact(zip, { interesting: want });
    assert.deepEqual([...c.files.keys()], [
      'lib/core-1.2.3.jar!/META-INF/maven/com.acme/core/pom.properties',
      'lib/core-1.2.3.jar!/inner.zip!/deep.json',
      'lib/fat.jar!/META-INF/maven/com.acme/fat/pom.properties',
    ]);
    assert.equal(c.files.get('lib/core-1.2.3.jar!/inner.zip!/deep.json')?.text, '{"deep":true}');
    assert.equal(c.warnings.length, 1);
    assert.equal(c.warnings[0]?.code, 'TRAWL_E_ARTIFACT_FORMAT');
    assert.match(c.warnings[0]?.message ?? '', /nested archive lib\/broken\.jar skipped/);

    const shallow = await collectArtifact(zip, { interesting: want, maxDepth: 1 });
    assert.equal(shallow.files.has('lib/core-1.2.3.jar!/inner.zip!/deep.json'), false);
    assert.ok(shallow.files.has('lib/core-1.2.3.jar!/META-INF/maven/com.acme/core/pom.properties'));
    assert.ok(shallow.warnings.some((w) => w.code === 'TRAWL_E_ARTIFACT_LIMIT' && /inner\.zip not opened: nesting depth cap 1/.test(w.message)));
  });

  it('a bomb inside a nested jar still stops the artifact', async () => {
    const jar = buildZip([{ name: 'zeros.bin', data: Buffer.alloc(24 * MiB) }]);
    const zip = await tmp.file('nested-bomb.zip', buildZip([{ name: 'lib/x.jar', data: jar, method: 'store' }]));
    await rejects(collectArtifact(zip), 'TRAWL_E_ARTIFACT_LIMIT', /lib\/x\.jar.*zeros\.bin expands/);
  });

  it('fails a corrupt archive with TRAWL_E_ARTIFACT_FORMAT and a missing one with TRAWL_E_ARTIFACT_READ', async () => {
    const good = buildZip([{ name: 'a.json', data: '{}' }]);
    const truncated = await tmp.file('trunc2.zip', good.subarray(0, good.length - 10));
    await rejects(collectArtifact(truncated), 'TRAWL_E_ARTIFACT_FORMAT', /trunc2\.zip: not a readable zip/);
    await rejects(collectArtifact(`${tmp.dir}/missing.zip`), 'TRAWL_E_ARTIFACT_READ', /cannot open artifact .*missing\.zip: ENOENT/);
  });

  it('treats a file that is no archive as a one-file artifact', async () => {
    const lock = await tmp.file('package-lock.json', '{"lockfileVersion":3,"packages":{}}');
    const c = await collectArtifact(lock, { interesting: json });
    assert.equal(c.format, 'file');
    assert.deepEqual([...c.files.keys()], ['package-lock.json']);
  });
});
