import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { combinationCount, payloadCombinations, parseTemplate, type NucleiTemplate, type PayloadSpec } from '../../../src/checks/nuclei/index.js';
import { CORPUS, get, inlineTemplate, loadCorpus, run, startWeb, type WebServer } from './nuclei-lab.js';

const spec = (attack: PayloadSpec['attack'], sets: Record<string, string[]>): PayloadSpec => ({ attack, sets: new Map(Object.entries(sets)) });
const combos = (s: PayloadSpec): string[] => [...payloadCombinations(s)].map((m) => [...m].map(([k, v]) => `${k}=${v}`).join('&'));

describe('payload attack types', () => {
  it('batteringram: one set, each value once', () => {
    assert.deepEqual(combos(spec('batteringram', { p: ['a', 'b', 'c'] })), ['p=a', 'p=b', 'p=c']);
  });

  it('pitchfork: sets in lockstep', () => {
    assert.deepEqual(combos(spec('pitchfork', { u: ['alice', 'bob'], t: ['1', '2'] })), ['u=alice&t=1', 'u=bob&t=2']);
  });

  it('clusterbomb: the cartesian product, first set outermost', () => {
    const c = combos(spec('clusterbomb', { u: ['a', 'b'], p: ['1', '2', '3'], x: ['X', 'Y'] }));
    assert.equal(c.length, 12);
    assert.equal(new Set(c).size, 12);
    assert.deepEqual(c.slice(0, 3), ['u=a&p=1&x=X', 'u=a&p=1&x=Y', 'u=a&p=2&x=X']);
    assert.equal(c[11], 'u=b&p=3&x=Y');
    assert.equal(combinationCount(spec('clusterbomb', { u: ['a', 'b'], p: ['1', '2', '3'] })), 6);
  });

  it('shape rules: batteringram takes one set, pitchfork equal lengths, combination limit', () => {
    assert.throws(() => [...payloadCombinations(spec('batteringram', { a: ['1'], b: ['2'] }))], /exactly one payload set/);
    assert.throws(() => [...payloadCombinations(spec('pitchfork', { a: ['1', '2'], b: ['2'] }))], /same number/);
    const big = Array.from({ length: 101 }, (_, i) => String(i));
    const yaml = (attack: string) => `id: big\ninfo: { name: b, author: t, severity: info }\nhttp:\n  - method: GET\n    path: ["{{BaseURL}}/?a={{a}}&b={{b}}"]\n    attack: ${attack}\n    payloads:\n      a: [${big.join(',')}]\n      b: [${big.join(',')}]\n    matchers: [{ type: status, status: [200] }]\n`;
    const e = parseTemplate(yaml('clusterbomb')).entry;
    assert.equal(e.status, 'unsupported');
    assert.match(e.reasons[0] ?? '', /10201 combinations/);
    assert.equal(parseTemplate(yaml('pitchfork')).entry.status, 'supported');
  });

  it('default attack: batteringram for one set, clusterbomb for several; files read relative to the root', () => {
    const one = parseTemplate('id: d1\ninfo: { name: d, author: t, severity: info }\nhttp:\n  - method: GET\n    path: ["{{BaseURL}}/{{a}}"]\n    payloads: { a: [x, y] }\n    matchers: [{ type: status, status: [200] }]\n').template!;
    const two = parseTemplate('id: d2\ninfo: { name: d, author: t, severity: info }\nhttp:\n  - method: GET\n    path: ["{{BaseURL}}/{{a}}/{{b}}"]\n    payloads: { a: [x, y], b: helpers/wordlists/users.txt }\n    matchers: [{ type: status, status: [200] }]\n', { root: CORPUS }).template!;
    const p1 = one.requests[0]!.kind === 'http' ? one.requests[0]!.payloads : undefined;
    const p2 = two.requests[0]!.kind === 'http' ? two.requests[0]!.payloads : undefined;
    assert.equal(p1?.attack, 'batteringram');
    assert.equal(p2?.attack, 'clusterbomb');
    assert.deepEqual(p2?.sets.get('b'), ['root', 'admin', 'guest']);
    assert.equal(combinationCount(p2!), 6);
  });
});

describe('payload templates against the lab app', () => {
  let web: WebServer;
  let corpus: Map<string, NucleiTemplate>;
  before(async () => {
    web = await startWeb('dirty');
    corpus = await loadCorpus();
  });
  after(async () => {
    await web.close();
  });

  it('clusterbomb from helper files: pairs tried in order until the first match', async () => {
    const out = await run([get(corpus, 'lab-admin-default-login')], [web.target()]);
    assert.equal(out.matches.length, 1);
    assert.deepEqual(out.matches[0]!.payload, { username: 'admin', password: 'hunter2' });
    const tried = web.log.filter((r) => r.url === '/api/login').map((r) => r.body);
    // root × 4 passwords, then admin/password, admin/123456, admin/hunter2 → stop.
    assert.equal(tried.length, 7);
    assert.equal(tried[0], 'username=root&password=password');
    assert.equal(tried[6], 'username=admin&password=hunter2');
  });

  it('pitchfork: exactly the aligned pairs are sent, one matches', async () => {
    web.log.length = 0;
    const out = await run([get(corpus, 'lab-token-pitchfork')], [web.target()]);
    assert.deepEqual(web.log.map((r) => r.url), ['/tokens?user=alice&token=t1', '/tokens?user=bob&token=t2', '/tokens?user=carol&token=t3']);
    assert.equal(out.matches.length, 1);
    assert.deepEqual(out.matches[0]!.payload, { user: 'bob', token: 't2' });
  });

  it('batteringram: each value in every path position (values × paths requests)', async () => {
    web.log.length = 0;
    const out = await run([get(corpus, 'backup-directories')], [web.target()]);
    assert.deepEqual(web.log.map((r) => r.url), ['/old/', '/old/index.txt', '/backup/', '/backup/index.txt', '/bak/', '/bak/index.txt']);
    assert.equal(out.matches.length, 1);
    assert.deepEqual(out.matches[0]!.extractedResults, ['found:backup']);
  });

  it('payload values go through DSL helpers in the request', async () => {
    web.log.length = 0;
    const t = inlineTemplate(`
id: inline-payload-helpers
info: { name: x, author: t, severity: info }
http:
  - method: GET
    path: ["{{BaseURL}}/uploads/{{base64(word)}}?h={{md5(word)}}"]
    payloads:
      word: ["a b", "ç"]
    matchers:
      - type: status
        status: [404]
`);
    const out = await run([t], [web.target()]);
    assert.equal(out.matches.length, 2);
    assert.deepEqual(web.log.map((r) => r.url.split('?')[0]), [`/uploads/${Buffer.from('a b').toString('base64')}`, `/uploads/${Buffer.from('ç', 'utf8').toString('base64')}`]); // Go: the text's UTF-8 bytes
  });
});
