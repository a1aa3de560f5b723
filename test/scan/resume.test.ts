import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { listenAll, parseJsonl, runTrawl, spawnTrawl, collect } from './cli-harness.js';

// A /26 of loopback addresses, 16 ports: 1,024 probes. Some (address, port) pairs listen.
const NET = '127.88.0.0/26';
const PORTS = [1433, 2121, 2222, 2525, 3306, 3389, 5432, 5900, 6379, 8000, 8080, 8443, 8888, 9200, 9993, 27017];
const OPEN = [
  { ip: '127.88.0.3', port: 8080 }, { ip: '127.88.0.3', port: 3306 }, { ip: '127.88.0.9', port: 6379 },
  { ip: '127.88.0.17', port: 8443 }, { ip: '127.88.0.33', port: 5432 }, { ip: '127.88.0.60', port: 1433 },
  { ip: '127.88.0.61', port: 3389 }, { ip: '127.88.0.62', port: 9993 },
];

function key(o: Record<string, unknown>): string {
  return `${String(o['ip'])}:${String(o['port'])}`;
}

describe('scan: kill -9 and --resume', () => {
  let dir: string;
  let lab: { close(): Promise<void> };
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'trawl-resume-'));
    lab = await listenAll(OPEN);
  });
  after(async () => {
    await lab.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('resumes after SIGKILL with every open port exactly once', async () => {
    const db = join(dir, 'resume.db');
    // Slow it down (200 probes/s) so the kill lands mid-scan, after some checkpoints were committed.
    const args = ['scan', NET, '-p', PORTS.join(','), '--db', db, '--seed', '7', '--max-rate', '200', '-Pn', '-q'];
    const child = spawnTrawl(args);
    const done = collect(child);
    await new Promise((r) => setTimeout(r, 2500));
    child.kill('SIGKILL');
    const killed = await done;
    assert.equal(killed.signal, 'SIGKILL', `scan finished before the kill: ${killed.stderr}`);

    const mid = new Database(db, { readonly: true });
    const scan = mid.prepare('select id, status from scans').get() as { id: string; status: string };
    const units = mid.prepare('select range_start, range_end, checkpoint from work_units where scan_id = ?').all(scan.id) as { range_start: string; range_end: string; checkpoint: string }[];
    mid.close();
    assert.equal(scan.status, 'running', 'a killed scan is left running, i.e. resumable');
    const progressed = units.reduce((n, u) => n + (BigInt(u.checkpoint) - BigInt(u.range_start)), 0n);
    const total = units.reduce((n, u) => n + (BigInt(u.range_end) - BigInt(u.range_start)), 0n);
    assert.ok(progressed > 0n && progressed < total, `checkpoint should be mid-way: ${progressed}/${total}`);

    const out = join(dir, 'resumed.jsonl');
    const resumed = await runTrawl(['scan', '--resume', '--db', db, '-oJ', out, '-q']);
    assert.equal(resumed.code, 0, resumed.stderr);
    const rows = parseJsonl(readFileSync(out, 'utf8'));
    const keys = rows.map(key).sort();
    assert.deepEqual(keys, [...new Set(keys)], 'no duplicates');
    assert.deepEqual(keys, OPEN.map(key).sort(), 'exactly the open ports');
    assert.ok(rows.every((r) => r['scan_id'] === scan.id), 'results belong to the resumed scan');

    const after = new Database(db, { readonly: true });
    const final = after.prepare('select status, probes_planned from scans where id = ?').get(scan.id) as { status: string; probes_planned: string };
    const dupes = after.prepare('select count(*) n from (select ip, port, count(*) c from observations group by scan_id, ip, port having c > 1)').get() as { n: number };
    after.close();
    assert.equal(final.status, 'done');
    assert.equal(BigInt(final.probes_planned), BigInt(64 * PORTS.length));
    assert.equal(dupes.n, 0);

    // Resuming a finished scan is an error that says so.
    const again = await runTrawl(['scan', '--resume', '--db', db, '-q']);
    assert.equal(again.code, 65);
    assert.match(again.stderr, /TRAWL_E_NOTHING_TO_RESUME/);
  });

  it('an uninterrupted scan with the same seed finds the same ports', async () => {
    const out = join(dir, 'clean.jsonl');
    const r = await runTrawl(['scan', NET, '-p', PORTS.join(','), '--seed', '7', '-Pn', '-oJ', out, '-q']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(parseJsonl(readFileSync(out, 'utf8')).map(key).sort(), OPEN.map(key).sort());
  });
});
