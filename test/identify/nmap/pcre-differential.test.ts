import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { loadServiceProbes } from '../../../src/engines/identify/nmap/probe-file-parser.js';
import { parsePcre } from '../../../src/engines/identify/nmap/pcre-parser.js';
import { flagsFromLetters } from '../../../src/engines/identify/nmap/pcre-translate.js';
import { PatternMatcher } from '../../../src/engines/identify/nmap/pattern-matcher.js';
import { runJsBatch } from './js-batch.js';
import { pcre2testAvailable, runPcre2Batch, type Pcre2Case, type SubjectOutcome } from './pcre2test-driver.js';
import { rng, samplePattern, type Rng } from './pcre-sample.js';

/**
 * Differential test of the PCRE → JS translation against real PCRE (pcre2test): every match
 * pattern of the system's nmap-service-probes, on subjects derived from the pattern (random walks
 * of its syntax tree, mutated, truncated, extended), real banners and random bytes. Match/no-match
 * and every capture group must agree; the only tolerated differences are those the translator
 * itself flags as approximate (none in nmap 7.93's file), listed in KNOWN_LIMITATIONS.
 */

const SYSTEM_FILE = '/usr/share/nmap/nmap-service-probes';

const BANNERS = [
  'SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n',
  '220 (vsFTPd 3.0.3)\r\n',
  'HTTP/1.1 200 OK\r\nServer: nginx/1.22.1\r\nDate: Mon, 01 Jan 2024 00:00:00 GMT\r\nContent-Type: text/html\r\nContent-Length: 612\r\nConnection: close\r\n\r\n<html><head><title>Welcome to nginx!</title></head></html>',
  '220 mail.example.org ESMTP Exim 4.96 Mon, 01 Jan 2024 00:00:00 +0000\r\n',
  '-ERR unknown command \'GET\', with args beginning with: \'/\' \r\n',
  '+OK Dovecot (Debian) ready.\r\n',
  '* OK [CAPABILITY IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE LITERAL+ STARTTLS AUTH=PLAIN] Dovecot (Debian) ready.\r\n',
  'HTTP/1.0 400 Bad Request\r\nServer: Apache/2.4.57 (Debian)\r\nContent-Length: 226\r\n\r\n',
  'J\x00\x00\x00\x0a8.0.36-0+deb12u1\x00\x08\x00\x00\x00\x3a\x2e\x7f\x36\x0f\x29\x6b\x65\x00\xff\xff\xff\x02\x00\xff\xdf\x15\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x4b\x1a\x5d\x2c\x6f\x7a\x30\x05\x1d\x67\x4d\x27\x00mysql_native_password\x00',
  'SSH-2.0-dropbear_2022.83\r\n',
  '220 ProFTPD Server (Debian) [::ffff:127.0.0.1]\r\n',
  'RFB 003.008\n',
  '\x16\x03\x03\x00\x4a\x02\x00\x00\x46\x03\x03',
];

/**
 * Documented limitations: categories of disagreement the translator knows about and reports as
 * `approximate` (caseless back-references; groups optional inside a repetition; back-references
 * that can meet an unset group; groups that can match empty inside a repetition). The test fails on
 * any disagreement outside these.
 */
const KNOWN_LIMITATIONS = ['caseless back-reference', 'optional inside a repetition', 'may meet an unset group', 'can match empty inside a repetition'];

function subjectsFor(pattern: string, flags: string, r: Rng, banner: string): string[] {
  const out = new Set<string>();
  let root;
  try {
    root = parsePcre(pattern, flagsFromLetters(flags)).root;
  } catch {
    root = undefined;
  }
  if (root) {
    const a = samplePattern(root, r);
    const b = samplePattern(root, r);
    out.add(a);
    out.add(b);
    out.add(a + '\n');
    out.add(a + r.bytes(1 + r.int(12)));
    if (a.length > 1) {
      const i = r.int(a.length);
      out.add(a.slice(0, i) + String.fromCharCode(r.int(256)) + a.slice(i + 1));
      out.add(a.slice(0, r.int(a.length)));
    }
    out.add(r.bytes(2) + b);
  }
  out.add(banner);
  out.add(r.bytes(1 + r.int(40)));
  return [...out].filter((s) => s.length > 0);
}

describe('PCRE → JavaScript translation agrees with pcre2test', () => {
  const skip = !existsSync(SYSTEM_FILE) ? `${SYSTEM_FILE} is absent (install nmap-common)` : !pcre2testAvailable() ? 'pcre2test is absent (install pcre2-utils)' : false;

  it('on every match pattern of the system nmap-service-probes', { skip }, async () => {
    const db = loadServiceProbes(SYSTEM_FILE);
    const r = rng(20240607);
    const cases: Pcre2Case[] = db.matches.map((m, i) => ({ pattern: m.pattern, flags: m.flags, subjects: subjectsFor(m.pattern, m.flags, r, BANNERS[i % BANNERS.length]!) }));
    const t0 = performance.now();
    const pcre = runPcre2Batch(cases);
    const pcreMs = performance.now() - t0;
    // JS regexes lack PCRE's match limit: run them in a worker with a 250 ms budget per execution.
    const matcher = new PatternMatcher(db.matches.map((m) => ({ pattern: m.pattern, flags: m.flags })));
    let pcreErrors = 0;
    const items: { id: number; subject: string; expected: SubjectOutcome }[] = [];
    for (const m of db.matches) {
      const outcome = pcre[m.id]!;
      assert.equal(outcome.kind, 'ran', `line ${m.line}: PCRE rejects the pattern (${outcome.kind === 'compile-error' ? outcome.message : ''})`);
      if (outcome.kind !== 'ran') continue;
      const t = matcher.translation(m.id);
      assert.ok(t.ok, `line ${m.line}: not translated: ${t.ok ? '' : t.reason}`);
      cases[m.id]!.subjects.forEach((subject, j) => {
        const p = outcome.subjects[j]!;
        // PCRE hit its match limit: nmap treats that as no match; nothing to compare.
        if (p.kind === 'error') pcreErrors++;
        else items.push({ id: m.id, subject, expected: p });
      });
    }
    const t1 = performance.now();
    const js = await runJsBatch(
      db.matches.map((m) => ({ pattern: m.pattern, flags: m.flags })),
      items.map(({ id, subject }) => ({ id, subject })),
      250,
    );
    const jsMs = performance.now() - t1;
    let compared = 0;
    let agreed = 0;
    let pcreMatches = 0;
    let jsBudget = 0;
    const disagreements: { line: number; pattern: string; subject: string; pcre: SubjectOutcome; js: string[] | null; why?: string }[] = [];
    items.forEach((item, i) => {
      const got = js[i]!;
      if (got === 'budget') {
        jsBudget++;
        const m = db.matches[item.id]!;
        console.log('# JS over budget', JSON.stringify({ line: m.line, pattern: m.pattern.slice(0, 200), subject: item.subject.slice(0, 200), pcre: item.expected.kind }));
        return;
      }
      compared++;
      const p = item.expected;
      if (p.kind === 'match') pcreMatches++;
      const same = p.kind === 'nomatch' ? got === null : p.kind === 'match' && got !== null && got.join('\n') === p.lines.join('\n');
      if (same) agreed++;
      else {
        const m = db.matches[item.id]!;
        const t = matcher.translation(item.id);
        disagreements.push({ line: m.line, pattern: m.pattern, subject: item.subject, pcre: p, js: got, ...(t.ok && t.approximate ? { why: t.approximate } : {}) });
      }
    });
    const unexplained = disagreements.filter((d) => !KNOWN_LIMITATIONS.some((k) => d.why?.includes(k)));
    console.log(
      `# differential: ${db.matches.length} patterns, ${compared} subjects compared (${pcreMatches} PCRE matches), ` +
        `agreement ${((100 * agreed) / compared).toFixed(3)}% (${compared - agreed} differ, ${unexplained.length} unexplained); ` +
        `skipped: ${pcreErrors} PCRE match-limit errors, ${jsBudget} JS executions over the 250 ms budget; pcre2test ${pcreMs.toFixed(0)} ms, JS ${jsMs.toFixed(0)} ms`,
    );
    for (const d of unexplained.slice(0, 10)) console.log('# DIFF', JSON.stringify({ line: d.line, pattern: d.pattern.slice(0, 160), subject: d.subject.slice(0, 120), pcre: d.pcre, js: d.js }));
    assert.ok(pcreMatches > compared * 0.2, `too few matching subjects (${pcreMatches}/${compared}) for the test to mean much`);
    assert.ok(jsBudget <= compared / 1000, `${jsBudget} JS executions ran out of budget where PCRE answered`);
    assert.equal(unexplained.length, 0, `${unexplained.length} disagreements with PCRE outside the documented limitations`);
  });

  /** Constructs the translator supports that nmap 7.93's file happens not to use (or rarely). */
  const SYNTHETIC: readonly [string, string][] = [
    ['^abc$', ''],
    ['abc\\Z', ''],
    ['abc\\z', ''],
    ['\\Aab', ''],
    ['\\Gab', ''],
    ['a$\\n?', ''],
    ['(?m)^b$', ''],
    ['(?m)x\\n^', ''],
    ['(?m)^(\\w+)$', ''],
    ['a.c', ''],
    ['a.c', 's'],
    ['(?s)a.c', ''],
    ['(?s:a.)b.', ''],
    ['ab(?i)cd', ''],
    ['(?i)ab|cd', ''],
    ['(a(?i)b|c)d', ''],
    ['(?i:x[a-c]y)z', ''],
    ['[^a-z]+', 'i'],
    ['\\xe0\\xc0', 'i'],
    ['[\\xc0-\\xe0]+', 'i'],
    ['(?-i:ab)c', 'i'],
    ['(?x) a b [ ] c\\  d # trailing comment', ''],
    ['\\d++\\d', ''],
    ['\\d++x', ''],
    ['a*+a', ''],
    ['(?>a+)b', ''],
    ['(?>a|ab)c', ''],
    ['x(?>(\\d+)\\.)+y', ''],
    ['(\\w)?+\\1', ''],
    ['[a-c]?+b', ''],
    ['\\w{2,3}+\\w', ''],
    ['\\h+(\\H+)', ''],
    ['\\v+(\\V)', ''],
    ['a\\Rb', ''],
    ['\\N+', ''],
    ['[[:alpha:]]+([[:digit:]]+)', ''],
    ['[[:^space:][:punct:]]+', ''],
    ['[[:upper:]]+', 'i'],
    ['[[:xdigit:]]{2}[[:cntrl:]]', ''],
    ['\\Qa.b*c\\E+', ''],
    ['[\\Q]^\\E]+', ''],
    ['\\101\\x42\\x{43}\\o{104}\\0', ''],
    ['\\04x\\12', ''],
    ['\\x{ff}\\xFe\\x', ''],
    ['\\cA\\cz\\e\\a\\f', ''],
    ['[^]]+', ''],
    ['[]a]+', ''],
    ['[][\\w:.]+', ''],
    ['[^[]+', ''],
    ['[a\\-z]+', ''],
    ['[-a]+[a-]+', ''],
    ['[\\s\\S]', ''],
    ['\\s+', ''],
    ['[\\x00-\\x08\\x0e-\\x1f]', ''],
    ['(a)(b)?(c)\\1\\3', ''],
    ['(?<n>ab)\\k<n>(?P<m>c)(?P=m)\\g{-1}\\g1', ''],
    ['(a)\\10', ''],
    ['(?<=ab)c', ''],
    ['(?<!a)b', ''],
    ['a(?=b)', ''],
    ['a(?!b)\\w', ''],
    ['\\bfoo\\B', ''],
    ['a{2}b{1,}c{0,2}d{,3}', ''],
    ['x{', ''],
    ['a+?b*?c??', ''],
    ['(a|b|)+c', ''],
    ['^(\\d+)\\.(\\d+)(?:\\.(\\d+))?', ''],
    ['(?#comment)ab', ''],
    ['\\C\\C', ''],
    ['(?:(a)|b)+', ''],
    ['(a)?\\1b', ''],
    ['(a)\\1', 'i'],
  ];

  it('on synthetic patterns covering the rest of the supported syntax', { skip }, async () => {
    const r = rng(7);
    const cases: Pcre2Case[] = SYNTHETIC.map(([pattern, flags]) => {
      const subjects = new Set<string>();
      for (let i = 0; i < 12; i++) subjects.add(subjectsFor(pattern, flags, r, BANNERS[i % BANNERS.length]!)[i % 3] ?? 'x');
      for (const s of ['abc', 'abc\n', 'abc\n\n', 'a\nb\n', 'xab', 'ABCD', 'AbCd', '\xe0\xc0', '\xe0\xe0', 'aaab', 'a\r\nb', '12.34.56', 'x\n', 'foobar', 'foo bar', '[]]a', ' \t\xa0x', '\x85\x0b', 'Aa', 'aa', 'ab', 'b']) subjects.add(s);
      return { pattern, flags, subjects: [...subjects].filter((s) => s.length > 0) };
    });
    const pcre = runPcre2Batch(cases);
    const matcher = new PatternMatcher(SYNTHETIC.map(([pattern, flags]) => ({ pattern, flags })));
    const items: { id: number; subject: string; expected: SubjectOutcome }[] = [];
    cases.forEach((c, id) => {
      const outcome = pcre[id]!;
      const t = matcher.translation(id);
      assert.equal(outcome.kind, 'ran', `PCRE rejects ${c.pattern}`);
      assert.ok(t.ok, `${c.pattern} not translated: ${t.ok ? '' : t.reason}`);
      if (outcome.kind === 'ran') c.subjects.forEach((subject, j) => items.push({ id, subject, expected: outcome.subjects[j]! }));
    });
    const js = await runJsBatch(SYNTHETIC.map(([pattern, flags]) => ({ pattern, flags })), items, 250);
    let agreed = 0;
    let approximate = 0;
    const unexplained: string[] = [];
    items.forEach((item, i) => {
      const p = item.expected;
      const got = js[i]!;
      const same = p.kind === 'nomatch' ? got === null : p.kind === 'match' && Array.isArray(got) && got.join('\n') === p.lines.join('\n');
      if (same) return void agreed++;
      const t = matcher.translation(item.id);
      if (t.ok && t.approximate && KNOWN_LIMITATIONS.some((k) => t.approximate!.includes(k))) return void approximate++;
      unexplained.push(JSON.stringify({ pattern: SYNTHETIC[item.id]![0], subject: item.subject, pcre: p, js: got }));
    });
    console.log(`# synthetic: ${SYNTHETIC.length} patterns, ${items.length} subjects, ${agreed} agree, ${approximate} differ on documented approximations`);
    for (const u of unexplained.slice(0, 10)) console.log('# DIFF', u);
    assert.equal(unexplained.length, 0);
    // The approximations are real and flagged: the caseless back-reference and the unset group.
    for (const id of [SYNTHETIC.length - 1, SYNTHETIC.length - 2, SYNTHETIC.length - 3]) {
      const t = matcher.translation(id);
      assert.ok(t.ok && t.approximate, `${SYNTHETIC[id]![0]} should be flagged approximate`);
    }
  });
});
