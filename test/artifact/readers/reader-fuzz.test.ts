import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { TrawlError } from '../../../src/errors/trawl-error.js';
import { inventoryArtifact } from '../../../src/artifact/inventory.js';
import { openArtifact } from '../../../src/artifact/readers/artifact-reader.js';
import { tempDir } from '../fixtures/collect-artifact.js';
import { readFixture } from '../fixtures/fixture-files.js';
import { mutate, prng, randomBytes } from '../fixtures/fuzz-support.js';
import { dockerSaveFiles, layer, ociLayoutFiles } from '../fixtures/image-builder.js';
import { buildTar } from '../fixtures/tar-builder.js';
import { buildZip } from '../fixtures/zip-writer.js';

const ROUNDS = Number(process.env.TRAWL_FUZZ_ROUNDS ?? 80);
const CASE_TIMEOUT_MS = 5000;
const limits = { maxTotalBytes: 64 << 20, maxEntries: 20_000, maxReadBytes: 4 << 20 };

function openFds(): number {
  return existsSync('/proc/self/fd') ? readdirSync('/proc/self/fd').length : -1;
}

async function drain(path: string): Promise<void> {
  for await (const f of openArtifact(path, { ...limits, interesting: () => true })) await f.read();
}

/** Runs one case: it must finish (or fail with a TrawlError) within the timeout. */
async function fuzzCase(run: () => Promise<unknown>, label: string): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), CASE_TIMEOUT_MS);
  });
  try {
    const r = await Promise.race([run().then(() => 'ok' as const), timeout]);
    assert.notEqual(r, 'timeout', `${label}: did not finish in ${CASE_TIMEOUT_MS} ms`);
  } catch (e) {
    if (!(e instanceof TrawlError)) throw new Error(`${label}: non-TrawlError ${(e as Error).stack ?? String(e)}`);
  } finally {
    clearTimeout(timer);
  }
}

describe('reader fuzzing (seeded): corrupt archives fail with TrawlError, never hang', () => {
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  const bases = new Map<string, Buffer>();
  before(async () => {
    tmp = await tempDir();
    const rootfs = await buildTar([
      { name: 'etc/os-release', type: 'symlink', linkname: '../usr/lib/os-release' },
      { name: 'usr/lib/os-release', data: 'ID=debian\nVERSION_ID=12\n' },
      { name: 'var/lib/dpkg/status', data: readFixture('os/dpkg-status') },
      { name: 'app/package-lock.json', data: readFixture('npm/package-lock-v3.json') },
      { name: 'app/.wh.gone', data: '' },
    ]);
    const jar = buildZip([{ name: 'META-INF/maven/g/a/pom.properties', data: readFixture('java/pom.properties') }]);
    bases.set('function.zip', readFixture('zip/function.zip'));
    bases.set('nested.zip', buildZip([{ name: 'lib/a.jar', data: jar, method: 'store' }, { name: 'yarn.lock', data: readFixture('npm/yarn-v1.lock') }]));
    bases.set('rootfs.tar', rootfs);
    bases.set('rootfs.tar.gz', gzipSync(rootfs));
    const l1 = await layer([{ name: 'var/lib/dpkg/status', data: readFixture('os/dpkg-status') }], 'none');
    const l2 = await layer([{ name: 'var/lib/dpkg/.wh.status', data: '' }], 'none');
    bases.set('oci.tar', await buildTar([...ociLayoutFiles([l1, l2])].map(([name, data]) => ({ name, data }))));
    bases.set('saved.tar', await buildTar(dockerSaveFiles([rootfs]).map(([name, data]) => ({ name, data }))));
  });
  after(async () => tmp.cleanup());

  it('mutated archives through openArtifact and inventoryArtifact', async () => {
    const fdsBefore = openFds();
    const rand = prng(Number(process.env.TRAWL_FUZZ_SEED ?? 0xa11ce));
    let n = 0;
    for (const [name, base] of bases) {
      // The unmodified archive must read cleanly.
      await drain(await tmp.file(`ok-${name}`, base));
      for (let i = 0; i < ROUNDS; i++) {
        const path = await tmp.file(`m${n++}-${name}`, mutate(base, rand));
        await fuzzCase(() => (i % 2 === 0 ? drain(path) : inventoryArtifact(path, limits)), `${name} mutation ${i}`);
      }
    }
    // Every failure path closed what it opened.
    await new Promise((resolve) => setTimeout(resolve, 50));
    if (fdsBefore >= 0) assert.ok(openFds() <= fdsBefore + 4, `file descriptors leaked: ${fdsBefore} before, ${openFds()} after`);
  });

  it('random bytes behind each magic number', async () => {
    const rand = prng(99);
    const magics = [Buffer.from('PK\u0003\u0004'), Buffer.from([0x1f, 0x8b, 8, 0]), Buffer.from([0x28, 0xb5, 0x2f, 0xfd]), Buffer.alloc(0)];
    let n = 0;
    for (const magic of magics) {
      for (let i = 0; i < 25; i++) {
        const path = await tmp.file(`r${n++}`, Buffer.concat([magic, randomBytes(rand, 8192)]));
        await fuzzCase(() => drain(path), `random after ${magic.toString('hex')} #${i}`);
      }
    }
  });
});
