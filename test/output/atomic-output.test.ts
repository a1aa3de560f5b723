import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createReadStream, existsSync, lstatSync, mkdirSync, readFileSync, readdirSync, readlinkSync, statSync, symlinkSync, writeFileSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openResultWriter, writeAll, writeResults, type OutputFormat } from '../../src/output/result-writer.js';
import { iterate, obs, sample, summaryInfo, tempDir } from './output-fixtures.js';

const child = fileURLToPath(new URL('./output-child.js', import.meta.url));
const formats: OutputFormat[] = ['jsonl', 'csv', 'xml'];

test('atomic: abort leaves neither the results file nor a temp file', async (t) => {
  const dir = tempDir(t);
  for (const format of formats) {
    const w = await openResultWriter(format, join(dir, `out.${format}`));
    for (const o of sample) await w.write(o);
    assert.equal(existsSync(join(dir, `out.${format}`)), false, 'nothing at the destination before finish');
    assert.ok(readdirSync(dir).length > 0, 'a temp file exists meanwhile');
    await w.abort();
    await w.abort();
    assert.deepEqual(readdirSync(dir), [], `${format}: directory is empty after abort`);
    await assert.rejects(w.write(sample[0]!), { code: 'TRAWL_E_INTERNAL' });
  }
});

test('atomic: an existing file is replaced only on finish, keeping its mode', async (t) => {
  const dir = tempDir(t);
  const dest = join(dir, 'results.jsonl');
  writeFileSync(dest, 'previous results\n');
  chmodSync(dest, 0o640);

  const w = await openResultWriter('jsonl', dest);
  for (const o of sample) await w.write(o);
  assert.equal(readFileSync(dest, 'utf8'), 'previous results\n', 'old content intact while writing');
  await w.finish(summaryInfo());
  assert.equal(readFileSync(dest, 'utf8').split('\n').length, sample.length + 1);
  assert.equal(statSync(dest).mode & 0o777, 0o640);
  assert.deepEqual(readdirSync(dir), ['results.jsonl']);
  await w.abort();
  assert.ok(existsSync(dest), 'abort after finish does not remove published results');

  // An aborted rewrite leaves the previous file untouched.
  const w2 = await openResultWriter('jsonl', dest);
  await w2.write(obs('127.0.0.9', 9));
  await w2.abort();
  assert.equal(readFileSync(dest, 'utf8').split('\n').length, sample.length + 1);
  assert.deepEqual(readdirSync(dir), ['results.jsonl']);
});

test('atomic: a failing observation source aborts — no file, no temp', async (t) => {
  const dir = tempDir(t);
  async function* failing() {
    yield sample[0]!;
    yield sample[1]!;
    throw new Error('store went away');
  }
  for (const format of formats) {
    await assert.rejects(writeResults(format, join(dir, `out.${format}`), summaryInfo(), failing()), /store went away/);
  }
  assert.deepEqual(readdirSync(dir), []);
});

test('atomic: a killed writer never leaves a results file', async (t) => {
  const dir = tempDir(t);
  const dest = join(dir, 'killed.jsonl');
  const p = spawn(process.execPath, [child, 'write-then-hang', dest, '200000'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  p.stderr.setEncoding('utf8');
  for await (const chunk of p.stderr) {
    stderr += chunk;
    if (stderr.includes('READY') || stderr.includes('ERR') || stderr.includes('CRASH')) break;
  }
  assert.match(stderr, /READY/);
  const temps = readdirSync(dir);
  assert.equal(temps.length, 1);
  assert.ok(statSync(join(dir, temps[0]!)).size > 1_000_000, 'rows were being written to the temp file');
  p.kill('SIGKILL');
  await once(p, 'close');
  assert.equal(existsSync(dest), false);
  assert.ok(readdirSync(dir).every((f) => f.startsWith('.killed.jsonl.') && f.endsWith('.tmp')), 'only a hidden .tmp can remain');
});

test('atomic: a symlinked destination keeps its link; the target gets the results', async (t) => {
  const dir = tempDir(t);
  mkdirSync(join(dir, 'real'));
  writeFileSync(join(dir, 'real', 'r.csv'), 'old');
  symlinkSync(join(dir, 'real', 'r.csv'), join(dir, 'link.csv'));
  await writeResults('csv', join(dir, 'link.csv'), summaryInfo(), iterate(sample));
  assert.ok(lstatSync(join(dir, 'link.csv')).isSymbolicLink());
  assert.equal(readlinkSync(join(dir, 'link.csv')), join(dir, 'real', 'r.csv'));
  assert.match(readFileSync(join(dir, 'real', 'r.csv'), 'utf8'), /^ip,port,proto/);
  assert.deepEqual(readdirSync(join(dir, 'real')), ['r.csv']);
});

test('atomic: a FIFO destination is written in place, not renamed over', async (t) => {
  const dir = tempDir(t);
  const fifo = join(dir, 'pipe');
  const mk = spawn('mkfifo', [fifo]);
  const [code] = await once(mk, 'close') as [number];
  if (code !== 0) {
    t.skip('mkfifo unavailable');
    return;
  }
  const reader = createReadStream(fifo, { encoding: 'utf8' });
  let got = '';
  reader.on('data', (d) => { got += String(d); });
  const closed = once(reader, 'close');
  await writeResults('jsonl', fifo, summaryInfo(), iterate(sample));
  await closed;
  assert.equal(got.split('\n').length, sample.length + 1);
  assert.ok(lstatSync(fifo).isFIFO(), 'still a FIFO');
  assert.deepEqual(readdirSync(dir), ['pipe']);
});

test('writeAll: every format written from one source opener, rows counted per target', async (t) => {
  const dir = tempDir(t);
  let opened = 0;
  const targets = formats.map((format) => ({ format, destination: join(dir, `all.${format}`) }));
  const rows = await writeAll(targets, summaryInfo(), () => { opened++; return iterate(sample); });
  assert.deepEqual(rows, [sample.length, sample.length, sample.length]);
  assert.equal(opened, 3);
  assert.deepEqual(readdirSync(dir).sort(), ['all.csv', 'all.jsonl', 'all.xml']);
  assert.match(readFileSync(join(dir, 'all.xml'), 'utf8'), /<nmaprun /);
  assert.match(readFileSync(join(dir, 'all.csv'), 'utf8'), /^ip,port/);
});
