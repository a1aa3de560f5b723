import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TrawlError } from '../../src/errors/index.js';
import { builtInTopTcpPorts, topPorts } from '../../src/scope/index.js';

describe('topPorts', () => {
  let dir = '';
  let empty = '';
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'trawl-nmapdir-'));
    empty = mkdtempSync(join(tmpdir(), 'trawl-nonmap-'));
    writeFileSync(
      join(dir, 'nmap-services'),
      [
        '# Fields in this file are: Service name, portnum/protocol, open-frequency, optional comments',
        'http\t80/tcp\t0.484143\t# World Wide Web HTTP',
        'dns\t53/udp\t0.9\t# UDP entries are ignored even when most frequent',
        'telnet\t23/tcp\t0.221265',
        'rare\t9/tcp\t0.000100',
        'https\t443/tcp\t0.208669',
        'ssh\t22/tcp\t0.182286\t# Secure Shell',
        'tie-b\t7001/tcp\t0.050000',
        'tie-a\t7000/tcp\t0.050000',
        'garbage line without tabs',
        'bad\t70000/tcp\t0.9',
        'bad\tx/tcp\t0.9',
        'nofreq\t5/tcp\tabc',
        '',
      ].join('\n'),
    );
  });
  after(() => {
    rmSync(dir, { recursive: true, force: true });
    rmSync(empty, { recursive: true, force: true });
  });

  it('ranks TCP entries of nmap-services by frequency (ties by port), returns them ascending', () => {
    assert.deepEqual(topPorts(1, { datadir: dir }), { ports: [80], source: 'nmap-services' });
    assert.deepEqual(topPorts(3, { datadir: dir }).ports, [23, 80, 443]);
    assert.deepEqual(topPorts(4, { datadir: dir }).ports, [22, 23, 80, 443]);
    assert.deepEqual(topPorts(5, { datadir: dir }).ports, [22, 23, 80, 443, 7000]);
    assert.deepEqual(topPorts(7, { datadir: dir }).ports, [9, 22, 23, 80, 443, 7000, 7001]);
  });

  it('fills past the ranked ports in port order', () => {
    assert.deepEqual(topPorts(9, { datadir: dir }).ports, [1, 2, 9, 22, 23, 80, 443, 7000, 7001]);
    const all = topPorts(65535, { datadir: dir }).ports;
    assert.equal(all.length, 65535);
    assert.equal(new Set(all).size, 65535);
  });

  it('reads $NMAPDIR when no datadir is given', () => {
    const saved = process.env['NMAPDIR'];
    process.env['NMAPDIR'] = dir;
    try {
      assert.deepEqual(topPorts(2), { ports: [23, 80], source: 'nmap-services' });
    } finally {
      if (saved === undefined) delete process.env['NMAPDIR'];
      else process.env['NMAPDIR'] = saved;
    }
  });

  it('falls back to the built-in table when nmap-services is absent', () => {
    const r = topPorts(10, { datadir: empty });
    assert.equal(r.source, 'built-in');
    assert.deepEqual(r.ports, [21, 22, 23, 25, 80, 110, 139, 443, 445, 3389]);
    const r1000 = topPorts(1000, { datadir: empty });
    assert.equal(r1000.ports.length, 1000);
    assert.deepEqual(r1000.ports, [...builtInTopTcpPorts].sort((a, b) => a - b));
    const r1001 = topPorts(1001, { datadir: empty }).ports;
    assert.equal(r1001.length, 1001);
    assert.ok(r1001.includes(1), 'the first unranked port fills the gap');
  });

  it('built-in table: 1000 distinct valid ports, most common first', () => {
    assert.equal(builtInTopTcpPorts.length, 1000);
    assert.equal(new Set(builtInTopTcpPorts).size, 1000);
    assert.ok(builtInTopTcpPorts.every((p) => Number.isInteger(p) && p >= 1 && p <= 65535));
    assert.deepEqual(builtInTopTcpPorts.slice(0, 5), [80, 23, 443, 21, 22]);
  });

  it('rejects N outside 1..65535', () => {
    for (const n of [0, -1, 65536, 1.5, Number.NaN]) {
      assert.throws(() => topPorts(n, { datadir: dir }), (e: unknown) => {
        assert.ok(e instanceof TrawlError);
        assert.equal(e.code, 'TRAWL_E_BAD_PORTS');
        assert.match(e.message, new RegExp(`--top-ports ${String(n).replace('.', '\\.')}:`));
        return true;
      });
    }
  });
});
