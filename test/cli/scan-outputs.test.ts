import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, type Server } from 'node:net';
import { spawnSync } from 'node:child_process';
import { parseJsonl, runTrawl } from '../scan/cli-harness.js';

function listen(ip: string, port = 0): Promise<Server> {
  const s = createServer((c) => c.destroy());
  return new Promise((resolve) => s.listen(port, ip, () => resolve(s)));
}

describe('trawl scan: outputs from a real scan', () => {
  let dir: string;
  let v4: Server;
  let v6: Server;
  let p4: number;
  let p6: number;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'trawl-out-'));
    v4 = await listen('127.66.0.5');
    v6 = await listen('::1');
    p4 = (v4.address() as { port: number }).port;
    p6 = (v6.address() as { port: number }).port;
  });
  after(() => {
    v4.close();
    v6.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('-oJ - writes only JSON lines to stdout, with the required fields', async () => {
    const r = await runTrawl(['scan', '127.66.0.0/29', '::1', '-p', `${p4},${p6}`, '-oJ', '-']);
    assert.equal(r.code, 0, r.stderr);
    const rows = parseJsonl(r.stdout);
    const keys = rows.map((o) => `${String(o['ip'])}|${String(o['port'])}`).sort();
    assert.deepEqual(keys, [`127.66.0.5|${p4}`, `::1|${p6}`].sort());
    for (const o of rows) {
      for (const k of ['type', 'ip', 'port', 'proto', 'state', 'scan_id', 'ts']) assert.ok(k in o, `missing ${k}`);
      assert.equal(o['type'], 'port');
      assert.equal(o['proto'], 'tcp');
      assert.equal(o['state'], 'open');
      assert.ok(!Number.isNaN(Date.parse(String(o['ts']))));
    }
    // The summary with honest coverage goes to stderr.
    assert.match(r.stderr, /probes planned\s+18/);
    assert.match(r.stderr, /open found\s+2/);
  });

  it('-oX and -oC at once: XML valid against nmap.dtd and CSV rows', async () => {
    const xml = join(dir, 'r.xml');
    const csv = join(dir, 'r.csv');
    const r = await runTrawl(['scan', '127.66.0.5', '-p', `${p4},1`, '-oX', xml, '-oC', csv, '-q']);
    assert.equal(r.code, 0, r.stderr);
    const x = readFileSync(xml, 'utf8');
    assert.match(x, new RegExp(`portid="${p4}"`));
    const dtd = '/usr/share/nmap/nmap.dtd';
    const lint = spawnSync('xmllint', ['--noout', '--dtdvalid', dtd, xml], { encoding: 'utf8' });
    if (lint.error === undefined) assert.equal(lint.status, 0, lint.stderr);
    const lines = readFileSync(csv, 'utf8').trim().split('\r\n');
    assert.equal(lines[0], 'ip,port,proto,state,evidence,rtt_ms,hostname,ts,scan_id,service,product,version');
    assert.equal(lines.length, 2);
    assert.ok(lines[1]!.startsWith(`127.66.0.5,${p4},tcp,open,syn-ack,`));
  });

  it('a hostname target is resolved once and recorded on its results', async () => {
    const local = await listen('127.0.0.1');
    const port = (local.address() as { port: number }).port;
    try {
      const r = await runTrawl(['scan', 'localhost', '-p', String(port), '-oJ', '-', '-q']);
      assert.equal(r.code, 0, r.stderr);
      const row = parseJsonl(r.stdout).find((o) => o['ip'] === '127.0.0.1');
      assert.ok(row, `no result for localhost's 127.0.0.1: ${r.stdout}`);
      assert.equal(row['hostname'], 'localhost');
      assert.equal(row['port'], port);
    } finally {
      local.close();
    }
  });

  it('results reads back the store in every format', async () => {
    const db = join(dir, 's.db');
    const r = await runTrawl(['scan', '127.66.0.5', '-p', String(p4), '--db', db, '-q']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`${p4}/tcp\\s+open`));
    const back = await runTrawl(['results', '--db', db, '--scan', 'latest', '-oJ', '-']);
    assert.equal(back.code, 0, back.stderr);
    assert.deepEqual(parseJsonl(back.stdout).map((o) => o['port']), [p4]);
    const list = await runTrawl(['results', '--db', db, '--list']);
    assert.match(list.stdout, /done/);
    const missing = await runTrawl(['results', '--db', db, '--scan', 'zzzz']);
    assert.equal(missing.code, 65);
    assert.match(missing.stderr, /TRAWL_E_SCAN_NOT_FOUND/);
  });
});
