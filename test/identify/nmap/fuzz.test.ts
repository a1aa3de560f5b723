import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import {
  expandTemplate,
  loadServiceProbes,
  parseServiceProbes,
  translatePcre,
  WorkerMatchPool,
} from '../../../src/engines/identify/nmap/index.js';
import { runJsBatch } from './js-batch.js';
import { formatMatch, pcre2testAvailable, runPcre2Batch, type Pcre2Case } from './pcre2test-driver.js';
import { rng, type Rng } from './pcre-sample.js';

/**
 * Seeded fuzzing: random input must never make the parser, translator or matcher throw. The
 * translator fuzz also checks it against PCRE (TRAWL_FUZZ_SEED picks another seed).
 */

const SYSTEM_FILE = '/usr/share/nmap/nmap-service-probes';

const WORDS = ['Probe', 'match', 'softmatch', 'ports', 'sslports', 'rarity', 'fallback', 'totalwaitms', 'tcpwrappedms', 'Exclude', '#', 'TCP', 'UDP', 'NULL', 'q|', 'm|', 'm/', 'p/', 'v/', 'i|', 'cpe:/', '/a', '|', '/', '\\', '\\x', '\\0', '1-5', ',', '-', 'T:', 'U:', ' ', ' ', '65536', '0', '9', 'x'];

function randomLine(r: Rng): string {
  let s = '';
  const n = 1 + r.int(8);
  for (let i = 0; i < n; i++) s += r.next() < 0.8 ? r.pick(WORDS) + (r.next() < 0.5 ? ' ' : '') : r.bytes(1 + r.int(6));
  return s;
}

// No \R: PCRE2 10.42 wrongly auto-possessifies \R before \s (/\R*?\s/ fails on "\n"); the
// synthetic differential covers \R in unambiguous contexts.
const TOKENS = [
  'a', 'b', 'c', 'x', '0', ' ', '.', '\\d', '\\w', '\\s', '\\S', '\\h', '\\v', '\\N', '[a-c]', '[^x]', '[]a]', '[^]]', '[[:alpha:]]', '[\\d.]',
  '(', '(', ')', ')', '(?:', '(?>', '(?=', '(?!', '(?<=', '(?<!', '(?<n>', '(?P<m>', '|', '*', '+', '?', '{1,3}', '{2}', '{,2}', '*+', '++', '??', '*?',
  '^', '$', '\\b', '\\B', '\\A', '\\Z', '\\z', '\\G', '\\1', '\\2', '\\k<n>', '\\Q', '\\E', '\\x41', '\\x{42}', '\\0', '\\012', '\\cA', '\\e',
  '(?i)', '(?s)', '(?m)', '(?-i)', '(?x)', '#', '\\', '[', ']', '{', '}', '-', '\\K', '(?R)', '\\p{L}', '(?(1)a)',
];

function randomPattern(r: Rng): string {
  let s = '';
  const n = 1 + r.int(10);
  for (let i = 0; i < n; i++) s += r.next() < 0.9 ? r.pick(TOKENS) : r.bytes(1);
  // A pattern is one line of a probe file (and of pcre2test input, which refuses NUL).
  return s.replace(/[\r\n\0]/g, 'n');
}

describe('fuzzing', () => {
  it('the probe-file parser never throws, and warns with valid line numbers', () => {
    const r = rng(1);
    for (let iter = 0; iter < 2000; iter++) {
      const lines = Array.from({ length: 1 + r.int(20) }, () => randomLine(r));
      if (r.next() < 0.5) lines.unshift('Probe TCP NULL q||');
      const text = lines.join('\n');
      const count = text.split('\n').length;
      const db = parseServiceProbes(text);
      for (const w of db.warnings) assert.ok(w.line >= 1 && w.line <= count, `warning on line ${w.line} of ${count}`);
      for (const p of db.probes) {
        for (const id of p.matchChain) assert.ok(db.matches[id], `dangling match id ${id}`);
        assert.ok(p.rarity >= 1 && p.rarity <= 9);
      }
    }
  });

  it('the template engine never throws', () => {
    const r = rng(2);
    const pieces = ['$', '1', '2', '9', 'P(', 'SUBST(', 'I(', '"', '\\', ',', ')', '(', '<', '>', ' ', 'x', '0x', '-'];
    for (let iter = 0; iter < 5000; iter++) {
      let t = '';
      for (let i = 0; i < 1 + r.int(12); i++) t += r.next() < 0.85 ? r.pick(pieces) : r.bytes(1);
      const caps = Array.from({ length: r.int(5) }, () => (r.next() < 0.2 ? undefined : r.bytes(r.int(12))));
      const out = expandTemplate(t, ['m', ...caps], 80, r.next() < 0.3 ? (s) => s.toUpperCase() : undefined);
      assert.ok(out === undefined || (typeof out === 'string' && out.length < 79));
    }
  });

  it('the translator never throws, and agrees with PCRE on what it accepts', { skip: pcre2testAvailable() ? false : 'pcre2test is absent' }, async () => {
    const r = rng(Number(process.env['TRAWL_FUZZ_SEED'] ?? 3));
    const patterns: { pattern: string; flags: string }[] = [];
    for (let iter = 0; iter < 3000; iter++) patterns.push({ pattern: randomPattern(r), flags: r.pick(['', 'i', 's', 'is']) });
    // PCRE's verdict on every pattern, with a few random subjects each.
    const cases: Pcre2Case[] = patterns.map((p) => ({ ...p, subjects: ['abc', `${r.bytes(1 + r.int(10))}`, `a${r.bytes(r.int(6))}bc\n`, 'xAbC0 \n'] }));
    const pcre = runPcre2Batch(cases);
    const items: { id: number; subject: string; expected: string }[] = [];
    let translated = 0;
    let pcreRejected = 0;
    const unsupported = new Map<string, number>();
    patterns.forEach((p, id) => {
      const t = translatePcre(p.pattern, { caseless: p.flags.includes('i'), dotall: p.flags.includes('s') });
      const verdict = pcre[id]!;
      if (verdict.kind === 'unsendable') return;
      if (verdict.kind === 'compile-error') {
        pcreRejected++;
        // We must not translate what PCRE rejects (nmap would refuse the file).
        assert.equal(t.ok, false, `PCRE rejects /${p.pattern}/${p.flags} (${verdict.message}) but it was translated to ${t.ok ? t.source : ''}`);
        return;
      }
      if (!t.ok) {
        // Valid PCRE we cannot translate must be reported as unsupported, never as invalid.
        assert.equal(t.kind, 'unsupported', `/${p.pattern}/${p.flags}: PCRE accepts it but we call it invalid: ${t.reason}`);
        const key = t.reason.replace(/ at offset \d+$/, '');
        unsupported.set(key, (unsupported.get(key) ?? 0) + 1);
        return;
      }
      translated++;
      assert.doesNotThrow(() => new RegExp(t.source, t.flags), p.pattern);
      verdict.subjects.forEach((s, j) => {
        if (s.kind === 'error' || t.approximate) return;
        items.push({ id, subject: cases[id]!.subjects[j]!, expected: s.kind === 'match' ? s.lines.join('\n') : 'nomatch' });
      });
    });
    const js = await runJsBatch(patterns, items, 200);
    let compared = 0;
    const diffs: string[] = [];
    items.forEach((it, i) => {
      const got = js[i]!;
      if (got === 'budget') return;
      compared++;
      const text = got === null ? 'nomatch' : got.join('\n');
      if (text !== it.expected) diffs.push(JSON.stringify({ pattern: patterns[it.id]!.pattern, flags: patterns[it.id]!.flags, subject: it.subject, pcre: it.expected, js: text }));
    });
    console.log(
      `# fuzz: 3000 random patterns: ${pcreRejected} rejected by PCRE (and by us), ${translated} translated, ` +
        `${[...unsupported.values()].reduce((a, b) => a + b, 0)} unsupported (${[...unsupported.keys()].slice(0, 6).join('; ')}); ` +
        `${compared} matches compared, ${diffs.length} differ`,
    );
    for (const d of diffs.slice(0, 8)) console.log('# DIFF', d);
    assert.equal(diffs.length, 0);
    assert.ok(translated > 500, `${translated} translated`);
    // formatMatch is what the comparison relies on: sanity-check it.
    assert.deepEqual(formatMatch(['ab', undefined, 'b\n']), [' 0: ab', ' 1: <unset>', ' 2: b\\x0a']);
  });

  it('random banners against the real database never break the matcher', { skip: existsSync(SYSTEM_FILE) ? false : `${SYSTEM_FILE} is absent` }, async () => {
    const db = loadServiceProbes(SYSTEM_FILE);
    const pool = new WorkerMatchPool(db, { size: 1, patternBudgetMs: 200 });
    const r = rng(4);
    const seeds = ['SSH-2.0-OpenSSH_', '220 ', 'HTTP/1.1 200 OK\r\nServer: ', '+OK ', '* OK ', '\x16\x03\x01', 'RFB 003.', '-ERR '];
    try {
      let hits = 0;
      const jobs: Promise<void>[] = [];
      for (let i = 0; i < 400; i++) {
        const banner = Buffer.from(r.pick(seeds) + r.bytes(r.int(200)), 'latin1');
        const probe = r.pick(db.probes);
        jobs.push(
          pool.match(probe.index, banner).then((res) => {
            if (res.hit) {
              hits++;
              assert.ok(db.matches[res.hit.matchId], 'hit names a real match line');
              assert.ok(probe.matchChain.includes(res.hit.matchId), 'hit comes from the probe\'s own chain');
            }
          }),
        );
      }
      await Promise.all(jobs);
      console.log(`# fuzz: 400 random banners, ${hits} matched something, ${pool.restarts} worker restarts`);
    } finally {
      await pool.close();
    }
  });
});
