import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Writable } from 'node:stream';
import { writeResults } from '../../src/output/result-writer.js';
import { iterate, obs, summaryInfo, tempDir } from './output-fixtures.js';

const child = fileURLToPath(new URL('./output-child.js', import.meta.url));

test("stdout mode: '-' carries only JSONL rows; the summary goes to stderr", () => {
  const n = 20000;
  const r = spawnSync(process.execPath, [child, 'jsonl-stdout', String(n)], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  assert.equal(r.status, 0, r.stderr);
  assert.ok(r.stdout.endsWith('\n'));
  const lines = r.stdout.slice(0, -1).split('\n');
  assert.equal(lines.length, n);
  for (const [i, line] of lines.entries()) {
    const row = JSON.parse(line) as Record<string, unknown>;
    assert.equal(row['type'], 'port', `line ${i + 1} is not a port row: ${line}`);
    if (i === n - 1) assert.equal(row['hostname'], `h${n - 1}.example.test`);
  }
  assert.match(r.stderr, /ROWS 20000\n/);
  assert.match(r.stderr, /probes planned\s+1,200/);
  assert.doesNotMatch(r.stdout, /probes|summary/);
});

test('stdout mode: a spooled nmap XML document arrives whole and parses', (t) => {
  const r = spawnSync(process.execPath, [child, 'xml-stdout-spooled'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stderr, '');
  const path = join(tempDir(t), 'from-stdout.xml');
  writeFileSync(path, r.stdout);
  const py = spawnSync('python3', ['-c', `import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
print(sum(1 for h in root.iter('host') for p in h.iter('port') if p.find('state').get('state') == 'open'))`, path], { encoding: 'utf8' });
  assert.equal(py.status, 0, py.stderr);
  assert.equal(py.stdout.trim(), '5');
  if (existsSync('/usr/share/nmap/nmap.dtd')) {
    const v = spawnSync('xmllint', ['--noout', '--dtdvalid', '/usr/share/nmap/nmap.dtd', path], { encoding: 'utf8' });
    assert.equal(v.status, 0, v.stderr);
  }
});

test('stdout mode: a reader closing the pipe early is a TRAWL_E_OUTPUT error, not a crash', async () => {
  const p = spawn(process.execPath, [child, 'jsonl-stdout', '500000'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  p.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
  p.stdout.once('data', () => p.stdout.destroy());
  const code = await new Promise<number | null>((res) => p.on('close', (c) => res(c)));
  assert.match(stderr, /ERR TRAWL_E_OUTPUT cannot write results to stdout: reader closed the pipe/);
  assert.equal(code, 73);
});

test('stdout mode: backpressure — a slow stream never holds more than one buffered chunk', async () => {
  let maxQueued = 0;
  let bytes = 0;
  const slow: Writable = new Writable({
    highWaterMark: 1024,
    write(chunk: Buffer, _enc, cb) {
      // writableLength counts bytes accepted but not yet consumed: it grows without bound if the
      // writer ignores backpressure.
      maxQueued = Math.max(maxQueued, slow.writableLength);
      bytes += chunk.length;
      setTimeout(cb, 2);
    },
  });
  const rows = Array.from({ length: 30000 }, (_, i) => obs('127.0.0.1', 1 + (i % 65535), { hostname: `host-${i}` }));
  const n = await writeResults('jsonl', '-', summaryInfo(), iterate(rows), { stdout: slow });
  assert.equal(n, rows.length);
  assert.ok(bytes > 30000 * 100, `all rows reached the stream (${bytes} bytes)`);
  assert.ok(maxQueued <= 128 * 1024, `at most one ~64 KiB chunk queued, saw ${maxQueued} of ${bytes}`);
});
