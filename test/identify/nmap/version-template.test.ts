import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { applyVersionTemplates, cpeEscape, expandTemplate, parseServiceProbes, PatternMatcher, PreparedSubject } from '../../../src/engines/identify/nmap/index.js';

const caps = (...groups: (string | undefined)[]): (string | undefined)[] => ['whole', ...groups];

describe('version templates', () => {
  it('substitutes $1..$9 and trims trailing spaces and commas like nmap', () => {
    assert.equal(expandTemplate('v$1 ($2)', caps('1.2', 'beta')), 'v1.2 (beta)');
    assert.equal(expandTemplate('$1, $2,  ', caps('a', '')), 'a');
    assert.equal(expandTemplate('$10', caps('x')), 'x0', 'one digit only');
    assert.equal(expandTemplate('$2', caps('a')), undefined, 'group beyond the last one set');
    assert.equal(expandTemplate('$2-$1', caps(undefined, 'b', 'c')), 'b-', 'an unset group before a set one is empty');
    assert.equal(expandTemplate('$0', caps('a')), undefined, '$0 is not allowed');
    assert.equal(expandTemplate('a\0b $1', caps('x\0y')), 'a\0b x', 'a substitution stops at NUL (C string)');
    assert.equal(expandTemplate('costs $', caps('a')), undefined, 'a bare $ fails the field');
  });

  it('$P keeps printable bytes only', () => {
    assert.equal(expandTemplate('$P(1)', caps('W\0O\0R\0K\0G\0R\0O\0U\0P\0')), 'WORKGROUP');
    assert.equal(expandTemplate('[$P(1)]', caps('\x01a\x7fb\xffc')), '[abc]');
    assert.equal(expandTemplate('$P(0x1)', caps('ok')), 'ok', 'integer arguments are strtol base 0');
    assert.equal(expandTemplate('$P(1,2)', caps('a')), undefined);
    assert.equal(expandTemplate('$P("1")', caps('a')), undefined);
  });

  it('$SUBST replaces every occurrence', () => {
    assert.equal(expandTemplate('$SUBST(1,"_",".")', caps('1_2_3')), '1.2.3');
    assert.equal(expandTemplate('v$SUBST(1, "ab", "")!', caps('xabyab')), 'vxy!');
    assert.equal(expandTemplate('$SUBST(1,"\\x41","\\n")', caps('BAB')), 'B\nB', 'arguments take C escapes');
    assert.equal(expandTemplate('$SUBST(1,"",".")', caps('ab')), 'ab', 'an empty search string is a no-op, not a hang');
    assert.equal(expandTemplate('$SUBST(1,"a")', caps('ab')), undefined);
  });

  it('$I unpacks unsigned integers, big or little endian', () => {
    assert.equal(expandTemplate('$I(1,">")', caps('\x01\x02')), '258');
    assert.equal(expandTemplate('$I(1,"<")', caps('\x01\x02')), '513');
    assert.equal(expandTemplate('build $I(1,">")', caps('\xff\xff\xff\xff\xff\xff\xff\xff')), 'build 18446744073709551615');
    assert.equal(expandTemplate('$I(1,">")', caps('123456789')), undefined, 'more than 8 bytes');
    assert.equal(expandTemplate('$I(1,"=")', caps('\x01')), undefined);
  });

  it('fills every field, with CPE escaping and nmap buffer sizes', () => {
    const f = applyVersionTemplates(
      {
        product: 'Foo $1',
        version: '$2',
        info: 'mode: $P(3)',
        hostname: '$1',
        ostype: 'Linux',
        devicetype: 'x'.repeat(40),
        cpe: [
          { template: 'o:linux:linux_kernel', flags: 'a' },
          { template: 'a:foo:foo_$SUBST(1," ","_"):$2', flags: '' },
          { template: 'a:foo:second', flags: '' },
          { template: 'h:vendor:$2', flags: '' },
          { template: 'x:bad', flags: '' },
        ],
      },
      caps('Web Server', '2.0 Beta/1', 'r\0w'),
    );
    assert.equal(f.product, 'Foo Web Server');
    assert.equal(f.version, '2.0 Beta/1');
    assert.equal(f.info, 'mode: rw');
    assert.equal(f.hostname, 'Web Server');
    assert.equal(f.ostype, 'Linux');
    assert.equal(f.devicetype, undefined, 'longer than nmap\'s 32-byte buffer');
    // One CPE per part, a/h/o order; later templates of a part replace earlier ones (as nmap).
    assert.deepEqual(f.cpe, ['cpe:/a:foo:second', 'cpe:/h:vendor:2.0_beta%2F1', 'cpe:/o:linux:linux_kernel']);
    assert.equal(cpeEscape('A b:c/D~e_f-g.h%'), 'a_b%3Ac%2Fd~e_f-g.h%25');
    const long = applyVersionTemplates({ product: '$1', cpe: [] }, caps('p'.repeat(79)));
    assert.equal(long.product, undefined);
    assert.equal(applyVersionTemplates({ product: '$1', cpe: [] }, caps('p'.repeat(78))).product?.length, 78);
  });

  it('works end to end from a match line', () => {
    const db = parseServiceProbes(
      [
        'Probe TCP NULL q||',
        'match ssh m|^SSH-([\\d.]+)-OpenSSH_([\\w._-]+) Debian-(\\S+)\\r?\\n| p/OpenSSH/ v/$2 Debian $3/ i/protocol $1/ o/Linux/ cpe:/a:openbsd:openssh:$2/ cpe:/o:linux:linux_kernel/a',
      ].join('\n'),
    );
    const m = new PatternMatcher(db.matches);
    const hit = m.matchFirst(db.nullProbe!.matchChain, new PreparedSubject('SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n')).hit!;
    const f = applyVersionTemplates(db.matches[hit.matchId]!.templates, hit.captures);
    assert.deepEqual(f, {
      product: 'OpenSSH',
      version: '9.2p1 Debian 2+deb12u3',
      info: 'protocol 2.0',
      ostype: 'Linux',
      cpe: ['cpe:/a:openbsd:openssh:9.2p1', 'cpe:/o:linux:linux_kernel'],
    });
  });
});
