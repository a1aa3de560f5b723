import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { bootstrapAdmin } from '../../src/api/bootstrap/bootstrap-admin.js';
import { buildApi } from '../../src/api/build-api.js';
import { parseListen } from '../../src/apps/cli/commands/serve-command.js';
import { TrawlError } from '../../src/errors/trawl-error.js';
import { call, json, openTestDatabase, type TestDatabase } from './api-harness.js';

describe('trawl serve bootstrap', () => {
  let d: TestDatabase;
  before(async () => {
    d = await openTestDatabase('sqlite');
  });
  after(async () => {
    await d.dispose();
  });

  it('creates the first org and an admin key on an empty database, once; --init-admin mints another', async () => {
    const first = await bootstrapAdmin(d.db, { force: false, scope: ['127.0.0.0/24'] });
    assert.ok(first);
    assert.equal(first.created, true);
    assert.equal(first.org.name, 'default');
    assert.deepEqual(first.org.scope, ['127.0.0.0/24']);
    assert.equal(await bootstrapAdmin(d.db, { force: false }), undefined, 'nothing on the next start');
    const again = await bootstrapAdmin(d.db, { force: true });
    assert.ok(again && !again.created && again.org.id === first.org.id);
    assert.notEqual(again.token, first.token);

    const app = buildApi({ db: d.db, store: d.store, rateLimit: false });
    try {
      for (const token of [first.token, again.token]) {
        const me = json(await call(app, token, 'GET', '/me'));
        assert.equal(me['role'], 'admin');
        assert.equal(me['orgId'], first.org.id);
      }
    } finally {
      await app.close();
    }
    await assert.rejects(bootstrapAdmin(d.db, { force: true, orgName: 'nope' }), (e: TrawlError) => e.code === 'TRAWL_E_NOT_FOUND');
  });

  it('listens on loopback unless told otherwise', () => {
    assert.deepEqual(parseListen('8080'), { host: '127.0.0.1', port: 8080 });
    assert.deepEqual(parseListen(':9000'), { host: '127.0.0.1', port: 9000 });
    assert.deepEqual(parseListen('127.0.0.1:8080'), { host: '127.0.0.1', port: 8080 });
    assert.deepEqual(parseListen('[::1]:8443'), { host: '::1', port: 8443 });
    assert.throws(() => parseListen('localhost:http'), (e: TrawlError) => e.code === 'TRAWL_E_BAD_OPTION');
  });
});
