import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import BetterSqlite3 from 'better-sqlite3';
import { TrawlError } from '../../src/errors/trawl-error.js';
import type { PortObservation } from '../../src/model/observation.js';
import { emptyCounters, type ScanSpec } from '../../src/model/scan.js';
import { migrations } from '../../src/store/migrations/migration-provider.js';
import { openSqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { removeCreatedDb } from '../../src/store/sqlite/sqlite-path.js';
import type { Store } from '../../src/store/store.js';
import { crashIp, crashIsOpen } from './crash-writer.js';
import { describeStoreConformance } from './store-conformance.js';

const root = mkdtempSync(join(tmpdir(), 'trawl-store-test-'));
let n = 0;
const freshPath = (): string => join(root, `store-${process.pid}-${n++}.db`);

const conformanceDir = mkdtempSync(join(tmpdir(), 'trawl-store-conformance-'));
let m = 0;
describeStoreConformance(
  'sqlite file',
  () => openSqliteStore(join(conformanceDir, `c-${m++}.db`)),
  async () => rmSync(conformanceDir, { recursive: true, force: true }),
);
describeStoreConformance('sqlite :memory:', () => openSqliteStore(':memory:'));

const spec: ScanSpec = {
  targets: ['127.0.0.1'], targetFiles: [], excludes: [], excludeFiles: [], ports: [80], resolved: {},
  seed: '1', shard: { index: 0, count: 1 }, options: {},
};

async function dbPathError(promise: Promise<unknown>, path: string, reason: RegExp): Promise<void> {
  await assert.rejects(promise, (e: unknown) => {
    assert.ok(e instanceof TrawlError, `expected TrawlError, got ${String(e)}`);
    assert.equal(e.code, 'TRAWL_E_DB_PATH', e.message);
    assert.ok(e.message.includes(path), `message names the path: ${e.message}`);
    assert.match(e.message, reason);
    return true;
  });
}

/** Files in `dir`, to prove a failed open left nothing behind. */
const filesIn = (dir: string): string[] => readdirSync(dir).sort();

describe('SQLite store specifics', () => {
  after(() => rmSync(root, { recursive: true, force: true }));

  it('rejects unusable paths with TRAWL_E_DB_PATH naming the path, creating nothing', async () => {
    const dir = join(root, 'bad-paths');
    mkdirSync(dir);
    const missingDir = join(dir, 'no-such-dir', 'trawl.db');
    await dbPathError(openSqliteStore(missingDir), missingDir, /does not exist/);
    await dbPathError(openSqliteStore(dir), dir, /is a directory/);

    const text = join(dir, 'notes.txt');
    const content = 'this is a text file, not a database\n'.repeat(200);
    writeFileSync(text, content);
    await dbPathError(openSqliteStore(text), text, /not an SQLite database/);
    assert.equal(readFileSync(text, 'utf8'), content, 'the foreign file is left untouched');
    await dbPathError(openSqliteStore(text, { readonly: true }), text, /not an SQLite database/);

    const underFile = join(text, 'trawl.db');
    await dbPathError(openSqliteStore(underFile), underFile, /not a directory/);

    const missing = join(dir, 'missing.db');
    await dbPathError(openSqliteStore(missing, { readonly: true }), missing, /does not exist/);
    await dbPathError(openSqliteStore(':memory:', { readonly: true }), ':memory:', /read-only/);
    await dbPathError(openSqliteStore(''), '""', /empty/);
    assert.deepEqual(filesIn(dir), ['notes.txt']);
  });

  it('cleans up after a failed open only what the open itself could have created', () => {
    const dir = join(root, 'cleanup');
    mkdirSync(dir);
    const created = join(dir, 'created.db');
    const raw = new BetterSqlite3(created);
    raw.pragma('journal_mode = WAL');
    raw.close();
    removeCreatedDb(created);
    assert.equal(existsSync(created), false, 'an empty store (header page only) is removed');

    const populated = join(dir, 'populated.db');
    const other = new BetterSqlite3(populated);
    other.exec('create table t (x integer); insert into t values (1)');
    other.close();
    removeCreatedDb(populated);
    assert.equal(existsSync(populated), true, 'a store with tables is someone else\'s and stays');

    const live = join(dir, 'live.db');
    const writer = new BetterSqlite3(live);
    writer.pragma('journal_mode = WAL');
    writer.exec('create table t (x integer)');
    try {
      removeCreatedDb(live);
      assert.equal(existsSync(live), true, 'a store with a WAL beside it stays');
    } finally {
      writer.close();
    }
  });

  it('rejects a path it cannot write', async () => {
    // Root ignores permission bits, so as root the open runs in a child process as nobody.
    const asRoot = process.getuid?.() === 0;
    const moduleUrl = new URL('../../src/store/sqlite/sqlite-store.js', import.meta.url).href;
    const openUnprivileged = async (path: string): Promise<{ code?: string; message?: string }> => {
      if (!asRoot) {
        try {
          await (await openSqliteStore(path)).close();
          return {};
        } catch (e) {
          return e instanceof TrawlError ? { code: e.code, message: e.message } : { message: String(e) };
        }
      }
      const script = `const { openSqliteStore } = await import(process.argv[1]);
        try { await (await openSqliteStore(process.argv[2])).close(); console.log('{}'); }
        catch (e) { console.log(JSON.stringify({ code: e.code, message: e.message })); }`;
      const r = spawnSync(process.execPath, ['--input-type=module', '-e', script, moduleUrl, path], { uid: 65534, gid: 65534, encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      return JSON.parse(r.stdout) as { code?: string; message?: string };
    };

    const dir = join(root, 'locked');
    mkdirSync(dir);
    chmodSync(root, 0o755);
    const file = join(dir, 'a.db');
    const s = await openSqliteStore(file);
    await s.migrate();
    await s.close();
    chmodSync(file, 0o444);
    chmodSync(dir, 0o555);
    try {
      const inDir = join(dir, 'new.db');
      const a = await openUnprivileged(inDir);
      assert.equal(a.code, 'TRAWL_E_DB_PATH', a.message);
      assert.ok(a.message?.includes(inDir) && /not writable/.test(a.message), a.message);
      const b = await openUnprivileged(file);
      assert.equal(b.code, 'TRAWL_E_DB_PATH', b.message);
      assert.ok(b.message?.includes(file) && /not writable/.test(b.message), b.message);
      assert.deepEqual(filesIn(dir), ['a.db']);
    } finally {
      chmodSync(dir, 0o755);
      chmodSync(file, 0o644);
      chmodSync(root, 0o700);
    }
  });

  it('persists across reopen, in WAL mode', async () => {
    const path = freshPath();
    const a = await openSqliteStore(path);
    await a.migrate();
    await a.createScan({ id: 'p1', spec, counters: { ...emptyCounters(), probesPlanned: 2n ** 90n }, createdAt: '2030-01-01T00:00:00.000Z' });
    await a.putWorkUnits([{ scanId: 'p1', stage: 'discover', unitIndex: 0, start: 0n, end: 10n, checkpoint: 0n, state: 'pending', attempts: 0, leaseOwner: null }]);
    await a.commitProgress({ scanId: 'p1', stage: 'discover', unitIndex: 0, checkpoint: 3n, unitDone: false, counters: { probesSent: 3n }, observations: [
      { type: 'port', scanId: 'p1', ip: '127.0.0.1', port: 80, proto: 'tcp', state: 'open', evidence: 'syn-ack', ts: '2030-01-01T00:00:01.000Z' },
    ] });
    assert.ok(existsSync(`${path}-wal`), 'a WAL file exists while the store is open');
    await a.close();

    const raw = new BetterSqlite3(path, { readonly: true });
    try {
      assert.equal(raw.pragma('journal_mode', { simple: true }), 'wal');
      assert.deepEqual(raw.prepare('select name from kysely_migration order by name').all(), Object.keys(migrations).sort().map((name) => ({ name })));
    } finally {
      raw.close();
    }

    const b = await openSqliteStore(path);
    await b.migrate();
    assert.equal((await b.getScan('p1'))?.counters.probesPlanned, 2n ** 90n);
    assert.equal((await b.listWorkUnits('p1', 'discover'))[0]?.checkpoint, 3n);
    assert.equal(await b.countObservations('p1'), 1);
    await b.close();
  });

  it('opens read-only: reads work, writes fail with TRAWL_E_DB, an unmigrated file is refused', async () => {
    const path = freshPath();
    const writer = await openSqliteStore(path);
    await writer.migrate();
    await writer.createScan({ id: 'r1', spec, counters: emptyCounters(), createdAt: '2030-01-01T00:00:00.000Z' });
    const reader = await openSqliteStore(path, { readonly: true });
    try {
      await reader.migrate();
      assert.equal((await reader.findScan('latest'))?.id, 'r1');
      await assert.rejects(reader.setScanStatus('r1', 'done', null), (e: unknown) => e instanceof TrawlError && e.code === 'TRAWL_E_DB' && /read-only/.test(e.message));
      // The writer keeps writing while the reader is open (WAL), and the reader sees it.
      await writer.setScanStatus('r1', 'interrupted', null);
      assert.equal((await reader.getScan('r1'))?.status, 'interrupted');
    } finally {
      await reader.close();
      await writer.close();
    }

    const empty = freshPath();
    new BetterSqlite3(empty).exec('create table unrelated (x integer)').close();
    const ro = await openSqliteStore(empty, { readonly: true });
    try {
      await assert.rejects(ro.migrate(), (e: unknown) => e instanceof TrawlError && e.code === 'TRAWL_E_DB' && /0001-initial/.test(e.message) && e.message.includes(empty));
    } finally {
      await ro.close();
    }
  });

  it('commits 100,000 observations in batches of 500 (timing reported, not asserted)', async (t) => {
    const store = await openSqliteStore(freshPath());
    try {
      await store.migrate();
      await store.createScan({ id: 'perf', spec, counters: emptyCounters(), createdAt: '2030-01-01T00:00:00.000Z' });
      await store.putWorkUnits([{ scanId: 'perf', stage: 'discover', unitIndex: 0, start: 0n, end: 100_000n, checkpoint: 0n, state: 'pending', attempts: 0, leaseOwner: null }]);
      const total = 100_000;
      const batch = 500;
      const started = performance.now();
      for (let i = 0; i < total; i += batch) {
        const observations: PortObservation[] = [];
        for (let j = i; j < i + batch; j++) {
          observations.push({ type: 'port', scanId: 'perf', ip: crashIp(j >> 1), port: 80 + (j & 1), proto: 'tcp', state: j % 7 === 0 ? 'open' : 'closed', evidence: j % 7 === 0 ? 'syn-ack' : 'reset', ts: '2030-01-01T00:00:01.000Z', rttMs: 0.25 });
        }
        await store.commitProgress({ scanId: 'perf', stage: 'discover', unitIndex: 0, checkpoint: BigInt(i + batch), unitDone: i + batch === total, observations, counters: { probesSent: BigInt(batch) } });
      }
      const commitMs = performance.now() - started;
      const listStarted = performance.now();
      let listed = 0;
      let previous = -1;
      for await (const o of store.listPortObservations('perf')) {
        const index = ((Number(o.ip.split('.')[2]) << 8 | Number(o.ip.split('.')[3])) + (Number(o.ip.split('.')[1]) << 16)) * 2 + (o.port - 80);
        assert.equal(index, previous + 1);
        previous = index;
        listed++;
      }
      const listMs = performance.now() - listStarted;
      t.diagnostic(`commit ${total} observations in ${total / batch} batches: ${commitMs.toFixed(0)} ms; stream them back: ${listMs.toFixed(0)} ms`);
      assert.equal(listed, total);
      assert.equal(await store.countObservations('perf'), total);
      assert.equal((await store.getScan('perf'))?.counters.probesSent, BigInt(total));
      assert.equal((await store.listWorkUnits('perf', 'discover'))[0]?.state, 'done');
    } finally {
      await store.close();
    }
  });

  describe('kill -9 in the middle of committing', () => {
    const batch = 1000;
    const scanId = 'crash';
    let path = '';
    before(async () => {
      path = freshPath();
      const store = await openSqliteStore(path);
      await store.migrate();
      await store.createScan({ id: scanId, spec, counters: emptyCounters(), createdAt: '2030-01-01T00:00:00.000Z' });
      await store.putWorkUnits([{ scanId, stage: 'discover', unitIndex: 0, start: 0n, end: 10_000_000n, checkpoint: 0n, state: 'pending', attempts: 0, leaseOwner: null }]);
      await store.close();
    });

    /** Runs the writer until it has reported `commits` commits, then SIGKILLs it; returns the last checkpoint it reported. */
    async function runAndKill(commits: number): Promise<number> {
      const helper = fileURLToPath(new URL('./crash-writer.js', import.meta.url));
      const child = spawn(process.execPath, [helper, path, scanId, String(batch), '1000000'], { stdio: ['ignore', 'pipe', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      const exited = new Promise<NodeJS.Signals | number | null>((resolve) => child.on('exit', (code, signal) => resolve(signal ?? code)));
      let reported = 0;
      let seen = 0;
      for await (const line of createInterface({ input: child.stdout })) {
        reported = Number(line);
        if (++seen === commits) {
          // A random pause, so the kill is not aligned with the start of a commit but lands anywhere in one.
          await new Promise((resolve) => setTimeout(resolve, Math.random() * 6));
          child.kill('SIGKILL');
          break;
        }
      }
      const how = await exited;
      assert.equal(how, 'SIGKILL', `the writer was killed, not finished (stderr: ${stderr})`);
      return reported;
    }

    async function verify(reported: number): Promise<number> {
      const raw = new BetterSqlite3(path);
      try {
        assert.equal(raw.pragma('integrity_check', { simple: true }), 'ok');
      } finally {
        raw.close();
      }
      const store: Store = await openSqliteStore(path);
      try {
        await store.migrate();
        const [u] = await store.listWorkUnits(scanId, 'discover');
        const checkpoint = Number(u?.checkpoint ?? -1);
        assert.ok(checkpoint >= reported, `every commit the writer saw return is durable (checkpoint ${checkpoint}, reported ${reported})`);
        assert.equal(checkpoint % batch, 0, 'checkpoint moved by whole commits only');
        // The checkpoint's observations are all there, and nothing of an uncommitted batch is.
        assert.equal(await store.countObservations(scanId), checkpoint);
        let i = 0;
        for await (const o of store.listPortObservations(scanId)) {
          assert.equal(o.ip, crashIp(i), `observation ${i}`);
          assert.equal(o.state, crashIsOpen(i) ? 'open' : 'closed');
          i++;
        }
        assert.equal(i, checkpoint);
        const counters = (await store.getScan(scanId))?.counters;
        assert.equal(counters?.probesSent, BigInt(checkpoint), 'counters committed with the checkpoint');
        assert.equal(counters?.openFound, BigInt(Math.ceil(checkpoint / 5)));
        return checkpoint;
      } finally {
        await store.close();
      }
    }

    it('leaves a store that opens cleanly with every committed checkpoint complete, across repeated kills', async () => {
      let last = 0;
      for (const commits of [8, 15, 3, 12, 6, 10]) {
        const reported = await runAndKill(commits);
        assert.ok(reported > last, 'the writer resumed from the stored checkpoint');
        last = await verify(reported);
      }
    });
  });
});
