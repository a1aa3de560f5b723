import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { collectArtifact, tempDir } from '../fixtures/collect-artifact.js';

describe('directory reader', () => {
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  let root: string;
  before(async () => {
    tmp = await tempDir();
    root = join(tmp.dir, 'unpacked');
    await mkdir(join(root, 'node_modules/uuid'), { recursive: true });
    await mkdir(join(root, 'etc'), { recursive: true });
    await writeFile(join(root, 'node_modules/uuid/package.json'), '{"name":"uuid","version":"9.0.1"}');
    await writeFile(join(root, 'etc/os-release'), 'ID=alpine\nVERSION_ID=3.19.1\n');
    // Links that would read the scanning host's files if the OS followed them.
    await symlink('/etc/passwd', join(root, 'etc/passwd'));
    await symlink('../../../../../../etc/hostname', join(root, 'hostname'));
    await symlink('etc/os-release', join(root, 'os-release'));
    spawnSync('mkfifo', [join(root, 'pipe.json')]);
  });
  after(async () => tmp.cleanup());

  it('walks regular files, resolves links inside the tree only, skips FIFOs', async () => {
    const c = await collectArtifact(root, { interesting: (p) => p.endsWith('.json') || p.endsWith('os-release') || p.endsWith('passwd') || p === 'hostname' });
    assert.equal(c.format, 'directory');
    assert.deepEqual([...c.files.keys()], ['etc/os-release', 'node_modules/uuid/package.json', 'os-release']);
    assert.equal(c.files.get('os-release')?.text, 'ID=alpine\nVERSION_ID=3.19.1\n');
    // /etc/passwd points at the artifact's own (absent) /etc/passwd: nothing is read from the host.
    assert.equal(c.files.has('etc/passwd'), false);
    assert.equal(c.warnings.length, 1);
    assert.match(c.warnings[0]?.message ?? '', /symlink hostname -> \.\.\/\.\.\/\.\.\/\.\.\/\.\.\/\.\.\/etc\/hostname escapes the artifact root/);
  });
});
