import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { Command } from 'commander';
import { registerArtifactCommand, type ArtifactCommandDeps, type ArtifactIo } from '../../../src/apps/cli/commands/artifact-command.js';
import { normaliseArgv } from '../../../src/apps/cli/argv-normaliser.js';
import { TrawlError } from '../../../src/errors/trawl-error.js';
import { DATA_DIR } from '../osv/fixtures.js';
import { buildZip } from '../osv/zip-writer.js';
import { BASE_ACCESS_KEY, BASE_SECRET, FakeAws } from './fake-aws.js';
import { lockfileInventory, packageLock } from './lock-inventory.js';

const A = '111111111111';

async function run(args: string[], deps: ArtifactCommandDeps = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  stdout.on('data', (c: Buffer) => out.push(c));
  stderr.on('data', (c: Buffer) => err.push(c));
  const io: ArtifactIo = { stdout, stderr, exitCode: -1 };
  const program = new Command().exitOverride().configureOutput({ writeErr: () => undefined, writeOut: () => undefined });
  registerArtifactCommand(program, io, deps);
  await program.parseAsync(normaliseArgv(args), { from: 'user' });
  return { code: io.exitCode, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') };
}

const lines = (text: string): Record<string, unknown>[] => text.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);

describe('trawl artifact (CLI)', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'trawl-artifact-cli-'));
  const dbPath = join(tmp, 'trawl.db');
  let fake: FakeAws;

  before(async () => {
    fake = new FakeAws({ functions: [{ name: 'orders-api', account: A, region: 'us-east-1', zip: buildZip([{ name: 'package-lock.json', data: packageLock('o', { lodash: '4.17.15', minimist: '1.2.6' }) }]) }], layers: [], baseAccount: A });
    await fake.start();
  });
  after(async () => {
    await fake.stop();
    rmSync(tmp, { recursive: true, force: true });
  });

  it('import-advisories reports what it imported, incrementally', async () => {
    const first = await run(['artifact', 'import-advisories', join(DATA_DIR, 'ghsa'), '--db', dbPath]);
    assert.equal(first.code, 0);
    assert.deepEqual(lines(first.stdout).map((l) => [l['type'], l['inserted'], l['dataVersion']]), [['import', 7, 1]]);
    const again = await run(['artifact', 'import-advisories', join(DATA_DIR, 'ghsa'), '--db', dbPath]);
    assert.deepEqual(lines(again.stdout).map((l) => [l['inserted'], l['unchanged']]), [[0, 7]]);
  });

  it('scan <function ARN> prints finding lines with check_id osv:<id> (-oJ to a file)', async () => {
    const outFile = join(tmp, 'findings.jsonl');
    const env = { AWS_ACCESS_KEY_ID: BASE_ACCESS_KEY, AWS_SECRET_ACCESS_KEY: BASE_SECRET };
    const saved = { id: process.env['AWS_ACCESS_KEY_ID'], secret: process.env['AWS_SECRET_ACCESS_KEY'] };
    Object.assign(process.env, env); // the SDK's default credential chain reads these
    try {
      const r = await run(['artifact', 'scan', `arn:aws:lambda:us-east-1:${A}:function:orders-api`, '--db', dbPath, '--endpoint', fake.endpoint, '-oJ', outFile], { inventory: lockfileInventory, env: {} });
      assert.equal(r.code, 0);
      assert.match(r.stderr, /1 functions: 1 scanned, 0 skipped, 0 failed/);
    } finally {
      if (saved.id === undefined) delete process.env['AWS_ACCESS_KEY_ID'];
      else process.env['AWS_ACCESS_KEY_ID'] = saved.id;
      if (saved.secret === undefined) delete process.env['AWS_SECRET_ACCESS_KEY'];
      else process.env['AWS_SECRET_ACCESS_KEY'] = saved.secret;
    }
    const out = lines(readFileSync(outFile, 'utf8'));
    assert.deepEqual(out.map((l) => l['type']), ['function', 'finding']);
    const f = out[1]!;
    assert.equal(f['check_id'], 'osv:GHSA-p6mc-m468-83gw');
    assert.equal(f['package'], 'lodash');
    assert.equal(f['version'], '4.17.15');
    assert.deepEqual(f['fixed'], ['4.17.19']);
    assert.deepEqual(f['cves'], ['CVE-2020-8203']);
    assert.equal(f['severity'], 'high');
    assert.equal(f['cvss_score'], 7.4);
    assert.equal(f['function_arn'], `arn:aws:lambda:us-east-1:${A}:function:orders-api`);
  });

  it('scan <zip> goes through src/artifact/inventory.ts', async () => {
    const zip = join(tmp, 'fn.zip');
    writeFileSync(zip, buildZip([{ name: 'package.json', data: '{"name":"x","version":"1.0.0"}' }, { name: 'package-lock.json', data: packageLock('x', { minimist: '1.2.5' }) }]));
    const r = await run(['artifact', 'scan', zip, '--db', dbPath]);
    assert.equal(r.code, 0);
    const out = lines(r.stdout);
    assert.equal(out[0]?.['type'], 'artifact');
    assert.deepEqual(out.filter((l) => l['type'] === 'finding').map((l) => [l['check_id'], l['package'], l['version']]), [['osv:GHSA-xvch-5gv4-984h', 'minimist', '1.2.5']]);
  });

  it('refuses a malformed ARN naming it', async () => {
    await assert.rejects(run(['artifact', 'scan', 'arn:aws:lambda:us-east-1:12:function:x', '--db', dbPath]), (e: unknown) => e instanceof TrawlError && e.code === 'TRAWL_E_BAD_TARGET' && e.message.includes('arn:aws:lambda:us-east-1:12:function:x'));
  });
});
