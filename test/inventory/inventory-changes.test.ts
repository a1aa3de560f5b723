/**
 * End-to-end-shaped: synthetic scans written the way the stages write them, folded into the
 * inventory; the stored events, diffScans, the view, and rebuild == incremental. Runs on SQLite, and
 * on PostgreSQL when a server answers on 127.0.0.1:5432.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { diffScans } from '../../src/inventory/diff-scans.js';
import { applyScan, rebuildInventory } from '../../src/inventory/inventory-apply.js';
import type { ChangeEvent } from '../../src/inventory/inventory-types.js';
import { annotateAsset, listAssets, listChanges, listFindings, listServices } from '../../src/inventory/inventory-queries.js';
import { triageFinding } from '../../src/inventory/finding-lifecycle.js';
import { normaliseFingerprint } from '../../src/inventory/observation-data.js';
import {
  day, dropPostgresDatabases, fingerprint, postgresFactory, removeTempFiles, sqliteFixture, viewDump, writeScan,
  type FixtureFactory, type InventoryFixture, type SyntheticScan,
} from './inventory-fixture.js';
import { rejectsWith } from '../support/trawl-assert.js';

const H1 = '198.51.100.10';
const H2 = '198.51.100.20';
const H3 = '198.51.100.30';
const H5 = '198.51.100.50';
const H6 = '198.51.100.60';
const FP1 = fingerprint('cert-one');
const FP2 = fingerprint('cert-two');
const FP5 = fingerprint('cert-five');
const TLS_CHECKS = ['tls-weak-cipher', 'tls-old-protocol'];

const scan1: SyntheticScan = {
  id: 's1-monday',
  at: day(0),
  open: [[H1, 22], [H1, 80], [H1, 443], [H2, 80], [H3, 3306], [H5, 993]],
  services: [
    { ip: H1, port: 22, name: 'ssh', product: 'OpenSSH', version: '9.2p1' },
    { ip: H1, port: 80, name: 'http', product: 'nginx', version: '1.24.0' },
    { ip: H1, port: 443, name: 'http', product: 'nginx', version: '1.24.0', cert: { fingerprint: FP1, notAfter: day(400) } },
    { ip: H2, port: 80, name: 'http', product: 'nginx', version: '1.24.0' },
    { ip: H3, port: 3306, name: 'mysql', product: 'MySQL', version: '8.0.36' },
    { ip: H5, port: 993, name: 'imaps', product: 'Dovecot', cert: { fingerprint: FP5, notAfter: day(10) } },
  ],
  findings: [
    { ip: H1, port: 443, checks: TLS_CHECKS, findings: [{ checkId: 'tls-weak-cipher', severity: 'medium', title: 'Weak TLS cipher suites', evidence: { ciphers: ['TLS_RSA_WITH_3DES_EDE_CBC_SHA'] } }] },
    { ip: H2, port: 80, checks: ['http-default-page'], findings: [{ checkId: 'http-default-page', severity: 'low', title: 'Default web server page' }] },
  ],
};

/** A port opens (H1:8443, and all of H6), a service stops with a reset (H2:80), a certificate rotates
 * (H1:443), a weakness is fixed (H1:443 tls-weak-cipher), a version and a product change (H1:22, :80);
 * H3 is silent once (no evidence: no event). */
const scan2: SyntheticScan = {
  id: 's2-tuesday',
  at: day(1),
  open: [[H1, 22], [H1, 80], [H1, 443], [H1, 8443], [H5, 993], [H6, 22]],
  closed: [[H2, 80]],
  hostnames: { [H6]: 'new.example' },
  services: [
    { ip: H1, port: 22, name: 'ssh', product: 'OpenSSH', version: '9.6p1' },
    { ip: H1, port: 80, name: 'http', product: 'Apache httpd', version: '2.4.62' },
    { ip: H1, port: 443, name: 'http', product: 'nginx', version: '1.24.0', cert: { fingerprint: FP2, notAfter: day(800) } },
    { ip: H1, port: 8443, name: 'http', product: 'nginx', version: '1.26.0' },
    { ip: H5, port: 993, name: 'imaps', product: 'Dovecot', cert: { fingerprint: FP5, notAfter: day(10) } },
    { ip: H6, port: 22, name: 'ssh', product: 'OpenSSH', version: '9.6p1' },
  ],
  findings: [{ ip: H1, port: 443, checks: TLS_CHECKS, findings: [] }],
};

/** Same as scan 2 without the reset; H3 silent for the second covering scan in a row. */
const scan3: SyntheticScan = { ...scan2, id: 's3-wednesday', at: day(2), closed: [] };

type Shape = Pick<ChangeEvent, 'kind' | 'address' | 'port' | 'proto' | 'checkId' | 'before' | 'after' | 'evidence'>;
const shape = (e: ChangeEvent): Shape => ({ kind: e.kind, address: e.address, port: e.port, proto: e.proto, checkId: e.checkId, before: e.before, after: e.after, evidence: e.evidence });
const ts = (s: SyntheticScan): string => new Date(Date.parse(s.at) - 1_800_000).toISOString();
const ident = (name: string, product: string | null, version: string | null): { name: string; product: string | null; version: string | null } => ({ name, product, version });

const expectedScan2: Shape[] = [
  { kind: 'version_changed', address: H1, port: 22, proto: 'tcp', checkId: null, before: ident('ssh', 'OpenSSH', '9.2p1'), after: ident('ssh', 'OpenSSH', '9.6p1'), evidence: 'identify' },
  { kind: 'service_changed', address: H1, port: 80, proto: 'tcp', checkId: null, before: ident('http', 'nginx', '1.24.0'), after: ident('http', 'Apache httpd', '2.4.62'), evidence: 'identify' },
  {
    kind: 'cert_rotated', address: H1, port: 443, proto: 'tcp', checkId: null,
    before: { fingerprint: normaliseFingerprint(FP1)!, notAfter: day(400) }, after: { fingerprint: normaliseFingerprint(FP2)!, notAfter: day(800) }, evidence: 'tls-handshake',
  },
  { kind: 'finding_fixed', address: H1, port: 443, proto: 'tcp', checkId: 'tls-weak-cipher', before: { status: 'open', severity: 'medium' }, after: { status: 'fixed' }, evidence: 'check-ran-clean' },
  { kind: 'port_opened', address: H1, port: 8443, proto: 'tcp', checkId: null, before: null, after: { state: 'open', identity: ident('http', 'nginx', '1.26.0') }, evidence: 'syn-ack' },
  { kind: 'port_closed', address: H2, port: 80, proto: 'tcp', checkId: null, before: { state: 'open', lastSeen: ts(scan1), lastScanId: scan1.id }, after: { state: 'closed' }, evidence: 'reset' },
  { kind: 'finding_fixed', address: H2, port: 80, proto: 'tcp', checkId: 'http-default-page', before: { status: 'open', severity: 'low' }, after: { status: 'fixed' }, evidence: 'port-closed' },
  { kind: 'asset_disappeared', address: H2, port: null, proto: null, checkId: null, before: { lastSeen: ts(scan1) }, after: null, evidence: 'ports-closed' },
  { kind: 'asset_appeared', address: H6, port: null, proto: null, checkId: null, before: null, after: { hostnames: ['new.example'] }, evidence: 'seen' },
  { kind: 'port_opened', address: H6, port: 22, proto: 'tcp', checkId: null, before: null, after: { state: 'open', identity: ident('ssh', 'OpenSSH', '9.6p1') }, evidence: 'syn-ack' },
];

const expectedScan3: Shape[] = [
  { kind: 'port_closed', address: H3, port: 3306, proto: 'tcp', checkId: null, before: { state: 'open', lastSeen: ts(scan1), lastScanId: scan1.id }, after: { state: 'closed' }, evidence: 'silence-2' },
  { kind: 'asset_disappeared', address: H3, port: null, proto: null, checkId: null, before: { lastSeen: ts(scan1) }, after: null, evidence: 'ports-closed' },
];

function describeInventory(name: string, open: FixtureFactory): void {
  describe(`inventory over ${name}`, () => {
    const withFixture = async (fn: (fx: InventoryFixture) => Promise<void>): Promise<void> => {
      const fx = await open();
      try {
        await fn(fx);
      } finally {
        await fx.close();
      }
    };

    it('records exactly what changed from one scan to the next, and diffScans says the same', async () => {
      await withFixture(async (fx) => {
        for (const s of [scan1, scan2, scan3]) await writeScan(fx, s);

        const r1 = await applyScan(fx.db, scan1.id);
        assert.equal(r1.applied, true);
        assert.equal(r1.prevScanId, null);
        const kinds1 = r1.events.map((e) => `${e.kind} ${e.address}${e.port === null ? '' : `:${e.port}`}${e.checkId ? ` ${e.checkId}` : ''}`);
        assert.deepEqual(kinds1, [
          `asset_appeared ${H1}`, `port_opened ${H1}:22`, `port_opened ${H1}:80`, `port_opened ${H1}:443`, `finding_opened ${H1}:443 tls-weak-cipher`,
          `asset_appeared ${H2}`, `port_opened ${H2}:80`, `finding_opened ${H2}:80 http-default-page`,
          `asset_appeared ${H3}`, `port_opened ${H3}:3306`,
          `asset_appeared ${H5}`, `port_opened ${H5}:993`, `cert_expiring ${H5}:993`,
        ]);
        const expiring = r1.events.find((e) => e.kind === 'cert_expiring')!;
        assert.deepEqual(expiring.after, { fingerprint: normaliseFingerprint(FP5)!, notAfter: day(10), daysLeft: 10 });
        assert.equal(expiring.evidence, 'expires-in-10d');

        const r2 = await applyScan(fx.db, scan2.id);
        assert.equal(r2.prevScanId, scan1.id);
        assert.deepEqual(r2.events.map(shape), expectedScan2);
        for (const e of r2.events) {
          assert.equal(e.scanId, scan2.id);
          assert.equal(e.prevScanId, scan1.id);
          assert.equal(e.at, scan2.at);
          assert.equal(e.orgId, 'default');
        }
        // Stored as returned, and diffScans over the same two scans agrees event for event.
        assert.deepEqual(await listChanges(fx.db, { scanId: scan2.id }), r2.events);
        const diff12 = await diffScans(fx.db, scan1.id, scan2.id);
        assert.deepEqual(diff12.map(({ id: _id, ...rest }) => rest), r2.events.map(({ id: _id, ...rest }) => rest));
        assert.ok(diff12.every((e) => e.id === null));

        // H3 was silent once in a covering scan: unconfirmed, no event, still counted as exposed.
        const h3 = await listServices(fx.db, { address: H3 });
        assert.deepEqual(h3.map((s) => [s.port, s.state, s.silentScans]), [[3306, 'unknown', 1]]);
        assert.equal((await listAssets(fx.db)).find((a) => a.address === H3)?.state, 'up');
        assert.ok(!r2.events.some((e) => e.address === H3));

        const r3 = await applyScan(fx.db, scan3.id);
        assert.equal(r3.prevScanId, scan2.id);
        assert.deepEqual(r3.events.map(shape), expectedScan3);
        // A two-scan diff of 2 → 3 cannot see H3 close (scan 2 did not see it open); 1 → 3 can.
        assert.deepEqual(await diffScans(fx.db, scan2.id, scan3.id), []);
        const diff13 = await diffScans(fx.db, scan1.id, scan3.id);
        assert.deepEqual(diff13.filter((e) => e.address === H3).map(shape), expectedScan3);

        // The view after three scans.
        const services = await listServices(fx.db);
        assert.deepEqual(
          services.map((s) => `${s.address}:${s.port} ${s.state} ${s.identity?.product ?? '-'} ${s.identity?.version ?? '-'} ${s.tls?.fingerprint.slice(0, 8) ?? '-'}`),
          [
            `${H1}:22 open OpenSSH 9.6p1 -`,
            `${H1}:80 open Apache httpd 2.4.62 -`,
            `${H1}:443 open nginx 1.24.0 ${normaliseFingerprint(FP2)!.slice(0, 8)}`,
            `${H1}:8443 open nginx 1.26.0 -`,
            `${H2}:80 closed nginx 1.24.0 -`,
            `${H3}:3306 closed MySQL 8.0.36 -`,
            `${H5}:993 open Dovecot - ${normaliseFingerprint(FP5)!.slice(0, 8)}`,
            `${H6}:22 open OpenSSH 9.6p1 -`,
          ],
        );
        const h1_443 = services.find((s) => s.address === H1 && s.port === 443)!;
        assert.equal(h1_443.firstSeen, ts(scan1));
        assert.equal(h1_443.lastSeen, ts(scan3));
        assert.equal(h1_443.lastScanId, scan3.id);
        const assets = await listAssets(fx.db);
        assert.deepEqual(assets.map((a) => `${a.address} ${a.state}`), [`${H1} up`, `${H2} gone`, `${H3} gone`, `${H5} up`, `${H6} up`]);
        assert.deepEqual(assets.find((a) => a.address === H6)!.hostnames, ['new.example']);
        // Documentation addresses are special-purpose: implied zone internal.
        assert.ok(assets.every((a) => a.zone === 'internal'));
        const findings = await listFindings(fx.db);
        assert.deepEqual(findings.map((f) => `${f.address}:${f.port} ${f.checkId} ${f.status}`), [
          `${H1}:443 tls-weak-cipher fixed`,
          `${H2}:80 http-default-page fixed`,
        ]);
        assert.equal(findings[0]!.fixedAt, scan2.at);
        assert.deepEqual(findings[0]!.evidence, { ciphers: ['TLS_RSA_WITH_3DES_EDE_CBC_SHA'] });

        // Re-applying is a no-op that returns what was stored.
        const again = await applyScan(fx.db, scan2.id);
        assert.equal(again.applied, false);
        assert.deepEqual(again.events, r2.events);
      });
    });

    it('rebuilding from all observations gives exactly the incremental view', async () => {
      await withFixture(async (fx) => {
        const scan4: SyntheticScan = {
          ...scan3, id: 's4-thursday', at: day(3.5),
          open: [...scan3.open!, [H2, 80], [H3, 3306]],
          services: [...scan3.services!, { ip: H2, port: 80, name: 'http', product: 'nginx', version: '1.26.0' }],
          findings: [{ ip: H1, port: 443, checks: TLS_CHECKS, findings: [{ checkId: 'tls-weak-cipher', severity: 'high', title: 'Weak TLS cipher suites' }] }],
        };
        const scan5: SyntheticScan = { ...scan4, id: 's5-thursday-late', at: day(3.6), open: scan4.open!.filter(([ip]) => ip !== H5) };
        await annotateAsset(fx.db, { address: H1, owner: 'web-team', tags: ['prod', 'dmz'], zone: 'external', by: 'alice' });
        for (const s of [scan1, scan2, scan3, scan4, scan5]) {
          await writeScan(fx, s);
          await applyScan(fx.db, s.id);
        }
        const incremental = await viewDump(fx.db);
        assert.ok(incremental['changes']!.length > 20, 'the scenario produces a real history');
        assert.equal(incremental['inventory_snapshots']!.length, 4, 'days 0, 1, 2, 3 (two scans on day 3)');
        const h1 = (incremental['assets'] as { address: string; zone: string; owner: string | null; tags_json: string }[]).find((a) => a.address === H1)!;
        assert.deepEqual([h1.zone, h1.owner, h1.tags_json], ['external', 'web-team', '["dmz","prod"]']);

        const rebuilt = await rebuildInventory(fx.db);
        assert.equal(rebuilt.scans, 5);
        assert.equal(rebuilt.events, incremental['changes']!.length);
        assert.deepEqual(await viewDump(fx.db), incremental);
      });
    });

    it('rebuild == incremental over eight random scans of two orgs with churn, resets, silence, findings and triage', async () => {
      await withFixture(async (fx) => {
        let seed = 99;
        const rand = (): number => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
        const ports = [22, 80, 443, 993, 3306, 8443];
        const hostsOf = (n: number): string[] => Array.from({ length: n }, (_, i) => `198.51.100.${100 + i}`);
        const state = new Map<string, { open: boolean; version: number; cert: number; finding: boolean }>();
        for (const ip of hostsOf(30)) for (const p of ports) state.set(`${ip}|${p}`, { open: rand() < 0.4, version: 0, cert: 0, finding: rand() < 0.3 });
        let applied = 0;
        for (let n = 0; n < 8; n++) {
          const org = n % 3 === 2 ? 'beta' : 'default';
          const open: [string, number][] = [];
          const closed: [string, number][] = [];
          const services: NonNullable<SyntheticScan['services']>[number][] = [];
          const findings: NonNullable<SyntheticScan['findings']>[number][] = [];
          for (const [k, v] of state) {
            const [ip, p] = [k.split('|')[0]!, Number(k.split('|')[1])];
            const r = rand();
            if (n > 0 && r < 0.1) {
              v.open = !v.open;
              if (!v.open && rand() < 0.5) closed.push([ip, p]);
            }
            if (rand() < 0.05) v.version++;
            if (rand() < 0.05) v.cert++;
            if (rand() < 0.15) v.finding = !v.finding;
            if (!v.open) continue;
            open.push([ip, p]);
            if (rand() < 0.9) services.push({ ip, port: p, name: p === 22 ? 'ssh' : 'http', product: 'x', version: `1.${v.version}`, ...(p === 443 ? { cert: { fingerprint: fingerprint(`${k}-${v.cert}`), notAfter: day(20 + v.cert * 40) } } : {}) });
            if (rand() < 0.8) findings.push({ ip, port: p, checks: ['chk-a'], findings: v.finding ? [{ checkId: 'chk-a', severity: rand() < 0.5 ? 'high' : 'low' }] : [] });
          }
          await writeScan(fx, { id: `rnd-${n}`, at: day(n * 0.7), options: { org }, open, closed, services, findings });
          applied += (await applyScan(fx.db, `rnd-${n}`)).events.length;
          if (n === 3) {
            const open = await listFindings(fx.db, { status: 'open' });
            await triageFinding(fx.db, open[0]!.id, { status: 'accepted_risk', by: 'x', reason: 'y', until: day(4), at: day(2.2) });
            await triageFinding(fx.db, open[1]!.id, { status: 'false_positive', by: 'x', reason: 'z', at: day(2.3) });
          }
        }
        const incremental = await viewDump(fx.db);
        const kinds = new Set((incremental['changes'] as { kind: string }[]).map((c) => c.kind));
        for (const k of ['port_opened', 'port_closed', 'version_changed', 'cert_rotated', 'cert_expiring', 'finding_opened', 'finding_fixed', 'finding_reopened', 'asset_appeared']) {
          assert.ok(kinds.has(k), `the random history exercises ${k}`);
        }
        assert.equal(incremental['changes']!.length, applied);
        await rebuildInventory(fx.db);
        assert.deepEqual(await viewDump(fx.db), incremental);
      });
    });

    it('silence that is not evidence closes nothing: uncovered ports, sharded and unfinished scans', async () => {
      await withFixture(async (fx) => {
        await writeScan(fx, { id: 'a-full', at: day(0), open: [[H3, 3306], [H1, 22]] });
        // Two later scans that never probed 3306 (another port list), then two shards of the full list.
        await writeScan(fx, { id: 'b-ssh-only', at: day(1), ports: [22], open: [[H1, 22]] });
        await writeScan(fx, { id: 'c-ssh-only', at: day(2), ports: [22], open: [[H1, 22]] });
        await writeScan(fx, { id: 'd-shard-1', at: day(3), shard: { index: 1, count: 2 }, open: [[H1, 22]] });
        await writeScan(fx, { id: 'e-shard-2', at: day(4), shard: { index: 2, count: 2 }, open: [] });
        await writeScan(fx, { id: 'f-interrupted', at: day(5), status: 'interrupted', open: [] });
        for (const id of ['a-full', 'b-ssh-only', 'c-ssh-only', 'd-shard-1', 'e-shard-2']) {
          const r = await applyScan(fx.db, id);
          if (id !== 'a-full') assert.deepEqual(r.events, [], `${id} changes nothing`);
        }
        assert.deepEqual((await listServices(fx.db)).map((s) => [s.address, s.port, s.state, s.silentScans]), [[H1, 22, 'open', 0], [H3, 3306, 'open', 0]]);
        await rejectsWith(applyScan(fx.db, 'f-interrupted'), 'TRAWL_E_CONFLICT', /interrupted/);
        // Shards have different scopes from each other and from the full scan.
        const shard2 = await applyScan(fx.db, 'e-shard-2');
        assert.equal(shard2.prevScanId, null);

        // A 'filtered' row proves the probe was sent even where the scope cannot be rebuilt.
        await writeScan(fx, { id: 'g-shard-filtered', at: day(6), shard: { index: 1, count: 2 }, filtered: [[H3, 3306]], open: [[H1, 22]] });
        assert.deepEqual((await applyScan(fx.db, 'g-shard-filtered')).events, []);
        assert.deepEqual((await listServices(fx.db, { address: H3 })).map((s) => [s.state, s.silentScans]), [['unknown', 1]]);
        await writeScan(fx, { id: 'h-full-silent', at: day(7), open: [[H1, 22]] });
        assert.deepEqual((await applyScan(fx.db, 'h-full-silent')).events.map((e) => `${e.kind} ${e.evidence}`), ['port_closed silence-2', 'asset_disappeared ports-closed']);
      });
    });

    it('folds one scan once when two folds of it race', async () => {
      await withFixture(async (fx) => {
        await writeScan(fx, scan1);
        const results = await Promise.all([applyScan(fx.db, scan1.id), applyScan(fx.db, scan1.id), applyScan(fx.db, scan1.id)]);
        assert.deepEqual(results.map((r) => r.applied).sort(), [false, false, true]);
        const stored = await listChanges(fx.db, { scanId: scan1.id });
        assert.equal(stored.length, 13);
        for (const r of results) assert.deepEqual(r.events, stored);
      });
    });

    it('refuses scans folded out of order, and unknown scans', async () => {
      await withFixture(async (fx) => {
        await writeScan(fx, { id: 'late', at: day(2), open: [[H1, 22]] });
        await writeScan(fx, { id: 'early', at: day(1), open: [[H1, 22]] });
        await applyScan(fx.db, 'late');
        await rejectsWith(applyScan(fx.db, 'early'), 'TRAWL_E_CONFLICT', /before scan late/);
        await rejectsWith(applyScan(fx.db, 'nope'), 'TRAWL_E_SCAN_NOT_FOUND', /nope/);
        await rejectsWith(applyScan(fx.db, 'late', { silenceScans: 0 }), 'TRAWL_E_BAD_OPTION', /silenceScans/);
        // A rebuild folds both, in finish order.
        const r = await rebuildInventory(fx.db);
        assert.equal(r.scans, 2);
        assert.deepEqual((await listChanges(fx.db)).map((e) => `${e.scanId} ${e.kind}`), ['early asset_appeared', 'early port_opened']);
      });
    });

    it('keeps orgs apart (org from the scan spec) and records events against the previous scan of the same scope', async () => {
      await withFixture(async (fx) => {
        await writeScan(fx, { id: 'acme-1', at: day(0), options: { org: 'acme' }, open: [[H1, 22]] });
        await writeScan(fx, { id: 'other-1', at: day(0.5), open: [[H1, 22], [H1, 80]] });
        await writeScan(fx, { id: 'acme-web', at: day(0.7), options: { org: 'acme' }, ports: [80, 443], open: [[H1, 80]] });
        await writeScan(fx, { id: 'acme-2', at: day(1), options: { org: 'acme' }, open: [[H1, 80]] });
        for (const id of ['acme-1', 'other-1', 'acme-web', 'acme-2']) await applyScan(fx.db, id);
        const acme = await listChanges(fx.db, { orgId: 'acme' });
        assert.deepEqual(acme.map((e) => `${e.scanId}<-${e.prevScanId ?? '-'} ${e.kind} ${e.port ?? ''}`.trim()), [
          'acme-1<-- asset_appeared', 'acme-1<-- port_opened 22',
          'acme-web<-- port_opened 80',
          // 22 silent in acme-2 (covered): unconfirmed, no event yet.
        ]);
        assert.deepEqual((await listServices(fx.db, { orgId: 'acme' })).map((s) => [s.port, s.state]), [[22, 'unknown'], [80, 'open']]);
        assert.deepEqual((await listServices(fx.db)).map((s) => [s.port, s.state]), [[22, 'open'], [80, 'open']]);
        const acme2 = await applyScan(fx.db, 'acme-2');
        assert.equal(acme2.applied, false);
        assert.equal(acme2.prevScanId, 'acme-1');
      });
    });
  });
}

describeInventory('sqlite', sqliteFixture);
const pgFactory = await postgresFactory();
if (typeof pgFactory === 'string') {
  describe('inventory over postgresql', () => {
    it('runs when a PostgreSQL server is available', { skip: pgFactory }, () => {});
  });
} else {
  describeInventory('postgresql', pgFactory);
}

after(async () => {
  await dropPostgresDatabases();
  removeTempFiles();
});
