import { sql, type Insertable, type Kysely, type RawBuilder, type Transaction } from 'kysely';
import { Migrator } from 'kysely/migration';
import { TrawlError } from '../errors/trawl-error.js';
import type { Observation, PortObservation, PortState, Proto } from '../model/observation.js';
import type { ScanCounters, ScanRecord, ScanSpec, ScanStatus } from '../model/scan.js';
import type { Stage, WorkUnit } from '../model/work-unit.js';
import type { ServiceIdentity } from '../engines/identify/service-identity.js';
import type { FindingJson } from '../checks/finding.js';
import { ipSortKey } from './ip-key.js';
import { StaticMigrationProvider } from './migrations/migration-provider.js';
import { collapseByIdentity, stateRankSql } from './observation-merge.js';
import { findingsFromRow, portObservationFromRow, scanFromRow, serviceFromRow, toBigintText, workUnitFromRow } from './row-codec.js';
import { counterColumns, type BigintText, type CounterColumn, type Database, type ObservationsTable, type WorkUnitsTable } from './schema.js';
import type { ProgressCommit, Store } from './store.js';

/**
 * What differs between SQL engines; everything else (queries, migrations) is shared. An adapter
 * opens the connection, then hands a Kysely instance and one of these to `createKyselyStore`.
 */
export interface StoreDialect {
  /** Where the data lives, for messages (a file path, a redacted URL). */
  readonly location: string;
  readonly readonly: boolean;
  /** Most bound parameters one statement may carry (SQLite 32766, PostgreSQL 65535). */
  readonly maxParameters: number;
  /**
   * `column + delta` over bigint text, evaluated by the database inside the UPDATE so concurrent
   * increments never lose one. SQLite: a registered function; PostgreSQL would use
   * `(column::numeric + delta::numeric)::text`.
   */
  decimalAdd(column: CounterColumn, delta: BigintText): RawBuilder<string>;
  /** A driver error as a coded TrawlError; TrawlErrors pass through unchanged. */
  toTrawlError(error: unknown, action: string): TrawlError;
}

/** Rows per keyset page of `listPortObservations`: bounded memory, few round trips. */
const PAGE_ROWS = 2000;
/** Longest scan reference `findScan` looks up; ids are short, anything longer cannot match. */
const MAX_SCAN_REF = 200;
/** Cap on `listScans`, so an unbounded limit cannot load the whole history into memory. */
const MAX_LIST_SCANS = 100_000;
const OBSERVATION_COLUMNS = 13;
const WORK_UNIT_COLUMNS = 10;
const PORT_STATES: readonly PortState[] = ['open', 'closed', 'filtered'];
const OBSERVATION_KEY = ['scan_id', 'type', 'ip_key', 'port', 'proto'] as const;

export function createKyselyStore(db: Kysely<Database>, dialect: StoreDialect): Store {
  return new KyselyStore(db, dialect);
}

class KyselyStore implements Store {
  #closed = false;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly dialect: StoreDialect,
  ) {}

  migrate(): Promise<void> {
    return this.#run('migrate the schema', async () => {
      const migrator = new Migrator({ db: this.db, provider: new StaticMigrationProvider() });
      if (this.dialect.readonly) {
        // A read-only store cannot migrate; it can still be read if nothing is pending.
        const pending = (await migrator.getMigrations()).filter((m) => m.executedAt === undefined).map((m) => m.name);
        if (pending.length > 0) {
          throw new TrawlError('TRAWL_E_DB', `store ${this.dialect.location} is opened read-only and needs migrations ${pending.join(', ')}; open it read-write once`, { location: this.dialect.location, pending });
        }
        return;
      }
      const { error } = await migrator.migrateToLatest();
      if (error !== undefined) throw error;
    });
  }

  createScan(input: { id: string; spec: ScanSpec; counters: ScanCounters; createdAt: string }): Promise<ScanRecord> {
    return this.#run(`create scan ${input.id}`, async () => {
      const row = {
        id: input.id,
        created_at: isoTime(input.createdAt, 'createdAt'),
        finished_at: null,
        status: 'running' as const,
        spec_json: JSON.stringify(input.spec),
        ...counterValues(input.counters),
      };
      const result = await this.db.insertInto('scans').values(row).onConflict((oc) => oc.column('id').doNothing()).executeTakeFirst();
      if (result.numInsertedOrUpdatedRows === 0n) {
        // Idempotent re-create of the same scan returns it; reusing the id for another scan is a bug.
        const existing = await this.db.selectFrom('scans').selectAll().where('id', '=', input.id).executeTakeFirstOrThrow();
        if (existing.spec_json !== row.spec_json) {
          throw new TrawlError('TRAWL_E_DB', `scan ${input.id} already exists with a different spec`, { scanId: input.id });
        }
        return scanFromRow(existing);
      }
      return scanFromRow(row);
    });
  }

  getScan(id: string): Promise<ScanRecord | undefined> {
    return this.#run(`read scan ${id}`, async () => {
      const row = await this.db.selectFrom('scans').selectAll().where('id', '=', id).executeTakeFirst();
      return row && scanFromRow(row);
    });
  }

  findScan(ref: string): Promise<ScanRecord | undefined> {
    return this.#run(`find scan ${ref}`, async () => {
      if (ref === 'latest') return (await this.listScans(1))[0];
      if (ref.length === 0 || ref.length > MAX_SCAN_REF) return undefined;
      const exact = await this.getScan(ref);
      if (exact) return exact;
      // substr rather than LIKE: no wildcard escaping, and case-sensitive on every dialect.
      const rows = await this.db
        .selectFrom('scans')
        .selectAll()
        .where(sql`substr(id, 1, ${sql.lit(ref.length)})`, '=', ref)
        .orderBy('created_at', 'desc')
        .orderBy('id', 'desc')
        .limit(6)
        .execute();
      const [first, second] = rows;
      if (first === undefined) return undefined;
      if (second === undefined) return scanFromRow(first);
      const shown = rows.slice(0, 5).map((r) => r.id).join(', ') + (rows.length > 5 ? ', …' : '');
      throw new TrawlError('TRAWL_E_SCAN_NOT_FOUND', `scan reference "${ref}" is ambiguous: it prefixes ${shown}`, { ref, matches: rows.slice(0, 5).map((r) => r.id) });
    });
  }

  latestUnfinishedScan(): Promise<ScanRecord | undefined> {
    return this.#run('find the latest unfinished scan', async () => {
      const row = await this.db
        .selectFrom('scans')
        .selectAll()
        .where('status', 'in', ['running', 'interrupted'])
        .orderBy('created_at', 'desc')
        .orderBy('id', 'desc')
        .limit(1)
        .executeTakeFirst();
      return row && scanFromRow(row);
    });
  }

  listScans(limit: number): Promise<ScanRecord[]> {
    return this.#run('list scans', async () => {
      const n = Number.isNaN(limit) ? 0 : Math.max(0, Math.min(Math.floor(limit), MAX_LIST_SCANS));
      if (n === 0) return [];
      const rows = await this.db.selectFrom('scans').selectAll().orderBy('created_at', 'desc').orderBy('id', 'desc').limit(n).execute();
      return rows.map(scanFromRow);
    });
  }

  setScanStatus(id: string, status: ScanStatus, finishedAt: string | null): Promise<void> {
    return this.#run(`set the status of scan ${id}`, async () => {
      const result = await this.db
        .updateTable('scans')
        .set({ status, finished_at: finishedAt === null ? null : isoTime(finishedAt, 'finishedAt') })
        .where('id', '=', id)
        .executeTakeFirst();
      if (result.numUpdatedRows === 0n) throw new TrawlError('TRAWL_E_SCAN_NOT_FOUND', `no scan ${id}`, { scanId: id });
    });
  }

  putWorkUnits(units: readonly WorkUnit[]): Promise<void> {
    return this.#run('store work units', async () => {
      if (units.length === 0) return;
      const now = new Date().toISOString();
      const rows: Insertable<WorkUnitsTable>[] = units.map((u) => {
        const what = `work unit ${u.scanId}/${u.stage}/${u.unitIndex}`;
        return {
          scan_id: u.scanId,
          stage: u.stage,
          unit_index: u.unitIndex,
          range_start: toBigintText(u.start, `start of ${what}`),
          range_end: toBigintText(u.end, `end of ${what}`),
          checkpoint: toBigintText(u.checkpoint, `checkpoint of ${what}`),
          state: u.state,
          attempts: u.attempts,
          lease_owner: u.leaseOwner,
          updated_at: now,
        };
      });
      await this.db.transaction().execute(async (trx) => {
        for (const chunk of chunks(rows, this.#rowsPerStatement(WORK_UNIT_COLUMNS))) {
          await trx.insertInto('work_units').values(chunk).onConflict((oc) => oc.columns(['scan_id', 'stage', 'unit_index']).doNothing()).execute();
        }
      });
    });
  }

  listWorkUnits(scanId: string, stage: Stage): Promise<WorkUnit[]> {
    return this.#run(`list work units of scan ${scanId}`, async () => {
      const rows = await this.db.selectFrom('work_units').selectAll().where('scan_id', '=', scanId).where('stage', '=', stage).orderBy('unit_index').execute();
      return rows.map(workUnitFromRow);
    });
  }

  commitProgress(commit: ProgressCommit): Promise<void> {
    const unit = `${commit.scanId}/${commit.stage}/${commit.unitIndex}`;
    return this.#run(`commit progress of work unit ${unit}`, async () => {
      // Everything that can be checked without the database is, before the transaction opens.
      const checkpoint = toBigintText(commit.checkpoint, `checkpoint of work unit ${unit}`);
      const increments = Object.entries(counterColumns).flatMap(([field, column]) => {
        const delta = commit.counters[field as keyof ScanCounters];
        return delta === undefined || delta === 0n ? [] : [[column, toBigintText(delta, `increment of ${field}`)] as const];
      });
      const observations = observationRows(commit);
      const now = new Date().toISOString();

      await this.db.transaction().execute(async (trx) => {
        // The checkpoint only moves forward, so a stale redelivered commit cannot re-open finished
        // work; a done unit stays done. The CHECKs keep it inside [range_start, range_end].
        const cp = sql`cast(${checkpoint} as text)`;
        const unitResult = await trx
          .updateTable('work_units')
          .set({
            checkpoint: sql<string>`case when length(checkpoint) < length(${cp})
              or (length(checkpoint) = length(${cp}) and checkpoint < ${cp}) then ${cp} else checkpoint end`,
            state: commit.unitDone ? 'done' : sql<WorkUnitsTable['state']>`state`,
            updated_at: now,
          })
          .where('scan_id', '=', commit.scanId)
          .where('stage', '=', commit.stage)
          .where('unit_index', '=', commit.unitIndex)
          .executeTakeFirst();
        if (unitResult.numUpdatedRows !== 1n) {
          throw new TrawlError('TRAWL_E_DB', `no work unit ${unit} to commit progress to`, { scanId: commit.scanId, stage: commit.stage, unitIndex: commit.unitIndex });
        }

        await this.#upsertObservations(trx, observations);

        // Last: every job of a scan adds to this one row with each batch, so its lock is held only
        // from here to the commit, not while the observations are written.
        if (increments.length > 0) {
          const set = Object.fromEntries(increments.map(([column, delta]) => [column, this.dialect.decimalAdd(column, delta)]));
          const scanResult = await trx.updateTable('scans').set(set).where('id', '=', commit.scanId).executeTakeFirst();
          if (scanResult.numUpdatedRows !== 1n) throw new TrawlError('TRAWL_E_SCAN_NOT_FOUND', `no scan ${commit.scanId}`, { scanId: commit.scanId });
        }
      });
    });
  }

  recordObservations(scanId: string, observations: readonly Observation[]): Promise<void> {
    return this.#run(`record observations of scan ${scanId}`, async () => {
      const rows = observationRows({ scanId, observations });
      if (rows.length === 0) return;
      await this.db.transaction().execute((trx) => this.#upsertObservations(trx, rows));
    });
  }

  async #upsertObservations(trx: Transaction<Database>, observations: readonly Insertable<ObservationsTable>[]): Promise<void> {
      for (const chunk of chunks(observations, this.#rowsPerStatement(OBSERVATION_COLUMNS))) {
        await trx
          .insertInto('observations')
          .values(chunk)
          .onConflict((oc) =>
            oc
              .columns([...OBSERVATION_KEY])
              .doUpdateSet({
                ip: (eb) => eb.ref('excluded.ip'),
                state: (eb) => eb.ref('excluded.state'),
                evidence: (eb) => eb.ref('excluded.evidence'),
                rtt_ms: (eb) => eb.ref('excluded.rtt_ms'),
                hostname: sql<string | null>`coalesce(excluded.hostname, observations.hostname)`,
                worker: (eb) => eb.ref('excluded.worker'),
                ts: (eb) => eb.ref('excluded.ts'),
                data_json: (eb) => eb.ref('excluded.data_json'),
              })
              .where(sql<boolean>`${stateRankSql('excluded.state')} > ${stateRankSql('observations.state')}`),
          )
          .execute();
      }
  }

  async *listPortObservations(scanId: string, filter?: { state?: PortState }): AsyncIterable<PortObservation> {
    const state = filter?.state;
    if (state !== undefined && !PORT_STATES.includes(state)) {
      throw new TrawlError('TRAWL_E_INTERNAL', `unknown port state filter ${JSON.stringify(state)}`, { state });
    }
    // Keyset pagination on the primary key order: each page is an index range scan, memory stays
    // bounded however large the scan, and rows committed meanwhile never shift a page boundary.
    let after: { ip_key: string; port: number; proto: Proto } | undefined;
    for (;;) {
      const cursor = after;
      const rows = await this.#run(`list observations of scan ${scanId}`, () => {
        let q = this.db.selectFrom('observations').selectAll().where('scan_id', '=', scanId).where('type', '=', 'port');
        // A literal, not a parameter, so the planner can match the partial index on open rows.
        if (state !== undefined) q = q.where('state', '=', sql.lit(state));
        if (cursor !== undefined) {
          q = q.where((eb) => eb(eb.refTuple('ip_key', 'port', 'proto'), '>', eb.tuple(cursor.ip_key, cursor.port, cursor.proto)));
        }
        return q.orderBy('ip_key').orderBy('port').orderBy('proto').limit(PAGE_ROWS).execute();
      });
      const { services, findings } = await this.#factsFor(scanId, rows);
      for (const row of rows) {
        const key = `${row.ip_key}\u0000${row.port}\u0000${row.proto}`;
        const o = portObservationFromRow(row);
        const service = services.get(key);
        const found = findings.get(key);
        yield service || found ? { ...o, ...(service ? { service } : {}), ...(found ? { findings: found } : {}) } : o;
      }
      const last = rows[rows.length - 1];
      if (last === undefined || rows.length < PAGE_ROWS) return;
      after = { ip_key: last.ip_key, port: last.port, proto: last.proto };
    }
  }

  /** The service and finding facts of one page of port rows, in one range query over the same key order. */
  async #factsFor(scanId: string, rows: readonly { ip_key: string; port: number; proto: Proto }[]): Promise<{ services: Map<string, ServiceIdentity>; findings: Map<string, FindingJson[]> }> {
    const services = new Map<string, ServiceIdentity>();
    const findings = new Map<string, FindingJson[]>();
    const first = rows[0];
    const last = rows[rows.length - 1];
    if (first === undefined || last === undefined) return { services, findings };
    const found = await this.#run(`list facts of scan ${scanId}`, () =>
      this.db.selectFrom('observations').select(['type', 'ip_key', 'port', 'proto', 'data_json'])
        .where('scan_id', '=', scanId).where('type', 'in', ['service', 'finding'])
        .where('ip_key', '>=', first.ip_key).where('ip_key', '<=', last.ip_key)
        .execute());
    for (const r of found) {
      const key = `${r.ip_key}\u0000${r.port}\u0000${r.proto}`;
      if (r.type === 'service') {
        const service = serviceFromRow(r);
        if (service) services.set(key, service);
      } else {
        const list = findingsFromRow(r);
        if (list.length > 0) findings.set(key, list);
      }
    }
    return { services, findings };
  }

  countObservations(scanId: string): Promise<number> {
    return this.#run(`count observations of scan ${scanId}`, async () => {
      const row = await this.db.selectFrom('observations').select((eb) => eb.fn.countAll().as('n')).where('scan_id', '=', scanId).executeTakeFirstOrThrow();
      return Number(row.n);
    });
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    try {
      await this.db.destroy();
    } catch (e) {
      throw this.dialect.toTrawlError(e, 'close the store');
    }
  }

  #rowsPerStatement(columns: number): number {
    return Math.max(1, Math.floor(this.dialect.maxParameters / columns));
  }

  async #run<T>(action: string, fn: () => Promise<T>): Promise<T> {
    if (this.#closed) throw new TrawlError('TRAWL_E_DB', `cannot ${action}: store ${this.dialect.location} is closed`, { location: this.dialect.location });
    try {
      return await fn();
    } catch (e) {
      throw this.dialect.toTrawlError(e, action);
    }
  }
}

function counterValues(counters: ScanCounters): Record<CounterColumn, BigintText> {
  const out = {} as Record<CounterColumn, BigintText>;
  for (const [field, column] of Object.entries(counterColumns) as [keyof ScanCounters, CounterColumn][]) {
    out[column] = toBigintText(counters[field], field);
  }
  return out;
}

function observationRows(commit: Pick<ProgressCommit, 'scanId' | 'observations'>): Insertable<ObservationsTable>[] {
  const rows = commit.observations.map((o): Insertable<ObservationsTable> & { ip_key: string; state: PortState; hostname: string | null } => {
    if (o.scanId !== commit.scanId) {
      throw new TrawlError('TRAWL_E_INTERNAL', `observation of scan ${o.scanId} in a commit of scan ${commit.scanId}`, { scanId: commit.scanId });
    }
    const common = {
      scan_id: o.scanId,
      ip: o.ip,
      ip_key: ipSortKey(o.ip),
      port: o.port,
      proto: o.proto,
      hostname: o.hostname ?? null,
      worker: o.worker ?? null,
      ts: o.ts,
    };
    if (o.type === 'finding') {
      // The inventory reads checkId/severity/title/evidence (src/inventory/observation-data.ts); the
      // whole finding rides along for outputs.
      const data = {
        checks: o.checks,
        findings: o.findings.map((f) => ({ checkId: f.check_id, severity: f.severity === 'info' ? 'none' : f.severity, title: f.title, evidence: f.evidence, finding: f })),
      };
      return { ...common, type: 'finding', state: 'open', evidence: 'syn-ack', rtt_ms: null, data_json: JSON.stringify(data) };
    }
    if (o.type === 'service') {
      // A service fact is about an open port; the identity itself is the row's data.
      return { ...common, type: 'service', state: 'open', evidence: 'syn-ack', rtt_ms: null, data_json: JSON.stringify(o.service) };
    }
    return { ...common, type: 'port', state: o.state, evidence: o.evidence, rtt_ms: o.rttMs ?? null, data_json: null };
  });
  const collapsed = collapseByIdentity(rows, (r) => `${r.type}\u0000${r.ip_key}\u0000${r.port}\u0000${r.proto}`);
  // Key order: the rows land in neighbouring index pages.
  return collapsed.sort((a, b) => (a.ip_key < b.ip_key ? -1 : a.ip_key > b.ip_key ? 1 : a.port - b.port || (a.proto < b.proto ? -1 : a.proto > b.proto ? 1 : 0)));
}

function isoTime(value: string, what: string): string {
  const t = typeof value === 'string' ? Date.parse(value) : Number.NaN;
  if (Number.isNaN(t)) throw new TrawlError('TRAWL_E_INTERNAL', `${what} is not an ISO-8601 time: ${JSON.stringify(String(value).slice(0, 80))}`, { what });
  return new Date(t).toISOString();
}

function* chunks<T>(items: readonly T[], size: number): Generator<T[]> {
  for (let i = 0; i < items.length; i += size) yield items.slice(i, i + size);
}
