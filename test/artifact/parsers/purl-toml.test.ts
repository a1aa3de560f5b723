import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TrawlError } from '../../../src/errors/trawl-error.js';
import { buildPurl, percentEncode, purlFor } from '../../../src/artifact/parsers/purl-builder.js';
import { parseToml } from '../../../src/artifact/parsers/toml-lite.js';

describe('purl builder', () => {
  it('follows the spec examples', () => {
    assert.equal(buildPurl({ type: 'npm', namespace: '@angular', name: 'animation', version: '12.3.1' }), 'pkg:npm/%40angular/animation@12.3.1');
    assert.equal(buildPurl({ type: 'deb', namespace: 'debian', name: 'curl', version: '7.50.3-1', qualifiers: { distro: 'jessie', arch: 'i386' } }), 'pkg:deb/debian/curl@7.50.3-1?arch=i386&distro=jessie');
    assert.equal(buildPurl({ type: 'deb', namespace: 'debian', name: 'attr', version: '1:2.4.47-2+b1', qualifiers: { arch: 'amd64' } }), 'pkg:deb/debian/attr@1:2.4.47-2%2Bb1?arch=amd64');
    assert.equal(buildPurl({ type: 'golang', namespace: 'google.golang.org', name: 'genproto', subpath: 'googleapis/api/annotations' }), 'pkg:golang/google.golang.org/genproto#googleapis/api/annotations');
    assert.equal(buildPurl({ type: 'maven', namespace: 'org.apache.commons', name: 'io', version: '1.3.4' }), 'pkg:maven/org.apache.commons/io@1.3.4');
    assert.equal(buildPurl({ type: 'x', name: 'n', qualifiers: { empty: '', Z: 'b c' } }), 'pkg:x/n?z=b%20c');
  });

  it('percent-encodes all but alphanumerics, .-_~ and colon', () => {
    assert.equal(percentEncode('a b+c/d@e?f#g%h:i~j'), 'a%20b%2Bc%2Fd%40e%3Ff%23g%25h:i~j');
    assert.equal(percentEncode('ü'), '%C3%BC');
  });

  it('normalises names per type', () => {
    assert.equal(purlFor('PyPI', 'Zope.Interface_x', '5.0'), 'pkg:pypi/zope-interface-x@5.0');
    assert.equal(purlFor('npm', '@Scope/Name', '1.0.0'), 'pkg:npm/%40scope/name@1.0.0');
    assert.equal(purlFor('Go', 'github.com/Azure/azure-sdk-for-go', 'v68.0.0+incompatible'), 'pkg:golang/github.com/azure/azure-sdk-for-go@v68.0.0%2Bincompatible');
    assert.equal(purlFor('Maven', 'com.Example:My-Lib', '1.0'), 'pkg:maven/com.Example/My-Lib@1.0');
    assert.equal(purlFor('Alpine', 'musl', '1.2.4-r2', { arch: 'x86_64' }), 'pkg:apk/alpine/musl@1.2.4-r2?arch=x86_64');
  });
});

describe('TOML subset', () => {
  it('reads the constructs lockfiles use', () => {
    const doc = parseToml(
      't.toml',
      [
        '# comment',
        'version = 3',
        'title = "a \\"quoted\\" \\u00e9"',
        "lit = 'C:\\path'",
        'multi = """',
        'line one \\',
        '   continued"""',
        "raw = '''x\ny'''",
        'num = 1_000',
        'hex = 0xff',
        'flt = -1.5e3',
        'ok = true',
        'when = 1979-05-27 07:32:00Z',
        'arr = [ 1, [2, 3], "x", # comment',
        '  ]',
        'inline = { a = 1, "b.c" = { d = "e" } }',
        'a.b.c = 1',
        '',
        '[[package]]',
        'name = "one"',
        '[package.dependencies]',
        'x = "1"',
        '[[package]]',
        'name = "two"',
        '["quoted key".sub]',
        '__proto__ = "safe"',
      ].join('\n'),
    );
    assert.equal(doc.version, 3);
    assert.equal(doc.title, 'a "quoted" é');
    assert.equal(doc.lit, 'C:\\path');
    assert.equal(doc.multi, 'line one continued');
    assert.equal(doc.raw, 'x\ny');
    assert.equal(doc.num, 1000);
    assert.equal(doc.hex, 255);
    assert.equal(doc.flt, -1500);
    assert.equal(doc.ok, true);
    assert.equal(doc.when, '1979-05-27 07:32:00Z');
    assert.deepEqual(JSON.parse(JSON.stringify(doc.arr)), [1, [2, 3], 'x']);
    assert.deepEqual(JSON.parse(JSON.stringify(doc.inline)), { a: 1, 'b.c': { d: 'e' } });
    assert.deepEqual(JSON.parse(JSON.stringify(doc.a)), { b: { c: 1 } });
    assert.deepEqual(JSON.parse(JSON.stringify(doc.package)), [{ name: 'one', dependencies: { x: '1' } }, { name: 'two' }]);
    const q = (doc['quoted key'] as Record<string, Record<string, string>>).sub;
    assert.equal(Object.getPrototypeOf(q), null);
    assert.equal(q?.['__proto__'], 'safe');
  });

  it('table headers named __proto__ cannot pollute Object.prototype', () => {
    const doc = parseToml('t.toml', '[__proto__]\npolluted = "yes"\n[a.__proto__]\npolluted = "yes"');
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
    assert.equal((doc['__proto__'] as Record<string, unknown>).polluted, 'yes');
  });

  it('rejects malformed input with a line number', () => {
    for (const [src, pattern] of [
      ['a = ', /line 1/],
      ['a = "unterminated', /unterminated string/],
      ['a = 1\na = 2', /line 2: duplicate key a/],
      ['[t]\n[t]', /defined twice/],
      ['a = [1, 2', /unterminated array|expected , or \]/],
      ['a = 1 2', /unexpected/],
      [`a = ${'['.repeat(100)}${']'.repeat(100)}`, /nested deeper than 32/],
    ] as const) {
      assert.throws(() => parseToml('t.toml', src), (e: unknown) => e instanceof TrawlError && e.code === 'TRAWL_E_ARTIFACT_FORMAT' && pattern.test(e.message), src);
    }
  });
});
