import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { TrawlError } from '../../src/errors/trawl-error.js';
import { triageFinding } from '../../src/inventory/finding-lifecycle.js';
import { applyScan } from '../../src/inventory/inventory-apply.js';
import { annotateAsset, listFindings } from '../../src/inventory/inventory-queries.js';
import { ageFactor, assetRawRisk, exposureFactor, normaliseRisk, orgRisk, riskScores } from '../../src/inventory/risk-score.js';
import { trendSeries } from '../../src/inventory/trend-series.js';
import { day, dropPostgresDatabases, postgresFactory, removeTempFiles, sqliteFixture, writeScan, type FixtureFactory } from './inventory-fixture.js';

const H1 = '198.51.100.10';
const H2 = '198.51.100.20';
const H3 = '198.51.100.30';
const close = (actual: number, expected: number, eps = 1e-9): void => assert.ok(Math.abs(actual - expected) <= eps, `${actual} ≈ ${expected}`);

after(removeTempFiles);

function riskSuite(backend: string, open: FixtureFactory): void {
describe(`risk score over ${backend}`, () => {
  it('follows the documented formula', () => {
    assert.equal(ageFactor(0), 1);
    assert.equal(ageFactor(365), 2);
    assert.equal(ageFactor(5000), 2);
    assert.equal(ageFactor(-3), 1, 'clock skew never lowers the factor below 1');
    close(ageFactor(30), 1 + Math.log(31) / Math.log(366));
    assert.deepEqual(['external', 'internal', 'dmz'].map(exposureFactor), [1, 0.5, 0.75]);

    const at = '2030-06-01T00:00:00.000Z';
    // One fresh critical on an external asset with two exposed services: 1.0 × (10 × 1 + 0.25 × 2).
    const raw = assetRawRisk({ zone: 'external', findings: [{ severity: 'critical', openedAt: at }], exposedServices: 2, at });
    assert.equal(raw, 10.5);
    assert.equal(normaliseRisk(raw), 34.3);
    assert.equal(assetRawRisk({ zone: 'internal', findings: [{ severity: 'critical', openedAt: at }], exposedServices: 2, at }), 5.25);
    // A year-old high on an internal asset with one service: 0.5 × (6 × 2 + 0.25).
    assert.equal(assetRawRisk({ zone: 'internal', findings: [{ severity: 'high', openedAt: '2029-06-01T00:00:00.000Z' }], exposedServices: 1, at }), 6.125);
    assert.equal(assetRawRisk({ zone: 'external', findings: [{ severity: 'none', openedAt: at }], exposedServices: 0, at }), 0);
    assert.equal(normaliseRisk(0), 0);
    assert.ok(normaliseRisk(1e6) <= 100);
    // Org: 100 × (1 − e^(−(10.5 + 5) / (25 × √2))).
    assert.equal(orgRisk([10.5, 5], 2), 35.49);
  });

  it('scores assets and the org from the view, counting only open findings', async () => {
    const fx = await open();
    try {
      await annotateAsset(fx.db, { address: H1, zone: 'external', by: 'test' });
      await writeScan(fx, {
        id: 'r1', at: day(0),
        open: [[H1, 22], [H1, 443], [H2, 80]],
        findings: [
          { ip: H1, port: 443, checks: ['c'], findings: [{ checkId: 'c', severity: 'critical' }] },
          { ip: H2, port: 80, checks: ['h'], findings: [{ checkId: 'h', severity: 'high' }] },
        ],
      });
      await applyScan(fx.db, 'r1');
      const at = day(30);
      const d = 30 + 1 / 48; // opened at the sighting, half an hour before the scan finished
      const age = 1 + Math.log(1 + d) / Math.log(366);
      const raw1 = 1.0 * (10 * age + 0.25 * 2);
      const raw2 = 0.5 * (6 * age + 0.25 * 1);
      const report = await riskScores(fx.db, { at });
      assert.deepEqual(report.assets.map((a) => [a.address, a.zone, a.openFindings, a.exposedServices]), [[H1, 'external', 1, 2], [H2, 'internal', 1, 1]]);
      close(report.assets[0]!.raw, raw1);
      close(report.assets[1]!.raw, raw2);
      assert.equal(report.assets[0]!.score, Math.round(100 * (1 - Math.exp(-raw1 / 25)) * 100) / 100);
      assert.equal(report.score, Math.round(100 * (1 - Math.exp(-(raw1 + raw2) / (25 * Math.sqrt(2)))) * 100) / 100);

      const critical = (await listFindings(fx.db)).find((f) => f.severity === 'critical')!;
      await triageFinding(fx.db, critical.id, { status: 'accepted_risk', by: 'ciso', reason: 'decommissioned next week', at: day(1) });
      const after = await riskScores(fx.db, { at });
      close(after.assets.find((a) => a.address === H1)!.raw, 0.5);
      assert.ok(after.score < report.score);
    } finally {
      await fx.close();
    }
  });
});

describe(`trends over ${backend}`, () => {
  it('keeps one snapshot per day (the last scan wins) and carries it over days without scans', async () => {
    const fx = await open();
    try {
      const tlsCheck = { ip: H1, port: 443, checks: ['weak-tls'], findings: [{ checkId: 'weak-tls', severity: 'critical' as const }] };
      await writeScan(fx, { id: 't1', at: day(0), open: [[H1, 22], [H1, 443]], findings: [tlsCheck] });
      await writeScan(fx, { id: 't2', at: day(0.2), open: [[H1, 22], [H1, 443], [H3, 80]], findings: [tlsCheck, { ip: H3, port: 80, checks: ['x'], findings: [{ checkId: 'x', severity: 'medium' }] }] });
      await writeScan(fx, { id: 't3', at: day(2), open: [[H1, 22], [H1, 443]], findings: [{ ...tlsCheck, findings: [] }] });
      for (const id of ['t1', 't2', 't3']) await applyScan(fx.db, id);

      const series = await trendSeries(fx.db, { days: 5, until: day(3) });
      assert.deepEqual(series.map((p) => [p.day, p.source, p.open.critical, p.open.medium, p.openTotal, p.assets, p.services]), [
        ['2030-02-28', 'none', 0, 0, 0, 0, 0],
        ['2030-03-01', 'scan', 1, 1, 2, 2, 3],
        ['2030-03-02', 'carried', 1, 1, 2, 2, 3],
        // The TLS weakness is fixed; H3 was silent once: unconfirmed, still counted.
        ['2030-03-03', 'scan', 0, 1, 1, 2, 3],
        ['2030-03-04', 'carried', 0, 1, 1, 2, 3],
      ]);
      assert.ok(series[1]!.risk > series[3]!.risk, 'fixing a critical lowers the risk');
      assert.ok(series[3]!.risk > 0);
      const snapshots = await fx.db.selectFrom('inventory_snapshots').select(['day', 'scan_id']).orderBy('day').execute();
      assert.deepEqual(snapshots, [{ day: '2030-03-01', scan_id: 't2' }, { day: '2030-03-03', scan_id: 't3' }]);

      assert.equal((await trendSeries(fx.db, { days: 1, until: day(0) }))[0]!.source, 'scan');
      await assert.rejects(trendSeries(fx.db, { days: 0 }), (e: unknown) => e instanceof TrawlError && e.code === 'TRAWL_E_BAD_OPTION');
      await assert.rejects(trendSeries(fx.db, { days: 7, until: 'soon' }), (e: unknown) => e instanceof TrawlError && e.code === 'TRAWL_E_BAD_OPTION');
    } finally {
      await fx.close();
    }
  });
});
}

riskSuite('sqlite', sqliteFixture);
const pgFactory = await postgresFactory();
if (typeof pgFactory !== 'string') riskSuite('postgresql', pgFactory);
after(dropPostgresDatabases);
