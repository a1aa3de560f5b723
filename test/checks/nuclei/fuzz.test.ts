import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { TrawlError } from '../../../src/errors/trawl-error.js';
import { compileRe2, DSL_FUNCTIONS, evaluateDsl, interpolate, parseFlow, parseTemplate, type DslValue, type FlowBlock } from '../../../src/checks/nuclei/index.js';
import { CORPUS } from './nuclei-lab.js';
import { mulberry32 } from '../../../src/lab/lab-random.js';

/** Deterministic PRNG (mulberry32) so a failure can be replayed from the printed seed. */
function rng(seed: number): () => number {
  return mulberry32(seed);
}

function corpusTexts(dir = CORPUS): string[] {
  const out: string[] = [];
  for (const n of readdirSync(dir)) {
    const p = join(dir, n);
    if (statSync(p).isDirectory()) out.push(...corpusTexts(p));
    else if (n.endsWith('.yaml')) out.push(readFileSync(p, 'utf8'));
  }
  return out;
}

const YAML_BITS = ['{', '}', '[', ']', ':', '- ', '&a ', '*a', '!!str ', '|', '>', '"', "'", '#', '\n  ', '\t', '{{', '}}', '(?i)', '\\', '%', '? ', '---\n', '\u0000', '💥', 'true', 'null', '-1', '1e309', '<<: *a'];

function mutate(text: string, r: () => number): string {
  let s = text;
  const n = 1 + Math.floor(r() * 4);
  for (let k = 0; k < n; k++) {
    const at = Math.floor(r() * (s.length + 1));
    const kind = Math.floor(r() * 7);
    if (kind === 0) s = s.slice(0, at) + YAML_BITS[Math.floor(r() * YAML_BITS.length)]! + s.slice(at);
    else if (kind === 1) s = s.slice(0, at) + s.slice(at + 1 + Math.floor(r() * 20));
    else if (kind === 2) {
      const lines = s.split('\n');
      const i = Math.floor(r() * lines.length);
      lines.splice(i, 0, lines[Math.floor(r() * lines.length)] ?? '');
      s = lines.join('\n');
    } else if (kind === 3) {
      const lines = s.split('\n');
      lines.splice(Math.floor(r() * lines.length), 1);
      s = lines.join('\n');
    } else if (kind === 4) s = s.slice(0, at);
    else if (kind === 5) s = s.slice(0, at) + String.fromCharCode(Math.floor(r() * 128)) + s.slice(at + 1);
    else s = s.replace(/"[^"\n]*"/, `"${YAML_BITS[Math.floor(r() * YAML_BITS.length)]}"`);
  }
  return s;
}

describe('fuzz: template parser', () => {
  it('mutated corpus templates never throw and stay fast', () => {
    const seed = 0x5eed;
    const r = rng(seed);
    const texts = corpusTexts();
    const statuses = new Map<string, number>();
    const t0 = performance.now();
    let worst = 0;
    for (let i = 0; i < 1500; i++) {
      const src = mutate(texts[i % texts.length]!, r);
      const s = performance.now();
      let entry;
      try {
        entry = parseTemplate(src, { root: CORPUS }).entry;
      } catch (e) {
        assert.fail(`seed ${seed} iteration ${i} threw ${e instanceof Error ? e.stack : String(e)}\n---\n${src}`);
      }
      worst = Math.max(worst, performance.now() - s);
      statuses.set(entry.status, (statuses.get(entry.status) ?? 0) + 1);
      if (entry.status !== 'supported') assert.ok(entry.reasons.length > 0, `iteration ${i}: ${entry.status} without a reason`);
    }
    assert.ok(worst < 1000, `slowest parse ${worst.toFixed(0)} ms`);
    assert.ok(performance.now() - t0 < 15_000);
    // The mutations exercise all three outcomes.
    assert.ok((statuses.get('supported') ?? 0) > 0 && (statuses.get('invalid') ?? 0) > 0, JSON.stringify([...statuses]));
  });

  it('random bytes and hostile shapes never throw', () => {
    const r = rng(42);
    const inputs = [
      '',
      '\u0000\u0001',
      'id: [',
      `${'a: &x '.repeat(1)}${'['.repeat(60)}`,
      `x: ${'{a: '.repeat(300)}`,
      'id: x\ninfo: !!binary aGVsbG8=',
      'id: x\n'.repeat(5),
      ...Array.from({ length: 300 }, () => Array.from({ length: Math.floor(r() * 300) }, () => String.fromCharCode(Math.floor(r() * 256))).join('')),
    ];
    for (const src of inputs) {
      const { entry } = parseTemplate(src);
      assert.ok(['supported', 'unsupported', 'invalid'].includes(entry.status));
    }
  });
});

const VARS: Record<string, DslValue> = { body: 'Hello <b>World</b> 1.2.3', status_code: 200, header: 'Server: x\r\n', n: 3, s: 'abc', list: ['a', 'b'], empty: '' };
const FNS = Object.keys(DSL_FUNCTIONS);
const OPS = ['+', '-', '*', '/', '%', '**', '==', '!=', '<', '<=', '>', '>=', '&&', '||', '=~', '!~', '??', '&', '|', '^', '<<', '>>', 'in'];
const ATOMS = ['1', '0', '-2', '3.5', '0x1f', '"a"', "'b'", '""', '"(a+)+"', '"[x"', '"\\\\d+"', 'true', 'false', 'null', 'body', 'status_code', 'n', 's', 'list', 'empty', 'missing', '("a","b")'];

function randomExpr(r: () => number, depth: number): string {
  const c = r();
  if (depth <= 0 || c < 0.3) return ATOMS[Math.floor(r() * ATOMS.length)]!;
  if (c < 0.6) {
    const f = FNS[Math.floor(r() * FNS.length)]!;
    const argc = Math.floor(r() * 4);
    return `${f}(${Array.from({ length: argc }, () => randomExpr(r, depth - 1)).join(', ')})`;
  }
  if (c < 0.85) return `${randomExpr(r, depth - 1)} ${OPS[Math.floor(r() * OPS.length)]} ${randomExpr(r, depth - 1)}`;
  if (c < 0.92) return `!${randomExpr(r, depth - 1)}`;
  if (c < 0.96) return `(${randomExpr(r, depth - 1)})`;
  return `${randomExpr(r, depth - 1)} ? ${randomExpr(r, depth - 1)} : ${randomExpr(r, depth - 1)}`;
}

describe('fuzz: DSL evaluator', () => {
  it('random well-formed and token-soup expressions: a value or a TrawlError, in bounded time', () => {
    const seed = 1234;
    const r = rng(seed);
    const lookup = (k: string): DslValue | undefined => VARS[k];
    let values = 0;
    let errors = 0;
    let worst = 0;
    const t0 = performance.now();
    for (let i = 0; i < 4000; i++) {
      let expr = randomExpr(r, 4);
      if (i % 4 === 3) {
        // token soup: cut, splice and duplicate pieces of a valid expression
        const cut = Math.floor(r() * expr.length);
        expr = expr.slice(0, cut) + OPS[Math.floor(r() * OPS.length)]! + expr.slice(Math.floor(r() * expr.length));
      }
      const s = performance.now();
      try {
        evaluateDsl(expr, lookup, { allowRandom: true });
        values++;
      } catch (e) {
        if (!(e instanceof TrawlError)) assert.fail(`seed ${seed} iteration ${i}: ${JSON.stringify(expr)} threw non-TrawlError ${e instanceof Error ? e.stack : String(e)}`);
        errors++;
      }
      worst = Math.max(worst, performance.now() - s);
    }
    assert.ok(values > 200 && errors > 200, `values ${values} errors ${errors}`);
    assert.ok(worst < 1000, `slowest evaluation ${worst.toFixed(0)} ms`);
    assert.ok(performance.now() - t0 < 15_000);
  });

  it('interpolation of random markers never throws anything but TrawlError', () => {
    const r = rng(99);
    const lookup = (k: string): DslValue | undefined => VARS[k];
    for (let i = 0; i < 1000; i++) {
      const text = `x{{${randomExpr(r, 3)}}}y{{${ATOMS[i % ATOMS.length]}`;
      try {
        interpolate(text, lookup);
      } catch (e) {
        assert.ok(e instanceof TrawlError, `${text}: ${String(e)}`);
      }
    }
  });
});

describe('fuzz: RE2 translation', () => {
  it('random patterns compile to a guarded regex or a TrawlError; matching stays fast', () => {
    const r = rng(7);
    const bits = ['a', 'b', '.', '*', '+', '?', '|', '(', ')', '(?:', '(?i)', '(?s)', '(?m)', '(?U)', '[', ']', '^', '$', '\\d', '\\w', '\\s', '\\b', '{2}', '{1,3}', '{20}', '\\pL', '[[:alpha:]]', '\\Q', '\\E', '\\z', '\\A', '-', '\\', '\\x41'];
    const hostile = `${'ab'.repeat(20_000)}!`;
    let compiled = 0;
    for (let i = 0; i < 1500; i++) {
      const p = Array.from({ length: 1 + Math.floor(r() * 12) }, () => bits[Math.floor(r() * bits.length)]!).join('');
      let g;
      try {
        g = compileRe2(p);
      } catch (e) {
        assert.ok(e instanceof TrawlError, `${p}: ${String(e)}`);
        continue;
      }
      compiled++;
      const s = performance.now();
      g.test(hostile);
      g.matchAll('abc aab\nxyz', 50);
      assert.ok(performance.now() - s < 1500, `${p} (${g.engine}) too slow`);
    }
    assert.ok(compiled > 200, `compiled ${compiled}`);
  });
});

/** Templates in the shapes the compatibility work added: flow chains, number-like scalars, levels, annotations. */
const SHAPES = [
  `id: s-flow\ninfo: { name: x, author: t, severity: info }\nflow: http(1) && http("two") || http()\nhttp:\n  - method: GET\n    path: ["{{BaseURL}}/a"]\n    matchers: [{ type: word, words: [a], internal: true }]\n  - id: two\n    raw:\n      - |\n        @tls-sni: {{Hostname}}\n        GET /b?{{repeat("A", 3)}}&{{x-wp-nonce}} HTTP/1.1\n        Host: {{Hostname}}\n    payloads:\n      x-wp-nonce:\n        low: [a, b]\n        high: [c]\n    matchers: [{ type: dsl, dsl: ["contains(tolower(body), 'b') && padding('a', 'x', 4) == 'axxx'"] }]\n`,
  `id: 1234\ninfo:\n  name: 0x10\n  author: t\n  severity: info\n  classification:\n    cwe-id: NVD-CWE-Other\ntcp:\n  - host: ["{{Hostname}}"]\n    port: 3632\n    inputs:\n      - data: 444953543030303030303031\n        type: hex\n      - data: 0010\n    read-size: 0x40\n    matchers: [{ type: word, words: [007, 1e3] }]\n`,
  `id: s-ssl\ninfo: { name: x, author: t, severity: info }\nflow: ssl(1)\nssl:\n  - address: "{{Host}}:{{Port}}"\n    min_version: ssl30\n    max_version: tls12\n    matchers: [{ type: dsl, dsl: ["tls_version != 'tls13'"] }]\n`,
  `id: s-wf\ninfo: { name: x, author: t }\nworkflows:\n  - template: a.yaml\n`,
];
const SHAPE_BITS = ['http(', 'tcp(', ')', ' && ', ' || ', '"two"', "'x'", '0x', '0010', '1e9', 'NVD-CWE-noinfo', '@tls-sni: ', '@Host: x\n', 'low:', 'medium: [x]', '{{a-b}}', '{{x-y-z}}', 'padding(', 'tolower(', 'date_time("Jan _2 %m", ', '!!int ', '.inf', 'for (let x of y) {', '}', ';', '//'];

function mutateShape(text: string, r: () => number): string {
  let s = mutate(text, r);
  for (let k = Math.floor(r() * 3); k > 0; k--) {
    const at = Math.floor(r() * (s.length + 1));
    s = s.slice(0, at) + SHAPE_BITS[Math.floor(r() * SHAPE_BITS.length)]! + s.slice(at);
  }
  return s;
}

describe('fuzz: compatibility shapes (flow, number-like scalars, payload levels, annotations)', () => {
  it('mutated templates never throw, always give a reason, stay fast', () => {
    const seed = 0xf10;
    const r = rng(seed);
    const statuses = new Map<string, number>();
    let worst = 0;
    for (let i = 0; i < 1200; i++) {
      const src = mutateShape(SHAPES[i % SHAPES.length]!, r);
      const t0 = performance.now();
      let entry;
      try {
        entry = parseTemplate(src, { root: CORPUS }).entry;
      } catch (e) {
        assert.fail(`seed ${seed} iteration ${i} threw ${e instanceof Error ? e.stack : String(e)}\n---\n${src}`);
      }
      worst = Math.max(worst, performance.now() - t0);
      statuses.set(entry.status, (statuses.get(entry.status) ?? 0) + 1);
      if (entry.status !== 'supported') assert.ok(entry.reasons.length > 0, `iteration ${i}: ${entry.status} without a reason`);
    }
    assert.ok(worst < 1000, `slowest parse ${worst.toFixed(0)} ms`);
    assert.ok(['supported', 'unsupported', 'invalid'].every((k) => (statuses.get(k) ?? 0) > 0), JSON.stringify([...statuses]));
  });

  it('flow parser: token soup gives a verdict, never an exception; chains only name existing blocks', () => {
    const r = rng(0xf1a);
    const bits = ['http', 'tcp', 'network', 'ssl', 'code', 'dns', 'set', 'log', ' (', '(', ')', '1', '2', '7', '0', '"two"', "'x'", ',', ' && ', ' || ', '&&', '!', ';', '// c\n', '\n', ' ', '{', '}', 'for', '`', '\\', '"'];
    const blocks: FlowBlock[] = [{ protocol: 'http' }, { protocol: 'http', id: 'two' }, { protocol: 'tcp' }];
    const kinds = new Map<string, number>();
    for (let i = 0; i < 3000; i++) {
      const src = Array.from({ length: 1 + Math.floor(r() * 14) }, () => bits[Math.floor(r() * bits.length)]!).join('');
      const t0 = performance.now();
      const res = parseFlow(src, blocks);
      assert.ok(performance.now() - t0 < 100, `slow flow parse: ${JSON.stringify(src)}`);
      kinds.set(res.kind, (kinds.get(res.kind) ?? 0) + 1);
      if (res.kind === 'chain') {
        for (const step of res.flow.steps) for (const b of step) assert.ok(b >= 0 && b < blocks.length, JSON.stringify([src, res]));
      } else if (res.kind !== 'foreign') assert.ok(res.reason.length > 0);
    }
    // Hand-made chains make sure the accepting path is exercised too.
    assert.equal(parseFlow(`${'http(1) && '.repeat(99)}http(2)`, blocks).kind, 'chain');
    assert.equal(parseFlow(`${'http(1) && '.repeat(100)}http(2)`, blocks).kind, 'unsupported');
    assert.equal(parseFlow(`http(1)${' '.repeat(5000)}`, blocks).kind, 'unsupported');
    assert.ok((kinds.get('unsupported') ?? 0) > 0 && (kinds.get('invalid') ?? 0) + (kinds.get('chain') ?? 0) > 0, JSON.stringify([...kinds]));
  });

  it('Go time layouts: random layouts and inputs give a value or a TrawlError, quickly', () => {
    const r = rng(0x71);
    const bits = ['2006', '06', '01', '1', '02', '_2', '__2', '002', '2', '15', '03', '3', '04', '4', '05', '5', 'Jan', 'January', 'Janet', 'Mon', 'Monday', 'MST', 'PM', 'pm', 'Z07:00', 'Z0700', '-0700', '-07', '.000', '.999', ',00', '%Y', '%m', '%Q', '%', '-', ':', ' ', 'T', '"', '\\'];
    const lookup = (): DslValue | undefined => undefined;
    let values = 0;
    for (let i = 0; i < 2000; i++) {
      const layout = Array.from({ length: 1 + Math.floor(r() * 8) }, () => bits[Math.floor(r() * bits.length)]!).join('').replace(/["\\]/g, '');
      const text = Array.from({ length: Math.floor(r() * 8) }, () => bits[Math.floor(r() * bits.length)]!).join('').replace(/["\\]/g, '');
      for (const expr of [`date_time("${layout}", ${Math.floor(r() * 4e9) - 1e9})`, `to_unix_time("${text}", "${layout}")`, `to_unix_time("${text}")`]) {
        const t0 = performance.now();
        try {
          evaluateDsl(expr, lookup);
          values++;
        } catch (e) {
          assert.ok(e instanceof TrawlError, `${expr}: ${e instanceof Error ? e.stack : String(e)}`);
        }
        assert.ok(performance.now() - t0 < 200, `slow: ${expr}`);
      }
    }
    assert.ok(values > 500, `values ${values}`);
  });
});
