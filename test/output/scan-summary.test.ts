import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatSummaryText, summaryJson } from '../../src/output/result-writer.js';
import { scanId, scanRecord, summaryInfo } from './output-fixtures.js';

test('summary text names every counter with its value', () => {
  const text = formatSummaryText(summaryInfo());
  assert.match(text, new RegExp(`^Trawl scan ${scanId} done: 5 open ports\n`));
  for (const [label, value] of [
    ['probes planned', '1,200'], ['probes sent', '1,210'], ['answered', '1,100'], ['timed out', '100'], ['retried', '10'],
    ['skipped by blocklist', '3'], ['skipped as down', '7'], ['discovery probes', '40'], ['open found', '5'], ['elapsed', '12.50 s'], ['rate', '96.8 probes/s'],
  ] as const) {
    assert.match(text, new RegExp(`\\n  ${label} +${value.replace('.', '\\.')}(\\n|$)`), `${label} ${value} in:\n${text}`);
  }
  assert.ok(text.endsWith('\n'));
});

test('summary JSON: numbers, snake_case, zero elapsed gives rate 0', () => {
  assert.deepEqual(summaryJson(summaryInfo()), {
    type: 'summary', scan_id: scanId, status: 'done', started_at: '2024-05-06T07:08:00.000Z', finished_at: '2024-05-06T07:08:12.500Z',
    elapsed_s: 12.5, probes_planned: 1200, probes_sent: 1210, probes_answered: 1100, probes_timed_out: 100, probes_retried: 10,
    probes_skipped_blocklist: 3, probes_skipped_down: 7, discovery_probes_sent: 40, open_found: 5, rate_pps: 96.8,
  });
  const zero = summaryJson(summaryInfo({ elapsedSeconds: 0, scan: scanRecord({ status: 'interrupted' }) }));
  assert.equal(zero.rate_pps, 0);
  assert.equal(zero.status, 'interrupted');
  assert.doesNotThrow(() => JSON.stringify(zero));
});
