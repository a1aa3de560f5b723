import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeResults } from '../../src/output/result-writer.js';
import { iterate, obs, sample, scanId, summaryInfo, tempDir } from './output-fixtures.js';

test('JSONL: one snake_case object per observation, optional fields only when known, no summary line', async (t) => {
  const dest = join(tempDir(t), 'out.jsonl');
  const rows = await writeResults('jsonl', dest, summaryInfo(), iterate(sample));
  assert.equal(rows, sample.length);

  const text = readFileSync(dest, 'utf8');
  assert.ok(text.endsWith('\n'));
  const lines = text.slice(0, -1).split('\n');
  assert.equal(lines.length, sample.length, 'exactly one line per row: no summary or header line');
  const parsed = lines.map((l) => JSON.parse(l) as Record<string, unknown>);

  assert.deepEqual(parsed[0], {
    type: 'port', ip: '127.0.0.1', port: 22, proto: 'tcp', state: 'open', evidence: 'syn-ack',
    rtt_ms: 0.42, hostname: 'local"host, <&> \'x\'', scan_id: scanId, ts: '2024-05-06T07:08:09.000Z',
  });
  // No rtt or hostname: the keys are absent, not null.
  assert.deepEqual(Object.keys(parsed[2]!).sort(), ['evidence', 'ip', 'port', 'proto', 'scan_id', 'state', 'ts', 'type']);
  assert.equal(parsed[2]!['state'], 'closed');
  assert.equal(parsed[5]!['ip'], '::1');
  // A newline inside a hostname stays inside the JSON string: the line structure survives.
  assert.equal(parsed[5]!['hostname'], 'six\nline\u0001ctl');
  assert.deepEqual(parsed.map((p) => [p['ip'], p['port']]), sample.map((o) => [o.ip, o.port]));
  for (const p of parsed) assert.equal(p['type'], 'port');
});

test('JSONL: worker is carried when set, empty input gives an empty file', async (t) => {
  const dir = tempDir(t);
  await writeResults('jsonl', join(dir, 'w.jsonl'), summaryInfo(), iterate([obs('127.0.0.9', 7, { worker: 'w-1' })]));
  assert.equal((JSON.parse(readFileSync(join(dir, 'w.jsonl'), 'utf8')) as Record<string, unknown>)['worker'], 'w-1');

  const rows = await writeResults('jsonl', join(dir, 'empty.jsonl'), summaryInfo(), iterate([]));
  assert.equal(rows, 0);
  assert.equal(readFileSync(join(dir, 'empty.jsonl'), 'utf8'), '');
});
