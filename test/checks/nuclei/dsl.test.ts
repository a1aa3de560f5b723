import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { checkGoVersionConstraints, DSL_FUNCTIONS, DslUnresolvedError, evaluateDsl, interpolate, type DslValue } from '../../../src/checks/nuclei/index.js';

const VARS: Record<string, DslValue> = {
  body: 'Hello World',
  status_code: 200,
  content_length: 11,
  x_powered_by: 'PHP/7.4.3',
  server: 'nginx/1.18.0',
  empty: '',
  list: ['a', 'b'],
};
const lookup = (n: string): DslValue | undefined => VARS[n];
const ev = (e: string): DslValue => evaluateDsl(e, lookup, { allowRandom: true });

/** [expression, expected value]. */
const TABLE: ReadonlyArray<readonly [string, DslValue]> = [
  // operators
  ['1 + 2 * 3', 7],
  ['(1 + 2) * 3', 9],
  ['7 % 4', 3],
  ['2 ** 10', 1024],
  ['-3 + 5', 2],
  ['10 / 4', 2.5],
  ['"a" + "b"', 'ab'],
  ['"code:" + status_code', 'code:200'],
  ['status_code == 200', true],
  ['status_code != 200', false],
  ['status_code == "200"', false],
  ['content_length >= 11 && content_length < 12', true],
  ['"abc" < "abd"', true],
  ['!(status_code == 404)', true],
  ['status_code == 404 || contains(body, "World")', true],
  ['status_code == 200 ? "ok" : "bad"', 'ok'],
  ['body =~ "W[a-z]+"', true],
  ['body !~ "^hello"', true],
  ['"b" in ("a", "b")', true],
  ['missing_var ?? "fallback"', 'fallback'],
  ['6 & 3', 2],
  ['6 | 3', 7],
  ['1 << 4', 16],
  ['true && !false', true],
  // string helpers
  ['contains(body, "World")', true],
  ['contains_all(body, "Hello", "World")', true],
  ['contains_all(body, "Hello", "Moon")', false],
  ['contains_any(body, "Moon", "World")', true],
  ['starts_with(server, "apache", "nginx")', true],
  ['ends_with(body, "World")', true],
  ['line_starts_with("a\\nbc", "b")', true],
  ['line_ends_with("ab\\nc", "b")', true],
  ['to_lower(body)', 'hello world'],
  ['to_upper("abc")', 'ABC'],
  ['trim("xxhixx", "x")', 'hi'],
  ['trim_left("xxhix", "x")', 'hix'],
  ['trim_right("xhixx", "x")', 'xhi'],
  ['trim_space("  hi \\t\\n")', 'hi'],
  ['trim_prefix(server, "nginx/")', '1.18.0'],
  ['trim_suffix("file.php", ".php")', 'file'],
  ['replace(body, "World", "There")', 'Hello There'],
  ['replace_regex("a1b22c333", "[0-9]+", "#")', 'a#b#c#'],
  ['replace_regex("v1.2", "v([0-9]+)\\\\.([0-9]+)", "$2.$1")', '2.1'],
  ['regex("^PHP/[0-9.]+$", x_powered_by)', true],
  ['regex("(?i)php", "PHP")', true],
  ['len(body)', 11],
  ['len("żółw")', 7],
  ['len(list)', 2],
  ['concat("a", 1, true)', 'a1true'],
  ['join(",", "a", "b", "c")', 'a,b,c'],
  ['join("-", list)', 'a-b'],
  ['split("a,b,c", ",")', ['a', 'b', 'c']],
  ['reverse("abc")', 'cba'],
  ['repeat("ab", 3)', 'ababab'],
  ['substr("abcdef", 1, 3)', 'bc'],
  ['remove_bad_chars("a<b>c", "<>")', 'abc'],
  // encoders and hashes
  ['base64("hello")', 'aGVsbG8='],
  ['base64_decode("aGVsbG8=")', 'hello'],
  ['base64_py("hello")', 'aGVsbG8=\n'],
  ['hex_encode("abc")', '616263'],
  ['hex_decode("616263")', 'abc'],
  ['md5("hello")', createHash('md5').update('hello').digest('hex')],
  ['sha1("hello")', createHash('sha1').update('hello').digest('hex')],
  ['sha256("hello")', createHash('sha256').update('hello').digest('hex')],
  ['sha512("a")', createHash('sha512').update('a').digest('hex')],
  ['hmac("sha256", "data", "key")', '5031fe3d989c6d1537a013fa6e739da23463fdaec3b70137d828e36ace221bd0'],
  ['mmh3("hello")', '613153351'],
  ['mmh3("abc")', '-1277324294'],
  ['url_encode("a b&c=d/é")', 'a+b%26c%3Dd%2F%C3%A9'],
  ['url_decode("a+b%26c")', 'a b&c'],
  ['html_escape("<a href=\\"x\\">\'")', '&lt;a href=&#34;x&#34;&gt;&#39;'],
  ['html_unescape("&lt;b&gt;&amp;&#39;&#x41;")', "<b>&'A"],
  ['gzip_decode(gzip("round trip"))', 'round trip'],
  ['zlib_decode(zlib("again"))', 'again'],
  ['json_minify("{ \\"a\\" : [1, 2] }")', '{"a":[1,2]}'],
  // numbers
  ['to_number("42") + 1', 43],
  ['to_string(42)', '42'],
  ['dec_to_hex(255)', 'ff'],
  ['hex_to_dec("ff")', 255],
  ['oct_to_dec("17")', 15],
  ['bin_to_dec("101")', 5],
  // versions (hashicorp/go-version, as nuclei)
  ['compare_versions("1.18.0", "< 1.20.1")', true],
  ['compare_versions("v2.4.1", ">= 2.4", "< 2.5")', true],
  ['compare_versions("1.0.0-beta", "< 1.0.0")', false],
  ['compare_versions("1.2.3", "~> 1.2")', true],
  ['compare_versions("2.0.0", "~> 1.2")', false],
  ['compare_versions("1.2.9", "~> 1.2.3")', true],
  ['compare_versions("1.3.0", "~> 1.2.3")', false],
  ['compare_versions("1.2", "= 1.2.0")', true],
  ['compare_versions("1.2.0", "!= 1.2.1, > 1.1")', true],
  // time
  ['unix_time() > 1700000000', true],
  ['date_time("%Y-%M-%D", 0)', '1970-01-01'],
  ['date_time("2006-01-02 15:04:05", 86400)', '1970-01-02 00:00:00'],
];

describe('DSL: operators and helper functions', () => {
  for (const [expr, want] of TABLE) {
    it(expr, () => {
      assert.deepEqual(ev(expr), want);
    });
  }

  it('random helpers: ranges, charsets, and refused outside requests', () => {
    assert.match(String(ev('rand_base(12)')), /^[A-Za-z0-9]{12}$/);
    assert.match(String(ev('rand_base(5, "xy")')), /^[xy]{5}$/);
    assert.match(String(ev('rand_text_numeric(6)')), /^[0-9]{6}$/);
    assert.match(String(ev('rand_text_alpha(4, "abc")')), /^[d-zA-Z]{4}$/);
    const n = ev('rand_int(10, 20)');
    assert.ok(typeof n === 'number' && n >= 10 && n < 20);
    assert.throws(() => evaluateDsl('rand_base(3)', lookup), /random and cannot be used in matchers/);
  });

  it('errors are TrawlErrors naming the expression; unknown variables are DslUnresolvedError', () => {
    assert.throws(() => ev('nope + 1'), DslUnresolvedError);
    for (const bad of ['1 +', 'contains(body)', 'unknown_fn(1)', '"a" - 1', '1 / 0', '(1', 'hex_decode("abc")', 'substr("ab", 1, 9)', '"a" && true', 'repeat("x", 99999999)', '1 ? 2 : 3', 'status_code == 200 &&']) {
      assert.throws(() => ev(bad), (e: Error & { code?: string }) => e.code === 'TRAWL_E_VALIDATION', bad);
    }
  });

  it('bounds: expression length, nesting depth, string growth', () => {
    assert.throws(() => ev('1+'.repeat(9000) + '1'), /longer than/);
    assert.throws(() => ev('('.repeat(200) + '1' + ')'.repeat(200)), /nested deeper/);
    assert.throws(() => ev('repeat(repeat("abcdefgh", 1000), 1000)'), /out of range|too long/);
    assert.throws(() => ev('concat(' + Array.from({ length: 70 }, () => '"a"').join(',') + ')'), /more than 64 arguments/);
  });

  it('every helper in the table above exists in DSL_FUNCTIONS (and the table covers the common ones)', () => {
    for (const f of ['contains', 'contains_all', 'contains_any', 'regex', 'len', 'to_lower', 'to_upper', 'trim', 'trim_space', 'trim_left', 'trim_right', 'trim_prefix', 'trim_suffix', 'replace', 'replace_regex', 'starts_with', 'ends_with', 'base64', 'base64_decode', 'hex_encode', 'hex_decode', 'md5', 'sha1', 'sha256', 'mmh3', 'url_encode', 'url_decode', 'html_escape', 'concat', 'join', 'split', 'compare_versions', 'rand_base', 'rand_int', 'date_time', 'unix_time']) {
      assert.ok(Object.hasOwn(DSL_FUNCTIONS, f), f);
    }
  });

  it('interpolation of {{…}} markers: names, expressions, literals left alone, unresolved reported', () => {
    const lk = (n: string): DslValue | undefined => ({ BaseURL: 'http://h:8', user: 'ann' })[n];
    assert.equal(interpolate('{{BaseURL}}/x?u={{user}}', lk), 'http://h:8/x?u=ann');
    assert.equal(interpolate('Basic {{base64(user + ":pw")}}', lk), `Basic ${Buffer.from('ann:pw').toString('base64')}`);
    assert.equal(interpolate('{{ user }}', lk), 'ann');
    assert.equal(interpolate('tmpl {{#each items}}', lk), 'tmpl {{#each items}}');
    assert.throws(() => interpolate('{{missing}}', lk), DslUnresolvedError);
  });

  it('compare_versions rejects malformed versions', () => {
    assert.throws(() => checkGoVersionConstraints('not-a-version!', ['> 1']), /malformed version/);
    assert.throws(() => ev('compare_versions("1.0", "=> 1")'), /malformed/);
  });
});
