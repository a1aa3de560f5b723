/**
 * The nuclei DSL helpers added for the community collection — underscore-less aliases, padding,
 * index, sort/uniq, count, equals_any, xor, deflate/inflate, AES, getNetworkPort — and Go time
 * layouts in date_time / to_unix_time, each against values worked out from nuclei's definitions.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createDecipheriv } from 'node:crypto';
import { DSL_FUNCTIONS, dslBytes, evaluateDsl, parseTemplate, type DslValue } from '../../../src/checks/nuclei/index.js';

const VARS: Record<string, DslValue> = { body: 'Hello World', header: 'Content-Type: Application/JSON' };
const lookup = (n: string): DslValue | undefined => VARS[n];
const ev = (e: string): DslValue => evaluateDsl(e, lookup, { allowRandom: true });

const TABLE: ReadonlyArray<readonly [string, DslValue]> = [
  // nuclei registers every helper also without underscores
  ['tolower("ABC")', 'abc'],
  ['toupper(body)', 'HELLO WORLD'],
  ['contains(tolower(header), "application/json")', true],
  ['base64decode("aGk=")', 'hi'],
  ['hexencode("A")', '41'],
  ['urlencode("a b")', 'a+b'],
  ['containsall(body, "Hello", "World")', true],
  // padding: four arguments (current nuclei) and three (the older helper)
  ['padding("ab", "x", 5, "suffix")', 'abxxx'],
  ['padding("ab", "x", 5, "prefix")', 'xxxab'],
  ['padding("ab", "xyz", 5, "suffix")', 'abxyz'],
  ['padding("ab", "xyz", 5)', 'abzxy'],
  ['padding("", "ab", 3)', 'aba'],
  ['padding("abcdef", "x", 3, "prefix")', 'abcdef'],
  ['len(padding("a", "-", 300))', 300],
  // index, sort, uniq, count, equals_any
  ['index("abc", 1)', 'b'],
  ['index(split("a,b,c", ","), 2)', 'c'],
  ['sort("cba")', 'abc'],
  ['sort("b", "a", "c")', ['a', 'b', 'c']],
  ['uniq("aabbca")', 'abc'],
  ['uniq("a", "b", "a")', ['a', 'b']],
  ['count("cheese", "e")', 3],
  ['count("aaaa", "aa")', 2],
  ['count("five", "")', 5],
  ['equals_any("a", "b", "a")', true],
  ['equals_any("a", split("x,y", ","))', false],
  ['equals_any(200, "200")', false],
  // bytes
  ['xor("ab", "  ")', 'AB'],
  ['inflate(hex_decode("4b4c4c4c0400"))', 'aaaa'],
  ['inflate(deflate("hello hello hello"))', 'hello hello hello'],
  // NIST SP 800-38A F.2.1 first block; PKCS#7 adds a full block of padding
  ['substr(hex_encode(aes_cbc(hex_decode("6bc1bee22e409f96e93d7e117393172a"), hex_decode("2b7e151628aed2a6abf7158809cf4f3c"), hex_decode("000102030405060708090a0b0c0d0e0f"))), 0, 32)', '7649abac8119b246cee98e9b12e9197d'],
  ['len(hex_encode(aes_cbc("x", "0123456789abcdef", "fedcba9876543210")))', 32],
  ['getNetworkPort("", "6379")', '6379'],
  ['getNetworkPort("443", "6379")', '6379'],
  ['getNetworkPort("7000", "6379")', '7000'],
  ['getNetworkPort("80", "11211")', '11211'],
  // date_time: %X shorthand (%m is the minute, as in nuclei) and Go layouts; UTC
  ['date_time("%Y-%M-%D %H:%m:%S", 1700000000)', '2023-11-14 22:13:20'],
  ['date_time("%y%d%h%s", "0")', '1970010000'],
  ['date_time("Mon Jan _2 15:04:05 MST 2006", 0)', 'Thu Jan  1 00:00:00 UTC 1970'],
  ['date_time("02/01/06 03:04PM", 1700000000)', '14/11/23 10:13PM'],
  ['date_time("2006-01-02T15:04:05.000Z07:00", 1700000000)', '2023-11-14T22:13:20.000Z'],
  ['date_time("January 2, 2006 (Monday) -0700 002", 1700000000)', 'November 14, 2023 (Tuesday) +0000 318'],
  ['date_time("Janet 2006", 0)', 'Janet 1970'],
  // to_unix_time: numbers, nuclei's default layouts, a given Go layout
  ['to_unix_time("1700000000")', 1700000000],
  ['to_unix_time("2023-11-14 22:13:20")', 1700000000],
  ['to_unix_time("2023-11-14T22:13:20Z")', 1700000000],
  ['to_unix_time("2023-11-14T23:13:20.5+01:00")', 1700000000],
  ['to_unix_time("2023-11-14")', 1699920000],
  ['to_unix_time("14/11/2023 10:13PM", "02/01/2006 03:04PM")', 1699999980],
  ['to_unix_time("Nov 14 2023", "Jan _2 2006")', 1699920000],
];

describe('DSL helpers from nuclei', () => {
  for (const [expr, want] of TABLE) {
    it(expr, () => {
      assert.deepEqual(ev(expr), want);
    });
  }

  it('errors are TrawlErrors, as nuclei fails them', () => {
    for (const bad of ['padding("a", "x", 0, "suffix")', 'padding("a", "", 3)', 'padding("a", "x", 3, "middle")', 'padding("a", "x", 99999999999)', 'index("abc", 3)', 'index("abc", "1.5")', 'xor("a", "bc")', 'aes_cbc("x", "short", "fedcba9876543210")', 'aes_cbc("x", "0123456789abcdef", "iv")', 'date_time("%Q")', 'to_unix_time("yesterday")', 'to_unix_time("2023-02-30")', 'inflate("not deflate")']) {
      assert.throws(() => ev(bad), (e: Error & { code?: string }) => e.code === 'TRAWL_E_VALIDATION', bad);
    }
  });

  it('aes_gcm is random (requests only): nonce ‖ ciphertext ‖ tag that decrypts back', () => {
    assert.throws(() => evaluateDsl('aes_gcm("0123456789abcdef", "secret")', lookup), /random/);
    const out = dslBytes(String(ev('aes_gcm("0123456789abcdef", "secret")')));
    assert.equal(out.length, 12 + 6 + 16);
    const d = createDecipheriv('aes-128-gcm', Buffer.from('0123456789abcdef'), out.subarray(0, 12));
    d.setAuthTag(out.subarray(out.length - 16));
    assert.equal(Buffer.concat([d.update(out.subarray(12, out.length - 16)), d.final()]).toString(), 'secret');
  });

  it('aliases are the same helpers; random ones stay random under either name', () => {
    for (const [alias, name] of [['tolower', 'to_lower'], ['randbase', 'rand_base'], ['base64py', 'base64_py'], ['compareversions', 'compare_versions']] as const) {
      assert.equal(DSL_FUNCTIONS[alias], DSL_FUNCTIONS[name], alias);
    }
    assert.match(String(ev('randbase(6)')), /^[A-Za-z0-9]{6}$/);
    assert.throws(() => evaluateDsl('randbase(3)', lookup), /random and cannot be used in matchers/);
  });

  it('templates using them load as supported; unknown helpers still say which', () => {
    const tpl = (dsl: string): ReturnType<typeof parseTemplate>['entry'] =>
      parseTemplate(`id: dsl-t\ninfo: { name: x, author: t, severity: info }\nhttp:\n  - method: GET\n    path: ["{{BaseURL}}/?p={{padding(randbase(4), 'A', 20)}}"]\n    matchers:\n      - type: dsl\n        dsl: ["${dsl}"]\n`).entry;
    assert.equal(tpl("contains(tolower(body), 'admin')").status, 'supported');
    const e = tpl('wait_for(3)');
    assert.equal(e.status, 'unsupported');
    assert.deepEqual(e.reasons, ['DSL helper wait_for() is not implemented']);
  });
});
