/**
 * What a run was for — org, zone and tags of its assessment — recorded on the scan itself by
 * recordRunContext (the API's after-run hook calls it before the fold), and carried onto the assets:
 * zone by the latest scan naming one, tags accumulating over assessments, a person's annotation over
 * both; a rebuild gives the same view. SQLite, and PostgreSQL when a server answers.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { applyScan, rebuildInventory } from '../../src/inventory/inventory-apply.js';
import { annotateAsset, listAssets } from '../../src/inventory/inventory-queries.js';
import { loadScan, recordRunContext } from '../../src/inventory/scan-context.js';
import { day, dropPostgresDatabases, postgresFactory, removeTempFiles, sqliteFixture, viewDump, writeScan, type FixtureFactory } from './inventory-fixture.js';

const H1 = '198.51.100.11';
const H2 = '198.51.100.12';

function describeRunContext(name: string, open: FixtureFactory): void {
  describe(`run context over ${name}`, () => {
    it('records org, zone and tags on the scan once; the assets carry them; rebuild == incremental', async () => {
      const fx = await open();
      try {
        await writeScan(fx, { id: 'web-1', at: day(0), open: [[H1, 443], [H2, 80]] });
        assert.equal(await recordRunContext(fx.db, 'web-1', { orgId: 'acme', zone: 'dmz', tags: ['web', 'prod'] }), true);
        // Recorded once: a second call with other values changes nothing.
        assert.equal(await recordRunContext(fx.db, 'web-1', { orgId: 'other', zone: 'elsewhere', tags: ['x'] }), false);
        const spec = (await loadScan(fx.db, 'web-1')).spec;
        assert.deepEqual([spec.options['org'], spec.options['zone'], spec.options['tags']], ['acme', 'dmz', ['web', 'prod']]);
        assert.equal(spec.options['discovery'], 'off', 'the other options are kept');

        const r1 = await applyScan(fx.db, 'web-1');
        assert.equal(r1.orgId, 'acme');
        assert.deepEqual((await listAssets(fx.db, { orgId: 'acme' })).map((a) => [a.address, a.zone, a.tags]), [[H1, 'dmz', ['prod', 'web']], [H2, 'dmz', ['prod', 'web']]]);
        // A folded scan is history: its context is not rewritten.
        assert.equal(await recordRunContext(fx.db, 'web-1', { orgId: 'acme', zone: null, tags: [] }), false);

        // Another assessment of the same org sees H1 from another zone, with its own tags.
        await writeScan(fx, { id: 'db-1', at: day(1), targets: [H1], open: [[H1, 443]] });
        await recordRunContext(fx.db, 'db-1', { orgId: 'acme', zone: 'datacentre', tags: ['db'] });
        await applyScan(fx.db, 'db-1');
        assert.deepEqual((await listAssets(fx.db, { orgId: 'acme' })).map((a) => [a.address, a.zone, a.tags]), [
          [H1, 'datacentre', ['db', 'prod', 'web']],
          [H2, 'dmz', ['prod', 'web']],
        ]);

        // A run without zone or tags names neither; what the assets had stays.
        await writeScan(fx, { id: 'plain-1', at: day(2), targets: [H2], open: [[H2, 80]] });
        await recordRunContext(fx.db, 'plain-1', { orgId: 'acme', zone: null, tags: [] });
        assert.deepEqual(Object.keys((await loadScan(fx.db, 'plain-1')).spec.options).sort(), ['applyBlocklist', 'discovery', 'org']);
        await applyScan(fx.db, 'plain-1');

        // A person's word beats the scans'.
        await annotateAsset(fx.db, { orgId: 'acme', address: H2, tags: ['pinned'], zone: 'lab', by: 'alice', at: day(2.5) });
        await writeScan(fx, { id: 'web-2', at: day(3), open: [[H1, 443], [H2, 80]] });
        await recordRunContext(fx.db, 'web-2', { orgId: 'acme', zone: 'dmz', tags: ['web', 'prod'] });
        await applyScan(fx.db, 'web-2');
        assert.deepEqual((await listAssets(fx.db, { orgId: 'acme' })).map((a) => [a.address, a.zone, a.tags]), [
          [H1, 'dmz', ['db', 'prod', 'web']],
          [H2, 'lab', ['pinned']],
        ]);
        assert.deepEqual(await listAssets(fx.db), [], 'nothing landed in the default org');

        const incremental = await viewDump(fx.db);
        await rebuildInventory(fx.db);
        assert.deepEqual(await viewDump(fx.db), incremental);
      } finally {
        await fx.close();
      }
    });
  });
}

describeRunContext('sqlite', sqliteFixture);
const pgFactory = await postgresFactory();
if (typeof pgFactory === 'string') {
  describe('run context over postgresql', () => {
    it('runs when a PostgreSQL server is available', { skip: pgFactory }, () => {});
  });
} else {
  describeRunContext('postgresql', pgFactory);
}

after(async () => {
  await dropPostgresDatabases();
  removeTempFiles();
});
