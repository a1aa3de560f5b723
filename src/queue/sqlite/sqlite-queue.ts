import { randomUUID } from 'node:crypto';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, SqliteDialect, sql, type ExpressionBuilder, type Selectable } from 'kysely';
import { Migrator } from 'kysely/migration';
import { TrawlError } from '../../errors/trawl-error.js';
import { StaticMigrationProvider } from '../../store/migrations/migration-provider.js';
import { sqliteOpenError } from '../../store/sqlite/sqlite-errors.js';
import { checkDbPath, removeCreatedDb } from '../../store/sqlite/sqlite-path.js';
import type { DeadJob, FailOutcome, HeartbeatResult, JobInput, JsonValue, LeasedJob, LeaseOptions, QueueCounts, QueueFilter, RateLimit, WorkerIdentity } from '../job.js';
import type { JobQueue } from '../job-queue.js';
import {
  checkJobRef, checkLease, checkRateLimit, checkVisibility, checkWorker, errorText, jsonText, leaseLost, LIMITS, normalizeJobs, optionalFilter, retryDelayMs,
} from '../job-input.js';
import { insertJobs } from './enqueue-in-transaction.js';
import type { JobsDatabase, JobsTable } from './jobs-schema.js';

const BUSY_TIMEOUT_MS = 5000;
/** Candidate rows read per page while skipping rate-limited groups, and at most this many in all. */
const PAGE_ROWS = 256;
const MAX_SCANNED_ROWS = 20_000;
const PRUNE_EVERY_MS = 60_000;
const PRUNE_ROWS = 1000;

export interface SqliteQueueOptions {
  /** A worker counts as live this long after its last lease (for `waitingNoWorker`); default 60 s. */
  workerTtlMs?: number;
  /** Done jobs, and so their dedup keys, are kept this long; default 7 days. */
  doneRetentionMs?: number;
}

/**
 * The embedded queue on an existing Kysely instance, typically the store's own single SQLite
 * connection, so queue calls and store transactions are serialised by Kysely's connection mutex and
 * `enqueueInTransaction` can join a store commit. The store's migrations (0003-jobs) must have run.
 * `close()` leaves `db` open: its owner closes it.
 *
 * Within one process, do not open a second connection to the same file for the queue: better-sqlite3
 * waits for locks synchronously, so it would stall the thread that holds the lock. Across processes
 * the file is safe to share: every multi-statement operation writes first, taking SQLite's write lock
 * before reading, so two processes can never lease the same job.
 */
export function createSqliteQueue<DB extends JobsDatabase>(db: Kysely<DB>, opts: SqliteQueueOptions = {}): JobQueue {
  return new SqliteJobQueue(db as unknown as Kysely<JobsDatabase>, false, opts);
}

/** A queue that owns its connection; `db` is that connection, for `enqueueInTransaction` and `createSqliteQueue`. */
export interface SqliteQueueHandle extends JobQueue {
  readonly db: Kysely<JobsDatabase>;
}

/**
 * Opens (creating if needed) a store file and returns a queue that owns the connection. Runs the
 * store's migrations, so the file is a complete store. For a process that only needs the queue; more
 * handles on the same connection come from `createSqliteQueue(handle.db)`.
 */
export async function openSqliteQueue(path: string, opts: SqliteQueueOptions = {}): Promise<SqliteQueueHandle> {
  const { existed } = path === ':memory:' ? { existed: true } : checkDbPath(path, false);
  let raw: BetterSqlite3.Database | undefined;
  try {
    raw = new BetterSqlite3(path, { timeout: BUSY_TIMEOUT_MS });
    raw.pragma('journal_mode = WAL');
    raw.pragma('synchronous = NORMAL');
    raw.pragma('foreign_keys = ON');
  } catch (e) {
    raw?.close();
    if (!existed) removeCreatedDb(path);
    throw sqliteOpenError(e, path);
  }
  const db = new Kysely<JobsDatabase>({ dialect: new SqliteDialect({ database: raw }) });
  try {
    const { error } = await new Migrator({ db, provider: new StaticMigrationProvider() }).migrateToLatest();
    if (error !== undefined) throw error;
  } catch (e) {
    await db.destroy();
    throw queueError(e, `migrate the queue store ${path}`);
  }
  return new SqliteJobQueue(db, true, opts);
}

function queueError(error: unknown, action: string): TrawlError {
  if (error instanceof TrawlError) return error;
  const code = (error as { code?: unknown } | null)?.code;
  const message = error instanceof Error ? error.message : String(error);
  return new TrawlError('TRAWL_E_QUEUE', `cannot ${action}: ${message}`, { sqliteCode: typeof code === 'string' ? code : undefined }, { cause: error });
}

const num = (v: number | string | null): number => Number(v);

function parseJson(text: string | null, what: string): JsonValue {
  try {
    return JSON.parse(text ?? 'null') as JsonValue;
  } catch (e) {
    throw new TrawlError('TRAWL_E_QUEUE', `stored ${what} is not valid JSON`, { what }, { cause: e });
  }
}

function dedupKeyOf(id: string): string | undefined {
  return id.startsWith('k:') ? id.slice(2) : undefined;
}

function optionalFields(row: Selectable<JobsTable>): { dedupKey?: string; group?: string; rateGroup?: string; zone?: string } {
  const dedupKey = dedupKeyOf(row.id);
  return {
    ...(dedupKey !== undefined ? { dedupKey } : {}),
    ...(row.job_group !== null ? { group: row.job_group } : {}),
    ...(row.rate_group !== null ? { rateGroup: row.rate_group } : {}),
    ...(row.zone !== null ? { zone: row.zone } : {}),
  };
}

/** The current, unexpired lease under this token: what every heartbeat/ack/fail write requires. */
function leaseGuard(jobId: string, leaseToken: string, now: number) {
  return (eb: ExpressionBuilder<JobsDatabase, 'jobs'>) =>
    eb.and([eb('id', '=', jobId), eb('lease_token', '=', leaseToken), eb('state', '=', 'leased'), eb('lease_expires_at', '>', now)]);
}

class SqliteJobQueue implements SqliteQueueHandle {
  #closed = false;
  #lastPrune = 0;
  readonly #workerTtlMs: number;
  readonly #doneRetentionMs: number;

  constructor(
    readonly db: Kysely<JobsDatabase>,
    private readonly ownsDb: boolean,
    opts: SqliteQueueOptions,
  ) {
    this.#workerTtlMs = opts.workerTtlMs ?? 60_000;
    this.#doneRetentionMs = opts.doneRetentionMs ?? 7 * 24 * 3600 * 1000;
  }

  async enqueue(jobs: readonly JobInput[]): Promise<string[]> {
    const normalized = normalizeJobs(jobs);
    return this.#run('enqueue jobs', () => this.db.transaction().execute((trx) => insertJobs(trx, normalized)));
  }

  async lease(worker: WorkerIdentity, opts: LeaseOptions): Promise<LeasedJob[]> {
    const w = checkWorker(worker);
    const { max, visibilityMs } = checkLease(opts);
    return this.#run(`lease jobs for worker ${w.id}`, () =>
      this.db.transaction().execute(async (trx) => {
        const now = Date.now();
        // The first statement writes, so the transaction holds the write lock before it reads anything.
        await trx.deleteFrom('jobs').where('state', '=', 'leased').where('lease_expires_at', '<=', now).where('cancelled', '=', 1).execute();
        // Expired leases are crash recovery: the attempt counts; the last one dead-letters the job.
        await trx
          .updateTable('jobs')
          .set({ state: 'dead', finished_at: now, last_error: sql<string>`'lease expired without ack or fail (attempt ' || attempts || ' of ' || max_attempts || ')'`, lease_token: null, lease_owner: null, lease_expires_at: null })
          .where('state', '=', 'leased')
          .where('lease_expires_at', '<=', now)
          .where(sql<boolean>`attempts >= max_attempts`)
          .execute();
        await trx
          .updateTable('jobs')
          .set({ state: 'retrying', run_at: now, last_error: sql<string>`'lease expired without ack or fail (attempt ' || attempts || ')'`, lease_token: null, lease_owner: null, lease_expires_at: null })
          .where('state', '=', 'leased')
          .where('lease_expires_at', '<=', now)
          .execute();
        await trx
          .insertInto('job_workers')
          .values({ worker_id: w.id, zones_json: JSON.stringify(w.zones), last_seen: now })
          .onConflict((oc) => oc.column('worker_id').doUpdateSet({ zones_json: JSON.stringify(w.zones), last_seen: now }))
          .execute();
        if (now - this.#lastPrune > PRUNE_EVERY_MS) {
          this.#lastPrune = now;
          await trx.deleteFrom('jobs').where('id', 'in', (eb) => eb.selectFrom('jobs').select('id').where('state', '=', 'done').where('finished_at', '<', now - this.#doneRetentionMs).limit(PRUNE_ROWS)).execute();
          await trx.deleteFrom('job_workers').where('last_seen', '<', now - 10 * this.#workerTtlMs).execute();
        }

        // Sliding-window log: a group may lease again once its oldest grant leaves the window.
        await trx
          .deleteFrom('job_rate_grants')
          .where(sql<boolean>`granted_at <= ${now} - coalesce((select l.window_ms from job_rate_limits l where l.rate_group = job_rate_grants.rate_group), 0)`)
          .execute();
        const limits = new Map((await trx.selectFrom('job_rate_limits').selectAll().execute()).map((l) => [l.rate_group, l.max_per_window]));
        const used = new Map<string, number>();
        if (limits.size > 0) {
          const rows = await trx.selectFrom('job_rate_grants').select(['rate_group', (eb) => eb.fn.countAll<number>().as('n')]).groupBy('rate_group').execute();
          for (const r of rows) used.set(r.rate_group, Number(r.n));
        }

        const taken: { id: string; rateGroup: string | null }[] = [];
        for (let offset = 0; taken.length < max && offset < MAX_SCANNED_ROWS; offset += PAGE_ROWS) {
          // The literal state list matches the partial index jobs_ready_idx.
          let q = trx.selectFrom('jobs').select(['id', 'rate_group']).where(sql<boolean>`state in ('waiting', 'retrying')`).where('run_at', '<=', now);
          q = w.zones.length > 0 ? q.where((eb) => eb.or([eb('zone', 'is', null), eb('zone', 'in', w.zones)])) : q.where('zone', 'is', null);
          const page = await q.orderBy('priority').orderBy('seq').limit(PAGE_ROWS).offset(offset).execute();
          for (const row of page) {
            const limit = row.rate_group === null ? undefined : limits.get(row.rate_group);
            if (row.rate_group !== null && limit !== undefined) {
              const n = used.get(row.rate_group) ?? 0;
              if (n >= limit) continue;
              used.set(row.rate_group, n + 1);
            }
            taken.push({ id: row.id, rateGroup: row.rate_group });
            if (taken.length === max) break;
          }
          if (page.length < PAGE_ROWS) break;
        }
        if (taken.length === 0) return [];

        const tokens = new Map<string, string>();
        for (const t of taken) {
          const token = randomUUID();
          tokens.set(t.id, token);
          await trx
            .updateTable('jobs')
            .set({ state: 'leased', attempts: sql<number>`attempts + 1`, lease_token: token, lease_owner: w.id, lease_expires_at: now + visibilityMs, visibility_ms: visibilityMs })
            .where('id', '=', t.id)
            .execute();
        }
        const grants = taken.filter((t) => t.rateGroup !== null && limits.has(t.rateGroup)).map((t) => ({ rate_group: t.rateGroup as string, granted_at: now, job_id: t.id }));
        if (grants.length > 0) await trx.insertInto('job_rate_grants').values(grants).execute();

        const rows = new Map((await trx.selectFrom('jobs').selectAll().where('id', 'in', taken.map((t) => t.id)).execute()).map((r) => [r.id, r]));
        return taken.map(({ id }): LeasedJob => {
          const row = rows.get(id);
          if (row === undefined) throw new TrawlError('TRAWL_E_QUEUE', `job ${id} vanished while being leased`);
          return {
            id,
            kind: row.kind,
            payload: parseJson(row.payload_json, `payload of job ${id}`),
            leaseToken: tokens.get(id) as string,
            attempt: Number(row.attempts),
            maxAttempts: Number(row.max_attempts),
            leaseExpiresAt: num(row.lease_expires_at),
            ...optionalFields(row),
          };
        });
      }),
    );
  }

  async heartbeat(jobId: string, leaseToken: string, visibilityMs?: number): Promise<HeartbeatResult> {
    checkJobRef(jobId, leaseToken);
    const vis = checkVisibility(visibilityMs);
    return this.#run(`extend the lease of job ${jobId}`, async () => {
      const now = Date.now();
      const row = await this.db
        .updateTable('jobs')
        .set({
          lease_expires_at: vis !== undefined ? now + vis : sql<number>`${now} + visibility_ms`,
          ...(vis !== undefined ? { visibility_ms: vis } : {}),
        })
        .where(leaseGuard(jobId, leaseToken, now))
        .returning(['lease_expires_at', 'cancelled'])
        .executeTakeFirst();
      if (row === undefined) throw await this.#lost(jobId, leaseToken, now);
      return { leaseExpiresAt: num(row.lease_expires_at), cancelled: Number(row.cancelled) === 1 };
    });
  }

  async ack(jobId: string, leaseToken: string, result?: JsonValue): Promise<void> {
    checkJobRef(jobId, leaseToken);
    const resultJson = result === undefined ? null : jsonText(result, `result of job ${jobId}`, LIMITS.resultBytes);
    return this.#run(`ack job ${jobId}`, async () => {
      const now = Date.now();
      const r = await this.db
        .updateTable('jobs')
        .set({ state: 'done', result_json: resultJson, finished_at: now, lease_token: null, lease_owner: null, lease_expires_at: null })
        .where(leaseGuard(jobId, leaseToken, now))
        .executeTakeFirst();
      if (r.numUpdatedRows !== 1n) throw await this.#lost(jobId, leaseToken, now);
    });
  }

  async fail(jobId: string, leaseToken: string, error: string | Error): Promise<FailOutcome> {
    checkJobRef(jobId, leaseToken);
    const message = errorText(error);
    return this.#run(`fail job ${jobId}`, async () => {
      const now = Date.now();
      const row = await this.#held(jobId, leaseToken, now).selectAll().executeTakeFirst();
      if (row === undefined) throw await this.#lost(jobId, leaseToken, now);
      // Every write below repeats the lease guard, so a lease lost meanwhile still fails cleanly.
      let outcome: FailOutcome;
      let changed: bigint;
      if (Number(row.cancelled) === 1) {
        changed = (await this.db.deleteFrom('jobs').where(leaseGuard(jobId, leaseToken, now)).executeTakeFirst()).numDeletedRows;
        outcome = { outcome: 'cancelled' };
      } else if (Number(row.attempts) >= Number(row.max_attempts)) {
        changed = (await this.db.updateTable('jobs').set({ state: 'dead', last_error: message, finished_at: now, lease_token: null, lease_owner: null, lease_expires_at: null }).where(leaseGuard(jobId, leaseToken, now)).executeTakeFirst()).numUpdatedRows;
        outcome = { outcome: 'dead' };
      } else {
        const retryAt = now + retryDelayMs(Number(row.backoff_ms), Number(row.backoff_jitter), Number(row.attempts));
        changed = (await this.db.updateTable('jobs').set({ state: 'retrying', last_error: message, run_at: retryAt, lease_token: null, lease_owner: null, lease_expires_at: null }).where(leaseGuard(jobId, leaseToken, now)).executeTakeFirst()).numUpdatedRows;
        outcome = { outcome: 'retry', retryAt };
      }
      if (changed !== 1n) throw await this.#lost(jobId, leaseToken, Date.now());
      return outcome;
    });
  }

  async setRateLimit(group: string, limit: RateLimit | null): Promise<void> {
    const checked = checkRateLimit(group, limit);
    return this.#run(`set the rate limit of ${checked.group}`, async () => {
      if (checked.limit === null) {
        await this.db.deleteFrom('job_rate_limits').where('rate_group', '=', checked.group).execute();
        return;
      }
      const row = { rate_group: checked.group, max_per_window: checked.limit.max, window_ms: checked.limit.perMs };
      await this.db.insertInto('job_rate_limits').values(row).onConflict((oc) => oc.column('rate_group').doUpdateSet({ max_per_window: row.max_per_window, window_ms: row.window_ms })).execute();
    });
  }

  async listDead(filter: QueueFilter & { limit?: number } = {}): Promise<DeadJob[]> {
    const f = optionalFilter(filter);
    const limit = Math.max(1, Math.min(Math.floor(filter.limit ?? 100), 10_000));
    return this.#run('list dead jobs', async () => {
      let q = this.db.selectFrom('jobs').selectAll().where('state', '=', 'dead');
      if (f.group !== undefined) q = q.where('job_group', '=', f.group);
      if (f.zone !== undefined) q = q.where('zone', '=', f.zone);
      if (f.kind !== undefined) q = q.where('kind', '=', f.kind);
      const rows = await q.orderBy('finished_at', 'desc').orderBy('id').limit(limit).execute();
      return rows.map((row): DeadJob => {
        const { rateGroup: _r, ...rest } = optionalFields(row);
        return {
          id: row.id,
          kind: row.kind,
          payload: parseJson(row.payload_json, `payload of job ${row.id}`),
          attempts: Number(row.attempts),
          error: row.last_error ?? '',
          failedAt: num(row.finished_at),
          ...rest,
        };
      });
    });
  }

  async redrive(jobId: string): Promise<boolean> {
    checkJobRef(jobId);
    return this.#run(`redrive job ${jobId}`, async () => {
      const now = Date.now();
      const r = await this.db
        .updateTable('jobs')
        .set({ state: 'waiting', attempts: 0, run_at: now, last_error: null, finished_at: null })
        .where('id', '=', jobId)
        .where('state', '=', 'dead')
        .executeTakeFirst();
      return r.numUpdatedRows === 1n;
    });
  }

  async cancel(filter: { group?: string }): Promise<number> {
    const { group } = optionalFilter(filter);
    return this.#run(group === undefined ? 'cancel all jobs' : `cancel the jobs of group ${group}`, () =>
      this.db.transaction().execute(async (trx) => {
        let flag = trx.updateTable('jobs').set({ cancelled: 1 }).where('state', '=', 'leased').where('cancelled', '=', 0);
        if (group !== undefined) flag = flag.where('job_group', '=', group);
        const flagged = (await flag.executeTakeFirst()).numUpdatedRows;
        let del = trx.deleteFrom('jobs').where('state', 'in', ['waiting', 'retrying']);
        if (group !== undefined) del = del.where('job_group', '=', group);
        const deleted = (await del.executeTakeFirst()).numDeletedRows;
        return Number(flagged + deleted);
      }),
    );
  }

  async counts(filter: QueueFilter = {}): Promise<QueueCounts> {
    const f = optionalFilter(filter);
    return this.#run('count jobs', async () => {
      const now = Date.now();
      let q = this.db
        .selectFrom('jobs')
        .select([
          'zone',
          sql<string>`case when state = 'leased' and lease_expires_at <= ${now} then 'retrying' else state end`.as('st'),
          (eb) => eb.fn.countAll<number>().as('n'),
        ]);
      if (f.group !== undefined) q = q.where('job_group', '=', f.group);
      if (f.zone !== undefined) q = q.where('zone', '=', f.zone);
      if (f.kind !== undefined) q = q.where('kind', '=', f.kind);
      const rows = await q.groupBy(['zone', 'st']).execute();
      const workers = await this.db.selectFrom('job_workers').select('zones_json').where('last_seen', '>', now - this.#workerTtlMs).execute();
      const served = new Set<string>();
      for (const w of workers) for (const z of JSON.parse(w.zones_json) as string[]) served.add(z);
      const c = { waiting: 0, leased: 0, done: 0, failed: 0, dead: 0, waitingNoWorker: 0 };
      for (const r of rows) {
        const n = Number(r.n);
        if (r.st === 'waiting' || r.st === 'retrying') {
          if (r.st === 'waiting') c.waiting += n;
          else c.failed += n;
          const covered = r.zone === null ? workers.length > 0 : served.has(r.zone);
          if (!covered) c.waitingNoWorker += n;
        } else if (r.st === 'leased') c.leased += n;
        else if (r.st === 'done') c.done += n;
        else if (r.st === 'dead') c.dead += n;
      }
      return c;
    });
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.ownsDb) await this.db.destroy().catch((e: unknown) => Promise.reject(queueError(e, 'close the queue')));
  }

  #held(jobId: string, leaseToken: string, now: number) {
    return this.db.selectFrom('jobs').where(leaseGuard(jobId, leaseToken, now));
  }

  /** Why a lease check failed, in words, as TRAWL_E_LEASE_LOST. */
  async #lost(jobId: string, leaseToken: string, now: number): Promise<TrawlError> {
    const row = await this.db.selectFrom('jobs').select(['state', 'lease_token', 'lease_expires_at']).where('id', '=', jobId).executeTakeFirst();
    if (row === undefined) return leaseLost(jobId, 'no such job (cancelled, pruned, or never enqueued)');
    if (row.state === 'leased' && row.lease_token === leaseToken) {
      return leaseLost(jobId, `the lease expired ${now - num(row.lease_expires_at)} ms ago; the job is leasable by other workers`);
    }
    if (row.state === 'leased') return leaseLost(jobId, 'the lease token is stale: the job was leased again by another worker');
    return leaseLost(jobId, `the job is ${row.state}, not leased under this token`);
  }

  async #run<T>(action: string, fn: () => Promise<T>): Promise<T> {
    if (this.#closed) throw new TrawlError('TRAWL_E_QUEUE', `cannot ${action}: the queue is closed`);
    try {
      return await fn();
    } catch (e) {
      throw queueError(e, action);
    }
  }
}
