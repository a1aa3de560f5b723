/**
 * The real scanner on loopback: a service that stops answers the next scan with a reset, the runner
 * stores that reset because the inventory asks for it (recordClosed), and folding the scan closes the
 * port with evidence 'reset'. Traffic goes to 127.0.0.1 only.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import { after, describe, it } from 'node:test';
import { recordClosedPredicate } from '../../src/inventory/closed-recorder.js';
import { applyScan } from '../../src/inventory/inventory-apply.js';
import { listServices } from '../../src/inventory/inventory-queries.js';
import { defaultEngineOptions } from '../../src/scan/scan-options.js';
import { runScan, type ScanRequest } from '../../src/scan/scan-runner.js';
import { removeTempFiles, sqliteFixture } from './inventory-fixture.js';

const LOOPBACK = '127.0.0.1';

function listen(port = 0): Promise<Server> {
  return new Promise((resolve, reject) => {
    const s = createServer((c) => c.destroy());
    s.once('error', reject);
    s.listen(port, LOOPBACK, () => resolve(s));
  });
}

function portOf(s: Server): number {
  const a = s.address();
  if (a === null || typeof a === 'string') throw new Error('no port');
  return a.port;
}

function close(s: Server): Promise<void> {
  return new Promise((resolve) => s.close(() => resolve()));
}

after(removeTempFiles);

describe('recordClosed: resets as evidence', () => {
  it('stores resets only where the inventory holds a port open, and the fold closes it', async () => {
    const fx = await sqliteFixture();
    const stays = await listen();
    const stops = await listen();
    const neverOpen = await listen();
    const [pStays, pStops, pNever] = [portOf(stays), portOf(stops), portOf(neverOpen)];
    await close(neverOpen);
    try {
      const request: ScanRequest = {
        targets: [LOOPBACK], targetFiles: [], excludes: [], excludeFiles: [], ports: [pStays, pStops, pNever],
        shard: { index: 1, count: 1 }, applyBlocklist: true, discovery: 'off', seed: 7n,
      };
      const tuning = { ...defaultEngineOptions(), concurrency: 16 };
      const first = await runScan(request, { store: fx.store, tuning });
      const r1 = await applyScan(fx.db, first.scan.id);
      assert.deepEqual(r1.events.map((e) => `${e.kind} ${e.port ?? ''}`.trim()).sort(), ['asset_appeared', `port_opened ${pStays}`, `port_opened ${pStops}`].sort());

      await close(stops);
      const asked: number[] = [];
      const predicate = await recordClosedPredicate(fx.db);
      const recordClosed = (ip: string, port: number): boolean => {
        asked.push(port);
        return predicate(ip, port);
      };
      // Later than the first scan's finish, so the fold order holds even on a coarse clock.
      const second = await runScan(request, { store: fx.store, tuning, recordClosed, now: () => new Date(Date.now() + 1000) });
      assert.deepEqual(asked.sort(), [pStops, pNever].sort(), 'asked for each reset');
      const rows: { port: number; state: string; evidence: string }[] = [];
      for await (const o of fx.store.listPortObservations(second.scan.id)) rows.push({ port: o.port, state: o.state, evidence: o.evidence });
      assert.deepEqual(rows.sort((a, b) => a.port - b.port), [
        { port: pStays, state: 'open', evidence: 'syn-ack' },
        { port: pStops, state: 'closed', evidence: 'reset' },
      ].sort((a, b) => a.port - b.port));
      assert.equal(second.scan.counters.openFound, 1n, 'closed rows are not counted as open');

      const r2 = await applyScan(fx.db, second.scan.id);
      assert.deepEqual(r2.events.map((e) => [e.kind, e.port, e.evidence]), [['port_closed', pStops, 'reset']]);
      assert.deepEqual((await listServices(fx.db)).map((s) => [s.port, s.state]).sort((a, b) => Number(a[0]) - Number(b[0])), [[pStays, 'open'], [pStops, 'closed']].sort((a, b) => Number(a[0]) - Number(b[0])));

      // Without the option, resets are not stored (the discover stage's default).
      const third = await runScan(request, { store: fx.store, tuning, now: () => new Date(Date.now() + 2000) });
      const states: string[] = [];
      for await (const o of fx.store.listPortObservations(third.scan.id)) states.push(o.state);
      assert.deepEqual(states, ['open']);
    } finally {
      await close(stays);
      await fx.close();
    }
  });
});
