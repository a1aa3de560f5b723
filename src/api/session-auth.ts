/**
 * Browser sessions for the dashboard: an HttpOnly, SameSite=Strict cookie naming a server-side
 * session row. A browser cannot put an API key on an EventSource (SSE) request and must not keep one
 * where scripts can read it, so it trades credentials — a user's e-mail and password, or a pasted API
 * key — for a cookie once, and the `session` auth strategy turns that cookie back into a Principal on
 * every request. The session row stores only the SHA-256 of the cookie value; the role is re-read
 * from the user or key on each request, so disabling a user or revoking a key ends its sessions at once.
 *
 * Passwords are scrypt (node:crypto; argon2 is not a dependency) with a per-user salt, in a table of
 * their own: the API's `users` table stays credential-free.
 */
import { createHash, randomBytes, scrypt as scryptCallback, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { fastifyCookie } from '@fastify/cookie';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import { TrawlError } from '../errors/trawl-error.js';
import type { ApiRole, Database } from '../store/schema.js';
import { parseApiKeyToken, secretMatches } from './auth/api-key-token.js';
import type { AuthStrategy } from './auth/auth-strategy.js';
import type { Principal } from './auth/principal.js';
import { errorResponses, idParam } from './http/schemas.js';
import { findKeyCredential } from './queries/key-queries.js';
import './http/fastify-augment.js';

export const SESSION_COOKIE = 'trawl_session';

/** Tables of this module (created by `ensureSessionSchema`; see the integrator note in the report). */
export interface WebSessionsTable {
  /** SHA-256 (hex) of the cookie value: a leaked table does not log anyone in. */
  id: string;
  org_id: string;
  user_id: string | null;
  key_id: string | null;
  created_at: string;
  last_seen_at: string;
  user_agent: string | null;
}

export interface WebPasswordsTable {
  user_id: string;
  org_id: string;
  /** `scrypt$<N>$<r>$<p>$<salt b64url>$<hash b64url>`. */
  hash: string;
  updated_at: string;
}

export type SessionTables = {
  web_sessions: WebSessionsTable;
  web_passwords: WebPasswordsTable;
};

type SessionDb = Kysely<Database & SessionTables>;

function sessionDb(db: Kysely<Database>): SessionDb {
  return db.withTables<SessionTables>();
}

/** Idempotent DDL for both tables (portable: SQLite and PostgreSQL). */
export async function ensureSessionSchema(db: Kysely<Database>): Promise<void> {
  const s = sessionDb(db).schema;
  await s.createTable('web_sessions').ifNotExists()
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('org_id', 'text', (c) => c.notNull().references('orgs.id').onDelete('cascade'))
    .addColumn('user_id', 'text', (c) => c.references('users.id').onDelete('cascade'))
    .addColumn('key_id', 'text', (c) => c.references('api_keys.id').onDelete('cascade'))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('last_seen_at', 'text', (c) => c.notNull())
    .addColumn('user_agent', 'text')
    .execute();
  await s.createIndex('web_sessions_user_idx').ifNotExists().on('web_sessions').columns(['user_id']).execute();
  await s.createTable('web_passwords').ifNotExists()
    .addColumn('user_id', 'text', (c) => c.primaryKey().references('users.id').onDelete('cascade'))
    .addColumn('org_id', 'text', (c) => c.notNull().references('orgs.id').onDelete('cascade'))
    .addColumn('hash', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
}

// ---------------------------------------------------------------------------------------------------
// Passwords

const SCRYPT = { N: 1 << 15, r: 8, p: 1, keylen: 32 } as const;
/** scrypt needs 128·N·r bytes; Node's default cap (32 MiB) is exactly that, so leave room. */
const SCRYPT_MAXMEM = 64 * 1024 * 1024;
export const MIN_PASSWORD = 12;
export const MAX_PASSWORD = 1024;

function scrypt(password: string, salt: Buffer, keylen: number, opts: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => scryptCallback(password.normalize('NFC'), salt, keylen, opts, (e, key) => (e ? reject(e) : resolve(key))));
}

export async function hashPassword(password: string): Promise<string> {
  checkPasswordShape(password, 'password');
  const salt = randomBytes(16);
  const key = await scrypt(password, salt, SCRYPT.keylen, { N: SCRYPT.N, r: SCRYPT.r, p: SCRYPT.p, maxmem: SCRYPT_MAXMEM });
  return `scrypt$${SCRYPT.N}$${SCRYPT.r}$${SCRYPT.p}$${salt.toString('base64url')}$${key.toString('base64url')}`;
}

const STORED = /^scrypt\$([0-9]{1,7})\$([0-9]{1,2})\$([0-9]{1,2})\$([A-Za-z0-9_-]{16,64})\$([A-Za-z0-9_-]{16,128})$/;

/** Constant-time check; parameters come from the stored string so they can be raised later. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const m = STORED.exec(stored);
  if (!m || password.length > MAX_PASSWORD) return false;
  const [N, r, p] = [Number(m[1]), Number(m[2]), Number(m[3])];
  // Bounded so a tampered row cannot make one login allocate gigabytes.
  if (N > 1 << 20 || r > 16 || p > 4 || (N & (N - 1)) !== 0) return false;
  const expected = Buffer.from(m[5]!, 'base64url');
  const key = await scrypt(password, Buffer.from(m[4]!, 'base64url'), expected.length, { N, r, p, maxmem: 256 * 1024 * 1024 });
  return key.length === expected.length && timingSafeEqual(key, expected);
}

function checkPasswordShape(password: string, field: string): void {
  if (password.length < MIN_PASSWORD) throw new TrawlError('TRAWL_E_VALIDATION', `${field} must have at least ${MIN_PASSWORD} characters`, { field });
  if (password.length > MAX_PASSWORD) throw new TrawlError('TRAWL_E_VALIDATION', `${field} must have at most ${MAX_PASSWORD} characters`, { field });
}

/** A password hash nobody has, verified when the e-mail is unknown so timing does not tell. */
let dummyHash: Promise<string> | undefined;

/** Sets (or replaces) a user's password and ends the user's sessions. */
export async function setUserPassword(db: Kysely<Database>, orgId: string, userId: string, password: string, field = 'body.password'): Promise<void> {
  checkPasswordShape(password, field);
  const sdb = sessionDb(db);
  const user = await sdb.selectFrom('users').select('id').where('org_id', '=', orgId).where('id', '=', userId).executeTakeFirst();
  if (!user) throw new TrawlError('TRAWL_E_NOT_FOUND', `no user ${userId}`, { id: userId });
  const hash = await hashPassword(password);
  const now = new Date().toISOString();
  await sdb.insertInto('web_passwords').values({ user_id: userId, org_id: orgId, hash, updated_at: now })
    .onConflict((oc) => oc.column('user_id').doUpdateSet({ hash, updated_at: now })).execute();
  await sdb.deleteFrom('web_sessions').where('user_id', '=', userId).execute();
}

// ---------------------------------------------------------------------------------------------------
// Sessions

export interface SessionOptions {
  readonly db: Kysely<Database>;
  /** A session unused this long ends. Default 12 hours. */
  readonly idleTimeoutMs?: number;
  /** A session ends this long after login, used or not. Default 7 days. */
  readonly maxAgeMs?: number;
  /** Mark the cookie Secure: always, never, or when the request came over HTTPS (default 'auto'). */
  readonly secureCookie?: boolean | 'auto';
  readonly now?: () => Date;
  /** Failed logins per e-mail (or per client for API keys) within 15 minutes before refusing. Default 10. */
  readonly maxFailedLogins?: number;
}

const TOKEN = /^[A-Za-z0-9_-]{43}$/;
const MAX_COOKIE_HEADER = 8192;
const TOUCH_EVERY_MS = 60_000;
const MUTATING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

function tokenHash(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/**
 * The session token from the Cookie header. Read by hand: the auth hook runs for every route, before
 * and outside the scope where @fastify/cookie parses cookies, and only one plain value is wanted.
 */
function cookieToken(request: FastifyRequest): string | undefined {
  const header = request.headers.cookie;
  if (header === undefined || header.length > MAX_COOKIE_HEADER) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === SESSION_COOKIE) {
      const value = part.slice(eq + 1).trim();
      return TOKEN.test(value) ? value : undefined;
    }
  }
  return undefined;
}

/**
 * Cross-site request forgery: SameSite=Strict already keeps the cookie off cross-site requests; a
 * mutating call must also come from this origin when the browser says where it came from.
 */
function crossSite(request: FastifyRequest): boolean {
  if (!MUTATING.has(request.method)) return false;
  const site = request.headers['sec-fetch-site'];
  if (site === 'cross-site' || site === 'same-site') return true;
  const origin = request.headers.origin;
  if (origin === undefined) return false;
  try {
    return new URL(origin).host !== request.headers.host;
  } catch {
    return true;
  }
}

interface ResolvedSession {
  readonly principal: Principal;
  readonly lastSeenAt: string;
}

async function principalOfSession(db: SessionDb, base: Kysely<Database>, row: WebSessionsTable): Promise<Principal | string> {
  if (row.user_id !== null) {
    const user = await db.selectFrom('users').select(['id', 'org_id', 'role', 'disabled_at']).where('id', '=', row.user_id).executeTakeFirst();
    if (!user || user.org_id !== row.org_id) return 'the user of this session no longer exists';
    if (user.disabled_at !== null) return `user ${user.id} is disabled`;
    return { orgId: user.org_id, role: user.role, actor: `user:${user.id}`, userId: user.id, strategy: 'session' };
  }
  if (row.key_id !== null) {
    const cred = await findKeyCredential(base, row.key_id);
    if (!cred || cred.orgId !== row.org_id) return 'the API key of this session no longer exists';
    if (cred.revokedAt !== null) return `API key ${cred.id} was revoked at ${cred.revokedAt}`;
    if (cred.userDisabledAt !== null) return `the user of API key ${cred.id} is disabled`;
    return {
      orgId: cred.orgId, role: cred.role, actor: `key:${cred.id}`, keyId: cred.id, strategy: 'session',
      ...(cred.userId !== null ? { userId: cred.userId } : {}),
    };
  }
  return 'session has no subject';
}

/** The `session` auth strategy: skips requests without the cookie, so API keys keep working alongside. */
export function sessionStrategy(opts: SessionOptions): AuthStrategy {
  const db = sessionDb(opts.db);
  const now = opts.now ?? (() => new Date());
  const idle = opts.idleTimeoutMs ?? 12 * 3600_000;
  const maxAge = opts.maxAgeMs ?? 7 * 86400_000;
  return {
    name: 'session',
    async authenticate(request) {
      const token = cookieToken(request);
      if (token === undefined) return { kind: 'skip' };
      if (crossSite(request)) return { kind: 'reject', reason: 'cross-site request refused for a cookie session' };
      const resolved = await resolveSession(db, opts.db, token, now(), idle, maxAge);
      if (typeof resolved === 'string') return { kind: 'reject', reason: resolved };
      return { kind: 'accept', principal: resolved.principal };
    },
  };
}

async function resolveSession(db: SessionDb, base: Kysely<Database>, token: string, at: Date, idle: number, maxAge: number): Promise<ResolvedSession | string> {
  const id = tokenHash(token);
  const row = await db.selectFrom('web_sessions').selectAll().where('id', '=', id).executeTakeFirst();
  if (!row) return 'session expired or logged out; log in again';
  const t = at.getTime();
  if (t - Date.parse(row.last_seen_at) > idle || t - Date.parse(row.created_at) > maxAge) {
    await db.deleteFrom('web_sessions').where('id', '=', id).execute();
    return 'session expired; log in again';
  }
  const principal = await principalOfSession(db, base, row);
  if (typeof principal === 'string') return principal;
  if (t - Date.parse(row.last_seen_at) > TOUCH_EVERY_MS) {
    await db.updateTable('web_sessions').set({ last_seen_at: at.toISOString() }).where('id', '=', id).execute();
  }
  return { principal, lastSeenAt: row.last_seen_at };
}

/** Failed-login counter per name, in memory and bounded: slows guessing, never locks the table. */
class LoginThrottle {
  readonly #fails = new Map<string, { n: number; first: number }>();
  constructor(readonly max: number, readonly windowMs = 15 * 60_000) {}

  blocked(name: string, at: number): number | undefined {
    const e = this.#fails.get(name);
    if (!e || at - e.first > this.windowMs) return undefined;
    return e.n >= this.max ? Math.ceil((e.first + this.windowMs - at) / 1000) : undefined;
  }

  fail(name: string, at: number): void {
    const e = this.#fails.get(name);
    if (!e || at - e.first > this.windowMs) {
      if (this.#fails.size >= 10_000) this.#fails.delete(this.#fails.keys().next().value!);
      this.#fails.set(name, { n: 1, first: at });
    } else e.n++;
  }

  clear(name: string): void {
    this.#fails.delete(name);
  }
}

interface LoginBody {
  email?: string;
  password?: string;
  org?: string;
  apiKey?: string;
}

export interface SessionView {
  readonly orgId: string;
  readonly orgName: string;
  readonly role: ApiRole;
  readonly actor: string;
  readonly strategy: string;
  readonly user: { readonly id: string; readonly email: string; readonly displayName: string | null } | null;
  readonly keyId: string | null;
}

const sessionViewSchema = {
  type: 'object',
  properties: {
    orgId: { type: 'string' }, orgName: { type: 'string' }, role: { type: 'string' }, actor: { type: 'string' }, strategy: { type: 'string' },
    user: { anyOf: [{ type: 'object', properties: { id: { type: 'string' }, email: { type: 'string' }, displayName: { anyOf: [{ type: 'string' }, { type: 'null' }] } } }, { type: 'null' }] },
    keyId: { anyOf: [{ type: 'string' }, { type: 'null' }] },
  },
} as const;

async function sessionView(db: SessionDb, p: Principal): Promise<SessionView> {
  const org = await db.selectFrom('orgs').select('name').where('id', '=', p.orgId).executeTakeFirst();
  const user = p.userId !== undefined
    ? await db.selectFrom('users').select(['id', 'email', 'display_name']).where('id', '=', p.userId).executeTakeFirst()
    : undefined;
  return {
    orgId: p.orgId, orgName: org?.name ?? p.orgId, role: p.role, actor: p.actor, strategy: p.strategy,
    user: user ? { id: user.id, email: user.email, displayName: user.display_name } : null, keyId: p.keyId ?? null,
  };
}

/**
 * Routes: `POST /session` (log in: e-mail + password, or an API key; public), `DELETE /session`
 * (log out; public so an expired cookie can still be cleared), `GET /session` (who am I, with org
 * and user names), `PUT /session/password` (change one's own password) and
 * `PUT /users/{id}/password` (admin sets a user's password). Register after the API's auth plugin.
 */
export const sessionRoutes: FastifyPluginAsync<SessionOptions & Record<string, unknown>> = async (app, opts) => {
  const db = sessionDb(opts.db);
  const now = opts.now ?? (() => new Date());
  const maxAge = opts.maxAgeMs ?? 7 * 86400_000;
  const throttle = new LoginThrottle(opts.maxFailedLogins ?? 10);
  const tags = ['session'];
  await ensureSessionSchema(opts.db);
  // Writes Set-Cookie for these routes only (encapsulated in this plugin).
  await app.register(fastifyCookie);

  const setCookie = (request: FastifyRequest, reply: FastifyReply, value: string, maxAgeS: number): void => {
    const secure = opts.secureCookie === 'auto' || opts.secureCookie === undefined ? request.protocol === 'https' : opts.secureCookie;
    reply.setCookie(SESSION_COOKIE, value, { httpOnly: true, sameSite: 'strict', path: '/', secure, maxAge: maxAgeS });
  };

  app.post<{ Body: LoginBody }>('/session', {
    config: { public: true, audit: 'session.login' },
    schema: {
      tags, summary: 'Log in (browser session): an e-mail and password, or an API key; sets an HttpOnly cookie',
      security: [],
      body: {
        type: 'object',
        properties: {
          email: { type: 'string', minLength: 3, maxLength: 254 },
          password: { type: 'string', minLength: 1, maxLength: MAX_PASSWORD },
          org: { type: 'string', minLength: 1, maxLength: 200, description: 'Organisation name, when the e-mail belongs to several' },
          apiKey: { type: 'string', minLength: 1, maxLength: 200 },
        },
        additionalProperties: false,
      },
      response: { 200: sessionViewSchema, ...errorResponses },
    },
  }, async (request, reply) => {
    const b = request.body;
    const at = now();
    const client = `ip:${request.ip}`;
    let subject: { orgId: string; userId: string | null; keyId: string | null };
    if (b.apiKey !== undefined) {
      if (b.email !== undefined || b.password !== undefined) throw new TrawlError('TRAWL_E_VALIDATION', 'body: send either apiKey, or email and password, not both', { field: 'body.apiKey' });
      const wait = throttle.blocked(client, at.getTime());
      if (wait !== undefined) throw new TrawlError('TRAWL_E_RATE_LIMITED', `too many failed logins from this client; retry in ${wait} s`, { retryAfter: wait });
      const parsed = parseApiKeyToken(b.apiKey.trim());
      if (!parsed) {
        throttle.fail(client, at.getTime());
        throw new TrawlError('TRAWL_E_VALIDATION', 'body.apiKey is not an API key (trawl_<id>_<secret>)', { field: 'body.apiKey' });
      }
      const cred = await findKeyCredential(opts.db, parsed.id);
      if (!cred || !secretMatches(parsed.secret, cred.secretSha256)) {
        throttle.fail(client, at.getTime());
        throw new TrawlError('TRAWL_E_UNAUTHENTICATED', 'invalid API key', { field: 'body.apiKey' });
      }
      if (cred.revokedAt !== null) throw new TrawlError('TRAWL_E_UNAUTHENTICATED', `API key ${cred.id} was revoked at ${cred.revokedAt}`, { field: 'body.apiKey' });
      if (cred.userDisabledAt !== null) throw new TrawlError('TRAWL_E_UNAUTHENTICATED', `the user of API key ${cred.id} is disabled`, { field: 'body.apiKey' });
      throttle.clear(client);
      subject = { orgId: cred.orgId, userId: null, keyId: cred.id };
    } else {
      if (b.email === undefined) throw new TrawlError('TRAWL_E_VALIDATION', 'body.email is required (or send apiKey)', { field: 'body.email' });
      if (b.password === undefined) throw new TrawlError('TRAWL_E_VALIDATION', 'body.password is required', { field: 'body.password' });
      const email = b.email.trim().toLowerCase();
      const wait = throttle.blocked(`email:${email}`, at.getTime());
      if (wait !== undefined) throw new TrawlError('TRAWL_E_RATE_LIMITED', `too many failed logins for ${email}; retry in ${wait} s`, { retryAfter: wait });
      let q = db.selectFrom('users as u')
        .innerJoin('web_passwords as w', 'w.user_id', 'u.id')
        .innerJoin('orgs as o', 'o.id', 'u.org_id')
        .select(['u.id', 'u.org_id', 'u.disabled_at', 'w.hash', 'o.name as org_name'])
        .where('u.email', '=', email)
        .limit(20);
      if (b.org !== undefined) q = q.where('o.name', '=', b.org);
      const candidates = await q.execute();
      const matched: typeof candidates = [];
      for (const c of candidates) if (await verifyPassword(b.password, c.hash)) matched.push(c);
      if (candidates.length === 0) await verifyPassword(b.password, await (dummyHash ??= hashPassword(randomBytes(24).toString('base64url'))));
      const live = matched.filter((c) => c.disabled_at === null);
      if (live.length === 0) {
        throttle.fail(`email:${email}`, at.getTime());
        throw new TrawlError('TRAWL_E_UNAUTHENTICATED', matched.length > 0 ? `user ${email} is disabled` : 'wrong e-mail or password', { field: 'body.password' });
      }
      if (live.length > 1) {
        throw new TrawlError('TRAWL_E_VALIDATION', `${email} belongs to several organisations (${live.map((c) => c.org_name).join(', ')}); name one in body.org`, { field: 'body.org' });
      }
      throttle.clear(`email:${email}`);
      subject = { orgId: live[0]!.org_id, userId: live[0]!.id, keyId: null };
    }

    const token = randomBytes(32).toString('base64url');
    const iso = at.toISOString();
    // Expired rows go when someone logs in: no timer, and the table stays as small as its live sessions.
    await db.deleteFrom('web_sessions').where('created_at', '<', new Date(at.getTime() - maxAge).toISOString()).execute();
    await db.insertInto('web_sessions').values({
      id: tokenHash(token), org_id: subject.orgId, user_id: subject.userId, key_id: subject.keyId, created_at: iso, last_seen_at: iso,
      user_agent: (request.headers['user-agent'] ?? '').slice(0, 200) || null,
    }).execute();
    const row = (await db.selectFrom('web_sessions').selectAll().where('id', '=', tokenHash(token)).executeTakeFirstOrThrow());
    const principal = await principalOfSession(db, opts.db, row);
    if (typeof principal === 'string') throw new TrawlError('TRAWL_E_UNAUTHENTICATED', principal);
    // The audit hook records the login under the new principal.
    request.principal = principal;
    request.auditTarget = subject.userId ?? subject.keyId;
    setCookie(request, reply, token, Math.floor(maxAge / 1000));
    return sessionView(db, principal);
  });

  app.delete('/session', {
    config: { public: true },
    schema: { tags, summary: 'Log out: ends the session and clears the cookie', security: [], response: { 204: { type: 'null' } } },
  }, async (request, reply) => {
    const token = cookieToken(request);
    if (token !== undefined) {
      if (crossSite(request)) throw new TrawlError('TRAWL_E_FORBIDDEN', 'cross-site request refused for a cookie session');
      await db.deleteFrom('web_sessions').where('id', '=', tokenHash(token)).execute();
    }
    setCookie(request, reply, '', 0);
    return reply.code(204).send();
  });

  app.get('/session', {
    schema: { tags, summary: 'Who this session (or key) is, with organisation and user names', response: { 200: sessionViewSchema, ...errorResponses } },
  }, async (request) => sessionView(db, request.principal!));

  app.put<{ Body: { currentPassword: string; newPassword: string } }>('/session/password', {
    config: { audit: 'session.password.change' },
    schema: {
      tags, summary: 'Change one\'s own password (user sessions); ends the user\'s other sessions',
      body: {
        type: 'object',
        properties: { currentPassword: { type: 'string', minLength: 1, maxLength: MAX_PASSWORD }, newPassword: { type: 'string', maxLength: MAX_PASSWORD } },
        required: ['currentPassword', 'newPassword'],
        additionalProperties: false,
      },
      response: { 204: { type: 'null' }, ...errorResponses },
    },
  }, async (request, reply) => {
    const p = request.principal!;
    if (p.strategy !== 'session' || p.keyId !== undefined || p.userId === undefined) {
      throw new TrawlError('TRAWL_E_FORBIDDEN', 'only a user logged in with a password can change it', { field: 'body.currentPassword' });
    }
    const row = await db.selectFrom('web_passwords').select('hash').where('user_id', '=', p.userId).executeTakeFirst();
    if (!row || !(await verifyPassword(request.body.currentPassword, row.hash))) {
      throw new TrawlError('TRAWL_E_VALIDATION', 'body.currentPassword is not the current password', { field: 'body.currentPassword' });
    }
    await setUserPassword(opts.db, p.orgId, p.userId, request.body.newPassword, 'body.newPassword');
    // setUserPassword ended every session of the user; keep this one.
    const token = cookieToken(request)!;
    const iso = now().toISOString();
    await db.insertInto('web_sessions').values({ id: tokenHash(token), org_id: p.orgId, user_id: p.userId, key_id: null, created_at: iso, last_seen_at: iso, user_agent: (request.headers['user-agent'] ?? '').slice(0, 200) || null }).execute();
    request.auditTarget = p.userId;
    return reply.code(204).send();
  });

  app.put<{ Params: { id: string }; Body: { password: string } }>('/users/:id/password', {
    config: { minRole: 'admin', audit: 'user.password.set' },
    schema: {
      tags: ['users'], summary: 'Set a user\'s dashboard password (ends the user\'s sessions)',
      params: idParam,
      body: { type: 'object', properties: { password: { type: 'string', maxLength: MAX_PASSWORD } }, required: ['password'], additionalProperties: false },
      response: { 204: { type: 'null' }, ...errorResponses },
    },
  }, async (request, reply) => {
    await setUserPassword(opts.db, request.principal!.orgId, request.params.id, request.body.password);
    return reply.code(204).send();
  });
};
