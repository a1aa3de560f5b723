/**
 * The PostgreSQL store against the real server on 127.0.0.1:5432 (TRAWL_TEST_PG_URL overrides the
 * admin URL). Every store gets its own database `trawl_test_<run>_<n>`, created with an ICU en-US
 * default collation (not C) so nothing silently relies on bytewise text order; all are dropped after.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, describe, it } from 'node:test';
import pg from 'pg';
import { TrawlError } from '../../src/errors/trawl-error.js';
import type { PortObservation, PortState } from '../../src/model/observation.js';
import { emptyCounters, type ScanSpec } from '../../src/model/scan.js';
import { openPostgresStore } from '../../src/store/postgres/postgres-store.js';
import type { ProgressCommit, Store } from '../../src/store/store.js';
import { describeStoreConformance } from './store-conformance.js';
import { collect, rejectsWith } from '../support/trawl-assert.js';

const ADMIN_URL = process.env.TRAWL_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const RUN = `${process.pid}_${randomBytes(4).toString('hex')}`;
const admin = new pg.Pool({ connectionString: ADMIN_URL, max: 3 });
admin.on('error', () => {});
const databases: string[] = [];

function urlOf(database: string): string {
  const u = new URL(ADMIN_URL);
  u.pathname = `/${database}`;
  return u.href;
}

async function freshDatabase(): Promise<string> {
  const name = `trawl_test_${RUN}_${databases.length}`;
  databases.push(name);
  await admin.query(`create database ${name} template template0 locale_provider icu icu_locale 'en-US' locale 'C.UTF-8'`);
  return urlOf(name);
}

after(async () => {
  for (const name of databases) await admin.query(`drop database if exists ${name} with (force)`);
  await admin.end();
});

describeStoreConformance('postgresql', async () => openPostgresStore(await freshDatabase()));

const spec: ScanSpec = {
  targets: ['127.0.0.1'], targetFiles: [], excludes: [], excludeFiles: [], ports: [80], resolved: {},
  seed: '1', shard: { index: 0, count: 1 }, options: {},
};

function obs(scanId: string, ip: string, port: number, state: PortState): PortObservation {
  const evidence = state === 'open' ? 'syn-ack' : state === 'closed' ? 'reset' : 'timeout';
  return { type: 'port', scanId, ip, port, proto: 'tcp', state, ts: '2030-01-01T00:00:00.000Z', evidence };
}

function commit(scanId: string, unitIndex: number, checkpoint: bigint, observations: readonly PortObservation[], counters: ProgressCommit['counters'] = {}): ProgressCommit {
  return { scanId, stage: 'discover', unitIndex, checkpoint, unitDone: false, observations, counters };
}

async function withStores(n: number, fn: (stores: Store[], url: string) => Promise<void>, opts: { applicationName?: string } = {}): Promise<void> {
  const url = await freshDatabase();
  const stores: Store[] = [];
  try {
    for (let i = 0; i < n; i++) stores.push(await openPostgresStore(url, opts));
    await stores[0]?.migrate();
    await fn(stores, url);
  } finally {
    for (const s of stores) await s.close();
  }
}

describe('PostgreSQL store specifics', () => {
  it('rejects bad URLs and unreachable servers with TRAWL_E_DB_URL, never echoing the password', async () => {
    await rejectsWith(openPostgresStore(''), 'TRAWL_E_DB_URL', /empty/);
    await rejectsWith(openPostgresStore('not a url'), 'TRAWL_E_DB_URL', /not a valid URL/);
    await rejectsWith(openPostgresStore('mysql://root@127.0.0.1/trawl'), 'TRAWL_E_DB_URL', /scheme "mysql"/);
    await rejectsWith(openPostgresStore('postgres://postgres@127.0.0.1:99999/x'), 'TRAWL_E_DB_URL', /not a valid URL/);
    await rejectsWith(openPostgresStore('postgres:///trawl'), 'TRAWL_E_DB_URL', /no host/);

    // Port 1 on loopback: nothing listens there.
    const refused = await rejectsWith(openPostgresStore('postgres://postgres:s3cret-pw@127.0.0.1:1/trawl'), 'TRAWL_E_DB_URL', /refused the connection/);
    assert.match(refused.message, /127\.0\.0\.1:1/);
    assert.doesNotMatch(refused.message, /s3cret-pw/);
    assert.doesNotMatch(JSON.stringify(refused.detail), /s3cret-pw/);

    await rejectsWith(openPostgresStore(urlOf(`trawl_missing_${RUN}`)), 'TRAWL_E_DB_URL', /does not exist/);
    await rejectsWith(openPostgresStore(urlOf('postgres').replace('postgres@', 'no_such_role_x@')), 'TRAWL_E_DB_URL', /rejected|does not exist/);
    // A live server that is not PostgreSQL (the local Redis).
    await rejectsWith(openPostgresStore('postgres://postgres@127.0.0.1:6379/trawl', { connectTimeoutMs: 1000 }), 'TRAWL_E_DB_URL', /127\.0\.0\.1:6379.*(did not answer|cannot be connected|refused)/);
  });

  it('stores ip_key with the C collation whatever the database default', () =>
    withStores(1, async (_stores, url) => {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        const dbCollation = await client.query<{ collation: string | null }>(`select datlocprovider::text || ':' || coalesce(daticulocale, datcollate) as collation from pg_database where datname = current_database()`);
        assert.equal(dbCollation.rows[0]?.collation, 'i:en-US', 'the test database really has a non-C default');
        const col = await client.query<{ collation_name: string | null }>(`select collation_name from information_schema.columns where table_name = 'observations' and column_name = 'ip_key'`);
        assert.equal(col.rows[0]?.collation_name, 'C');
      } finally {
        await client.end();
      }
    }));

  it('keeps counters exact and observations unique under concurrent commits from two pools', () =>
    withStores(2, async ([a, b]) => {
      assert.ok(a && b);
      await a.createScan({ id: 's', spec, counters: emptyCounters(), createdAt: '2030-01-01T00:00:00.000Z' });
      const units = 8;
      await b.putWorkUnits(Array.from({ length: units }, (_, i) => ({
        scanId: 's', stage: 'discover' as const, unitIndex: i, start: 0n, end: 1_000_000n, checkpoint: 0n, state: 'pending' as const, attempts: 0, leaseOwner: null,
      })));
      // Both stores write the same 200 (ip, port) keys, in different states and orders, plus counters.
      const keys = Array.from({ length: 200 }, (_, i) => ({ ip: `10.9.${i >> 4}.${i & 15}`, port: 1000 + (i % 7) }));
      const states: PortState[] = ['filtered', 'closed', 'open'];
      const rounds = 30;
      const work: Promise<void>[] = [];
      for (let r = 0; r < rounds; r++) {
        for (const [si, store] of [a, b].entries()) {
          const batch = keys.map((k, i) => obs('s', k.ip, k.port, states[(i + r + si) % 3] ?? 'open'));
          const ordered = si === 0 ? batch : [...batch].reverse();
          work.push(store.commitProgress(commit('s', (r * 2 + si) % units, BigInt(r + 1), ordered, { probesSent: 7n, probesAnswered: 3n, openFound: 1n })));
        }
      }
      await Promise.all(work);
      const scan = await a.getScan('s');
      assert.equal(scan?.counters.probesSent, BigInt(rounds * 2 * 7));
      assert.equal(scan?.counters.probesAnswered, BigInt(rounds * 2 * 3));
      assert.equal(scan?.counters.openFound, BigInt(rounds * 2));
      assert.equal(await b.countObservations('s'), keys.length);
      const rows = await collect(b.listPortObservations('s'));
      assert.equal(rows.length, keys.length);
      // Every key was seen open at least once, and open is never downgraded.
      assert.ok(rows.every((o) => o.state === 'open'), 'every observation ends open');
      assert.equal(new Set(rows.map((o) => `${o.ip} ${o.port}`)).size, keys.length);
      const checkpoints = (await a.listWorkUnits('s', 'discover')).map((u) => u.checkpoint);
      assert.ok(checkpoints.every((c) => c >= BigInt(rounds - 4)), `checkpoints moved forward: ${checkpoints.join(',')}`);
    }));

  it('rolls back a commit whose connection is terminated mid-transaction, and recovers on the next call', () =>
    withStores(1, async ([store], url) => {
      assert.ok(store);
      await store.createScan({ id: 's', spec, counters: emptyCounters(), createdAt: '2030-01-01T00:00:00.000Z' });
      await store.putWorkUnits([{ scanId: 's', stage: 'discover', unitIndex: 0, start: 0n, end: 100_000n, checkpoint: 0n, state: 'pending', attempts: 0, leaseOwner: null }]);
      await store.commitProgress(commit('s', 0, 10n, [obs('s', '192.0.2.1', 22, 'open')], { probesSent: 10n, openFound: 1n }));
      const before = { unit: await store.listWorkUnits('s', 'discover'), scan: await store.getScan('s'), rows: await collect(store.listPortObservations('s')) };

      // A second session inserts (without committing) a row the victim commit will insert too, so the
      // victim blocks on it after it has already moved the checkpoint and the counters.
      const blocker = new pg.Client({ connectionString: url });
      await blocker.connect();
      const big = Array.from({ length: 6000 }, (_, i) => obs('s', `10.7.${i >> 8}.${i & 255}`, 443, i % 2 ? 'open' : 'closed'));
      const last = big[big.length - 1];
      assert.ok(last);
      try {
        await blocker.query('begin');
        await blocker.query(
          `insert into observations (scan_id, type, ip, ip_key, port, proto, state, evidence, ts) values ('s', 'port', $1, $2, 443, 'tcp', 'closed', 'reset', '2030-01-01T00:00:00.000Z')`,
          [last.ip, `4${last.ip.split('.').map((o) => Number(o).toString(16).padStart(2, '0')).join('')}`],
        );
        const victim = store.commitProgress(commit('s', 0, 6010n, big, { probesSent: 6000n, openFound: 3000n }));
        const victimResult = victim.then(() => undefined, (e: unknown) => e);

        let pid: number | undefined;
        const deadline = Date.now() + 10_000;
        while (pid === undefined && Date.now() < deadline) {
          const r = await admin.query<{ pid: number }>(
            `select pid from pg_stat_activity where datname = $1 and wait_event_type = 'Lock' and $2 = any(pg_blocking_pids(pid))`,
            [new URL(url).pathname.slice(1), (await blocker.query<{ pid: number }>('select pg_backend_pid() as pid')).rows[0]?.pid],
          );
          pid = r.rows[0]?.pid;
          if (pid === undefined) await new Promise((r) => setTimeout(r, 20));
        }
        assert.ok(pid !== undefined, 'the victim commit blocked inside its transaction');
        // The victim has written its checkpoint, counters and the first insert chunk by now.
        await admin.query('select pg_terminate_backend($1)', [pid]);
        const err = await victimResult;
        assert.ok(err instanceof TrawlError, `victim failed with a TrawlError: ${String(err)}`);
        assert.equal(err.code, 'TRAWL_E_DB');
        assert.match(err.message, /connection .* was lost|terminat/i);
      } finally {
        await blocker.query('rollback').catch(() => {});
        await blocker.end();
      }

      // Nothing of the interrupted commit landed.
      assert.deepEqual(await store.listWorkUnits('s', 'discover'), before.unit);
      assert.deepEqual(await store.getScan('s'), before.scan);
      assert.deepEqual(await collect(store.listPortObservations('s')), before.rows);

      // The pool dropped the dead connection: many calls in a row all succeed, then the redelivery lands whole.
      for (let i = 0; i < 15; i++) assert.equal(await store.countObservations('s'), 1);
      await store.commitProgress(commit('s', 0, 6010n, big, { probesSent: 6000n, openFound: 3000n }));
      assert.equal(await store.countObservations('s'), 6001);
      assert.equal((await store.getScan('s'))?.counters.probesSent, 6010n);
      assert.equal((await store.listWorkUnits('s', 'discover'))[0]?.checkpoint, 6010n);
    }, { applicationName: 'trawl-victim' }));

  it('a read-only store reads but refuses writes', () =>
    withStores(1, async ([store], url) => {
      assert.ok(store);
      await store.createScan({ id: 'ro', spec, counters: emptyCounters(), createdAt: '2030-01-01T00:00:00.000Z' });
      const ro = await openPostgresStore(url, { readonly: true });
      try {
        await ro.migrate();
        assert.equal((await ro.getScan('ro'))?.id, 'ro');
        await rejectsWith(ro.setScanStatus('ro', 'done', '2030-01-01T00:00:01.000Z'), 'TRAWL_E_DB', /read-only/);
      } finally {
        await ro.close();
      }
    }));
});
