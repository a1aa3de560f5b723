import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseServiceProbes, probeServiceDetailed, WorkerMatchPool, type ProbeDatabase } from '../../../src/engines/identify/nmap/index.js';
import type { IdentifyTarget } from '../../../src/engines/identify/service-identity.js';
import { startServer, type LocalServer } from './local-servers.js';

const at = (port: number): IdentifyTarget => ({ ip: '127.0.0.1', port, family: 4 });

/**
 * What a hostile or broken service can do to the prober: a banner that sends a backtracking regex
 * exponential, an endless stream, a one-byte drip. Each must end within its budget with bounded
 * memory, and the prober must carry on with the next pattern or probe.
 */
describe('hostile inputs', () => {
  const servers: LocalServer[] = [];
  let db: ProbeDatabase;
  let pool: WorkerMatchPool;

  before(async () => {
    db = parseServiceProbes(
      [
        'Probe TCP NULL q||',
        'match evil m|^(a+)+$|',
        'match evil2 m|^(\\w+\\s?)*$|',
        'match good m|^a+!| p/Good/',
        'Probe TCP Ping q|PING\\r\\n|',
        'rarity 1',
        'match pong m|^PONG|',
      ].join('\n'),
    );
    pool = new WorkerMatchPool(db, { size: 1, patternBudgetMs: 150, requestBudgetMs: 5000 });
    await pool.warm();
  });
  after(async () => {
    await Promise.all(servers.map((s) => s.close()));
    await pool.close();
  });

  it('abandons a catastrophically backtracking pattern and matches the next one', async () => {
    const subject = Buffer.from(`${'a'.repeat(40)}!`, 'latin1');
    const restarts = pool.restarts;
    const t0 = performance.now();
    const direct = await pool.match(db.nullProbe!.index, subject);
    const ms = performance.now() - t0;
    assert.equal(direct.hit && db.matches[direct.hit.matchId]!.service, 'good');
    assert.deepEqual(
      direct.abandoned.map((id) => db.matches[id]!.service),
      ['evil', 'evil2'],
    );
    assert.ok(ms < 1500, `${ms} ms for two 150 ms budgets and worker restarts`);
    assert.equal(pool.restarts - restarts, 2);
    console.log(`# pathological regex: two patterns abandoned, next one matched in ${ms.toFixed(0)} ms`);

    // Same through the prober, from a server sending that banner.
    const srv = await startServer((s) => s.write(subject));
    servers.push(srv);
    const r = await probeServiceDetailed(at(srv.port), db, { matcher: pool });
    assert.equal(r.identity?.name, 'good');
    assert.ok(r.abandonedPatterns >= 2);
    assert.ok(r.elapsedMs < 2500, `${r.elapsedMs} ms`);
  });

  it('bounds a whole request by its budget', async () => {
    const tight = new WorkerMatchPool(db, { size: 1, patternBudgetMs: 10_000, requestBudgetMs: 300 });
    try {
      const t0 = performance.now();
      const r = await tight.match(db.nullProbe!.index, Buffer.from(`${'a'.repeat(40)}!`, 'latin1'));
      const ms = performance.now() - t0;
      assert.equal(r.budgetExceeded, true);
      assert.equal(r.hit, undefined);
      assert.ok(ms < 1500, `${ms} ms`);
    } finally {
      await tight.close();
    }
  });

  it('cuts off a 10 MB stream at 64 KiB, with bounded memory', async () => {
    const chunk = Buffer.alloc(64 * 1024, 0x7e);
    let offered = 0;
    const srv = await startServer((s) => {
      const pump = (): void => {
        while (offered < 10 * 1024 * 1024 && !s.destroyed) {
          offered += chunk.length;
          if (!s.write(chunk)) return void s.once('drain', pump);
        }
      };
      pump();
    });
    servers.push(srv);
    const before = process.memoryUsage();
    const r = await probeServiceDetailed(at(srv.port), db, { matcher: pool, maxResponseBytes: 64 * 1024 });
    const after = process.memoryUsage();
    assert.equal(r.status, 'nomatch');
    for (const x of r.responses) assert.ok(x.bytes <= 64 * 1024, `${x.probe} kept ${x.bytes} bytes`);
    assert.ok(r.responses.some((x) => x.end === 'max-bytes'), JSON.stringify(r.responses.map((x) => [x.probe, x.end, x.bytes])));
    assert.ok(r.elapsedMs < 3000, `${r.elapsedMs} ms`);
    const grew = after.heapUsed + after.arrayBuffers - (before.heapUsed + before.arrayBuffers);
    console.log(`# 10 MB stream: ${r.responses.map((x) => `${x.probe} ${x.bytes} B (${x.end})`).join(', ')}; ${r.elapsedMs.toFixed(0)} ms; heap+buffers grew ${(grew / 1e6).toFixed(1)} MB`);
    assert.ok(grew < 16e6, `memory grew by ${grew} bytes`);
  });

  it('stops waiting on a 1-byte-per-100 ms drip', async () => {
    const srv = await startServer((s) => {
      const t = setInterval(() => (s.destroyed ? clearInterval(t) : s.write('~')), 100);
      s.on('close', () => clearInterval(t));
    });
    servers.push(srv);
    const t0 = performance.now();
    const r = await probeServiceDetailed(at(srv.port), db, { matcher: pool, nullProbeWaitMs: 1000, maxProbeWaitMs: 800 });
    const ms = performance.now() - t0;
    assert.equal(r.status, 'nomatch');
    assert.ok(ms < 2500, `${ms} ms`);
    for (const x of r.responses) {
      assert.equal(x.end, 'total', `${x.probe} ended by ${x.end}`);
      assert.ok(x.bytes <= 12, `${x.probe} read ${x.bytes} bytes`);
    }
    // And the per-port budget ends everything early.
    const t1 = performance.now();
    const cut = await probeServiceDetailed(at(srv.port), db, { matcher: pool, timeoutMs: 400 });
    assert.equal(cut.status, 'timeout');
    assert.ok(performance.now() - t1 < 900);
  });
});
