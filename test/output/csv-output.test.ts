import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { csvField } from '../../src/output/csv-format.js';
import { writeResults } from '../../src/output/result-writer.js';
import { iterate, sample, scanId, summaryInfo, tempDir } from './output-fixtures.js';

/** A strict RFC 4180 reader, independent of the writer, to check the file round-trips. */
function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let field = '';
  let record: string[] = [];
  let i = 0;
  while (i < text.length) {
    if (text[i] === '"') {
      i++;
      for (;;) {
        assert.ok(i < text.length, 'unterminated quoted field');
        if (text[i] === '"') {
          if (text[i + 1] === '"') { field += '"'; i += 2; continue; }
          i++;
          break;
        }
        field += text[i++];
      }
    }
    if (text.startsWith('\r\n', i)) {
      record.push(field); records.push(record); record = []; field = ''; i += 2;
    } else if (text[i] === ',') {
      record.push(field); field = ''; i++;
    } else if (i < text.length) {
      assert.ok(!/["\r\n]/.test(text[i]!), `bare ${JSON.stringify(text[i])} outside quotes at ${i}`);
      field += text[i++];
    }
  }
  assert.equal(field, '');
  assert.deepEqual(record, [], 'last record must end with CRLF');
  return records;
}

test('CSV: RFC 4180 header and rows with CRLF, quoting and formula guard', async (t) => {
  const dest = join(tempDir(t), 'out.csv');
  assert.equal(await writeResults('csv', dest, summaryInfo(), iterate(sample)), sample.length);
  const text = readFileSync(dest, 'utf8');

  assert.ok(text.startsWith('ip,port,proto,state,evidence,rtt_ms,hostname,ts,scan_id,service,product,version\r\n'));
  const lines = text.split('\r\n');
  assert.equal(lines[1], `127.0.0.1,22,tcp,open,syn-ack,0.42,"local""host, <&> 'x'",2024-05-06T07:08:09.000Z,${scanId},,,`);
  assert.equal(lines[3], `127.0.0.1,8081,tcp,closed,reset,,,2024-05-06T07:08:09.000Z,${scanId},,,`);
  // Formula injection: the cell starts with an apostrophe, and the comma inside still forces quotes.
  assert.equal(lines[4], `127.0.0.2,443,tcp,open,syn-ack,3,"'=HYPERLINK(""http://evil.test"",""x"")",2024-05-06T07:08:09.000Z,${scanId},,,`);
  assert.equal(lines[5], `127.0.0.3,3389,tcp,open,syn-ack,,'-2+3,2024-05-06T07:08:10.000Z,${scanId},,,`);

  const records = parseCsv(text);
  assert.equal(records.length, sample.length + 1);
  for (const r of records) assert.equal(r.length, 12);
  assert.deepEqual(records.slice(1).map((r) => [r[0], Number(r[1])]), sample.map((o) => [o.ip, o.port]));
  assert.equal(records[6]![0], '::1');
  assert.equal(records[6]![6], 'six\nline\u0001ctl', 'embedded newline survives inside quotes');
});

test('CSV: csvField guards every formula lead character and quotes only when needed', () => {
  assert.equal(csvField('=1+1'), "'=1+1");
  assert.equal(csvField('+1'), "'+1");
  assert.equal(csvField('-1'), "'-1");
  assert.equal(csvField('@SUM(A1)'), "'@SUM(A1)");
  assert.equal(csvField('\tcmd'), "'\tcmd");
  assert.equal(csvField('\rcmd'), `"'\rcmd"`);
  assert.equal(csvField('a-b=c'), 'a-b=c', 'only a leading metacharacter is dangerous');
  assert.equal(csvField('plain'), 'plain');
  assert.equal(csvField('a"b'), '"a""b"');
  assert.equal(csvField(443), '443');
  assert.equal(csvField(undefined), '');
});
