/**
 * The behaviour every Store adapter must have. An adapter's test file calls
 * `describeStoreConformance(name, open, cleanup)`; `open` must return a store over an EMPTY database
 * on every call (a new temp file, a new schema...). Each test opens its own store, migrates it and
 * closes it; `cleanup` runs once after the whole suite.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type { PortObservation, PortState } from '../../src/model/observation.js';
import { emptyCounters, type ScanCounters, type ScanSpec } from '../../src/model/scan.js';
import type { WorkUnit } from '../../src/model/work-unit.js';
import type { ProgressCommit, Store } from '../../src/store/store.js';
import { collect, rejectsWith } from '../support/trawl-assert.js';

const T0 = Date.parse('2030-01-01T00:00:00.000Z');
/** A distinct ISO time `i` seconds after T0. */
const at = (i: number): string => new Date(T0 + i * 1000).toISOString();

function spec(overrides: Partial<ScanSpec> = {}): ScanSpec {
  return {
    targets: ['192.0.2.0/24', 'host.example'],
    targetFiles: [],
    excludes: ['192.0.2.7'],
    excludeFiles: [],
    ports: [22, 80, 443],
    resolved: { 'host.example': ['192.0.2.10', '2001:db8::10'] },
    seed: '1234567890abcdef',
    shard: { index: 0, count: 1 },
    options: { retries: 1, rate: 1000, banner: false },
    ...overrides,
  };
}

function unit(scanId: string, unitIndex: number, start: bigint, end: bigint, extra: Partial<WorkUnit> = {}): WorkUnit {
  return { scanId, stage: 'discover', unitIndex, start, end, checkpoint: start, state: 'pending', attempts: 0, leaseOwner: null, ...extra };
}

function obs(scanId: string, ip: string, port: number, state: PortState, extra: Partial<PortObservation> = {}): PortObservation {
  const evidence = state === 'open' ? 'syn-ack' : state === 'closed' ? 'reset' : 'timeout';
  return { type: 'port', scanId, ip, port, proto: 'tcp', state, ts: at(100), evidence, ...extra };
}

function commit(scanId: string, checkpoint: bigint, observations: readonly PortObservation[], extra: Partial<ProgressCommit> = {}): ProgressCommit {
  return { scanId, stage: 'discover', unitIndex: 0, checkpoint, unitDone: false, observations, counters: {}, ...extra };
}

const key = (o: PortObservation): string => `${o.ip} ${o.port}/${o.proto}`;

export function describeStoreConformance(name: string, open: () => Promise<Store>, cleanup?: () => Promise<void>): void {
  describe(`Store conformance: ${name}`, () => {
    if (cleanup) after(cleanup);

    /** A fresh, migrated store for one test, closed afterwards whatever happens. */
    async function withStore(fn: (store: Store) => Promise<void>): Promise<void> {
      const store = await open();
      try {
        await store.migrate();
        await fn(store);
      } finally {
        await store.close();
      }
    }

    /** A scan with one work unit [0, end) ready for commits. */
    async function scanWithUnit(store: Store, id: string, end = 1_000_000n, counters: ScanCounters = emptyCounters()): Promise<void> {
      await store.createScan({ id, spec: spec(), counters, createdAt: at(1) });
      await store.putWorkUnits([unit(id, 0, 0n, end)]);
    }

    it('migrates idempotently', async () => {
      const store = await open();
      try {
        await store.migrate();
        await store.migrate();
        await store.createScan({ id: 's1', spec: spec(), counters: emptyCounters(), createdAt: at(1) });
        await store.migrate();
        assert.equal((await store.getScan('s1'))?.id, 's1');
      } finally {
        await store.close();
      }
    });

    it('creates and reads scans, re-creating the same scan idempotently', () =>
      withStore(async (store) => {
        const counters = { ...emptyCounters(), probesPlanned: 2n ** 100n + 7n, probesSkippedBlocklist: 3n };
        const created = await store.createScan({ id: 'scan-a', spec: spec(), counters, createdAt: at(5) });
        assert.deepEqual(created, { id: 'scan-a', createdAt: at(5), finishedAt: null, status: 'running', spec: spec(), counters });
        assert.deepEqual(await store.getScan('scan-a'), created);
        assert.equal(await store.getScan('scan-b'), undefined);

        assert.deepEqual(await store.createScan({ id: 'scan-a', spec: spec(), counters, createdAt: at(5) }), created);
        await rejectsWith(store.createScan({ id: 'scan-a', spec: spec({ ports: [1] }), counters, createdAt: at(6) }), 'TRAWL_E_DB', /scan-a/);
        assert.deepEqual(await store.getScan('scan-a'), created);
      }));

    it('finds scans by latest, exact id and unique prefix; an ambiguous prefix is an error', () =>
      withStore(async (store) => {
        assert.equal(await store.findScan('latest'), undefined);
        // Inserted out of time order: `latest` must go by createdAt, not insertion.
        for (const [id, t] of [['b7x', 4], ['a1b2c3', 2], ['a1b2ff', 9], ['b7', 3]] as const) {
          await store.createScan({ id, spec: spec(), counters: emptyCounters(), createdAt: at(t) });
        }
        assert.equal((await store.findScan('latest'))?.id, 'a1b2ff');
        assert.equal((await store.findScan('b7'))?.id, 'b7', 'an exact id wins over a longer id it prefixes');
        assert.equal((await store.findScan('b7x'))?.id, 'b7x');
        assert.equal((await store.findScan('a1b2c'))?.id, 'a1b2c3');
        assert.equal((await store.findScan('a1b2f'))?.id, 'a1b2ff');
        const err = await rejectsWith(store.findScan('a1b2'), 'TRAWL_E_SCAN_NOT_FOUND', /ambiguous/);
        assert.match(err.message, /a1b2c3/);
        assert.match(err.message, /a1b2ff/);
        assert.equal(await store.findScan('zz'), undefined);
        assert.equal(await store.findScan(''), undefined);
        assert.equal(await store.findScan('A1B2C3'), undefined, 'prefixes are case-sensitive');
        assert.equal(await store.findScan('a1%'), undefined, 'no LIKE wildcards');
        assert.equal(await store.findScan('a1b2_3'), undefined, 'no LIKE wildcards');
        assert.deepEqual((await store.listScans(10)).map((s) => s.id), ['a1b2ff', 'b7x', 'b7', 'a1b2c3']);
        assert.deepEqual((await store.listScans(2)).map((s) => s.id), ['a1b2ff', 'b7x']);
        assert.deepEqual(await store.listScans(0), []);
      }));

    it('tracks status and finds the latest unfinished scan', () =>
      withStore(async (store) => {
        assert.equal(await store.latestUnfinishedScan(), undefined);
        await store.createScan({ id: 'old', spec: spec(), counters: emptyCounters(), createdAt: at(1) });
        await store.createScan({ id: 'mid', spec: spec(), counters: emptyCounters(), createdAt: at(2) });
        await store.createScan({ id: 'new', spec: spec(), counters: emptyCounters(), createdAt: at(3) });
        await store.setScanStatus('new', 'done', at(10));
        await store.setScanStatus('mid', 'interrupted', null);
        assert.equal((await store.latestUnfinishedScan())?.id, 'mid');
        await store.setScanStatus('mid', 'failed', at(11));
        assert.equal((await store.latestUnfinishedScan())?.id, 'old');
        const mid = await store.getScan('mid');
        assert.equal(mid?.status, 'failed');
        assert.equal(mid?.finishedAt, at(11));
        assert.equal((await store.getScan('new'))?.status, 'done');
        await store.setScanStatus('old', 'done', at(12));
        assert.equal(await store.latestUnfinishedScan(), undefined);
        await rejectsWith(store.setScanStatus('missing', 'done', at(13)), 'TRAWL_E_SCAN_NOT_FOUND', /missing/);
      }));

    it('increments counters exactly, beyond 2^53 and 2^64', () =>
      withStore(async (store) => {
        const planned = 2n ** 70n + 3n;
        await scanWithUnit(store, 's', 1_000_000n, { ...emptyCounters(), probesPlanned: planned });
        const big = 2n ** 53n + 1n;
        await store.commitProgress(commit('s', 10n, [], { counters: { probesSent: big, openFound: 2n ** 64n } }));
        await store.commitProgress(commit('s', 20n, [], { counters: { probesSent: big, openFound: 2n ** 64n, probesPlanned: 1n, probesRetried: 0n } }));
        const s = await store.getScan('s');
        assert.deepEqual(s?.counters, {
          ...emptyCounters(),
          probesPlanned: planned + 1n,
          probesSent: 2n ** 54n + 2n,
          openFound: 2n ** 65n,
        });
        // Concurrent commits must not lose increments.
        await Promise.all(Array.from({ length: 25 }, (_, i) => store.commitProgress(commit('s', 100n + BigInt(i), [], { counters: { probesAnswered: 1n, probesTimedOut: 3n } }))));
        const after = await store.getScan('s');
        assert.equal(after?.counters.probesAnswered, 25n);
        assert.equal(after?.counters.probesTimedOut, 75n);
        assert.equal(after?.counters.probesSent, 2n ** 54n + 2n);

        await rejectsWith(store.commitProgress(commit('s', 200n, [], { counters: { probesSent: -1n } })), 'TRAWL_E_INTERNAL');
        assert.deepEqual((await store.getScan('s'))?.counters, after?.counters);
      }));

    it('inserts work units only when absent, keeping bigint ranges exact', () =>
      withStore(async (store) => {
        await store.createScan({ id: 'v6', spec: spec(), counters: emptyCounters(), createdAt: at(1) });
        await store.createScan({ id: 'other', spec: spec(), counters: emptyCounters(), createdAt: at(2) });
        const base = 2n ** 80n;
        const units = [
          unit('v6', 1, base, base + 2n ** 64n, { checkpoint: base + 5n }),
          unit('v6', 0, 0n, base),
          unit('v6', 2, base + 2n ** 64n, 2n ** 128n * 65536n, { state: 'leased', attempts: 2, leaseOwner: 'worker-1' }),
        ];
        await store.putWorkUnits(units);
        await store.putWorkUnits([unit('other', 0, 0n, 10n)]);
        const sorted = [...units].sort((a, b) => a.unitIndex - b.unitIndex);
        assert.deepEqual(await store.listWorkUnits('v6', 'discover'), sorted);

        // Same keys with other values are left alone; new keys are added.
        await store.putWorkUnits([
          unit('v6', 1, 0n, 1n, { checkpoint: 1n, state: 'done', attempts: 9, leaseOwner: 'x' }),
          unit('v6', 3, 7n, 9n),
        ]);
        assert.deepEqual(await store.listWorkUnits('v6', 'discover'), [...sorted, unit('v6', 3, 7n, 9n)]);
        assert.deepEqual(await store.listWorkUnits('other', 'discover'), [unit('other', 0, 0n, 10n)]);
        assert.deepEqual(await store.listWorkUnits('nobody', 'discover'), []);
        await store.putWorkUnits([]);
      }));

    it('commits observations, checkpoint and counters together; checkpoints never move back', () =>
      withStore(async (store) => {
        await scanWithUnit(store, 's', 1000n);
        await store.commitProgress(commit('s', 10n, [obs('s', '192.0.2.1', 80, 'open', { rttMs: 1.25, worker: 'w1', hostname: 'www.example' })], { counters: { probesSent: 10n, openFound: 1n } }));
        let [u] = await store.listWorkUnits('s', 'discover');
        assert.equal(u?.checkpoint, 10n);
        assert.equal(u?.state, 'pending');
        assert.equal(await store.countObservations('s'), 1);
        assert.deepEqual(await collect(store.listPortObservations('s')), [obs('s', '192.0.2.1', 80, 'open', { rttMs: 1.25, worker: 'w1', hostname: 'www.example' })]);
        assert.equal((await store.getScan('s'))?.counters.probesSent, 10n);

        // A stale (redelivered) commit: its observations land, the checkpoint stays.
        await store.commitProgress(commit('s', 4n, [obs('s', '192.0.2.2', 80, 'closed')]));
        [u] = await store.listWorkUnits('s', 'discover');
        assert.equal(u?.checkpoint, 10n);
        assert.equal(await store.countObservations('s'), 2);

        await store.commitProgress(commit('s', 1000n, [], { unitDone: true }));
        [u] = await store.listWorkUnits('s', 'discover');
        assert.equal(u?.checkpoint, 1000n);
        assert.equal(u?.state, 'done');
        await store.commitProgress(commit('s', 999n, [], { unitDone: false }));
        [u] = await store.listWorkUnits('s', 'discover');
        assert.equal(u?.state, 'done', 'a done unit stays done');
        assert.equal(u?.checkpoint, 1000n);
      }));

    it('rejects a checkpoint outside the unit and a commit to a missing unit, changing nothing', () =>
      withStore(async (store) => {
        await scanWithUnit(store, 's', 1000n);
        await store.commitProgress(commit('s', 5n, [obs('s', '192.0.2.1', 22, 'open')], { counters: { probesSent: 5n } }));
        const before = { unit: await store.listWorkUnits('s', 'discover'), scan: await store.getScan('s'), rows: await collect(store.listPortObservations('s')) };

        await rejectsWith(store.commitProgress(commit('s', 1001n, [obs('s', '192.0.2.9', 22, 'open')], { counters: { probesSent: 5n } })), 'TRAWL_E_DB');
        await rejectsWith(store.commitProgress(commit('s', 6n, [obs('s', '192.0.2.9', 22, 'open')], { unitIndex: 7, counters: { probesSent: 5n } })), 'TRAWL_E_DB', /work unit/);
        await rejectsWith(store.commitProgress(commit('nope', 6n, [])), 'TRAWL_E_DB', /nope/);

        assert.deepEqual(await store.listWorkUnits('s', 'discover'), before.unit);
        assert.deepEqual(await store.getScan('s'), before.scan);
        assert.deepEqual(await collect(store.listPortObservations('s')), before.rows);
      }));

    it('rolls back a whole commit when one observation violates a constraint', () =>
      withStore(async (store) => {
        await scanWithUnit(store, 's', 10_000n);
        await store.commitProgress(commit('s', 100n, [obs('s', '192.0.2.1', 443, 'open')], { counters: { probesSent: 100n, openFound: 1n } }));
        const before = { unit: await store.listWorkUnits('s', 'discover'), scan: await store.getScan('s'), rows: await collect(store.listPortObservations('s')) };

        // Thousands of valid rows (more than one insert statement's worth on SQLite), the bad one
        // sorting last, so the failure comes after the checkpoint, counters and earlier rows were written.
        const good = Array.from({ length: 3000 }, (_, i) => obs('s', `10.1.${i >> 8}.${i & 255}`, 80, i % 3 === 0 ? 'open' : 'closed'));
        const badOnes: Record<string, PortObservation> = {
          'port out of range': obs('s', '10.255.255.255', 70_000, 'open'),
          'unknown state': { ...obs('s', '10.255.255.255', 80, 'open'), state: 'half-open' as PortState },
          'unknown proto': { ...obs('s', '10.255.255.255', 80, 'open'), proto: 'sctp' as 'tcp' },
          'missing ts': { ...obs('s', '10.255.255.255', 80, 'open'), ts: null as unknown as string },
        };
        for (const [what, bad] of Object.entries(badOnes)) {
          await rejectsWith(
            store.commitProgress(commit('s', 3100n, [...good, bad], { counters: { probesSent: 3001n, openFound: 1001n } })),
            'TRAWL_E_DB',
            undefined,
          ).catch((e: unknown) => assert.fail(`${what}: ${String(e)}`));
          assert.deepEqual(await store.listWorkUnits('s', 'discover'), before.unit, `${what}: checkpoint unchanged`);
          assert.deepEqual(await store.getScan('s'), before.scan, `${what}: counters unchanged`);
          assert.equal(await store.countObservations('s'), 1, `${what}: no observation landed`);
          assert.deepEqual(await collect(store.listPortObservations('s')), before.rows);
        }

        // Invalid address: refused before anything is written.
        await rejectsWith(store.commitProgress(commit('s', 3100n, [...good, obs('s', '10.0.0.256', 80, 'open')])), 'TRAWL_E_BAD_TARGET', /10\.0\.0\.256/);
        assert.equal(await store.countObservations('s'), 1);

        // The same commit without the bad row goes through whole.
        await store.commitProgress(commit('s', 3100n, good, { counters: { probesSent: 3000n, openFound: 1000n } }));
        assert.equal(await store.countObservations('s'), 3001);
        assert.equal((await store.listWorkUnits('s', 'discover'))[0]?.checkpoint, 3100n);
        assert.equal((await store.getScan('s'))?.counters.openFound, 1001n);
      }));

    it('re-committing the same observations never duplicates rows', () =>
      withStore(async (store) => {
        await scanWithUnit(store, 's');
        const batch = Array.from({ length: 300 }, (_, i) => obs('s', `198.51.100.${i % 200}`, 1000 + Math.floor(i / 200), i % 4 === 0 ? 'open' : 'closed'));
        await store.commitProgress(commit('s', 300n, batch));
        const first = await collect(store.listPortObservations('s'));
        assert.equal(first.length, 300);
        await store.commitProgress(commit('s', 300n, batch));
        await store.commitProgress(commit('s', 300n, [...batch].reverse()));
        assert.equal(await store.countObservations('s'), 300);
        assert.deepEqual(await collect(store.listPortObservations('s')), first);

        // Duplicates inside one commit collapse too; the same address spelt differently is the same row.
        await store.commitProgress(commit('s', 301n, [
          obs('s', '2001:db8::1', 22, 'closed', { ts: at(1) }),
          obs('s', '2001:db8::1', 22, 'closed', { ts: at(2) }),
          obs('s', '2001:0db8:0:0::1', 22, 'open', { ts: at(3) }),
          obs('s', '2001:db8::1', 22, 'filtered', { ts: at(4) }),
        ]));
        assert.equal(await store.countObservations('s'), 301);
        const v6 = (await collect(store.listPortObservations('s'))).filter((o) => o.port === 22);
        assert.deepEqual(v6, [obs('s', '2001:0db8:0:0::1', 22, 'open', { ts: at(3) })]);
      }));

    it('never overwrites an open observation with a later closed or filtered one', () =>
      withStore(async (store) => {
        await scanWithUnit(store, 's');
        const a1 = obs('s', '192.0.2.1', 80, 'open', { ts: at(1), rttMs: 1.5, worker: 'w1' });
        const b1 = obs('s', '192.0.2.2', 80, 'filtered', { ts: at(1), hostname: 'b.example' });
        const c1 = obs('s', '192.0.2.3', 80, 'closed', { ts: at(1), rttMs: 0.5 });
        const d1 = obs('s', '192.0.2.4', 80, 'filtered', { ts: at(1) });
        await store.commitProgress(commit('s', 1n, [a1, b1, c1, d1]));

        const b2 = obs('s', '192.0.2.2', 80, 'open', { ts: at(2), rttMs: 2, worker: 'w2' });
        const d2 = obs('s', '192.0.2.4', 80, 'closed', { ts: at(2), rttMs: 3 });
        await store.commitProgress(commit('s', 2n, [obs('s', '192.0.2.1', 80, 'closed', { ts: at(2) }), b2, obs('s', '192.0.2.3', 80, 'filtered', { ts: at(2) }), d2]));
        await store.commitProgress(commit('s', 3n, [
          obs('s', '192.0.2.1', 80, 'filtered', { ts: at(3) }),
          obs('s', '192.0.2.2', 80, 'closed', { ts: at(3) }),
          obs('s', '192.0.2.2', 80, 'open', { ts: at(3), rttMs: 9 }),
          obs('s', '192.0.2.4', 80, 'filtered', { ts: at(3) }),
        ]));

        const rows = await collect(store.listPortObservations('s'));
        assert.deepEqual(rows, [
          a1, // open stays open, first ts and rtt kept
          { ...b2, hostname: 'b.example' }, // filtered -> open: the open observation whole, the known hostname kept
          c1, // closed is not weakened to filtered
          d2, // filtered -> closed: a reset beats silence
        ]);
        assert.deepEqual((await collect(store.listPortObservations('s', { state: 'open' }))).map(key), ['192.0.2.1 80/tcp', '192.0.2.2 80/tcp']);
        assert.deepEqual((await collect(store.listPortObservations('s', { state: 'closed' }))).map(key), ['192.0.2.3 80/tcp', '192.0.2.4 80/tcp']);
        assert.deepEqual(await collect(store.listPortObservations('s', { state: 'filtered' })), []);
      }));

    it('lists port observations in numeric (ip, port, proto) order, IPv4 before IPv6', () =>
      withStore(async (store) => {
        await scanWithUnit(store, 's');
        const expectedIps = [
          '9.255.255.255', '10.0.0.2', '10.0.0.10', '192.168.1.1', '255.255.255.255',
          '::1', '::ffff:10.0.0.1', '2001:db8::1', '2001:DB8::2', '2001:db8::10', '2001:db8:0:0:1::', 'fe80::1',
        ];
        const expected: PortObservation[] = [];
        for (const ip of expectedIps) {
          expected.push(obs('s', ip, 22, 'open'), obs('s', ip, 22, 'closed', { proto: 'udp' }), obs('s', ip, 443, 'filtered'));
        }
        // Deterministic shuffle, committed over several commits.
        const shuffled = expected.map((o, i) => ({ o, k: (i * 7919) % 97 })).sort((x, y) => x.k - y.k).map((x) => x.o);
        await store.commitProgress(commit('s', 1n, shuffled.slice(0, 20)));
        await store.commitProgress(commit('s', 2n, shuffled.slice(20)));
        assert.deepEqual((await collect(store.listPortObservations('s'))).map(key), expected.map(key));
        assert.deepEqual(await collect(store.listPortObservations('s')), expected);
        assert.deepEqual((await collect(store.listPortObservations('s', { state: 'open' }))).map((o) => o.ip), expectedIps);
      }));

    it('streams many pages in order without gaps or duplicates, and keeps scans apart', () =>
      withStore(async (store) => {
        await scanWithUnit(store, 'big');
        await scanWithUnit(store, 'small');
        const n = 5000;
        const ipOf = (i: number) => `10.${i >> 16}.${(i >> 8) & 255}.${i & 255}`;
        const order = Array.from({ length: n }, (_, i) => (i * 2654435761) % n); // a permutation: the multiplier is coprime with n
        assert.equal(new Set(order).size, n);
        for (let b = 0; b < n; b += 1000) {
          await store.commitProgress(commit('big', BigInt(b + 1000), order.slice(b, b + 1000).map((i) => obs('big', ipOf(i >> 1), 80 + (i & 1), i % 10 === 0 ? 'open' : 'closed'))));
        }
        await store.commitProgress(commit('small', 1n, [obs('small', ipOf(0), 80, 'filtered'), obs('small', '10.200.0.1', 80, 'open')]));

        const rows = await collect(store.listPortObservations('big'));
        assert.equal(rows.length, n);
        rows.forEach((o, i) => {
          assert.equal(o.ip, ipOf(i >> 1), `row ${i}`);
          assert.equal(o.port, 80 + (i & 1), `row ${i}`);
        });
        assert.equal((await collect(store.listPortObservations('big', { state: 'open' }))).length, n / 10);
        assert.equal(await store.countObservations('big'), n);
        assert.equal(await store.countObservations('small'), 2);
        assert.equal(await store.countObservations('nobody'), 0);
        assert.deepEqual((await collect(store.listPortObservations('small'))).map((o) => `${o.ip} ${o.state}`), ['10.0.0.0 filtered', '10.200.0.1 open']);

        // Stopping early is fine.
        let seen = 0;
        for await (const o of store.listPortObservations('big')) {
          assert.equal(o.scanId, 'big');
          if (++seen === 10) break;
        }
        assert.equal(seen, 10);
      }));

    it('refuses work after close', async () => {
      const store = await open();
      await store.migrate();
      await store.close();
      await store.close();
      await rejectsWith(store.getScan('x'), 'TRAWL_E_DB', /closed/);
    });
  });
}
