import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { compressPorts, ctimeUtc, xmlAttr } from '../../src/output/nmap-xml-format.js';
import { openResultWriter, writeResults } from '../../src/output/result-writer.js';
import { iterate, obs, sample, scanRecord, summaryInfo, tempDir } from './output-fixtures.js';

const dtd = '/usr/share/nmap/nmap.dtd';

/** The consumer this output is scored by, verbatim in its loop structure. */
const scorer = `
import sys, json, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
hosts = []
for h in root.iter('host'):
    addr = h.find('address').get('addr')
    ports = []
    for p in h.iter('port'):
        if p.find('state').get('state') == 'open':
            ports.append(int(p.get('portid')))
    hosts.append({'addr': addr, 'addrtype': h.find('address').get('addrtype'), 'open': ports,
                  'names': [n.get('name') for n in h.iter('hostname')],
                  'states': [p.find('state').get('state') for p in h.iter('port')],
                  'services': [(s.get('name') if s is not None else None) for s in (p.find('service') for p in h.iter('port'))]})
si = root.find('scaninfo')
fin = root.find('runstats/finished')
print(json.dumps({'scanner': root.get('scanner'), 'args': root.get('args'), 'services': si.get('services'),
                  'numservices': si.get('numservices'), 'hosts': hosts, 'finished': fin.get('time'),
                  'exit': fin.get('exit'), 'up': root.find('runstats/hosts').get('up')}))
`;

function score(path: string): Record<string, unknown> {
  const r = spawnSync('python3', ['-c', scorer, path], { encoding: 'utf8' });
  assert.equal(r.status, 0, `python ElementTree failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as Record<string, unknown>;
}

test('nmap XML: ElementTree reads hosts, open ports, hostnames and escapes as written', async (t) => {
  const dest = join(tempDir(t), 'out.xml');
  assert.equal(await writeResults('xml', dest, summaryInfo(), iterate(sample)), sample.length);
  const s = score(dest);

  assert.equal(s['scanner'], 'nmap');
  assert.equal(s['args'], "trawl scan -p 21-25,80,443 --rate 1000 127.0.0.0/30 'it'\\''s <here>'");
  assert.equal(s['services'], '21-25,80,443,3389,5432,8081,31337');
  assert.equal(s['numservices'], '11');
  assert.equal(s['finished'], String(Math.floor(Date.parse('2024-05-06T07:08:12.500Z') / 1000)));
  assert.equal(s['exit'], 'success');
  assert.equal(s['up'], '4');
  assert.deepEqual(s['hosts'], [
    { addr: '127.0.0.1', addrtype: 'ipv4', open: [22, 80], names: ['local"host, <&> \'x\''], states: ['open', 'open', 'closed'], services: ['ssh', 'http', null] },
    { addr: '127.0.0.2', addrtype: 'ipv4', open: [443], names: ['=HYPERLINK("http://evil.test","x")'], states: ['open'], services: ['https'] },
    { addr: '127.0.0.3', addrtype: 'ipv4', open: [3389], names: ['-2+3'], states: ['open'], services: ['ms-wbt-server'] },
    // The control character is dropped (illegal in XML 1.0); the newline is kept as a character reference.
    { addr: '::1', addrtype: 'ipv6', open: [5432], names: ['six\nlinectl'], states: ['open', 'filtered'], services: ['postgresql', null] },
  ]);

  const text = readFileSync(dest, 'utf8');
  assert.ok(text.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE nmaprun>\n'));
  assert.match(text, /<port protocol="tcp" portid="8081"><state state="closed" reason="conn-refused" reason_ttl="0"\/><\/port>/);
  assert.match(text, /<port protocol="tcp" portid="31337"><state state="filtered" reason="no-response" reason_ttl="0"\/><\/port>/);
  assert.match(text, /<verbose level="0"\/>\n<debugging level="0"\/>/);
  assert.equal((text.match(/<host /g) ?? []).length, 4);
});

test('nmap XML: validates against nmap.dtd with xmllint, including a partial scan and an empty one', async (t) => {
  if (!existsSync(dtd)) {
    t.skip(`${dtd} is absent: install Debian's nmap-common to run DTD validation`);
    return;
  }
  if (spawnSync('xmllint', ['--version']).error) {
    t.skip('xmllint is absent: install libxml2-utils to run DTD validation');
    return;
  }
  const dir = tempDir(t);
  const cases = {
    'full.xml': { info: summaryInfo(), rows: sample },
    'empty.xml': { info: summaryInfo({ scan: scanRecord({ spec: { ...scanRecord().spec, ports: [] } }) }), rows: [] },
    'interrupted.xml': { info: summaryInfo({ scan: scanRecord({ status: 'interrupted' }) }), rows: [obs('127.0.0.5', 9, { state: 'closed', evidence: 'reset' })] },
  };
  for (const [name, c] of Object.entries(cases)) {
    const path = join(dir, name);
    await writeResults('xml', path, c.info, iterate(c.rows));
    const r = spawnSync('xmllint', ['--noout', '--dtdvalid', dtd, path], { encoding: 'utf8' });
    assert.equal(r.status, 0, `${name} does not validate:\n${r.stderr}\n${readFileSync(path, 'utf8')}`);
  }
  const partial = readFileSync(join(dir, 'interrupted.xml'), 'utf8');
  assert.match(partial, /exit="error" errormsg="scan interrupted"/);
  assert.match(partial, /<status state="up" reason="conn-refused" reason_ttl="0"\/>/);
  assert.match(readFileSync(join(dir, 'empty.xml'), 'utf8'), /numservices="0" services=""/);

  // The check itself can fail: a document breaking the DTD (scanner is enumerated as "nmap") is rejected.
  const bad = readFileSync(join(dir, 'full.xml'), 'utf8').replace('scanner="nmap"', 'scanner="trawl"');
  const r = spawnSync('xmllint', ['--noout', '--dtdvalid', dtd, '-'], { input: bad, encoding: 'utf8' });
  assert.notEqual(r.status, 0);
});

test('nmap XML: a writer opened before the header is known spools and produces the same document', async (t) => {
  const dir = tempDir(t);
  const info = summaryInfo();
  await writeResults('xml', join(dir, 'direct.xml'), info, iterate(sample));

  const w = await openResultWriter('xml', join(dir, 'spooled.xml'));
  for (const o of sample) await w.write(o);
  assert.ok(readdirSync(dir).some((f) => f.startsWith('.trawl-spool.')), 'hosts go to a scratch spool meanwhile');
  await w.finish(info);

  assert.equal(readFileSync(join(dir, 'spooled.xml'), 'utf8'), readFileSync(join(dir, 'direct.xml'), 'utf8'));
  assert.deepEqual(readdirSync(dir).sort(), ['direct.xml', 'spooled.xml'], 'spool and temp files are gone');
});

test('nmap XML: many hosts and a host with thousands of ports stream through', async (t) => {
  const rows = [
    ...Array.from({ length: 3000 }, (_, i) => obs(`127.1.${i >> 8}.${i & 255}`, 80)),
    ...Array.from({ length: 5000 }, (_, i) => obs('127.2.0.1', 1000 + i, { state: i % 2 ? 'open' : 'closed', evidence: i % 2 ? 'syn-ack' : 'reset' })),
  ];
  const dest = join(tempDir(t), 'big.xml');
  await writeResults('xml', dest, summaryInfo(), iterate(rows));
  const s = score(dest) as { hosts: { addr: string; open: number[] }[]; up: string };
  assert.equal(s.hosts.length, 3001);
  assert.equal(s.up, '3001');
  assert.equal(s.hosts[2999]!.addr, '127.1.11.183');
  assert.equal(s.hosts[3000]!.open.length, 2500);
  assert.equal(s.hosts[3000]!.open[0], 1001);
});

test('nmap XML helpers: port ranges, escaping, ctime', () => {
  assert.equal(compressPorts([80, 22, 21, 23, 443, 444, 8080, 22]), '21-23,80,443-444,8080');
  assert.equal(compressPorts([]), '');
  assert.equal(compressPorts([1]), '1');
  assert.equal(xmlAttr(`a"b'c<d>e&f`), 'a&quot;b&apos;c&lt;d&gt;e&amp;f');
  assert.equal(xmlAttr('t\tn\nr\r'), 't&#9;n&#10;r&#13;');
  assert.equal(xmlAttr('nul\u0000esc\u001bdel\u007fc1\u0085end\uFFFE'), 'nulescdelc1end');
  assert.equal(xmlAttr('lone\uD800 pair\uD83D\uDE00'), 'lone pair\uD83D\uDE00');
  assert.equal(ctimeUtc('2024-05-06T07:08:09.000Z'), 'Mon May  6 07:08:09 2024');
  assert.equal(ctimeUtc('not a date'), '');
});
