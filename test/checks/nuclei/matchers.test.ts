import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { evaluate, operators, type FakeResponse } from './operator-fixtures.js';

const page = { status: 200, headers: { Server: 'nginx/1.18.0', 'Content-Type': 'text/html' }, body: '<html><title>Admin Panel</title>Welcome ADMIN user</html>' };
const matches = (yaml: string, r: FakeResponse = page): boolean => evaluate(operators(yaml), r).matched;

describe('matchers', () => {
  it('word: or / and / case-insensitive / {{expression}} words', () => {
    assert.equal(matches('matchers:\n  - type: word\n    words: ["Admin Panel", "nope"]'), true);
    assert.equal(matches('matchers:\n  - type: word\n    condition: and\n    words: ["Admin Panel", "nope"]'), false);
    assert.equal(matches('matchers:\n  - type: word\n    words: ["welcome admin"]'), false);
    assert.equal(matches('matchers:\n  - type: word\n    case-insensitive: true\n    words: ["welcome admin"]'), true);
    assert.equal(matches('matchers:\n  - type: word\n    words: ["{{to_upper(\'admin\')}} user"]'), true);
  });

  it('word: part header / body / all / a named header', () => {
    assert.equal(matches('matchers:\n  - type: word\n    part: header\n    words: ["nginx/1.18.0"]'), true);
    assert.equal(matches('matchers:\n  - type: word\n    part: body\n    words: ["nginx"]'), false);
    assert.equal(matches('matchers:\n  - type: word\n    part: all\n    condition: and\n    words: ["nginx", "Admin Panel"]'), true);
    assert.equal(matches('matchers:\n  - type: word\n    part: server\n    words: ["nginx"]'), true);
    assert.equal(matches('matchers:\n  - type: word\n    part: x_missing\n    negative: true\n    words: ["a"]'), false, 'a missing part is false even when negative');
  });

  it('regex: RE2 syntax, or / and', () => {
    assert.equal(matches('matchers:\n  - type: regex\n    regex: ["(?i)welcome\\\\s+admin"]'), true);
    assert.equal(matches('matchers:\n  - type: regex\n    regex: ["welcome\\\\s+admin"]'), false);
    assert.equal(matches('matchers:\n  - type: regex\n    condition: and\n    regex: ["<title>[^<]+</title>", "^<html>"]'), true);
    assert.equal(matches('matchers:\n  - type: regex\n    condition: and\n    regex: ["<title>[^<]+</title>", "^<body>"]'), false);
  });

  it('status and size', () => {
    assert.equal(matches('matchers:\n  - type: status\n    status: [301, 200]'), true);
    assert.equal(matches('matchers:\n  - type: status\n    status: [404]'), false);
    const len = Buffer.byteLength(page.body);
    assert.equal(matches(`matchers:\n  - type: size\n    size: [${len}]`), true);
    assert.equal(matches(`matchers:\n  - type: size\n    size: [${len + 1}]`), false);
  });

  it('binary: hex needles in the raw bytes (and/or), and word with encoding: hex', () => {
    const bin = { status: 200, body: Buffer.from([0x00, 0xff, 0x10, 0x80, 0x7f, 0x00]) };
    assert.equal(matches('matchers:\n  - type: binary\n    binary: ["ff1080"]', bin), true);
    assert.equal(matches('matchers:\n  - type: binary\n    condition: and\n    binary: ["ff1080", "0000"]', bin), false);
    assert.equal(matches('matchers:\n  - type: binary\n    binary: ["807f00"]', bin), true);
    assert.equal(matches('matchers:\n  - type: word\n    encoding: hex\n    words: ["41646d696e"]'), true, 'hex of "Admin"');
  });

  it('dsl: variables, helpers, and/or, errors are false', () => {
    assert.equal(matches('matchers:\n  - type: dsl\n    dsl: ["status_code == 200 && contains(body, \'Welcome\')"]'), true);
    assert.equal(matches('matchers:\n  - type: dsl\n    dsl: ["compare_versions(trim_prefix(server, \'nginx/\'), \'< 1.19\')"]'), true);
    assert.equal(matches('matchers:\n  - type: dsl\n    condition: and\n    dsl: ["status_code == 200", "content_length > 1000"]'), false);
    assert.equal(matches('matchers:\n  - type: dsl\n    dsl: ["undefined_var == 1"]'), false);
    assert.equal(matches('matchers:\n  - type: dsl\n    dsl: ["status_code + 1"]'), false, 'a non-boolean is not a match');
  });

  it('negative, matchers-condition and/or, named and internal matchers', () => {
    assert.equal(matches('matchers:\n  - type: word\n    negative: true\n    words: ["Forbidden"]'), true);
    assert.equal(matches('matchers:\n  - type: word\n    negative: true\n    words: ["Admin"]'), false);
    const both = 'matchers-condition: and\nmatchers:\n  - type: status\n    status: [200]\n  - type: word\n    words: ["missing"]';
    assert.equal(matches(both), false);
    assert.equal(matches(both.replace('and', 'or')), true);
    const r = evaluate(operators('matchers:\n  - type: word\n    name: panel\n    words: ["Panel"]\n  - type: status\n    name: ok\n    internal: true\n    status: [200]\n  - type: word\n    name: nope\n    words: ["zzz"]'), page);
    assert.deepEqual(r.matcherNames, ['panel'], 'internal matcher names are not reported');
  });

  it('match-all collects every matched value', () => {
    const r = evaluate(operators('matchers:\n  - type: regex\n    match-all: true\n    regex: ["[A-Z]{4,5}"]'), { status: 200, body: 'ABCD xx EFGHI yy JK' });
    assert.deepEqual(r.matchedValues, ['ABCD', 'EFGHI']);
  });

  it('network default part is data', () => {
    const ops = operators('matchers:\n  - type: word\n    words: ["redis_version"]', 'tcp');
    assert.equal(ops.matchers[0]!.part, 'data');
  });
});
