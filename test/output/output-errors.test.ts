import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TrawlError } from '../../src/errors/index.js';
import { openAll, openResultWriter, writeAll, type OutputFormat } from '../../src/output/result-writer.js';
import { iterate, sample, summaryInfo, tempDir } from './output-fixtures.js';

const child = fileURLToPath(new URL('./output-child.js', import.meta.url));

function outputError(path: string, reason: RegExp) {
  return (err: unknown): boolean => {
    assert.ok(err instanceof TrawlError, `expected TrawlError, got ${String(err)}`);
    assert.equal(err.code, 'TRAWL_E_OUTPUT');
    assert.ok(err.message.includes(path), `message names the path: ${err.message}`);
    assert.match(err.message, reason);
    assert.equal(err.exitCode, 73);
    return true;
  };
}

test('errors: missing directory, a directory, a file as parent, empty path — all at open time', async (t) => {
  const dir = tempDir(t);
  writeFileSync(join(dir, 'plain'), 'x');
  await assert.rejects(openResultWriter('jsonl', join(dir, 'nope', 'out.jsonl')), outputError(join(dir, 'nope', 'out.jsonl'), /directory .*nope does not exist/));
  await assert.rejects(openResultWriter('xml', dir), outputError(dir, /is a directory/));
  await assert.rejects(openResultWriter('csv', join(dir, 'plain', 'out.csv')), outputError(join(dir, 'plain', 'out.csv'), /not a directory/));
  await assert.rejects(openResultWriter('jsonl', ''), (err: unknown) => err instanceof TrawlError && err.code === 'TRAWL_E_OUTPUT');
  await assert.rejects(openResultWriter('yaml' as OutputFormat, join(dir, 'x')), { code: 'TRAWL_E_BAD_OPTION' });
  assert.deepEqual(readdirSync(dir), ['plain'], 'failed opens leave nothing behind');
});

test('errors: permission denied, checked as an unprivileged user', (t) => {
  const dir = tempDir(t);
  const locked = join(dir, 'locked');
  mkdirSync(locked);
  chmodSync(dir, 0o755);
  chmodSync(locked, 0o755);
  const readonlyFile = join(dir, 'ro.jsonl');
  writeFileSync(readonlyFile, 'keep');
  chmodSync(dir, 0o777);
  chmodSync(readonlyFile, 0o444);

  // Root bypasses permission bits, so the check runs in a child as "nobody" when we are root.
  const asNobody = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {};
  const run = (dest: string) => spawnSync(process.execPath, [child, 'open', dest], { encoding: 'utf8', ...asNobody });
  const probe = run(join(dir, 'ok.jsonl'));
  if (probe.status !== 0) {
    t.skip(`cannot run the child as an unprivileged user: ${probe.stderr || probe.error?.message}`);
    return;
  }
  assert.match(probe.stderr, /OK/);

  const inLocked = run(join(locked, 'out.jsonl'));
  assert.equal(inLocked.status, 73);
  assert.match(inLocked.stderr, new RegExp(`ERR TRAWL_E_OUTPUT cannot write results to ${join(locked, 'out.jsonl')}: permission denied in directory ${locked}`));

  const ro = run(readonlyFile);
  assert.equal(ro.status, 73);
  assert.match(ro.stderr, new RegExp(`ERR TRAWL_E_OUTPUT cannot write results to ${readonlyFile}: permission denied`));
  assert.deepEqual(readdirSync(locked), []);
});

test('errors: openAll opens all or none; writeAll refuses two outputs to one place', async (t) => {
  const dir = tempDir(t);
  const good = join(dir, 'good.jsonl');
  await assert.rejects(openAll([{ format: 'jsonl', destination: good }, { format: 'xml', destination: join(dir, 'missing', 'x.xml') }]), { code: 'TRAWL_E_OUTPUT' });
  assert.deepEqual(readdirSync(dir), [], 'the good target was aborted too');

  await assert.rejects(writeAll([{ format: 'jsonl', destination: '-' }, { format: 'csv', destination: '-' }], summaryInfo(), () => iterate(sample)),
    outputError('stdout', /more than one output format is directed to stdout/));
  await assert.rejects(writeAll([{ format: 'jsonl', destination: join(dir, 'a') }, { format: 'csv', destination: `${dir}/./a` }], summaryInfo(), () => iterate(sample)),
    { code: 'TRAWL_E_OUTPUT' });
  assert.deepEqual(readdirSync(dir), []);

  // Opened before the scan, written after it: the normal CLI sequence.
  const opened = await openAll([{ format: 'jsonl', destination: good }, { format: 'xml', destination: join(dir, 'good.xml') }]);
  const rows = await writeAll(opened, summaryInfo(), () => iterate(sample));
  assert.deepEqual(rows, [sample.length, sample.length]);
  assert.deepEqual(readdirSync(dir).sort(), ['good.jsonl', 'good.xml']);
});
