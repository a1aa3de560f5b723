import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { startLoopbackLab, type LoopbackLab } from '../../src/lab/loopback-lab.js';
import { parseJsonl, runTrawl } from '../scan/cli-harness.js';

describe('trawl scan -sV (identify stage) on the loopback lab', () => {
  let lab: LoopbackLab;
  let dir: string;
  before(async () => {
    lab = await startLoopbackLab({ subnet: '127.77.220.0/24', seed: 3 });
    dir = mkdtempSync(join(tmpdir(), 'trawl-sv-'));
  });
  after(async () => {
    await lab.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('names every lab service; JSON lines carry service and facts; XML carries <service>', async () => {
    const ports = [...new Set(lab.services.map((s) => s.port))].join(',');
    const out = join(dir, 'sv.jsonl');
    const xml = join(dir, 'sv.xml');
    const db = join(dir, 'sv.db');
    const r = await runTrawl(['scan', lab.cidr, '-p', ports, '-sV', '-oJ', out, '-oX', xml, '--db', db]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /identified \d+ service/);
    const rows = new Map(parseJsonl(readFileSync(out, 'utf8')).map((o) => [`${String(o['ip'])}:${String(o['port'])}`, o]));
    for (const s of lab.services) {
      const row = rows.get(`${s.ip}:${s.port}`);
      assert.ok(row, `${s.ip}:${s.port} (${s.name}) not found open`);
      const service = row['service'] as { name: string; product?: string; version?: string; method: string; tunnel?: string } | undefined;
      assert.ok(service, `${s.ip}:${s.port} has no service`);
      // The lab's https services are nmap's "http" through an ssl tunnel.
      const expectedName = s.name === 'https' ? 'http' : s.name;
      assert.equal(service.name, expectedName, `${s.ip}:${s.port}: ${JSON.stringify(service)}`);
      if (s.name === 'https') assert.equal(service.tunnel, 'ssl');
      // A version behind a password (Redis requirepass) or not sent in the greeting (PostgreSQL) is
      // not observable without credentials; everywhere else it must match.
      const authRequired = JSON.stringify(row['facts'] ?? {}).includes('"authRequired":true');
      if (s.version !== undefined && s.name !== 'postgresql' && !authRequired) assert.equal(service.version, s.version, `${s.ip}:${s.port} version`);
      assert.ok(['probed', 'handshake'].includes(service.method));
    }
    const ssh = [...rows.values()].find((o) => (o['service'] as { name?: string } | undefined)?.name === 'ssh' && (o['facts'] as Record<string, unknown> | undefined)?.['ssh']);
    assert.ok(ssh, 'ssh facts (KEXINIT) present');
    const x = readFileSync(xml, 'utf8');
    assert.match(x, /<service name="ssh" product="OpenSSH"/);
    const lint = spawnSync('xmllint', ['--noout', '--dtdvalid', '/usr/share/nmap/nmap.dtd', xml], { encoding: 'utf8' });
    if (lint.error === undefined) assert.equal(lint.status, 0, lint.stderr);

    // The stage is idempotent: reading back from the store gives the same services.
    const back = await runTrawl(['results', '--db', db, '-oJ', '-']);
    assert.equal(back.code, 0, back.stderr);
    assert.equal(parseJsonl(back.stdout).filter((o) => o['service']).length, lab.services.length);
  });
});
