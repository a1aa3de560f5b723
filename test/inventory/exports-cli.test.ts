import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Writable } from 'node:stream';
import { after, describe, it } from 'node:test';
import { Command } from 'commander';
import { registerDiffCommand } from '../../src/apps/cli/commands/diff-command.js';
import { TrawlError } from '../../src/errors/trawl-error.js';
import { diffScans } from '../../src/inventory/diff-scans.js';
import { triageFinding } from '../../src/inventory/finding-lifecycle.js';
import { applyScan } from '../../src/inventory/inventory-apply.js';
import type { FindingRecord } from '../../src/inventory/inventory-types.js';
import { listFindings } from '../../src/inventory/inventory-queries.js';
import { normaliseFingerprint, parseFindingData, parseServiceData } from '../../src/inventory/observation-data.js';
import { sarifFromFindings } from '../../src/inventory/sarif.js';
import { day, fingerprint, removeTempFiles, sqliteFixture, sqlitePath, writeScan } from './inventory-fixture.js';

after(removeTempFiles);

function finding(over: Partial<FindingRecord>): FindingRecord {
  return {
    id: 'f_1', orgId: 'default', address: '198.51.100.10', port: 443, proto: 'tcp', checkId: 'tls-weak-cipher', severity: 'high',
    title: 'Weak TLS ciphers', status: 'open', firstSeen: day(0), lastSeen: day(1), openedAt: day(0), fixedAt: null, timesSeen: 2,
    reopenedCount: 0, firstScanId: 's1', lastScanId: 's2', evidence: { cipher: 'RC4-SHA' }, triage: null, ...over,
  };
}

describe('SARIF export', () => {
  it('writes a SARIF 2.1.0 log: one rule per check, results with network locations, triage as suppressions', () => {
    const log = sarifFromFindings([
      finding({}),
      finding({ id: 'f_2', address: '2001:db8::7', port: 22, checkId: 'ssh-weak-kex', severity: 'medium', title: null }),
      finding({ id: 'f_3', port: 0, checkId: 'icmp-timestamp', severity: 'low', status: 'accepted_risk', triage: { by: 'alice', reason: 'needed by monitoring', until: day(30), at: day(1) } }),
      finding({ id: 'f_4', checkId: 'tls-weak-cipher', severity: 'critical', address: '198.51.100.11' }),
      finding({ id: 'f_5', checkId: 'old-fixed', status: 'fixed', fixedAt: day(2) }),
    ]);
    assert.equal(log.version, '2.1.0');
    assert.match(log.$schema, /sarif-2\.1\.0/);
    const run = log.runs[0]!;
    assert.equal(run.tool.driver.name, 'Trawl');
    assert.deepEqual(run.tool.driver.rules.map((r) => [r.id, r.defaultConfiguration.level, r.properties['security-severity']]), [
      ['icmp-timestamp', 'note', '2.0'],
      ['ssh-weak-kex', 'warning', '5.5'],
      // The rule takes its worst finding's level.
      ['tls-weak-cipher', 'error', '9.5'],
    ]);
    assert.equal(run.results.length, 4, 'fixed findings are left out by default');
    for (const r of run.results) assert.equal(run.tool.driver.rules[r.ruleIndex]!.id, r.ruleId);
    const [first, v6, host] = run.results;
    assert.equal(first!.locations[0]!.physicalLocation.artifactLocation.uri, 'tcp://198.51.100.10:443');
    assert.equal(first!.message.text, 'Weak TLS ciphers on 198.51.100.10:443/tcp');
    assert.equal(first!.partialFingerprints['trawlFinding/v1'], 'f_1');
    assert.deepEqual(first!.properties['evidence'], { cipher: 'RC4-SHA' });
    assert.equal(v6!.locations[0]!.physicalLocation.artifactLocation.uri, 'tcp://[2001:db8::7]:22');
    assert.equal(v6!.message.text, 'ssh-weak-kex on [2001:db8::7]:22/tcp');
    assert.equal(host!.locations[0]!.physicalLocation.artifactLocation.uri, 'ip://198.51.100.10');
    assert.deepEqual(host!.suppressions, [{ kind: 'external', status: 'accepted', justification: `accepted risk by alice: needed by monitoring (until ${day(30)})` }]);
    assert.equal(first!.suppressions, undefined);
    const withFixed = sarifFromFindings([finding({ status: 'fixed' })], { includeFixed: true });
    assert.deepEqual([withFixed.runs[0]!.results[0]!.kind, withFixed.runs[0]!.results[0]!.level], ['pass', 'none']);
    // Plain JSON all the way down.
    assert.deepEqual(JSON.parse(JSON.stringify(log)), log);
  });

  it('exports stored findings', async () => {
    const fx = await sqliteFixture();
    try {
      await writeScan(fx, { id: 'x1', at: day(0), open: [['198.51.100.10', 443]], findings: [{ ip: '198.51.100.10', port: 443, checks: ['c1', 'c2'], findings: [{ checkId: 'c1', severity: 'critical' }, { checkId: 'c2', severity: 'low' }] }] });
      await applyScan(fx.db, 'x1');
      const [c1] = await listFindings(fx.db);
      await triageFinding(fx.db, c1!.id, { status: 'false_positive', by: 'bob', reason: 'lab box', at: day(0.5) });
      const log = sarifFromFindings(await listFindings(fx.db));
      assert.deepEqual(log.runs[0]!.results.map((r) => [r.ruleId, r.level, r.suppressions?.[0]?.justification ?? null]), [
        ['c1', 'error', 'false positive by bob: lab box'],
        ['c2', 'note', null],
      ]);
    } finally {
      await fx.close();
    }
  });
});

describe('observation data', () => {
  it('reads identities and certificates leniently and within bounds', () => {
    const fp = fingerprint('x');
    const s = parseServiceData(JSON.stringify({ name: 'http', product: 'nginx', version: '1.2', cpe: ['cpe:/a:nginx:nginx:1.2'], method: 'probed', confidence: 10, facts: { tls: { chain: [{ fingerprintSha256: fp, notAfter: 'Jan  1 00:00:00 2031 GMT' }] } } }));
    assert.deepEqual(s.identity, { name: 'http', product: 'nginx', version: '1.2' });
    assert.deepEqual(s.tls, { fingerprint: normaliseFingerprint(fp), notAfter: '2031-01-01T00:00:00.000Z' });
    assert.deepEqual(JSON.parse(s.identityJson!), { name: 'http', product: 'nginx', version: '1.2', method: 'probed', confidence: 10, cpe: ['cpe:/a:nginx:nginx:1.2'] });
    assert.deepEqual(parseServiceData(JSON.stringify({ name: 'ssl', facts: { tls: { sha256: 'ab'.repeat(32), notAfter: null } } })).tls, { fingerprint: 'ab'.repeat(32), notAfter: null });
    assert.deepEqual(parseServiceData(JSON.stringify({ name: 'unknown' })).identity, null);
    assert.deepEqual(parseServiceData('{not json').identity, null);
    assert.deepEqual(parseServiceData(JSON.stringify({ name: 'x'.repeat(500) })).identity, null);
    assert.deepEqual(parseServiceData(`{"name":"http","pad":"${'x'.repeat(1 << 20)}"}`).identity, null, 'oversized data is not parsed');
    assert.equal(normaliseFingerprint('zz'), undefined);

    const f = parseFindingData(JSON.stringify({ checks: ['b', 'a', 7], findings: [{ checkId: 'c', severity: 'bogus' }, { checkId: 'c', severity: 'high' }, { severity: 'low' }] }));
    assert.deepEqual(f, { checks: ['a', 'b', 'c'], findings: [{ checkId: 'c', severity: 'unknown' }] });
    assert.equal(parseFindingData('[]'), undefined);
  });
});

describe('trawl diff', () => {
  it('prints the changes between two scans, as text and as JSON lines', async () => {
    const path = sqlitePath();
    const fx = await sqliteFixture(path);
    const h = '198.51.100.10';
    try {
      await writeScan(fx, { id: '20300301-aaaa', at: day(0), open: [[h, 22], [h, 443]], services: [{ ip: h, port: 443, name: 'http', product: 'nginx', version: '1.24.0', cert: { fingerprint: fingerprint('one'), notAfter: day(365) } }] });
      await writeScan(fx, { id: '20300302-bbbb', at: day(1), open: [[h, 443], [h, 8443]], closed: [[h, 22]], services: [{ ip: h, port: 443, name: 'http', product: 'nginx', version: '1.26.0', cert: { fingerprint: fingerprint('two'), notAfter: day(20) } }] });
    } finally {
      await fx.close();
    }

    const run = async (args: string[]): Promise<string> => {
      let out = '';
      const stdout = new Writable({ write(chunk: Buffer, _enc, cb) { out += chunk.toString(); cb(); } });
      const program = new Command().exitOverride();
      registerDiffCommand(program, { stdout, stderr: stdout });
      await program.parseAsync(args, { from: 'user' });
      return out;
    };

    const text = await run(['diff', '20300301', '20300302', '--db', path]);
    assert.equal(text, [
      `- port_closed        ${h}:22/tcp  (reset)`,
      `~ version_changed    ${h}:443/tcp  http nginx 1.24.0 -> http nginx 1.26.0  (identify)`,
      `~ cert_rotated       ${h}:443/tcp  ${normaliseFingerprint(fingerprint('one'))!.slice(0, 16)}… until ${day(365)} -> ${normaliseFingerprint(fingerprint('two'))!.slice(0, 16)}… until ${day(20)}  (tls-handshake)`,
      `! cert_expiring      ${h}:443/tcp  ${normaliseFingerprint(fingerprint('two'))!.slice(0, 16)}… until ${day(20)}  (expires-in-19d)`,
      `+ port_opened        ${h}:8443/tcp  (syn-ack)`,
      '',
    ].join('\n'));

    const lines = (await run(['diff', '20300301-aaaa', 'latest', '--db', path, '--output-json', '-'])).trim().split('\n').map((l) => JSON.parse(l) as unknown);
    const check = await sqliteFixture(path);
    try {
      assert.deepEqual(lines, JSON.parse(JSON.stringify(await diffScans(check.db, '20300301-aaaa', '20300302-bbbb'))));
    } finally {
      await check.close();
    }
    assert.equal(lines.length, 5);

    const file = `${path}.changes.jsonl`;
    assert.equal(await run(['diff', '20300301', '20300302', '--db', path, '--output-json', file, '--cert-days', '10']), '');
    assert.equal(readFileSync(file, 'utf8').trim().split('\n').length, 4, 'with --cert-days 10 the certificate is not yet due');

    await assert.rejects(run(['diff', '2030', 'latest', '--db', path]), (e: unknown) => e instanceof TrawlError && e.code === 'TRAWL_E_SCAN_NOT_FOUND' && /ambiguous/.test(e.message));
    await assert.rejects(run(['diff', 'nope', 'latest', '--db', path]), (e: unknown) => e instanceof TrawlError && e.code === 'TRAWL_E_SCAN_NOT_FOUND');
    await assert.rejects(run(['diff', 'a', 'b', '--db', `${path}.missing`]), (e: unknown) => e instanceof TrawlError && e.code === 'TRAWL_E_DB_PATH');
    await assert.rejects(run(['diff', 'a', 'b', '--db', path, '--silence', '0']), (e: unknown) => e instanceof TrawlError && e.code === 'TRAWL_E_BAD_OPTION');
  });
});
