/**
 * Shared set-up of the API suites: a real database (SQLite in memory, or a fresh PostgreSQL database
 * on 127.0.0.1:5432 that is dropped afterwards), two organisations with keys of every role, and
 * helpers to seed a finished scan folded into the inventory through the real code paths.
 */
import { randomBytes } from 'node:crypto';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import pg from 'pg';
import { buildApi, type BuildApiOptions } from '../../src/api/build-api.js';
import { openApiDatabase, type ApiDatabase } from '../../src/api/database/open-api-database.js';
import { createApiKey } from '../../src/api/queries/key-queries.js';
import { createOrg } from '../../src/api/queries/org-queries.js';
import { finishOrgScan, recordOrgScan } from '../../src/api/queries/scan-queries.js';
import { applyScan } from '../../src/inventory/inventory-apply.js';
import { recordFindingObservations, recordServiceObservations } from '../../src/inventory/observation-writer.js';
import type { ServiceIdentity } from '../../src/engines/identify/service-identity.js';
import type { FindingSighting } from '../../src/inventory/observation-data.js';
import { emptyCounters, type ScanSpec } from '../../src/model/scan.js';
import { newScanId } from '../../src/scan/scan-id.js';

export type DialectName = 'sqlite' | 'postgres';

const ADMIN_URL = process.env['TRAWL_TEST_PG_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const RUN = `${process.pid}_${randomBytes(3).toString('hex')}`;
let dbCounter = 0;

/** Why the PostgreSQL variant cannot run here, or undefined when the server answers. */
export async function postgresProblem(): Promise<string | undefined> {
  const c = new pg.Client({ connectionString: ADMIN_URL, connectionTimeoutMillis: 3000 });
  try {
    await c.connect();
    await c.query('select 1');
    return undefined;
  } catch (e) {
    return `PostgreSQL not reachable at ${ADMIN_URL}: ${(e as Error).message}`;
  } finally {
    await c.end().catch(() => undefined);
  }
}

/** The dialects to run a suite on: SQLite always, PostgreSQL unless TRAWL_TEST_SKIP_PG is set. */
export const dialects: readonly DialectName[] = process.env['TRAWL_TEST_SKIP_PG'] ? ['sqlite'] : ['sqlite', 'postgres'];

export interface TestDatabase extends ApiDatabase {
  /** Closes and, for PostgreSQL, drops the database. */
  dispose(): Promise<void>;
}

export async function openTestDatabase(kind: DialectName): Promise<TestDatabase> {
  if (kind === 'sqlite') {
    const d = await openApiDatabase(':memory:');
    await d.store.migrate();
    return { ...d, dispose: () => d.close() };
  }
  const name = `trawl_api_${RUN}_${dbCounter++}`;
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  await admin.query(`create database ${name} template template0 locale_provider icu icu_locale 'en-US' locale 'C.UTF-8'`);
  await admin.end();
  const u = new URL(ADMIN_URL);
  u.pathname = `/${name}`;
  const d = await openApiDatabase(u.href, { poolSize: 5 });
  await d.store.migrate();
  return {
    ...d,
    dispose: async () => {
      await d.close();
      const a = new pg.Client({ connectionString: ADMIN_URL });
      await a.connect();
      await a.query(`drop database if exists ${name} with (force)`);
      await a.end();
    },
  };
}

export interface OrgKeys {
  readonly id: string;
  readonly admin: string;
  readonly analyst: string;
  readonly viewer: string;
}

export async function seedOrg(d: ApiDatabase, name: string, scope: string[]): Promise<OrgKeys> {
  const org = await createOrg(d.db, { name, scope });
  const key = async (role: 'admin' | 'analyst' | 'viewer'): Promise<string> => (await createApiKey(d.db, { orgId: org.id, name: `${role} key`, role, createdBy: 'test' })).token;
  return { id: org.id, admin: await key('admin'), analyst: await key('analyst'), viewer: await key('viewer') };
}

export interface ApiFixture {
  readonly d: TestDatabase;
  readonly app: FastifyInstance;
  readonly a: OrgKeys;
  readonly b: OrgKeys;
  close(): Promise<void>;
}

/** Two orgs: A may scan loopback 127.0.0.0/24; B may scan 127.0.1.0/24. */
export async function fixture(kind: DialectName, opts: Partial<BuildApiOptions> = {}): Promise<ApiFixture> {
  const d = await openTestDatabase(kind);
  const a = await seedOrg(d, 'org-a', ['127.0.0.0/24']);
  const b = await seedOrg(d, 'org-b', ['127.0.1.0/24']);
  const app = buildApi({ db: d.db, store: d.store, rateLimit: false, ...opts });
  await app.ready();
  return {
    d, app, a, b,
    close: async () => {
      await app.close();
      await d.dispose();
    },
  };
}

export interface CallOptions {
  readonly body?: unknown;
  readonly headers?: Record<string, string>;
}

export function call(app: FastifyInstance, token: string | undefined, method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', url: string, o: CallOptions = {}): Promise<LightMyRequestResponse> {
  return app.inject({
    method,
    url,
    headers: { ...(token !== undefined ? { authorization: `Bearer ${token}` } : {}), ...o.headers },
    ...(o.body !== undefined ? { payload: o.body as Record<string, unknown> } : {}),
  });
}

export function json<T = Record<string, unknown>>(res: LightMyRequestResponse): T {
  return JSON.parse(res.body) as T;
}

const spec = (targets: string[]): ScanSpec => ({
  targets, targetFiles: [], excludes: [], excludeFiles: [], ports: [22, 80, 443], resolved: {}, seed: '1', shard: { index: 1, count: 1 }, options: {},
});

export interface SeededScan {
  readonly scanId: string;
}

/**
 * A finished scan of `orgId` with open ports and check results, stored through the Store and the
 * inventory's observation writer, linked to the org, and folded into its inventory (assets, services,
 * findings, changes) by applyScan — the same path a real run takes after the scan.
 */
export async function seedFinishedScan(
  d: ApiDatabase, orgId: string,
  hosts: readonly {
    ip: string; ports: readonly number[]; findings?: readonly (FindingSighting & { port: number })[]; cleanChecks?: readonly { port: number; checkId: string }[];
    /** What the identify stage would have recorded (optionally with the host name the target was given as). */
    services?: readonly { port: number; identity: ServiceIdentity; hostname?: string }[];
  }[],
  at: Date,
): Promise<SeededScan> {
  const scanId = newScanId(at.getTime());
  const ts = at.toISOString();
  await d.store.createScan({ id: scanId, spec: spec(hosts.map((h) => h.ip)), counters: emptyCounters(), createdAt: ts });
  await d.store.putWorkUnits([{ scanId, stage: 'discover', unitIndex: 0, start: 0n, end: 100n, checkpoint: 0n, state: 'pending', attempts: 0, leaseOwner: null }]);
  const observations = hosts.flatMap((h) => h.ports.map((port) => ({ type: 'port' as const, scanId, ip: h.ip, port, proto: 'tcp' as const, state: 'open' as const, ts, evidence: 'syn-ack' as const })));
  await d.store.commitProgress({ scanId, stage: 'discover', unitIndex: 0, checkpoint: 100n, unitDone: true, observations, counters: { probesSent: 100n, openFound: BigInt(observations.length) } });
  const findingInputs = hosts.flatMap((h) => {
    const byPort = new Map<number, FindingSighting[]>();
    for (const f of h.findings ?? []) {
      const { port, ...sighting } = f;
      byPort.set(port, [...(byPort.get(port) ?? []), sighting]);
    }
    const clean = new Map<number, string[]>();
    for (const c of h.cleanChecks ?? []) clean.set(c.port, [...(clean.get(c.port) ?? []), c.checkId]);
    const ports = new Set([...byPort.keys(), ...clean.keys()]);
    // `checks` lists every check that ran, found something or not: a clean run is what fixes a finding.
    return [...ports].map((port) => {
      const findings = byPort.get(port) ?? [];
      return { scanId, ip: h.ip, port, proto: 'tcp' as const, ts, checks: [...findings.map((f) => f.checkId), ...(clean.get(port) ?? [])], findings };
    });
  });
  if (findingInputs.length > 0) await recordFindingObservations(d.db, findingInputs);
  const serviceInputs = hosts.flatMap((h) => (h.services ?? []).map((x) => ({ scanId, ip: h.ip, port: x.port, proto: 'tcp' as const, ts, identity: x.identity, ...(x.hostname !== undefined ? { hostname: x.hostname } : {}) })));
  if (serviceInputs.length > 0) await recordServiceObservations(d.db, serviceInputs);
  await d.store.setScanStatus(scanId, 'done', ts);
  await recordOrgScan(d.db, { scanId, orgId, assessmentId: null, origin: 'manual', createdAt: ts });
  await finishOrgScan(d.db, scanId, 'done', null);
  await applyScan(d.db, scanId);
  return { scanId };
}
