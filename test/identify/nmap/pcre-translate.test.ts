import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { translatePcre, PatternMatcher, PreparedSubject, type PcreTranslation } from '../../../src/engines/identify/nmap/index.js';

function ok(pattern: string, flags = ''): PcreTranslation {
  const t = translatePcre(pattern, { caseless: flags.includes('i'), dotall: flags.includes('s') });
  assert.ok(t.ok, `${pattern}: ${t.ok ? '' : t.reason}`);
  return t;
}

/** Runs the translation on a Latin-1 subject; returns PCRE-numbered captures or null. */
function run(pattern: string, subject: string, flags = ''): (string | undefined)[] | null {
  const m = new PatternMatcher([{ pattern, flags }]);
  const hit = m.exec(0, new PreparedSubject(subject));
  return hit ? [...hit.captures] : null;
}

describe('PCRE → JavaScript translation', () => {
  it('gives PCRE semantics to $, \\Z, \\z, \\A and .', () => {
    assert.ok(run('^ab$', 'ab\n'), '$ matches before a final newline');
    assert.equal(run('^ab$', 'ab\n\n'), null, '...but not before an earlier one');
    assert.ok(run('ab\\Z', 'ab\n'));
    assert.equal(run('ab\\z', 'ab\n'), null);
    assert.ok(run('ab\\z', 'ab'));
    assert.equal(run('b\\Ac', 'bc'), null);
    assert.ok(run('a.c', 'a\rc'), '. matches CR (PCRE newline is LF only)');
    assert.equal(run('a.c', 'a\nc'), null);
    assert.ok(run('a.c', 'a\nc', 's'));
    assert.ok(run('(?m)^b$', 'a\nb\nc'));
  });

  it('keeps classes to bytes: \\s is not 0xA0, case folding is ASCII only', () => {
    assert.equal(run('\\s', '\xa0'), null);
    assert.ok(run('\\h', '\xa0'));
    assert.ok(run('\\v', '\x85'));
    assert.ok(run('^abc$', 'AbC', 'i'));
    assert.equal(run('\\xe0', '\xc0', 'i'), null, 'PCRE does not fold Latin-1 letters');
    assert.ok(run('[[:alpha:]]+x', 'Abx'));
    assert.ok(run('[^]]+', 'ab'));
    assert.equal(run('^[^]]+$', 'a]b'), null);
    assert.ok(run('^[]a]+$', ']a]'));
    assert.ok(run('(?i)ab(?-i)c', 'ABc'));
    assert.equal(run('(?i)ab(?-i)c', 'ABC'), null);
    const t = ok('a', 'i');
    assert.equal(t.flags, '', 'no JS i flag: folding is done in the pattern');
  });

  it('emulates possessive quantifiers and atomic groups exactly', () => {
    assert.equal(run('\\d++\\d', '123'), null);
    assert.ok(run('\\d+\\d', '123'));
    assert.equal(run('(?>a|ab)c', 'abc'), null);
    assert.ok(run('(?:a|ab)c', 'abc'));
    // Helper groups do not shift PCRE's group numbers.
    assert.deepEqual(run('(?>(a+))(b)(c)', 'aabc'), ['aabc', 'aa', 'b', 'c']);
    const t = ok('(?>x)(y)');
    assert.equal(t.groupCount, 1);
    assert.equal(t.groupMap[1], 2);
  });

  it('supports escapes: octal, \\x{}, \\Q...\\E, \\c, back-references', () => {
    assert.ok(run('^\\101\\x42\\x{43}\\0$', 'ABC\0'));
    assert.ok(run('^\\Qa.b\\E$', 'a.b'));
    assert.equal(run('^\\Qa.b\\E$', 'axb'), null);
    assert.ok(run('^\\cA$', '\x01'));
    assert.deepEqual(run('(a)(?<n>b)\\1\\k<n>', 'abab'), ['abab', 'a', 'b']);
    assert.ok(run('^a\\Rb', 'a\r\nb'));
  });

  it('reports what JavaScript cannot express, and what PCRE rejects, without throwing', () => {
    const cases: [string, 'unsupported' | 'invalid', RegExp][] = [
      ['(?R)', 'unsupported', /recursion/],
      ['(a)(?1)', 'unsupported', /recursion|subroutine/],
      ['a\\Kb', 'unsupported', /\\K/],
      ['(?(1)a|b)', 'unsupported', /conditional/],
      ['\\p{L}', 'unsupported', /Unicode property/],
      ['(*FAIL)', 'unsupported', /verb/],
      ['(?|(a)|(b))', 'unsupported', /branch reset/],
      ['\\X', 'unsupported', /grapheme/],
      ['(a', 'invalid', /missing closing parenthesis/],
      ['a)', 'invalid', /unmatched closing parenthesis/],
      ['a{2,1}', 'invalid', /out of order/],
      ['[b-a]', 'invalid', /range out of order/],
      ['\\i', 'invalid', /unrecognized character/],
      ['*a', 'invalid', /quantifier does not follow/],
      ['a**', 'invalid', /quantifier does not follow/],
      ['[abc', 'invalid', /missing terminating \]/],
      ['\\2(a)', 'invalid', /non-existent/],
      ['\\x{100}', 'invalid', /too large/],
      ['a\\', 'invalid', /at end of pattern/],
    ];
    for (const [p, kind, re] of cases) {
      const t = translatePcre(p);
      assert.equal(t.ok, false, `${p} should not translate`);
      if (!t.ok) {
        assert.equal(t.kind, kind, `${p}: ${t.reason}`);
        assert.match(t.reason, re, p);
      }
    }
    // Nesting is bounded rather than overflowing the stack.
    const deep = translatePcre('('.repeat(5000) + 'a' + ')'.repeat(5000));
    assert.equal(deep.ok, false);
  });

  it('extracts literal prefilters and flags nested quantifiers', () => {
    const t = ok('^SSH-([\\d.]+)-OpenSSH_(\\S+) Debian');
    assert.equal(t.prefix, 'SSH-');
    assert.equal(t.required, '-OpenSSH_');
    assert.deepEqual(
      t.literals.map((l) => l.text),
      ['SSH-', '-OpenSSH_', ' Debian'],
    );
    const c = ok('^HTTP/1\\.[01] .*Server: Foo', 'i');
    assert.equal(c.prefix, 'http/1.');
    assert.equal(c.prefixCaseless, true);
    assert.equal(ok('(a+)+$').nestedQuantifiers, true);
    assert.equal(ok('a+b+').nestedQuantifiers, false);
    // Prefilters only ever reject what cannot match.
    const m = new PatternMatcher([{ pattern: '^SSH-([\\d.]+)-OpenSSH_(\\S+) Debian', flags: '' }]);
    assert.equal(m.mayMatch(0, new PreparedSubject('SSH-2.0- Debian-OpenSSH_9')), false, 'runs out of order');
    assert.equal(m.mayMatch(0, new PreparedSubject('SSH-2.0-OpenSSH_9.2p1 Debian-2')), true);
  });
});
