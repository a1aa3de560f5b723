import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { joinLinkTarget, normaliseEntryPath } from '../../../src/artifact/readers/entry-path.js';
import { OverlayFs } from '../../../src/artifact/readers/overlay-fs.js';

describe('entry path normalisation', () => {
  it('accepts and normalises ordinary names', () => {
    assert.deepEqual(normaliseEntryPath('./etc//os-release'), { ok: true, path: 'etc/os-release', dir: false });
    assert.deepEqual(normaliseEntryPath('node_modules/'), { ok: true, path: 'node_modules', dir: true });
    assert.deepEqual(normaliseEntryPath('a/./b'), { ok: true, path: 'a/b', dir: false });
  });

  it('rejects everything that could leave the root or alias another name', () => {
    for (const [raw, reason] of [
      ['../x', /traversal/],
      ['a/../../x', /traversal/],
      ['a/..', /traversal/],
      ['/etc/passwd', /absolute/],
      ['C:\\x', /backslash/],
      ['c:/x', /drive letter/],
      ['a\\..\\b', /backslash/],
      ['a\u0000b', /control/],
      ['', /empty/],
    ] as const) {
      const r = normaliseEntryPath(raw);
      assert.equal(r.ok, false, raw);
      if (!r.ok) assert.match(r.reason, reason, raw);
    }
  });

  it('joins link targets lexically and reports escapes', () => {
    assert.equal(joinLinkTarget('etc/os-release', '../usr/lib/os-release'), 'usr/lib/os-release');
    assert.equal(joinLinkTarget('a/b/c', '/usr/lib/x'), 'usr/lib/x');
    assert.equal(joinLinkTarget('a/b', '../../x'), undefined);
    assert.equal(joinLinkTarget('link', '..'), undefined);
  });
});

describe('overlay filesystem', () => {
  it('applies whiteouts and opaque directories to lower layers only', () => {
    const fs = new OverlayFs();
    fs.setFile('a/x.json', 0, 1, Buffer.from('0'), false);
    fs.setFile('a/y.json', 0, 1, Buffer.from('0'), false);
    fs.setFile('b/z.json', 0, 1, Buffer.from('0'), false);
    fs.setFile('lib/j.jar!/META-INF/p', 0, 1, Buffer.from('0'), false);
    fs.setFile('a/new.json', 1, 1, Buffer.from('1'), false);
    fs.opaque('a', 1);
    fs.whiteout('b/z.json', 1);
    fs.whiteout('lib/j.jar', 1);
    assert.deepEqual(fs.files(() => false).map((f) => f.path), ['a/new.json']);
  });

  it('resolves chains of links and refuses loops and escapes', () => {
    const fs = new OverlayFs();
    fs.setFile('usr/lib/os-release', 0, 3, Buffer.from('ID='), false);
    fs.setLink('etc/os-release', 0, '../usr/lib/os-release');
    fs.setLink('lib', 0, 'usr/lib');
    fs.setLink('loop1', 0, 'loop2');
    fs.setLink('loop2', 0, 'loop1');
    fs.setLink('up', 0, '../../x');
    assert.equal(fs.resolve('etc/os-release'), 'usr/lib/os-release');
    assert.equal(fs.resolve('lib/os-release'), 'usr/lib/os-release');
    assert.equal(fs.resolve('loop1'), undefined);
    assert.equal(fs.resolve('up'), undefined);
  });
});
