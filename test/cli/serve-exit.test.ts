/**
 * `trawl serve` that cannot start exits with the code of its error from the catalogue, as every
 * other command does (it used to print the error and exit 0). Runs this build's CLI (build-cli.js).
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { errorCatalogue as ERROR_CATALOGUE } from '../../src/errors/error-catalogue.js';

const cli = join(dirname(fileURLToPath(import.meta.url)), 'build-cli.js');

/** Runs `trawl <args>`; a server that starts after all is killed, so the test fails instead of hanging. */
function run(args: readonly string[], cwd: string): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [cli, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
  child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
  const killer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  return new Promise((resolve) => child.on('close', (code, signal) => {
    clearTimeout(killer);
    resolve({ code, signal, stdout, stderr });
  }));
}

describe('trawl serve: a bad option exits non-zero with its catalogue code', () => {
  let dir: string;
  before(() => { dir = mkdtempSync(join(tmpdir(), 'trawl-serve-exit-')); });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const cases: { name: string; args: (d: string) => string[]; errorCode: keyof typeof ERROR_CATALOGUE; names: string }[] = [
    { name: 'templates directory that does not exist', args: (d) => ['--templates', join(d, 'no-such-templates'), '--db', join(d, 'a.db')], errorCode: 'TRAWL_E_TARGET_FILE', names: 'no-such-templates' },
    { name: 'store in a directory that does not exist', args: (d) => ['--db', join(d, 'no', 'such', 'dir', 'x.db')], errorCode: 'TRAWL_E_DB_PATH', names: 'x.db' },
    { name: 'store that is a directory', args: (d) => ['--db', d], errorCode: 'TRAWL_E_DB_PATH', names: 'trawl-serve-exit-' },
    { name: 'bad --listen', args: (d) => ['--listen', 'nowhere:99999', '--db', join(d, 'b.db')], errorCode: 'TRAWL_E_BAD_OPTION', names: 'nowhere:99999' },
    { name: 'bad --workers', args: (d) => ['--workers', 'lots', '--db', join(d, 'c.db')], errorCode: 'TRAWL_E_BAD_OPTION', names: 'lots' },
  ];

  for (const c of cases) {
    it(`${c.name}: ${c.errorCode}, exit ${ERROR_CATALOGUE[c.errorCode].exitCode}`, async () => {
      const args = ['serve', '--listen', '127.0.0.1:0', ...c.args(dir)];
      const r = await run(args, dir);
      assert.equal(r.signal, null, `serve started instead of failing: ${r.stderr}`);
      assert.notEqual(r.code, 0, `non-zero exit; stderr: ${r.stderr}`);
      assert.equal(r.code, ERROR_CATALOGUE[c.errorCode].exitCode, `exit code of ${c.errorCode}; stderr: ${r.stderr}`);
      assert.match(r.stderr, new RegExp(`trawl: error ${c.errorCode}: `));
      assert.ok(r.stderr.includes(c.names), `the message names "${c.names}": ${r.stderr}`);
      assert.doesNotMatch(r.stderr, /internal error/);
    });
  }

  it('a failed start creates no store', async () => {
    const db = join(dir, 'never.db');
    const r = await run(['serve', '--listen', '127.0.0.1:0', '--templates', join(dir, 'missing'), '--db', db], dir);
    assert.notEqual(r.code, 0, r.stderr);
    assert.equal(existsSync(db), false, 'templates are checked before the store is opened');
  });
});
