/**
 * Test fixtures for the inventory: a store (port observations go through the real Store, as the
 * discover stage writes them) plus a Kysely<Database> on the same database for the inventory, on
 * SQLite (a temp file) and, when a server answers on 127.0.0.1:5432, on PostgreSQL (a fresh database
 * with a non-C default collation, dropped afterwards). Synthetic scans use documentation addresses
 * (198.51.100.0/24); nothing is ever sent to them.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import type { ServiceIdentity } from '../../src/engines/identify/service-identity.js';
import { openInventoryDatabase } from '../../src/inventory/inventory-database.js';
import type { FindingSighting } from '../../src/inventory/observation-data.js';
import { recordFindingObservations, recordServiceObservations } from '../../src/inventory/observation-writer.js';
import type { PortObservation, Proto } from '../../src/model/observation.js';
import { emptyCounters, type ScanSpec } from '../../src/model/scan.js';
import type { Database } from '../../src/store/schema.js';
import { openSqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import type { Store } from '../../src/store/store.js';

export interface InventoryFixture {
  readonly name: string;
  readonly store: Store;
  readonly db: Kysely<Database>;
  close(): Promise<void>;
}

export type FixtureFactory = () => Promise<InventoryFixture>;

const tempRoot = mkdtempSync(join(tmpdir(), 'trawl-inventory-test-'));
let files = 0;

export function sqlitePath(): string {
  return join(tempRoot, `inv-${process.pid}-${files++}.db`);
}

export async function sqliteFixture(path = sqlitePath()): Promise<InventoryFixture> {
  const store = await openSqliteStore(path);
  await store.migrate();
  const db = await openInventoryDatabase(path);
  return {
    name: 'sqlite',
    store,
    db,
    async close() {
      await db.destroy();
      await store.close();
    },
  };
}

export function removeTempFiles(): void {
  rmSync(tempRoot, { recursive: true, force: true });
}

const PG_ADMIN_URL = process.env.TRAWL_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const RUN = `${process.pid}_${randomBytes(4).toString('hex')}`;
let pgAdmin: pg.Pool | undefined;
const pgDatabases: string[] = [];

/** A PostgreSQL factory when the adapter exists and a server answers; otherwise why not. */
export async function postgresFactory(): Promise<FixtureFactory | string> {
  const adapter = new URL('../../src/store/postgres/postgres-store.js', import.meta.url);
  if (!existsSync(adapter)) return 'src/store/postgres is not there';
  const admin = new pg.Pool({ connectionString: PG_ADMIN_URL, max: 2, connectionTimeoutMillis: 3000 });
  admin.on('error', () => {});
  try {
    await admin.query('select 1');
  } catch (e) {
    await admin.end().catch(() => {});
    return `no PostgreSQL at ${new URL(PG_ADMIN_URL).host}: ${(e as Error).message}`;
  }
  pgAdmin = admin;
  const { openPostgresStore } = (await import(adapter.href)) as typeof import('../../src/store/postgres/postgres-store.js');
  return async () => {
    const name = `trawl_inv_${RUN}_${pgDatabases.length}`;
    pgDatabases.push(name);
    await admin.query(`create database ${name} template template0 locale_provider icu icu_locale 'en-US' locale 'C.UTF-8'`);
    const u = new URL(PG_ADMIN_URL);
    u.pathname = `/${name}`;
    const store = await openPostgresStore(u.href);
    await store.migrate();
    const pool = new pg.Pool({ connectionString: u.href, max: 4 });
    pool.on('error', () => {});
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
    return {
      name: 'postgresql',
      store,
      db,
      async close() {
        await db.destroy();
        await store.close();
      },
    };
  };
}

export async function dropPostgresDatabases(): Promise<void> {
  if (pgAdmin === undefined) return;
  for (const name of pgDatabases) await pgAdmin.query(`drop database if exists ${name} with (force)`);
  await pgAdmin.end();
}

const DAY_MS = 86_400_000;
export const T0 = Date.parse('2030-03-01T06:00:00.000Z');
/** ISO time `days` (fractional allowed) after T0. */
export const day = (days: number): string => new Date(T0 + days * DAY_MS).toISOString();

export interface ServiceSpec {
  readonly ip: string;
  readonly port: number;
  readonly name: string;
  readonly product?: string;
  readonly version?: string;
  /** Leaf certificate: fingerprint (64 hex, any case/colons) and notAfter. */
  readonly cert?: { readonly fingerprint: string; readonly notAfter: string };
}

export interface FindingSpec {
  readonly ip: string;
  readonly port: number;
  readonly checks: readonly string[];
  readonly findings: readonly FindingSighting[];
}

export interface SyntheticScan {
  readonly id: string;
  /** Finish time; the scan starts an hour earlier. */
  readonly at: string;
  readonly targets?: readonly string[];
  readonly ports?: readonly number[];
  readonly options?: Readonly<Record<string, string | number | boolean>>;
  readonly shard?: { readonly index: number; readonly count: number };
  readonly status?: 'done' | 'interrupted';
  readonly open?: readonly (readonly [string, number])[];
  readonly closed?: readonly (readonly [string, number])[];
  readonly filtered?: readonly (readonly [string, number])[];
  readonly hostnames?: Readonly<Record<string, string>>;
  readonly services?: readonly ServiceSpec[];
  readonly findings?: readonly FindingSpec[];
}

export const DEFAULT_TARGETS = ['198.51.100.0/24'];
export const DEFAULT_PORTS = [22, 80, 443, 993, 3306, 8443];

/** Writes a finished scan: scan row and port rows through the Store, service/finding rows by the writers. */
export async function writeScan(fx: InventoryFixture, s: SyntheticScan): Promise<void> {
  const spec: ScanSpec = {
    targets: [...(s.targets ?? DEFAULT_TARGETS)],
    targetFiles: [],
    excludes: [],
    excludeFiles: [],
    ports: [...(s.ports ?? DEFAULT_PORTS)],
    resolved: {},
    seed: '7',
    shard: s.shard ?? { index: 1, count: 1 },
    options: { applyBlocklist: true, discovery: 'off', ...(s.options ?? {}) },
  };
  const started = new Date(Date.parse(s.at) - 3_600_000).toISOString();
  await fx.store.createScan({ id: s.id, spec, counters: emptyCounters(), createdAt: started });
  await fx.store.putWorkUnits([{ scanId: s.id, stage: 'discover', unitIndex: 0, start: 0n, end: 1000n, checkpoint: 0n, state: 'pending', attempts: 0, leaseOwner: null }]);
  const ts = new Date(Date.parse(s.at) - 1_800_000).toISOString();
  const port = (ip: string, p: number, state: PortObservation['state']): PortObservation => ({
    type: 'port', scanId: s.id, ip, port: p, proto: 'tcp', state, ts,
    evidence: state === 'open' ? 'syn-ack' : state === 'closed' ? 'reset' : 'timeout',
    ...(s.hostnames?.[ip] !== undefined ? { hostname: s.hostnames[ip] } : {}),
  });
  const observations = [
    ...(s.open ?? []).map(([ip, p]) => port(ip, p, 'open')),
    ...(s.closed ?? []).map(([ip, p]) => port(ip, p, 'closed')),
    ...(s.filtered ?? []).map(([ip, p]) => port(ip, p, 'filtered')),
  ];
  await fx.store.commitProgress({ scanId: s.id, stage: 'discover', unitIndex: 0, checkpoint: 1000n, unitDone: true, observations, counters: {} });
  if (s.services !== undefined) {
    await recordServiceObservations(fx.db, s.services.map((v) => ({ scanId: s.id, ip: v.ip, port: v.port, proto: 'tcp' as Proto, ts, identity: identity(v) })));
  }
  if (s.findings !== undefined) {
    await recordFindingObservations(fx.db, s.findings.map((f) => ({ scanId: s.id, ip: f.ip, port: f.port, proto: 'tcp' as Proto, ts, checks: f.checks, findings: f.findings })));
  }
  await fx.store.setScanStatus(s.id, s.status ?? 'done', (s.status ?? 'done') === 'done' ? s.at : null);
}

export function identity(v: ServiceSpec): ServiceIdentity {
  return {
    name: v.name,
    ...(v.product !== undefined ? { product: v.product } : {}),
    ...(v.version !== undefined ? { version: v.version } : {}),
    cpe: [],
    method: 'handshake',
    confidence: 10,
    ...(v.cert !== undefined
      ? { facts: { tls: { protocol: 'TLSv1.3', chain: [{ fingerprintSha256: v.cert.fingerprint, notAfter: v.cert.notAfter, subjectText: 'CN=lab' }] } } }
      : {}),
  };
}

/** 64-hex fingerprint in node's colon form, from a short seed. */
export function fingerprint(seed: string): string {
  const hex = Buffer.from(seed.padEnd(32, '.')).toString('hex').slice(0, 64).toUpperCase();
  return hex.match(/../g)!.join(':');
}

/** Every row of the view tables, in key order, for comparing two views. */
export async function viewDump(db: Kysely<Database>): Promise<Record<string, unknown[]>> {
  return {
    inventory_scans: await db.selectFrom('inventory_scans').selectAll().orderBy('scan_id').execute(),
    assets: await db.selectFrom('assets').selectAll().orderBy('org_id').orderBy('ip_key').execute(),
    services: await db.selectFrom('services').selectAll().orderBy('org_id').orderBy('ip_key').orderBy('port').orderBy('proto').execute(),
    findings: await db.selectFrom('findings').selectAll().orderBy('id').execute(),
    changes: await db.selectFrom('changes').selectAll().orderBy('id').execute(),
    inventory_snapshots: await db.selectFrom('inventory_snapshots').selectAll().orderBy('org_id').orderBy('day').execute(),
  };
}

export { sql };
