import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, beforeEach, describe, it } from 'node:test';
import { openSqliteArtifactDb, type ArtifactDb } from '../../../src/artifact/cache/artifact-db.js';
import { ScanCache, type Inventory } from '../../../src/artifact/cache/scan-cache.js';
import type { ImportItem } from '../../../src/artifact/osv/advisory-store.js';
import { cvss3BaseScore } from '../../../src/artifact/osv/cvss.js';
import { advisorySourceKind, readAdvisories, readOsvDirectory } from '../../../src/artifact/osv/osv-importer.js';
import { parseOsvRecord, type OsvRecord } from '../../../src/artifact/osv/osv-record.js';
import { normalisePackageName } from '../../../src/artifact/osv/package-name.js';
import { openSqliteStore } from '../../../src/store/sqlite/sqlite-store.js';
import { DATA_DIR, pkg } from './fixtures.js';
import { buildZip } from './zip-writer.js';

const tmp = mkdtempSync(join(tmpdir(), 'trawl-osv-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

const LODASH = join(DATA_DIR, 'ghsa/advisories/github-reviewed/2020/07/GHSA-p6mc-m468-83gw/GHSA-p6mc-m468-83gw.json');
const lodashRecord = (): OsvRecord => parseOsvRecord(readFileSync(LODASH, 'utf8'), LODASH);
const items = (...records: OsvRecord[]): ImportItem[] => records.map((record) => ({ ok: true, record, source: 'test' }));

describe('CVSS v3 base scores', () => {
  it('matches the published scores of known vectors', () => {
    const cases: [string, number][] = [
      ['CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', 9.8],
      ['CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H', 10],
      ['CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:N/I:H/A:H', 7.4],
      ['CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H', 7.5],
      ['CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H', 7.8],
      ['CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N', 6.1],
      ['CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:N/A:N', 5.9],
      ['CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:C/C:H/I:H/A:H', 9.9],
      ['CVSS:3.1/AV:P/AC:H/PR:H/UI:R/S:U/C:L/I:N/A:N', 1.6],
      ['CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N', 0],
      ['CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', 9.8],
      ['CVSS:3.1/AV:N/AC:L/PR:H/UI:N/S:U/C:L/I:L/A:N/E:P/RL:O', 3.8],
    ];
    for (const [v, score] of cases) assert.equal(cvss3BaseScore(v), score, v);
  });
  it('rejects malformed vectors', () => {
    for (const v of ['CVSS:3.1/AV:N', 'CVSS:2.0/AV:N/AC:L/Au:N/C:P/I:P/A:P', 'CVSS:3.1/AV:X/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', 'CVSS:3.1/AV:N/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H']) {
      assert.equal(cvss3BaseScore(v), undefined, v);
    }
  });
});

describe('OSV import', () => {
  let db: ArtifactDb;
  beforeEach(async () => {
    db = await openSqliteArtifactDb(':memory:');
    await db.migrate();
  });
  afterEach(() => db.close());

  it('reads an all.zip dump with yauzl, counting records that are not OSV', async () => {
    const files = ['osv/Go/GO-2022-1059.json', 'osv/Debian/DSA-5020-1.json', 'osv/Alpine/ALPINE-CVE-2022-0778.json', 'osv/crates.io/RUSTSEC-2021-0003.json', 'synthetic/not-a-record.json'];
    const zip = join(tmp, 'all.zip');
    writeFileSync(zip, buildZip([...files.map((f) => ({ name: f.split('/').pop()!, data: readFileSync(join(DATA_DIR, f)) })), { name: 'README.txt', data: 'not json' }]));
    assert.equal(await advisorySourceKind(zip), 'zip');
    assert.equal(await advisorySourceKind(join(DATA_DIR, 'ghsa')), 'ghsa');
    assert.equal(await advisorySourceKind(join(DATA_DIR, 'osv')), 'directory');
    const stats = await db.advisories.importRecords(readAdvisories(zip));
    assert.equal(stats.inserted, 4);
    assert.equal(stats.rejected, 1);
    assert.match(stats.errors[0] ?? '', /all\.zip!not-a-record\.json: .*invalid JSON/);
    assert.equal(stats.dataVersion, 1);
    const dsa = await db.advisories.getAdvisory('DSA-5020-1');
    assert.equal(dsa?.record.affected?.length, 2);
    assert.deepEqual(await db.advisories.countAdvisories(), { total: 4, withdrawn: 0 });
  });

  it('is incremental: same or older `modified` is skipped, newer replaces and bumps the data version', async () => {
    const first = await db.advisories.importRecords(readOsvDirectory(join(DATA_DIR, 'ghsa')));
    assert.equal(first.inserted, 7);
    assert.equal(first.dataVersion, 1);
    const again = await db.advisories.importRecords(readOsvDirectory(join(DATA_DIR, 'ghsa')));
    assert.deepEqual([again.inserted, again.updated, again.unchanged, again.dataVersion], [0, 0, 7, 1]);

    const base = lodashRecord();
    const older = { ...base, modified: '2019-01-01T00:00:00Z', summary: 'older copy' };
    const stale = await db.advisories.importRecords(items(older));
    assert.deepEqual([stale.updated, stale.unchanged, stale.dataVersion], [0, 1, 1]);

    // A newer copy narrows the range: 4.17.15 stops matching, 3.9.0 still does.
    const newer: OsvRecord = {
      ...base,
      modified: '2030-01-01T00:00:00.000Z',
      affected: [{ package: { ecosystem: 'npm', name: 'lodash' }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '3.7.0' }, { fixed: '4.0.0' }] }] }],
    };
    const upd = await db.advisories.importRecords(items(newer));
    assert.deepEqual([upd.updated, upd.dataVersion], [1, 2]);
    const cache = new ScanCache(db);
    assert.equal((await cache.match([pkg('npm', 'lodash', '4.17.15')])).findings.length, 0);
    assert.equal((await cache.match([pkg('npm', 'lodash', '3.9.0')])).findings.length, 1);
  });

  it('withdrawn records are kept but stop matching', async () => {
    await db.advisories.importRecords(items(lodashRecord()));
    const cache = new ScanCache(db);
    assert.equal((await cache.match([pkg('npm', 'lodash', '4.17.15')])).findings.length, 1);
    const w = await db.advisories.importRecords(items({ ...lodashRecord(), modified: '2030-01-01T00:00:00Z', withdrawn: '2030-01-01T00:00:00Z' }));
    assert.equal(w.withdrawn, 1);
    assert.equal((await cache.match([pkg('npm', 'lodash', '4.17.15')])).findings.length, 0);
    assert.deepEqual(await db.advisories.countAdvisories(), { total: 1, withdrawn: 1 });
    // The synthetic withdrawn record lists 4.17.21 explicitly; it must not match either.
    await db.advisories.importRecords(readAdvisories(join(DATA_DIR, 'synthetic', 'TRAWL-TEST-2024-0002.json')));
    assert.equal((await cache.match([pkg('npm', 'lodash', '4.17.21')])).findings.length, 0);
  });

  it('CVSS v4 level comes from the database; GIT ranges are counted, limit events bound SEMVER ranges', async () => {
    await db.advisories.importRecords(readAdvisories(join(DATA_DIR, 'synthetic', 'TRAWL-TEST-2024-0001.json')));
    const cache = new ScanCache(db);
    const r = await cache.match([pkg('npm', 'trawl-test-pkg', '1.5.0'), pkg('npm', 'trawl-test-pkg', '2.0.0'), pkg('npm', 'trawl-test-pkg', '0.9.0')]);
    assert.deepEqual(r.findings.map((f) => f.installedVersion), ['1.5.0']);
    assert.equal(r.findings[0]?.severity.level, 'high');
    assert.equal(r.findings[0]?.severity.basis, 'cvss4-database');
    assert.equal(r.findings[0]?.severity.score, undefined, 'no v4 score is made up');
    assert.equal(r.stats.gitRangesIgnored, 3);
  });

  it('rejects malformed records with TRAWL_E_ADVISORY_DATA naming the source', () => {
    assert.throws(() => parseOsvRecord('{"id":"X-1"}', 'a.json'), /a\.json: not an OSV record: X-1: modified/);
    assert.throws(() => parseOsvRecord('{"id":"X-1","modified":"2024-01-01T00:00:00Z","affected":[{"ranges":[{"type":"SEMVER","events":[{"introduced":"1","fixed":"2"}]}]}]}', 'b.json'), /exactly one of/);
    assert.throws(() => parseOsvRecord('[]', 'c.json'), (e: unknown) => (e as { code?: string }).code === 'TRAWL_E_ADVISORY_DATA');
  });

  it('normalises names per ecosystem', () => {
    assert.equal(normalisePackageName('PyPI', 'Foo.Bar_baz--Qux'), 'foo-bar-baz-qux');
    assert.equal(normalisePackageName('crates.io', 'Serde_JSON'), 'serde-json');
    assert.equal(normalisePackageName('npm', '@Scope/Name'), '@Scope/Name');
    assert.equal(normalisePackageName('Debian:12', 'OpenSSL'), 'openssl');
  });
});

describe('code-hash cache', () => {
  it('reuses inventories by hash, re-matches after an advisory import, refetches after the TTL', async () => {
    const path = join(tmp, 'cache.db');
    const db = await openSqliteArtifactDb(path);
    try {
      await db.migrate();
      let clock = Date.parse('2024-06-01T00:00:00Z');
      const cache = new ScanCache(db, { ttlMs: 24 * 3600 * 1000, now: () => new Date(clock) });
      const sha = 'ab'.repeat(32);
      let fetches = 0;
      const inventory = async (): Promise<Inventory> => {
        fetches++;
        return { sha256: sha, packages: [pkg('npm', 'lodash', '4.17.15'), pkg('npm', 'minimist', '1.2.5')], warnings: ['one warning'] };
      };
      const req = { kind: 'lambda-function', name: 'arn:aws:lambda:us-east-1:123456789012:function:f', sha256: sha.toUpperCase(), inventory };

      const miss = await cache.scan(req);
      assert.deepEqual([miss.cache, fetches, miss.findings.length, miss.packages], ['miss', 1, 0, 2]);

      const hit = await cache.scan(req);
      assert.deepEqual([hit.cache, fetches, hit.findings.length], ['hit', 1, 0]);
      assert.deepEqual(hit.warnings, ['one warning']);

      await db.advisories.importRecords(readAdvisories(join(DATA_DIR, 'ghsa', 'advisories', 'github-reviewed', '2020')));
      clock += 3600_000;
      const re = await cache.scan(req);
      assert.deepEqual([re.cache, fetches], ['rematched', 1], 'advisories changed: re-matched without fetching the code');
      assert.deepEqual(re.findings.map((f) => f.advisoryId), ['GHSA-p6mc-m468-83gw']);

      const hit2 = await cache.scan(req);
      assert.deepEqual([hit2.cache, fetches], ['hit', 1]);
      assert.deepEqual(hit2.findings.map((f) => [f.advisoryId, f.fixedVersions]), [['GHSA-p6mc-m468-83gw', ['4.17.19']]], 'findings read back from the store');

      clock += 2 * 24 * 3600_000;
      const expired = await cache.scan(req);
      assert.deepEqual([expired.cache, fetches], ['expired', 2]);

      await assert.rejects(cache.scan({ ...req, sha256: 'cd'.repeat(32) }), /differs from the declared/);
    } finally {
      await db.close();
    }
    // The scan store opens the same file: one schema, both migrations applied once.
    const store = await openSqliteStore(path);
    try {
      await store.migrate();
      assert.deepEqual(await store.listScans(5), []);
    } finally {
      await store.close();
    }
    const reopened = await openSqliteArtifactDb(path);
    try {
      const kept = await reopened.artifacts.getArtifact('ab'.repeat(32));
      assert.equal(kept?.packages.length, 2);
      assert.equal(kept?.dataVersion, 1);
    } finally {
      await reopened.close();
    }
  });
});
