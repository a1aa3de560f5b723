import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { errorCatalogue, TrawlError, type TrawlErrorCode } from '../../src/errors/index.js';

const readme = readFileSync(fileURLToPath(new URL('../../../README.md', import.meta.url)), 'utf8');

describe('error catalogue', () => {
  it('every code is documented in the README row of its exit code', () => {
    const rows = readme.split('\n').filter((l) => /^\| \d+ \|/.test(l));
    for (const [code, entry] of Object.entries(errorCatalogue)) {
      const row = rows.find((r) => r.includes(`\`${code}\``));
      assert.ok(row, `${code} is missing from the README's exit-code table`);
      assert.ok(row.startsWith(`| ${entry.exitCode} |`), `${code} is documented under the wrong exit code: ${row}`);
    }
  });

  it('codes are well-formed and map to sane statuses', () => {
    for (const [code, entry] of Object.entries(errorCatalogue)) {
      assert.match(code, /^TRAWL_E_[A-Z0-9_]+$/);
      assert.ok(entry.exitCode > 0 && entry.exitCode < 256);
      assert.ok(entry.httpStatus >= 400 && entry.httpStatus < 600);
      assert.ok(entry.title.length > 0);
    }
  });

  it('problem details carry code, status and the message naming the value', () => {
    const e = new TrawlError('TRAWL_E_BAD_PORTS' as TrawlErrorCode, 'invalid port "70000"', { value: '70000' });
    const p = e.toProblem();
    assert.equal(p.status, 400);
    assert.equal(p.code, 'TRAWL_E_BAD_PORTS');
    assert.equal(p.detail, 'invalid port "70000"');
    assert.equal(p['value'], '70000');
    assert.equal(e.exitCode, 64);
  });
});
