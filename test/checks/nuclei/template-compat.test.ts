/**
 * Load-time compatibility with the community collection's shapes: NVD CWE placeholders, number-like
 * YAML scalars in string fields, workflows, ssl30, dashed variable names, raw request lines with
 * spaced expressions, aggression-level payloads, @tls-sni, flow chains, and clear reasons for what
 * stays unsupported by design. Every template here is written for this test.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { FLOW_SCRIPT_REASON, interpolate, parseFlow, parseTemplate, type DslValue, type HttpRequestSpec, type NetworkRequestSpec, type NucleiTemplate, type SslRequestSpec, type TemplateReportEntry } from '../../../src/checks/nuclei/index.js';
import { CORPUS } from './nuclei-lab.js';

const HEAD = 'id: compat-test\ninfo:\n  name: Compat\n  author: trawl\n  severity: info\n';
const HTTP = 'http:\n  - method: GET\n    path: ["{{BaseURL}}/"]\n    matchers: [{ type: status, status: [200] }]\n';

function parse(yaml: string): { template?: NucleiTemplate; entry: TemplateReportEntry } {
  return parseTemplate(yaml, { root: CORPUS });
}

function supported(yaml: string): NucleiTemplate {
  const { template, entry } = parse(yaml);
  assert.ok(template, `${entry.status}: ${entry.reasons.join('; ')}`);
  return template;
}

function status(yaml: string): [string, string] {
  const { entry } = parse(yaml);
  return [entry.status, entry.reasons.join('; ')];
}

describe('template compatibility: classification', () => {
  it('cwe-id NVD-CWE-Other / NVD-CWE-noinfo are accepted and carry no CWE into findings', () => {
    for (const cwe of ['NVD-CWE-Other', 'NVD-CWE-noinfo', 'nvd-cwe-other', '[NVD-CWE-noinfo, CWE-22]']) {
      const t = supported(HEAD.replace('severity: info\n', `severity: info\n  classification:\n    cve-id: CVE-2020-1234\n    cwe-id: ${cwe}\n`) + HTTP);
      assert.deepEqual(t.info.classification?.cweId, cwe.includes('CWE-22') ? ['CWE-22'] : [], cwe);
    }
    const [st, why] = status(HEAD.replace('severity: info\n', 'severity: info\n  classification:\n    cwe-id: NVD-CWE-Whatever\n') + HTTP);
    assert.equal(st, 'invalid');
    assert.match(why, /cwe-id "NVD-CWE-Whatever" is not CWE-N/);
  });
});

describe('template compatibility: number-like YAML scalars keep their source text', () => {
  it('hex network data, words with leading zeros, hex/exponent/octal forms, numeric ids and bodies', () => {
    const t = supported(`id: 20240001
info: { name: 1.0, author: trawl, severity: info }
tcp:
  - host: ["{{Hostname}}"]
    inputs:
      - data: 444953543030303030303031
        type: hex
      - data: 0010
      - data: 1e3
    read-size: 64
    matchers:
      - type: word
        words: [0x1F, 007, 1.50, 12345678901234567890123]
`);
    assert.equal(t.id, '20240001');
    assert.equal(t.info.name, '1.0');
    const spec = t.requests[0] as NetworkRequestSpec;
    assert.deepEqual(spec.inputs.map((i) => i.data), ['444953543030303030303031', '0010', '1e3']);
    assert.equal(spec.readSize, 64);
    assert.deepEqual(spec.operators.matchers[0]!.words, ['0x1F', '007', '1.50', '12345678901234567890123']);
    const h = supported(`${HEAD}variables:\n  v1: 0x10\n  v2: 1.10\nhttp:\n  - method: POST\n    path: ["{{BaseURL}}/"]\n    body: 000123\n    headers:\n      X-Id: 0777\n    max-redirects: 3\n    matchers:\n      - type: status\n        status: [200, 0x12D]\n      - type: size\n        size: [010]\n`);
    const hs = h.requests[0] as HttpRequestSpec;
    assert.equal(hs.body, '000123');
    assert.deepEqual(hs.headers, [['X-Id', '0777']]);
    assert.equal(hs.maxRedirects, 3);
    assert.deepEqual(hs.operators.matchers[0]!.status, [200, 301], 'numeric fields still read numbers (0x12D is 301)');
    assert.deepEqual(hs.operators.matchers[1]!.size, [10]);
    assert.deepEqual(h.variables, [['v1', '0x10'], ['v2', '1.10']]);
  });

  it('quoted, tagged and boolean scalars are unchanged; bad numbers in numeric fields stay invalid', () => {
    const t = supported(`${HEAD}http:\n  - method: GET\n    path: ["{{BaseURL}}/"]\n    redirects: true\n    matchers:\n      - type: word\n        words: ["0x10", !!int 0x10, true]\n`);
    const spec = t.requests[0] as HttpRequestSpec;
    assert.deepEqual(spec.operators.matchers[0]!.words, ['0x10', '16', 'true']);
    assert.equal(spec.redirects, true);
    const [st, why] = status(`${HEAD}http:\n  - method: GET\n    path: ["{{BaseURL}}/"]\n    matchers:\n      - type: status\n        status: [.inf]\n`);
    assert.equal(st, 'invalid');
    assert.match(why, /status must be a list of non-negative integers/);
  });
});

describe('template compatibility: workflows, ssl30, names, raw requests, payload levels, annotations', () => {
  it('a workflow without a severity is unsupported ("workflows"), not invalid', () => {
    const { entry } = parse('id: wf\ninfo:\n  name: WF\n  author: trawl\nworkflows:\n  - template: http/a.yaml\n    subtemplates:\n      - tags: x\n');
    assert.equal(entry.status, 'unsupported');
    assert.deepEqual(entry.reasons, ['workflows are not supported (run the referenced templates directly)']);
    // A non-workflow template still needs one.
    assert.match(status(`id: x\ninfo: { name: x, author: t }\n${HTTP}`)[1], /info\.severity is required/);
  });

  it('ssl30 is the SSL 3.0 version name (tlsx), with the usual caveat', () => {
    const { template, entry } = parse(`${HEAD}ssl:\n  - address: "{{Host}}:{{Port}}"\n    min_version: ssl30\n    max_version: tls10\n    matchers: [{ type: dsl, dsl: ["tls_version == 'ssl30'"] }]\n`);
    assert.ok(template, entry.reasons.join('; '));
    assert.equal((template.requests[0] as SslRequestSpec).minVersion, 'sslv3');
    assert.match(entry.caveats.join(';'), /SSLv3/);
    assert.match(status(`${HEAD}ssl:\n  - min_version: ssl20\n`)[1], /min_version must be one of .*ssl30/);
  });

  it('variable and payload names may hold "-"; {{x-y}} is that variable when defined, else an expression', () => {
    const t = supported(`${HEAD}variables:\n  x-wp-nonce: "{{to_lower('ABC')}}"\n  a: 7\n  b: 2\nhttp:\n  - raw:\n      - |\n        GET /?n={{x-wp-nonce}}&d={{a-b}}&p={{user-name}} HTTP/1.1\n        Host: {{Hostname}}\n    payloads:\n      user-name: [ann]\n    matchers: [{ type: status, status: [200] }]\n`);
    assert.deepEqual(t.variables.map(([k]) => k), ['x-wp-nonce', 'a', 'b']);
    assert.ok((t.requests[0] as HttpRequestSpec).payloads?.sets.has('user-name'));
    const vars = new Map<string, DslValue>([['x-wp-nonce', 'abc'], ['a', 7], ['b', 2], ['user-name', 'ann']]);
    assert.equal(interpolate('n={{x-wp-nonce}}&d={{a-b}}&p={{ user-name }}', (k) => vars.get(k)), 'n=abc&d=5&p=ann');
    // An undefined dashed marker is an expression over undefined names: a caveat, as for any unknown variable.
    const { entry } = parse(`${HEAD}http:\n  - method: GET\n    path: ["{{BaseURL}}/{{Not-Defined}}"]\n    matchers: [{ type: status, status: [200] }]\n`);
    assert.equal(entry.status, 'supported');
    assert.match(entry.caveats.join(';'), /variable "Not" is never defined/);
    assert.match(status(`${HEAD}variables:\n  "bad name": x\n${HTTP}`)[1], /not a valid variable name/);
  });

  it('raw request lines may hold expressions with spaces; a truly bad request line stays invalid', () => {
    const t = supported(`${HEAD}http:\n  - raw:\n      - |\n        GET /x?{{repeat("A", 5)}}&{{ concat("b", "c") }} HTTP/1.1\n        Host: {{Hostname}}\n    matchers: [{ type: status, status: [200] }]\n`);
    assert.equal((t.requests[0] as HttpRequestSpec).raw.length, 1);
    assert.match(status(`${HEAD}http:\n  - raw:\n      - |\n        GET /a b HTTP/1.1\n        Host: x\n    matchers: [{ type: status, status: [200] }]\n`)[1], /raw request does not start with/);
  });

  it('aggression-level payloads: the default level (low) is used, others named in a caveat; bad levels are invalid', () => {
    const { template, entry } = parse(`${HEAD}http:\n  - method: GET\n    path: ["{{BaseURL}}/?q={{esc}}"]\n    payloads:\n      esc:\n        low: ["%0a", "%0d%0a"]\n        high: ["\\r\\n"]\n    matchers: [{ type: status, status: [200] }]\n`);
    assert.ok(template, entry.reasons.join('; '));
    assert.deepEqual([...(template.requests[0] as HttpRequestSpec).payloads!.sets.get('esc')!], ['%0a', '%0d%0a']);
    assert.match(entry.caveats.join(';'), /only the default aggression level \(low\)/);
    assert.match(status(`${HEAD}http:\n  - method: GET\n    path: ["{{BaseURL}}/?q={{esc}}"]\n    payloads:\n      esc:\n        extreme: ["x"]\n    matchers: [{ type: status, status: [200] }]\n`)[1], /invalid aggression level "extreme"/);
    assert.match(status(`${HEAD}http:\n  - method: GET\n    path: ["{{BaseURL}}/?q={{esc}}"]\n    payloads:\n      esc:\n        low: x\n    matchers: [{ type: status, status: [200] }]\n`)[1], /aggression level "low" must be a list/);
  });

  it('@tls-sni is supported; other annotations that would redirect the connection are not', () => {
    supported(`${HEAD}http:\n  - raw:\n      - |\n        @tls-sni: {{Hostname}}\n        GET / HTTP/1.1\n        Host: {{Hostname}}\n    matchers: [{ type: status, status: [200] }]\n`);
    const [st, why] = status(`${HEAD}http:\n  - raw:\n      - |\n        @Host: https://elsewhere.test:443\n        GET / HTTP/1.1\n        Host: {{Hostname}}\n    matchers: [{ type: status, status: [200] }]\n`);
    assert.equal(st, 'unsupported');
    assert.match(why, /annotation @Host is not supported/);
  });

  it('what stays unsupported by design says why', () => {
    const why = (yaml: string): string => {
      const [st, r] = status(yaml);
      assert.equal(st, 'unsupported', yaml);
      return r;
    };
    assert.match(why(`${HEAD}dns:\n  - name: "{{FQDN}}"\n    type: A\n`), /dns protocol is not supported \(the check stage never resolves names\)/);
    assert.match(why(`${HEAD}javascript:\n  - code: "1"\n`), /javascript protocol is not supported \(no script runtime\)/);
    assert.match(why(`${HEAD}code:\n  - engine: [sh]\n    source: id\n`), /code protocol is not supported \(it runs local programs\)/);
    assert.match(why(`${HEAD}headless:\n  - steps: []\n`), /headless \(browser\) protocol is not supported \(no browser runtime\)/);
    assert.match(why(`${HEAD}self-contained: true\n${HTTP}`), /self-contained templates \(fixed external targets\)/);
    assert.match(why(`${HEAD}http:\n  - method: GET\n    path: ["{{BaseURL}}/?u={{interactsh-url}}"]\n    matchers: [{ type: word, part: interactsh_protocol, words: [http] }]\n`), /interactsh \(out-of-band callbacks\)/);
    assert.match(why(`${HEAD}http:\n  - method: GET\n    path: ["{{BaseURL}}/"]\n    extractors: [{ type: xpath, xpath: ["/html/head/title"] }]\n`), /xpath extractors are not supported \(no HTML\/XML parser/);
  });
});

describe('template compatibility: flow', () => {
  const blocks = [{ protocol: 'http' as const }, { protocol: 'http' as const, id: 'login' }, { protocol: 'http' as const }];

  it('chains of && or || over request numbers or ids become steps', () => {
    assert.deepEqual(parseFlow('http(1) && http(2) && http(3)', blocks), { kind: 'chain', flow: { op: 'and', steps: [[0], [1], [2]], source: 'http(1) && http(2) && http(3)' } });
    assert.deepEqual(parseFlow(' http("login") || http(3);\n', blocks), { kind: 'chain', flow: { op: 'or', steps: [[1], [2]], source: 'http("login") || http(3)' } });
    assert.deepEqual(parseFlow('http()', blocks), { kind: 'chain', flow: { op: 'and', steps: [[0, 1, 2]], source: 'http()' } });
    assert.deepEqual(parseFlow("http(1, 'login') // comment\n&& http (3)", blocks), { kind: 'chain', flow: { op: 'and', steps: [[0, 1], [2]], source: "http(1, 'login') \n&& http (3)" } });
    const tcp = parseFlow('network(1) && tcp(2)', [{ protocol: 'tcp' }, { protocol: 'tcp' }]);
    assert.equal(tcp.kind, 'chain');
  });

  it('scripts, mixed operators, unknown ids and foreign protocols are reported', () => {
    for (const script of ['http(1)\nfor (let x of iterate(template.a)) { set("v", x); http(2) }', 'if (http(1)) { http(2) }', 'http(1) && !http(2)', 'set("a", 1) && http(1)', 'http(1) &&']) {
      const r = parseFlow(script, blocks);
      assert.equal(r.kind, 'unsupported', script);
      assert.ok(r.kind === 'unsupported' && r.reason.startsWith(FLOW_SCRIPT_REASON));
    }
    const mixed = parseFlow('http(1) && http(2) || http(3)', blocks);
    assert.ok(mixed.kind === 'unsupported' && /mixes && and \|\|/.test(mixed.reason));
    const bad = parseFlow('http(1) && http(4)', blocks);
    assert.ok(bad.kind === 'invalid' && /http\("4"\) names no request/.test(bad.reason), JSON.stringify(bad));
    assert.deepEqual(parseFlow('code(1) && code (2)', blocks), { kind: 'foreign', protocols: ['code'] });
    assert.equal(parseFlow('ssl(1)', blocks).kind, 'invalid');
    assert.equal(parseFlow(42, blocks).kind, 'invalid');
  });

  it('in templates: a chain is supported and kept; a script is unsupported; a code chain reports only code', () => {
    const t = supported(`${HEAD}flow: http(1) && http(2)\nhttp:\n  - method: GET\n    path: ["{{BaseURL}}/a"]\n    matchers: [{ type: status, status: [200], internal: true }]\n  - method: GET\n    path: ["{{BaseURL}}/b"]\n    matchers: [{ type: status, status: [200] }]\n`);
    assert.deepEqual(t.flow?.steps, [[0], [1]]);
    assert.equal(t.flow?.op, 'and');
    const [st, why] = status(`${HEAD}flow: |\n  http(1)\n  for (let v of iterate(template.x)) { http(2) }\n${HTTP}`);
    assert.equal(st, 'unsupported');
    assert.match(why, /flow scripts are not supported/);
    const code = parse(`${HEAD}flow: code(1) && code(2)\ncode:\n  - engine: [sh]\n    source: id\n  - engine: [sh]\n    source: id\n`).entry;
    assert.deepEqual(code.reasons, ['code protocol is not supported (it runs local programs)']);
    assert.match(status(`${HEAD}flow: http(1) && http(3)\n${HTTP}`)[1], /names no request/);
  });
});
