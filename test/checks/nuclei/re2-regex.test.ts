import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { compileRe2, linearEngineAvailable, MAX_REGEX_INPUT } from '../../../src/checks/nuclei/index.js';

/** [RE2 pattern, input, expected first match (group 0) or null]. */
const TABLE: ReadonlyArray<readonly [string, string, string | null]> = [
  ['(?i)hello', 'say HeLLo', 'HeLLo'],
  ['(?i)[a-c]+', 'xxAbCa', 'AbCa'],
  ['(?i)[^a]', 'aAb', 'b'],
  ['(?s)a.b', 'a\nb', 'a\nb'],
  ['a.b', 'a\nb', null],
  ['a.b', 'a\rb', 'a\rb'],
  ['(?m)^b$', 'a\nb\nc', 'b'],
  ['^b$', 'a\nb\nc', null],
  ['(?U)a+', 'aaa', 'a'],
  ['(?U)a+?', 'aaa', 'aaa'],
  ['x(?i:AB)y', 'xaby', 'xaby'],
  ['x(?i:AB)y', 'xabY', null],
  ['(?i)x(?-i:AB)y', 'XABY', 'XABY'],
  ['(?i)x(?-i:AB)y', 'XabY', null],
  ['\\Aab', 'ab', 'ab'],
  ['\\Aab', 'cab', null],
  ['ab\\z', 'cab', 'ab'],
  ['ab\\z', 'ab\n', null],
  ['(?m)^x\\z', 'y\nx', 'x'],
  ['(?m)\\Ax$', 'x\ny', 'x'],
  ['\\Q*.+?\\E', 'a*.+?b', '*.+?'],
  ['\\Qab\\E+', 'abbb', 'abbb'],
  ['[[:alpha:]]+', '12abC3', 'abC'],
  ['[[:^digit:]]+', '12ab3', 'ab'],
  ['[[:xdigit:][:space:]]+', 'zz0f A9zz', '0f A9'],
  ['\\pL+', '123żółw4', 'żółw'],
  ['\\p{Greek}+', 'abc αβγ', 'αβγ'],
  ['\\PL+', 'ab12cd', '12'],
  ['\\p{Lu}', 'abcÉ', 'É'],
  ['(?i)straße', 'STRAßE', 'STRAßE'],
  ['\\d+\\s\\w+', 'x 42 ab_c', '42 ab_c'],
  ['\\s', '\u00a0 ', ' '],
  ['[a-f0-9]{32}', `x${'0a'.repeat(16)}`, '0a'.repeat(16)],
  ['a{2,40}', 'a'.repeat(50), 'a'.repeat(40)],
  ['(?:ab){2}', 'abababab', 'abab'],
  ['\\x41\\x{42}\\101', 'ABA', 'ABA'],
  ['\\.\\*', 'a.*', '.*'],
  ['(?P<v>\\d+)\\.(\\d+)', 'v1.20', '1.20'],
  ['x*', 'yyy', ''],
  ['[]a]', ']', ']'],
  ['[a-]+', 'a-a', 'a-a'],
  ['😀+', 'x😀😀', '😀😀'],
];

describe('RE2 → JavaScript translation', () => {
  it('runs on the linear-time engine in this Node', () => {
    assert.equal(linearEngineAvailable(), true);
  });

  for (const [p, input, want] of TABLE) {
    it(`${JSON.stringify(p)} on ${JSON.stringify(input.slice(0, 20))}`, () => {
      const r = compileRe2(p);
      const m = r.exec(input);
      assert.equal(m === null ? null : m[0], want, `js: /${r.jsSource}/${r.jsFlags}`);
    });
  }

  it('groups are numbered as in RE2 (named groups count)', () => {
    const r = compileRe2('(?P<major>\\d+)\\.(?:x)?(\\d+)');
    assert.deepEqual(r.exec('v 3.14'), ['3.14', '3', '14']);
    assert.equal(r.groupCount, 2);
  });

  it('refuses what RE2 refuses', () => {
    for (const bad of ['(a)\\1', '(?=x)', '(?<!x)y', 'a**', '(?P=n)', 'x{1001}', '[z-a]', '\\C', '(?i', 'a)', '\\p{NotAProperty}', '\\8', '[[:bogus:]]', '\\e']) {
      assert.throws(() => compileRe2(bad), (e: Error & { code?: string }) => e.code === 'TRAWL_E_VALIDATION', bad);
    }
  });

  it('catastrophic-backtracking shapes finish in bounded time on hostile input', () => {
    const hostile = `${'a'.repeat(100_000)}!`;
    for (const p of ['(a+)+$', '(a|a)*b', '(a*)*b', '(\\w+\\s?)*$', 'a.*a.*a.*b', '(?s)(.*a){16}', '(x+x+)+y']) {
      const r = compileRe2(p);
      assert.equal(r.engine, 'linear', p);
      const t0 = performance.now();
      r.test(hostile);
      const ms = performance.now() - t0;
      assert.ok(ms < 2000, `${p} took ${ms.toFixed(0)} ms (${r.engine})`);
    }
  });

  it('a pattern neither engine can run safely is refused (the template becomes unsupported)', () => {
    assert.throws(() => compileRe2('(?s)(.*a){20}'), /cannot run in linear time and has nested repetition/);
    // Too big for the linear engine but tame: runs with backtracking on a 64 KiB prefix.
    assert.throws(() => compileRe2('(a|b){20}c'), /alternation inside a repetition/);
    // Without a capture group the repetition is split into chunks the linear engine accepts.
    const r = compileRe2('(?:a|b){20}c');
    assert.equal(r.engine, 'linear');
    assert.equal(r.test(`${'ab'.repeat(10)}c`), true);
    assert.equal(r.test(`${'ab'.repeat(9)}c`), false);
    const tame = compileRe2('x(ab){20}');
    assert.equal(tame.engine, 'backtracking');
    assert.equal(tame.test(`x${'ab'.repeat(20)}`), true);
  });

  it('input is capped', () => {
    const r = compileRe2('z');
    assert.equal(r.test(`${'x'.repeat(MAX_REGEX_INPUT)}z`), false, 'past the cap is not searched');
    assert.equal(r.test(`${'x'.repeat(1000)}z`), true);
  });

  it('matchAll returns indices and groups; empty matches advance', () => {
    const r = compileRe2('(\\d)');
    assert.deepEqual(r.matchAll('a1b22', 10).map((m) => [m.index, m.groups[1]]), [[1, '1'], [3, '2'], [4, '2']]);
    assert.equal(compileRe2('x*').matchAll('abc', 100).length, 4);
  });
});
