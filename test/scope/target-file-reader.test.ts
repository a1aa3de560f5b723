import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, createWriteStream, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { TrawlError } from '../../src/errors/index.js';
import { MAX_LINE_BYTES, ipv4ToString, readTargetBatches, readTargetLines, type TargetLine } from '../../src/scope/index.js';

async function collect(path: string): Promise<TargetLine[]> {
  const out: TargetLine[] = [];
  for await (const t of readTargetLines(path)) out.push(t);
  return out;
}

async function expectFileError(path: string, pattern: RegExp): Promise<void> {
  await assert.rejects(collect(path), (e: unknown) => {
    assert.ok(e instanceof TrawlError);
    assert.equal(e.code, 'TRAWL_E_TARGET_FILE');
    assert.ok(e.message.includes(`"${path}"`), e.message);
    assert.match(e.message, pattern);
    return true;
  });
}

describe('readTargetLines', () => {
  let dir = '';
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'trawl-targets-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('skips blanks and comments, splits on whitespace and commas, numbers lines', async () => {
    const p = join(dir, 'mixed.txt');
    writeFileSync(p, '# header\n\n10.0.0.1\n  10.0.0.2 10.0.0.3,10.0.0.4\t2001:db8::1  \r\n\t\n10.0.1.0/24 # trailing comment\n#10.9.9.9\nhost.example,,  \n');
    assert.deepEqual(await collect(p), [
      { text: '10.0.0.1', line: 3 },
      { text: '10.0.0.2', line: 4 },
      { text: '10.0.0.3', line: 4 },
      { text: '10.0.0.4', line: 4 },
      { text: '2001:db8::1', line: 4 },
      { text: '10.0.1.0/24', line: 6 },
      { text: 'host.example', line: 8 },
    ]);
  });

  it('handles a last line without newline and an empty file', async () => {
    const p = join(dir, 'nonl.txt');
    writeFileSync(p, '1.1.1.1\n2.2.2.2');
    assert.deepEqual(await collect(p), [{ text: '1.1.1.1', line: 1 }, { text: '2.2.2.2', line: 2 }]);
    const e = join(dir, 'empty.txt');
    writeFileSync(e, '');
    assert.deepEqual(await collect(e), []);
  });

  it('streams a 200,000-line file in order', async () => {
    const p = join(dir, 'big.txt');
    const w = createWriteStream(p);
    for (let i = 0; i < 200_000; i++) {
      if (!w.write(`${ipv4ToString(0x0a000000 + i)}${i % 1000 === 0 ? ' # comment' : ''}\n`)) await once(w, 'drain');
    }
    w.end();
    await once(w, 'finish');
    let n = 0;
    let batches = 0;
    for await (const batch of readTargetBatches(p, 1000)) {
      batches++;
      assert.ok(batch.length <= 1000);
      for (const t of batch) {
        assert.equal(t.text, ipv4ToString(0x0a000000 + n));
        assert.equal(t.line, n + 1);
        n++;
      }
    }
    assert.equal(n, 200_000);
    assert.equal(batches, 200);
    // The per-target iterator sees the same stream.
    let m = 0;
    for await (const t of readTargetLines(p)) if (t.line === ++m && m === 200_000) assert.equal(t.text, ipv4ToString(0x0a000000 + 199_999));
    assert.equal(m, 200_000);
  });

  it('stops early without leaking when the consumer breaks', async () => {
    const p = join(dir, 'big2.txt');
    writeFileSync(p, Array.from({ length: 50_000 }, (_, i) => ipv4ToString(i)).join('\n'));
    let n = 0;
    for await (const t of readTargetLines(p)) {
      assert.equal(t.line, ++n);
      if (n === 10) break;
    }
    assert.equal(n, 10);
  });

  it('names the path and OS reason when the file cannot be read', async () => {
    await expectFileError(join(dir, 'missing.txt'), /ENOENT: no such file or directory/);
    await expectFileError(dir, /EISDIR/);
    if (process.getuid?.() !== 0) {
      const p = join(dir, 'secret.txt');
      writeFileSync(p, '1.2.3.4\n');
      chmodSync(p, 0o000);
      await expectFileError(p, /EACCES/);
    }
  });

  it('refuses a line longer than the bound instead of buffering it', async () => {
    const p = join(dir, 'binary.bin');
    writeFileSync(p, `1.2.3.4\n5.6.7.8\n${'x'.repeat(MAX_LINE_BYTES + 10)}\n9.9.9.9\n`);
    const seen: string[] = [];
    await assert.rejects(
      (async () => {
        for await (const t of readTargetLines(p)) seen.push(t.text);
      })(),
      (e: unknown) => {
        assert.ok(e instanceof TrawlError);
        assert.equal(e.code, 'TRAWL_E_TARGET_FILE');
        assert.match(e.message, new RegExp(`"${p.replace(/[.]/g, '\\.')}": line 3 is longer than ${MAX_LINE_BYTES} bytes`));
        return true;
      },
    );
    // Lines before the bad one may or may not have been delivered (same chunk); nothing after it is.
    assert.deepEqual(seen, ['1.2.3.4', '5.6.7.8'].slice(0, seen.length));
    // A line exactly at the bound is fine.
    const q = join(dir, 'atbound.txt');
    writeFileSync(q, `${'a'.repeat(MAX_LINE_BYTES)}\n`);
    assert.equal((await collect(q)).length, 1);
  });
});
