import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { cvss31 } from '../../src/checks/cvss.js';
import { makeFinding, type CheckMeta } from '../../src/checks/check.js';
import { findingToJson, findingToJsonLine, maxSeverity, isSeverity } from '../../src/checks/finding.js';
import { BUILTIN_CHECKS } from '../../src/checks/builtin/index.js';
import { isTrawlError } from '../../src/errors/index.js';
import { FIXED_NOW, target } from './check-test-support.js';

describe('CVSS 3.1 base scores', () => {
  // Scores as published by NVD / FIRST's calculator for these vectors.
  const known: [string, number, string][] = [
    ['CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', 9.8, 'critical'],
    ['CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:N/I:H/A:N', 5.9, 'medium'], // CVE-2023-48795 (Terrapin)
    ['CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N', 7.5, 'high'],
    ['CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:L/I:N/A:N', 5.3, 'medium'],
    ['CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:L/I:L/A:N', 6.5, 'medium'],
    ['CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H', 10, 'critical'],
    ['CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:C/C:L/I:L/A:N', 6.4, 'medium'],
    ['CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H', 7.8, 'high'],
    ['CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:N/A:N', 5.9, 'medium'],
    ['CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N', 6.1, 'medium'], // typical reflected XSS
    ['CVSS:3.1/AV:P/AC:H/PR:H/UI:R/S:U/C:L/I:N/A:N', 1.6, 'low'],
    ['CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N', 0, 'none'],
  ];
  for (const [vector, score, rating] of known) {
    it(`${vector} = ${score}`, () => {
      const s = cvss31(vector);
      assert.equal(s.score, score);
      assert.equal(s.rating, rating);
      assert.equal(s.vector, vector);
    });
  }

  it('refuses malformed vectors, naming them', () => {
    for (const bad of ['AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', 'CVSS:3.1/AV:N/AC:L', 'CVSS:3.1/AV:X/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', 'CVSS:3.1/AV:N/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H']) {
      assert.throws(() => cvss31(bad), (e: unknown) => isTrawlError(e) && e.code === 'TRAWL_E_BAD_OPTION' && e.message.includes(bad));
    }
  });

  it("every built-in check's vector is valid", () => {
    for (const c of BUILTIN_CHECKS) if (c.cvssVector !== undefined) assert.doesNotThrow(() => cvss31(c.cvssVector!), c.id);
  });
});

describe('finding model', () => {
  const meta: CheckMeta = {
    id: 'demo-check',
    title: 'Demo',
    severity: 'medium',
    safe: false,
    traffic: 'requests',
    description: 'd',
    remediation: 'fix it',
    references: { cwe: ['CWE-1'], urls: ['https://example.invalid/a'] },
    cvssVector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N',
  };

  it('makeFinding fills the check metadata; intrusive comes from safe; references merge', () => {
    const f = makeFinding(meta, target(443, 'a.test'), FIXED_NOW, {
      summary: 's',
      evidence: { not_after: '2021-01-01T00:00:00.000Z' },
      confidence: 'certain',
      severity: 'high',
      references: { cwe: ['CWE-1', 'CWE-2'], cve: ['CVE-2000-0001'] },
    });
    assert.equal(f.intrusive, true);
    assert.equal(f.severity, 'high');
    assert.deepEqual(f.references, { cwe: ['CWE-1', 'CWE-2'], cve: ['CVE-2000-0001'], urls: ['https://example.invalid/a'] });
    assert.equal(f.cvss?.score, 7.5);
    assert.equal(f.observedAt, FIXED_NOW.toISOString());
    const none = makeFinding(meta, target(443), FIXED_NOW, { summary: 's', evidence: {}, confidence: 'firm', cvssVector: null });
    assert.equal(none.cvss, undefined);
    assert.equal(none.severity, 'medium');
  });

  it('findingToJson: type first, snake_case keys, no undefined fields, one JSON line', () => {
    const f = makeFinding(meta, target(8443), FIXED_NOW, { summary: 's', evidence: { offered: ['a', 'b'] }, confidence: 'tentative' });
    const j = findingToJson(f);
    assert.deepEqual(Object.keys(j), ['type', 'check_id', 'title', 'severity', 'confidence', 'intrusive', 'target', 'summary', 'cvss', 'evidence', 'remediation', 'references', 'observed_at']);
    assert.deepEqual(j.target, { ip: '127.0.0.1', port: 8443, proto: 'tcp' });
    assert.deepEqual(j.cvss, { version: '3.1', vector: meta.cvssVector, score: 7.5, rating: 'high' });
    const line = findingToJsonLine(f);
    assert.ok(line.endsWith('\n') && !line.slice(0, -1).includes('\n'));
    const parsed = JSON.parse(line) as Record<string, unknown>;
    assert.equal(parsed['type'], 'finding');
    assert.equal(parsed['check_id'], 'demo-check');
    assert.deepEqual(parsed, JSON.parse(JSON.stringify(j)));
  });

  it('severity helpers', () => {
    assert.equal(maxSeverity('low', 'high'), 'high');
    assert.equal(maxSeverity('critical', 'info'), 'critical');
    assert.equal(isSeverity('medium'), true);
    assert.equal(isSeverity('none'), false);
  });

  it('built-in checks: unique stable ids, documented, safe', () => {
    const ids = BUILTIN_CHECKS.map((c) => c.id);
    assert.equal(new Set(ids).size, ids.length);
    assert.deepEqual([...ids].sort(), [
      'cleartext-auth-service', 'elasticsearch-no-auth', 'ftp-anonymous', 'http-directory-listing', 'http-exposed-env', 'http-exposed-git',
      'http-missing-security-headers', 'memcached-exposed', 'mongodb-no-auth', 'mqtt-anonymous', 'redis-no-auth', 'smb-signing-not-required',
      'smb-v1-enabled', 'ssh-terrapin', 'ssh-weak-algorithms', 'telnet-cleartext', 'tls-expired-cert', 'tls-hostname-mismatch',
      'tls-legacy-protocol', 'tls-self-signed-cert', 'tls-weak-cipher',
    ]);
    for (const c of BUILTIN_CHECKS) {
      assert.equal(c.safe, true, c.id);
      assert.ok(c.description.length > 40 && c.remediation.length > 20, c.id);
      assert.ok((c.references.cwe?.length ?? 0) > 0, `${c.id} names a CWE`);
    }
  });
});
