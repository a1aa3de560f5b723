import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runTrawl } from '../scan/cli-harness.js';

describe('trawl scan: bad input', () => {
  let dir: string;
  before(() => { dir = mkdtempSync(join(tmpdir(), 'trawl-bad-')); });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const cases: { name: string; args: (d: string) => string[]; code: number; errorCode: string; names: string; noDb?: boolean }[] = [
    { name: 'malformed address', args: () => ['127.0.0.300', '-p', '80'], code: 64, errorCode: 'TRAWL_E_BAD_TARGET', names: '127.0.0.300' },
    { name: 'bad prefix length', args: () => ['127.0.0.0/33', '-p', '80'], code: 64, errorCode: 'TRAWL_E_BAD_TARGET', names: '127.0.0.0/33' },
    { name: 'reversed range', args: () => ['127.0.0.9-127.0.0.1', '-p', '80'], code: 64, errorCode: 'TRAWL_E_BAD_TARGET', names: '127.0.0.9-127.0.0.1' },
    { name: 'port out of range', args: () => ['127.0.0.1', '-p', '22,70000'], code: 64, errorCode: 'TRAWL_E_BAD_PORTS', names: '70000' },
    { name: 'port word', args: () => ['127.0.0.1', '-p', 'http'], code: 64, errorCode: 'TRAWL_E_BAD_PORTS', names: 'http' },
    { name: 'missing target file', args: (d) => ['-iL', join(d, 'nope.txt'), '-p', '80'], code: 66, errorCode: 'TRAWL_E_TARGET_FILE', names: 'nope.txt' },
    { name: 'bad line in target file', args: (d) => ['-iL', join(d, 'targets.txt'), '-p', '80'], code: 64, errorCode: 'TRAWL_E_BAD_TARGET', names: 'line 3' },
    { name: 'bad exclusion', args: () => ['127.0.0.1', '-p', '80', '--exclude', '127.0.0.1/40'], code: 64, errorCode: 'TRAWL_E_BAD_EXCLUDE', names: '127.0.0.1/40' },
    { name: 'bad seed', args: () => ['127.0.0.1', '-p', '80', '--seed', 'x12'], code: 64, errorCode: 'TRAWL_E_BAD_SEED', names: 'x12' },
    { name: 'bad shard', args: () => ['127.0.0.1', '-p', '80', '--shard', '3/2'], code: 64, errorCode: 'TRAWL_E_BAD_SHARD', names: '3/2' },
    { name: 'db in a missing directory', args: (d) => ['127.0.0.1', '-p', '80', '--db', join(d, 'no', 'such', 'dir', 'x.db')], code: 73, errorCode: 'TRAWL_E_DB_PATH', names: 'x.db' },
    { name: 'db is a directory', args: (d) => ['127.0.0.1', '-p', '80', '--db', d], code: 73, errorCode: 'TRAWL_E_DB_PATH', names: 'trawl-bad-' },
    { name: 'everything excluded', args: () => ['127.0.0.1', '-p', '80', '--exclude', '127.0.0.0/8'], code: 64, errorCode: 'TRAWL_E_EMPTY_SCOPE', names: '' },
    { name: 'resume without a store', args: () => ['--resume'], code: 64, errorCode: 'TRAWL_E_BAD_OPTION', names: '--db', noDb: true },
    { name: 'resume from a store that does not exist', args: () => ['--resume'], code: 65, errorCode: 'TRAWL_E_NOTHING_TO_RESUME', names: '.db' },
    { name: 'bad concurrency', args: () => ['127.0.0.1', '-p', '80', '--concurrency', '-5'], code: 64, errorCode: 'TRAWL_E_BAD_OPTION', names: '-5' },
  ];

  for (const c of cases) {
    it(`${c.name}: clear error, exit ${c.code}, nothing written`, async () => {
      writeFileSync(join(dir, 'targets.txt'), '127.0.0.1\n# comment\n127.0.0.1/99\n');
      const before = new Set(readdirSync(dir));
      const out = join(dir, `${c.name.replace(/\W+/g, '-')}.jsonl`);
      const db = join(dir, `${c.name.replace(/\W+/g, '-')}.db`);
      const args = ['scan', ...c.args(dir), '-oJ', out, '-q'];
      if (!args.includes('--db') && !c.noDb) args.push('--db', db);
      const r = await runTrawl(args);
      assert.equal(r.code, c.code, `exit code; stderr: ${r.stderr}`);
      assert.match(r.stderr, new RegExp(c.errorCode));
      assert.ok(r.stderr.includes(c.names), `message names "${c.names}": ${r.stderr}`);
      assert.equal(r.stdout, '');
      assert.ok(!existsSync(out), 'no output file');
      assert.ok(!existsSync(db), 'no store created');
      const after = readdirSync(dir).filter((f) => !before.has(f));
      assert.deepEqual(after, [], `no stray files: ${after.join(', ')}`);
    });
  }

  it('refuses a scope outside TRAWL_EGRESS_ALLOW before sending anything', async () => {
    const r = await runTrawl(['scan', '192.0.2.0/30', '-p', '80', '-q'], { env: { TRAWL_EGRESS_ALLOW: '127.0.0.0/8' } });
    assert.equal(r.code, 77, r.stderr);
    assert.match(r.stderr, /TRAWL_E_EGRESS_DENIED/);
    assert.match(r.stderr, /192\.0\.2\.0/);
  });

  it('unknown options are usage errors', async () => {
    const r = await runTrawl(['scan', '127.0.0.1', '--frobnicate']);
    assert.equal(r.code, 64);
    assert.match(r.stderr, /frobnicate/);
  });
});
