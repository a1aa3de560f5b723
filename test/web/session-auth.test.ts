/**
 * Browser sessions over HTTP (inject, no browser): log in with a password or an API key, the cookie's
 * flags, what the session may do, logout, and everything that must end a session or refuse one.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { apiKeyStrategy } from '../../src/api/auth/api-key-strategy.js';
import { buildApi } from '../../src/api/build-api.js';
import { openApiDatabase, type ApiDatabase } from '../../src/api/database/open-api-database.js';
import { createApiKey } from '../../src/api/queries/key-queries.js';
import { createOrg } from '../../src/api/queries/org-queries.js';
import { createUser } from '../../src/api/queries/user-queries.js';
import { hashPassword, SESSION_COOKIE, sessionRoutes, sessionStrategy, setUserPassword, verifyPassword } from '../../src/api/session-auth.js';

const PASSWORD = 'a long enough passphrase';

function cookieOf(res: LightMyRequestResponse): string {
  const set = res.headers['set-cookie'];
  const line = Array.isArray(set) ? set[0]! : String(set);
  return line.split(';')[0]!;
}

describe('dashboard sessions', () => {
  let d: ApiDatabase;
  let app: FastifyInstance;
  let orgId: string;
  let adminKey: string;
  let viewerKey: string;
  let userId: string;
  let now = new Date('2026-03-01T10:00:00Z');

  before(async () => {
    d = await openApiDatabase(':memory:');
    await d.store.migrate();
    const org = await createOrg(d.db, { name: 'acme', scope: ['127.0.0.0/24'] });
    const other = await createOrg(d.db, { name: 'other', scope: [] });
    orgId = org.id;
    adminKey = (await createApiKey(d.db, { orgId, name: 'admin', role: 'admin', createdBy: 'test' })).token;
    viewerKey = (await createApiKey(d.db, { orgId, name: 'viewer', role: 'viewer', createdBy: 'test' })).token;
    const opts = { db: d.db, now: () => now, maxFailedLogins: 3 };
    app = buildApi({ db: d.db, store: d.store, rateLimit: false, authStrategies: [apiKeyStrategy(d.db), sessionStrategy(opts)] });
    await app.register(sessionRoutes, opts);
    await app.ready();
    userId = (await createUser(d.db, orgId, { email: 'Ana@Example.test', role: 'analyst' })).id;
    await setUserPassword(d.db, orgId, userId, PASSWORD);
    // The same e-mail in a second org, with the same password: logging in must ask which org.
    const twin = await createUser(d.db, other.id, { email: 'twin@example.test', role: 'viewer' });
    const twinHere = await createUser(d.db, orgId, { email: 'twin@example.test', role: 'viewer' });
    await setUserPassword(d.db, other.id, twin.id, PASSWORD);
    await setUserPassword(d.db, orgId, twinHere.id, PASSWORD);
  });
  after(async () => {
    await app.close();
    await d.close();
  });

  const login = (body: Record<string, unknown>, headers: Record<string, string> = {}) => app.inject({ method: 'POST', url: '/session', payload: body, headers });

  it('hashes passwords with scrypt and verifies them in constant time', async () => {
    const h = await hashPassword(PASSWORD);
    assert.match(h, /^scrypt\$32768\$8\$1\$[A-Za-z0-9_-]+\$[A-Za-z0-9_-]+$/);
    assert.notEqual(h, await hashPassword(PASSWORD), 'salted: two hashes of one password differ');
    assert.equal(await verifyPassword(PASSWORD, h), true);
    assert.equal(await verifyPassword(`${PASSWORD}!`, h), false);
    assert.equal(await verifyPassword(PASSWORD, 'scrypt$1$1$1$x$y'), false);
    await assert.rejects(hashPassword('short'), /at least 12 characters/);
  });

  it('logs in with e-mail and password and sets an HttpOnly SameSite=Strict cookie', async () => {
    const res = await login({ email: 'ana@example.test', password: PASSWORD });
    assert.equal(res.statusCode, 200, res.body);
    const set = String(res.headers['set-cookie']);
    assert.match(set, new RegExp(`^${SESSION_COOKIE}=[A-Za-z0-9_-]{43};`));
    assert.match(set, /HttpOnly/);
    assert.match(set, /SameSite=Strict/);
    assert.match(set, /Path=\//);
    assert.doesNotMatch(set, /Secure/, 'plain http on loopback: not Secure (auto)');
    const body = JSON.parse(res.body) as Record<string, unknown>;
    assert.equal(body['role'], 'analyst');
    assert.equal(body['strategy'], 'session');
    assert.equal(body['orgName'], 'acme');
    assert.deepEqual(body['user'], { id: userId, email: 'ana@example.test', displayName: null });

    const cookie = cookieOf(res);
    const me = await app.inject({ method: 'GET', url: '/me', headers: { cookie } });
    assert.equal(me.statusCode, 200);
    assert.deepEqual(JSON.parse(me.body), { orgId, role: 'analyst', actor: `user:${userId}`, strategy: 'session' });
    // The role's limits apply: an analyst cannot list API keys.
    const keys = await app.inject({ method: 'GET', url: '/api-keys', headers: { cookie } });
    assert.equal(keys.statusCode, 403);
    // The login is in the audit log under the user.
    const audit = JSON.parse((await app.inject({ method: 'GET', url: '/audit-log?action=session.login', headers: { authorization: `Bearer ${adminKey}` } })).body) as { items: { actor: string }[] };
    assert.ok(audit.items.some((a) => a.actor === `user:${userId}`));
  });

  it('refuses a wrong password without saying whether the e-mail exists, and throttles guessing', async () => {
    const wrong = await login({ email: 'ana@example.test', password: 'not the password' });
    const unknown = await login({ email: 'nobody@example.test', password: 'not the password' });
    for (const r of [wrong, unknown]) {
      assert.equal(r.statusCode, 401);
      assert.equal(JSON.parse(r.body)['detail'], 'wrong e-mail or password');
      assert.equal(r.headers['set-cookie'], undefined);
    }
    await login({ email: 'ana@example.test', password: 'nope nope nope' });
    await login({ email: 'ana@example.test', password: 'nope nope nope' });
    const blocked = await login({ email: 'ana@example.test', password: PASSWORD });
    assert.equal(blocked.statusCode, 429);
    assert.match(JSON.parse(blocked.body)['detail'], /too many failed logins/);
    now = new Date(now.getTime() + 16 * 60_000);
    assert.equal((await login({ email: 'ana@example.test', password: PASSWORD })).statusCode, 200);
  });

  it('asks for the organisation when the e-mail and password match in several', async () => {
    const r = await login({ email: 'twin@example.test', password: PASSWORD });
    assert.equal(r.statusCode, 400);
    const p = JSON.parse(r.body) as Record<string, string>;
    assert.equal(p['field'], 'body.org');
    assert.match(p['detail']!, /several organisations \((acme, other|other, acme)\)/);
    const ok = await login({ email: 'twin@example.test', password: PASSWORD, org: 'other' });
    assert.equal(ok.statusCode, 200);
    assert.equal(JSON.parse(ok.body)['orgName'], 'other');
  });

  it('logs in with a pasted API key, which keeps its role and ends with its revocation', async () => {
    const res = await login({ apiKey: viewerKey });
    assert.equal(res.statusCode, 200, res.body);
    const cookie = cookieOf(res);
    const s = JSON.parse((await app.inject({ method: 'GET', url: '/session', headers: { cookie } })).body) as Record<string, unknown>;
    assert.equal(s['role'], 'viewer');
    assert.match(String(s['actor']), /^key:/);
    const forbidden = await app.inject({ method: 'POST', url: '/assessments', headers: { cookie }, payload: { name: 'x', targets: ['127.0.0.1'], ports: '80' } });
    assert.equal(forbidden.statusCode, 403);
    const keyId = String(s['keyId']);
    assert.equal((await app.inject({ method: 'DELETE', url: `/api-keys/${keyId}`, headers: { authorization: `Bearer ${adminKey}` } })).statusCode, 200);
    const after = await app.inject({ method: 'GET', url: '/assets', headers: { cookie } });
    assert.equal(after.statusCode, 401);
    assert.match(JSON.parse(after.body)['detail'], /revoked/);
    const bad = await login({ apiKey: 'trawl_nope' });
    assert.equal(bad.statusCode, 400);
    assert.equal(JSON.parse(bad.body)['field'], 'body.apiKey');
  });

  it('re-reads the user on every request: a role change applies, disabling ends the session', async () => {
    const cookie = cookieOf(await login({ email: 'ana@example.test', password: PASSWORD }));
    await app.inject({ method: 'PATCH', url: `/users/${userId}`, headers: { authorization: `Bearer ${adminKey}` }, payload: { role: 'viewer' } });
    assert.equal(JSON.parse((await app.inject({ method: 'GET', url: '/session', headers: { cookie } })).body)['role'], 'viewer');
    await app.inject({ method: 'PATCH', url: `/users/${userId}`, headers: { authorization: `Bearer ${adminKey}` }, payload: { disabled: true } });
    const r = await app.inject({ method: 'GET', url: '/session', headers: { cookie } });
    assert.equal(r.statusCode, 401);
    assert.match(JSON.parse(r.body)['detail'], /disabled/);
    assert.equal((await login({ email: 'ana@example.test', password: PASSWORD })).statusCode, 401);
    await app.inject({ method: 'PATCH', url: `/users/${userId}`, headers: { authorization: `Bearer ${adminKey}` }, payload: { disabled: false, role: 'analyst' } });
  });

  it('refuses cross-site mutating requests carrying the cookie', async () => {
    const cookie = cookieOf(await login({ email: 'ana@example.test', password: PASSWORD }));
    const evil = await app.inject({ method: 'POST', url: '/assessments', headers: { cookie, origin: 'http://evil.example', host: 'trawl.local' }, payload: { name: 'x', targets: ['127.0.0.1'], ports: '80' } });
    assert.equal(evil.statusCode, 401);
    assert.match(JSON.parse(evil.body)['detail'], /cross-site/);
    const fetchMeta = await app.inject({ method: 'PATCH', url: '/assets/127.0.0.1', headers: { cookie, 'sec-fetch-site': 'cross-site' }, payload: { owner: 'x' } });
    assert.equal(fetchMeta.statusCode, 401);
    const same = await app.inject({ method: 'POST', url: '/assessments', headers: { cookie, origin: 'http://trawl.local', host: 'trawl.local' }, payload: { name: 'ok', targets: ['127.0.0.1'], ports: '80' } });
    assert.equal(same.statusCode, 201, same.body);
  });

  it('expires idle sessions and logs out', async () => {
    const cookie = cookieOf(await login({ email: 'ana@example.test', password: PASSWORD }));
    assert.equal((await app.inject({ method: 'GET', url: '/session', headers: { cookie } })).statusCode, 200);
    now = new Date(now.getTime() + 13 * 3600_000);
    const idle = await app.inject({ method: 'GET', url: '/session', headers: { cookie } });
    assert.equal(idle.statusCode, 401);
    assert.match(JSON.parse(idle.body)['detail'], /expired/);

    const fresh = cookieOf(await login({ email: 'ana@example.test', password: PASSWORD }));
    const out = await app.inject({ method: 'DELETE', url: '/session', headers: { cookie: fresh } });
    assert.equal(out.statusCode, 204);
    assert.match(String(out.headers['set-cookie']), /Max-Age=0/);
    assert.equal((await app.inject({ method: 'GET', url: '/session', headers: { cookie: fresh } })).statusCode, 401);
  });

  it('lets an admin set a password and a user change their own, ending other sessions', async () => {
    const short = await app.inject({ method: 'PUT', url: `/users/${userId}/password`, headers: { authorization: `Bearer ${adminKey}` }, payload: { password: 'short' } });
    assert.equal(short.statusCode, 400);
    assert.equal(JSON.parse(short.body)['field'], 'body.password');
    const analystKey = (await createApiKey(d.db, { orgId, name: 'analyst', role: 'analyst', createdBy: 'test' })).token;
    assert.equal((await app.inject({ method: 'PUT', url: `/users/${userId}/password`, headers: { authorization: `Bearer ${analystKey}` }, payload: { password: 'x'.repeat(20) } })).statusCode, 403);

    const a = cookieOf(await login({ email: 'ana@example.test', password: PASSWORD }));
    const b = cookieOf(await login({ email: 'ana@example.test', password: PASSWORD }));
    const wrong = await app.inject({ method: 'PUT', url: '/session/password', headers: { cookie: a }, payload: { currentPassword: 'wrong', newPassword: 'another long passphrase' } });
    assert.equal(wrong.statusCode, 400);
    assert.equal(JSON.parse(wrong.body)['field'], 'body.currentPassword');
    const ok = await app.inject({ method: 'PUT', url: '/session/password', headers: { cookie: a }, payload: { currentPassword: PASSWORD, newPassword: 'another long passphrase' } });
    assert.equal(ok.statusCode, 204, ok.body);
    assert.equal((await app.inject({ method: 'GET', url: '/session', headers: { cookie: a } })).statusCode, 200, 'this session stays');
    assert.equal((await app.inject({ method: 'GET', url: '/session', headers: { cookie: b } })).statusCode, 401, 'the other one ended');
    assert.equal((await login({ email: 'ana@example.test', password: 'another long passphrase' })).statusCode, 200);
    // A key-backed session has no password to change.
    const keyCookie = cookieOf(await login({ apiKey: adminKey }));
    assert.equal((await app.inject({ method: 'PUT', url: '/session/password', headers: { cookie: keyCookie }, payload: { currentPassword: 'x', newPassword: 'y'.repeat(12) } })).statusCode, 403);
  });

  it('keeps API keys working beside sessions, and documents the routes in OpenAPI', async () => {
    assert.equal((await app.inject({ method: 'GET', url: '/session', headers: { authorization: `Bearer ${adminKey}` } })).statusCode, 200);
    const doc = JSON.parse((await app.inject({ method: 'GET', url: '/openapi.json' })).body) as { paths: Record<string, unknown> };
    for (const p of ['/session', '/session/password', '/users/{id}/password']) assert.ok(doc.paths[p], p);
  });
});
