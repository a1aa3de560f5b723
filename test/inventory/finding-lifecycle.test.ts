import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { applyFindings, findingId, triageFinding } from '../../src/inventory/finding-lifecycle.js';
import { applyScan, rebuildInventory } from '../../src/inventory/inventory-apply.js';
import { getFinding, listChanges, listFindings } from '../../src/inventory/inventory-queries.js';
import type { FindingRecord } from '../../src/inventory/inventory-types.js';
import { ipSortKey } from '../../src/store/ip-key.js';
import { day, dropPostgresDatabases, postgresFactory, removeTempFiles, sqliteFixture, viewDump, writeScan, type FindingSpec, type FixtureFactory, type SyntheticScan } from './inventory-fixture.js';
import { rejectsWith } from '../support/trawl-assert.js';

const H = '198.51.100.10';
const TLS = 'tls-weak-cipher';
const KEX = 'ssh-weak-kex';
const HOST = 'icmp-timestamp';

const tlsSeen: FindingSpec = { ip: H, port: 443, checks: [TLS], findings: [{ checkId: TLS, severity: 'high', title: 'Weak TLS ciphers', evidence: { cipher: 'RC4-SHA' } }] };
const tlsClean: FindingSpec = { ip: H, port: 443, checks: [TLS], findings: [] };
const kexSeen: FindingSpec = { ip: H, port: 22, checks: [KEX], findings: [{ checkId: KEX, severity: 'medium' }] };
const hostSeen: FindingSpec = { ip: H, port: 0, checks: [HOST], findings: [{ checkId: HOST, severity: 'low' }] };
const hostClean: FindingSpec = { ip: H, port: 0, checks: [HOST], findings: [] };

function scan(n: number, at: number, findings: FindingSpec[]): SyntheticScan {
  return { id: `s${n}`, at: day(at), open: [[H, 22], [H, 443]], findings };
}

after(removeTempFiles);

function lifecycleSuite(backend: string, open: FixtureFactory): void {
describe(`finding lifecycle over ${backend}`, () => {
  it('open → accepted risk → (expiry) open → fixed → reopened → false positive → fixed, and a rebuild replays it', async () => {
    const fx = await open();
    try {
      const tlsId = findingId('default', ipSortKey(H), 443, 'tcp', TLS);
      const kexId = findingId('default', ipSortKey(H), 22, 'tcp', KEX);
      const status = async (id: string): Promise<FindingRecord> => (await getFinding(fx.db, id))!;
      const findingEvents = async (scanId: string): Promise<string[]> =>
        (await listChanges(fx.db, { scanId })).filter((e) => e.checkId !== null).map((e) => `${e.kind} ${e.checkId} ${e.evidence}`);

      await writeScan(fx, scan(1, 0, [tlsSeen, kexSeen, hostSeen]));
      await applyScan(fx.db, 's1');
      assert.deepEqual(await findingEvents('s1'), [`finding_opened ${HOST} reported`, `finding_opened ${KEX} reported`, `finding_opened ${TLS} reported`]);
      let tls = await status(tlsId);
      assert.equal(tls.status, 'open');
      assert.equal(tls.timesSeen, 1);
      assert.equal(tls.severity, 'high');
      assert.deepEqual(tls.evidence, { cipher: 'RC4-SHA' });

      tls = await triageFinding(fx.db, tlsId, { status: 'accepted_risk', by: 'alice', reason: 'compensating control: TLS terminator in front', until: day(2.5), at: day(0.5) });
      assert.equal(tls.status, 'accepted_risk');
      assert.deepEqual(tls.triage, { by: 'alice', reason: 'compensating control: TLS terminator in front', until: day(2.5), at: day(0.5) });

      // Seen again while accepted: stays accepted, counts the sighting. The host-level check ran clean: fixed.
      // KEX's check did not run on port 22 this time: it stays open.
      await writeScan(fx, scan(2, 1, [tlsSeen, hostClean]));
      await applyScan(fx.db, 's2');
      tls = await status(tlsId);
      assert.deepEqual([tls.status, tls.timesSeen], ['accepted_risk', 2]);
      assert.equal((await status(kexId)).status, 'open');
      assert.deepEqual(await findingEvents('s2'), [`finding_fixed ${HOST} check-ran-clean`]);

      // The acceptance lapsed before scan 3: open again, triage cleared.
      await writeScan(fx, scan(3, 3, [tlsSeen]));
      await applyScan(fx.db, 's3');
      tls = await status(tlsId);
      assert.deepEqual([tls.status, tls.timesSeen, tls.triage], ['open', 3, null]);

      // The check ran and did not find it: fixed.
      await writeScan(fx, scan(4, 4, [tlsClean]));
      await applyScan(fx.db, 's4');
      tls = await status(tlsId);
      assert.deepEqual([tls.status, tls.fixedAt], ['fixed', day(4)]);
      assert.deepEqual(await findingEvents('s4'), [`finding_fixed ${TLS} check-ran-clean`]);
      await rejectsWith(triageFinding(fx.db, tlsId, { status: 'false_positive', by: 'bob', reason: 'x' }), 'TRAWL_E_BAD_OPTION', /is fixed/);

      // No check ran: a fixed finding stays fixed.
      await writeScan(fx, scan(5, 5, []));
      await applyScan(fx.db, 's5');
      assert.equal((await status(tlsId)).status, 'fixed');
      assert.deepEqual(await findingEvents('s5'), []);

      // Reported again: reopened.
      await writeScan(fx, scan(6, 6, [tlsSeen]));
      const r6 = await applyScan(fx.db, 's6');
      const reopened = r6.events.find((e) => e.kind === 'finding_reopened')!;
      assert.deepEqual([reopened.checkId, reopened.before], [TLS, { status: 'fixed', fixedAt: day(4) }]);
      tls = await status(tlsId);
      assert.deepEqual([tls.status, tls.reopenedCount, tls.timesSeen, tls.fixedAt], ['open', 1, 4, null]);
      assert.equal(tls.openedAt, new Date(Date.parse(day(6)) - 1_800_000).toISOString());
      assert.equal(tls.firstSeen, new Date(Date.parse(day(0)) - 1_800_000).toISOString());

      await triageFinding(fx.db, tlsId, { status: 'false_positive', by: 'bob', reason: 'scanner misread the banner', at: day(6.5) });
      assert.equal((await status(tlsId)).status, 'false_positive');
      await triageFinding(fx.db, tlsId, { status: 'open', by: 'carol', reason: 'it is real', at: day(6.6) });
      assert.deepEqual([(await status(tlsId)).status, (await status(tlsId)).triage], ['open', null]);
      await triageFinding(fx.db, tlsId, { status: 'false_positive', by: 'bob', reason: 'really a false positive', at: day(6.7) });

      // Fixed while triaged: fixed wins and the triage is cleared.
      await writeScan(fx, scan(7, 7, [tlsClean]));
      const r7 = await applyScan(fx.db, 's7');
      assert.deepEqual(r7.events.filter((e) => e.checkId === TLS).map((e) => [e.kind, e.before]), [['finding_fixed', { status: 'false_positive', severity: 'high' }]]);
      assert.deepEqual([(await status(tlsId)).status, (await status(tlsId)).triage], ['fixed', null]);

      const view = await viewDump(fx.db);
      const triageRows = await fx.db.selectFrom('finding_triage').selectAll().orderBy('at').execute();
      assert.deepEqual(triageRows.map((t) => [t.status, t.by, t.after_scan_id]), [
        ['accepted_risk', 'alice', 's1'], ['false_positive', 'bob', 's6'], ['open', 'carol', 's6'], ['false_positive', 'bob', 's6'],
      ]);
      await rebuildInventory(fx.db);
      assert.deepEqual(await viewDump(fx.db), view);
    } finally {
      await fx.close();
    }
  });

  it('validates triage input and finding ids', async () => {
    const fx = await open();
    try {
      await writeScan(fx, scan(1, 0, [tlsSeen]));
      await applyScan(fx.db, 's1');
      const [f] = await listFindings(fx.db);
      await rejectsWith(triageFinding(fx.db, 'f_nope', { status: 'accepted_risk', by: 'a', reason: 'b' }), 'TRAWL_E_NOT_FOUND', /f_nope/);
      await rejectsWith(triageFinding(fx.db, f!.id, { status: 'fixed' as 'open', by: 'a', reason: 'b' }), 'TRAWL_E_BAD_OPTION', /triage status/);
      await rejectsWith(triageFinding(fx.db, f!.id, { status: 'accepted_risk', by: ' ', reason: 'b' }), 'TRAWL_E_BAD_OPTION', /who decided/);
      await rejectsWith(triageFinding(fx.db, f!.id, { status: 'accepted_risk', by: 'a', reason: '' }), 'TRAWL_E_BAD_OPTION', /reason/);
      await rejectsWith(triageFinding(fx.db, f!.id, { status: 'accepted_risk', by: 'a', reason: 'b', until: 'next tuesday' }), 'TRAWL_E_BAD_OPTION', /until/);
      await rejectsWith(triageFinding(fx.db, f!.id, { status: 'accepted_risk', by: 'a', reason: 'b', at: day(3), until: day(2) }), 'TRAWL_E_BAD_OPTION', /not after/);
      assert.equal((await fx.db.selectFrom('finding_triage').selectAll().execute()).length, 0, 'refused decisions are not logged');
    } finally {
      await fx.close();
    }
  });

  it('applyFindings: one target, pure', () => {
    const base = { orgId: 'o', scanId: 's9', time: day(9), ipKey: ipSortKey(H), address: H, port: 443, proto: 'tcp' as const, observedAt: day(8.9) };
    const opened = applyFindings({ ...base, current: [], observed: { checks: ['a', 'b'], findings: [{ checkId: 'a', severity: 'critical' }] }, portClosed: false });
    assert.deepEqual(opened.events.map((e) => [e.kind, e.checkId]), [['finding_opened', 'a']]);
    assert.equal(opened.rows[0]!.id, findingId('o', ipSortKey(H), 443, 'tcp', 'a'));
    const row = opened.rows[0]!;
    // Not run → unchanged; port closed → fixed by 'port-closed'; reported → sighting only.
    assert.deepEqual(applyFindings({ ...base, current: [row], observed: undefined, portClosed: false }), { rows: [], events: [] });
    const closed = applyFindings({ ...base, current: [row], observed: undefined, portClosed: true });
    assert.deepEqual(closed.events.map((e) => [e.kind, e.evidence]), [['finding_fixed', 'port-closed']]);
    const again = applyFindings({ ...base, current: [row], observed: { checks: [], findings: [{ checkId: 'a', severity: 'high' }] }, portClosed: false });
    assert.deepEqual(again.events, []);
    assert.deepEqual([again.rows[0]!.times_seen, again.rows[0]!.severity, again.rows[0]!.status], [2, 'high', 'open']);
  });
});
}

lifecycleSuite('sqlite', sqliteFixture);
const pgFactory = await postgresFactory();
if (typeof pgFactory !== 'string') lifecycleSuite('postgresql', pgFactory);
after(dropPostgresDatabases);
