import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseJsonQuery, runJsonQuery } from '../../../src/checks/nuclei/index.js';
import { evaluate, operators } from './operator-fixtures.js';
import { inlineTemplate, run, startWeb, type WebServer } from './nuclei-lab.js';

const json = JSON.stringify({ version: '2.1', build: { id: 7, tags: ['a', 'b'] }, users: [{ name: 'ann', role: 'admin' }, { name: 'bob' }], 'x-y': true });
const resp = { status: 200, headers: { 'X-Api-Version': 'v9', 'Content-Type': 'application/json' }, body: json };
const extract = (yaml: string, r: Parameters<typeof evaluate>[1] = resp) => evaluate(operators(yaml), r);

describe('extractors', () => {
  it('regex: group, several patterns, de-duplicated, part header', () => {
    const r = extract('extractors:\n  - type: regex\n    name: n\n    group: 1\n    regex: [\'"name":"([a-z]+)"\', \'"role":"([a-z]+)"\']');
    assert.deepEqual(r.extracted.get('n'), ['ann', 'bob', 'admin']);
    const h = extract('extractors:\n  - type: regex\n    part: header\n    regex: ["X-Api-Version: v[0-9]"]');
    assert.deepEqual(h.extracted.get(''), ['X-Api-Version: v9']);
    assert.equal(h.matched, true, 'with no matchers, extractor output makes a result');
  });

  it('kval: header values by key (dash or underscore), case-insensitive lowers output', () => {
    assert.deepEqual(extract('extractors:\n  - type: kval\n    kval: [x_api_version, content-type]').extracted.get(''), ['v9', 'application/json']);
    assert.deepEqual(extract('extractors:\n  - type: kval\n    case-insensitive: true\n    kval: [x_api_version]').extracted.get(''), ['v9']);
    assert.equal(extract('extractors:\n  - type: kval\n    kval: [missing]').matched, false);
  });

  it('json: jq subset paths, iteration, index, quoted keys, pipes, length/keys', () => {
    const doc = JSON.parse(json) as unknown;
    const q = (s: string): string[] => runJsonQuery(parseJsonQuery(s), doc);
    assert.deepEqual(q('.version'), ['2.1']);
    assert.deepEqual(q('.build.id'), ['7']);
    assert.deepEqual(q('.build.tags[]'), ['a', 'b']);
    assert.deepEqual(q('.users[0].name'), ['ann']);
    assert.deepEqual(q('.users[-1].name'), ['bob']);
    assert.deepEqual(q('.users[].role'), ['admin'], 'null results are dropped');
    assert.deepEqual(q('.["x-y"]'), ['true']);
    assert.deepEqual(q('.build'), ['{"id":7,"tags":["a","b"]}']);
    assert.deepEqual(q('.users | length'), ['2']);
    assert.deepEqual(q('.build | keys'), ['["id","tags"]']);
    assert.deepEqual(q('.users[] | .name'), ['ann', 'bob']);
    assert.throws(() => parseJsonQuery('.users[] | select(.role == "admin")'), /unsupported jq/);
    assert.throws(() => parseJsonQuery('..'), /recursive/);
    const r = extract('extractors:\n  - type: json\n    name: v\n    json: [".version", ".users[].name"]');
    assert.deepEqual(r.extracted.get('v'), ['2.1', 'ann', 'bob']);
    assert.equal(extract('extractors:\n  - type: json\n    json: [".version"]', { status: 200, body: 'not json' }).matched, false);
  });

  it('dsl: expressions over response variables; false/empty results are dropped', () => {
    const r = extract('extractors:\n  - type: dsl\n    dsl: ["to_upper(x_api_version) + \'/\' + status_code", "status_code == 404", "\'\'"]');
    assert.deepEqual(r.extracted.get(''), ['V9/200']);
  });

  it('internal extractors are dynamic values, not output, and visible to matchers of the same response', () => {
    const r = extract('extractors:\n  - type: regex\n    name: ver\n    internal: true\n    group: 1\n    regex: [\'"version":"([0-9.]+)"\']\nmatchers:\n  - type: dsl\n    dsl: ["ver == \'2.1\'"]');
    assert.equal(r.matched, true);
    assert.equal(r.extracted.size, 0);
    assert.deepEqual(r.dynamic.get('ver'), ['2.1']);
  });
});

describe('internal extractors feed later requests', () => {
  let web: WebServer;
  before(async () => {
    web = await startWeb('dirty');
  });
  after(async () => {
    await web.close();
  });

  it('a value extracted in block 1 is used in block 2 (path and header)', async () => {
    const t = inlineTemplate(`
id: inline-chain
info: { name: x, author: t, severity: info }
http:
  - method: GET
    path: ["{{BaseURL}}/api/version"]
    extractors:
      - type: json
        name: apiver
        internal: true
        json: [".components[1].name"]
  - method: GET
    path: ["{{BaseURL}}/uploads/{{apiver}}"]
    headers:
      X-From-Previous: "{{apiver}}-{{md5(apiver)}}"
    matchers:
      - type: status
        status: [404]
`);
    const out = await run([t], [web.target()]);
    assert.equal(out.matches.length, 1);
    const second = web.log.find((r) => r.url === '/uploads/auth');
    assert.ok(second, 'second request used the extracted value');
    assert.match(String(second.headers['x-from-previous']), /^auth-[0-9a-f]{32}$/);
  });

  it('an unresolved variable skips the request with a note instead of sending {{…}}', async () => {
    const t = inlineTemplate(`
id: inline-unresolved
info: { name: x, author: t, severity: info }
http:
  - method: GET
    path: ["{{BaseURL}}/never/{{nothing_extracted}}"]
    matchers:
      - type: status
        status: [404]
`);
    const before = web.log.length;
    const out = await run([t], [web.target()]);
    assert.equal(web.log.length, before);
    assert.equal(out.records[0]?.outcome, 'skipped');
    assert.match(out.records[0]?.notes[0] ?? '', /unresolved variable "nothing_extracted"/);
  });
});
