import { createHash, randomUUID } from 'node:crypto';
import { Job, Queue, UnrecoverableError, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { TrawlError } from '../../errors/trawl-error.js';
import type { DeadJob, FailOutcome, HeartbeatResult, JobInput, JsonValue, LeasedJob, LeaseOptions, QueueCounts, QueueFilter, RateLimit, WorkerIdentity } from '../job.js';
import type { JobQueue } from '../job-queue.js';
import {
  checkJobRef, checkLease, checkRateLimit, checkVisibility, checkWorker, errorText, jsonText, leaseLost, LIMITS, normalizeJobs, optionalFilter,
} from '../job-input.js';
import { loadLuaScript } from './lua-script.js';
import { RedisCommands, type RedisReply } from './redis-commands.js';
import { parseRedisUrl } from './redis-url.js';

export interface BullmqQueueOptions {
  /** `redis://host:port/db` or `unix:///path/redis.sock`; default `redis://127.0.0.1:6379`. */
  url?: string;
  /** Every key starts with `<prefix>:`; one prefix is one queue (default `trawl`). */
  prefix?: string;
  /**
   * How often expired leases are swept back to waiting (BullMQ's stalled-job check); an expired lease
   * is redelivered within about twice this. Default 5 s.
   */
  stalledCheckMs?: number;
  /** A worker counts as live this long after its last lease (for `waitingNoWorker`); default 60 s. */
  workerTtlMs?: number;
  /** Done jobs, and so their dedup keys, are kept this long; default 7 days. */
  doneRetentionMs?: number;
  /** Heartbeat visibility for a lease this process did not make and that names none; default 30 s. */
  defaultVisibilityMs?: number;
  connectTimeoutMs?: number;
}

/** Queue (BullMQ queue name) of zone-less jobs; zones start with a letter or digit, so it cannot clash. */
const ANY = '_any';
const PREFIX = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$/;
const BULL_ID = /^[ku]-[A-Za-z0-9_-]{1,64}$/;
/** Jobs pulled per queue and lease call while skipping rate-limited ones, on top of `max`. */
const EXTRA_PULLS = 64;
const SCAN_BATCH = 500;
const LOCK_LOST_CODES = new Set([-1, -2, -3, -6]);

/** What BullMQ stores as job data: the payload and the port-level attributes it has no field for. */
interface StoredData {
  p: JsonValue;
  k?: string;
  g?: string;
  r?: string;
}

const RATE_LIMIT = 'rate-limit.lua';
const JOB_STATES = 'job-states.lua';

/**
 * The JobQueue port on BullMQ and Redis. Mapping:
 *  - zones are separate BullMQ queues `<prefix>:<zone>` (zone-less jobs: `<prefix>:_any`); a worker
 *    polls its zones' queues, then `_any`;
 *  - manual processing: a `Worker` without processor; `getNextJob(token)` leases, the BullMQ lock is
 *    the lease (its token is the lease token, `extendLock` the heartbeat, `moveToCompleted` /
 *    `moveToFailed` ack and fail, each checking the token, so a stale lease cannot ack);
 *  - dedup: the BullMQ job id is derived from the dedup key, and BullMQ ignores an add of an existing id;
 *  - priority, attempts and exponential backoff with jitter are BullMQ's own; an attempt is a lease
 *    (`attemptsStarted`), so an expired lease counts, and the lease after the last one dead-letters;
 *  - expired leases come back through BullMQ's stalled-job check (`stalledCheckMs`);
 *  - dead letters are BullMQ's failed set (kept: `removeOnFail: false`); redrive is `job.retry`;
 *  - per-group rate limits (OSS BullMQ has only a per-queue limiter) are a sliding-window log in
 *    rate-limit.lua; a job of a group at its limit goes back to delayed until the window frees a slot.
 * Port job ids are `<queue>/<bullmq id>`.
 *
 * Redis here is a cache of work, not its record: the store is. A Redis that restarts empty loses the
 * queued jobs; the queue reconnects by itself and `reconcile` (src/queue/reconcile.ts) re-enqueues
 * the unfinished work units from the store (dedup keys make that safe to run any time).
 */
export async function openBullmqQueue(opts: BullmqQueueOptions = {}): Promise<JobQueue> {
  const prefix = opts.prefix ?? 'trawl';
  if (!PREFIX.test(prefix)) throw new TrawlError('TRAWL_E_QUEUE', `queue prefix must be 1-64 letters, digits, '_', '.', ':' or '-', got ${JSON.stringify(prefix.slice(0, 80))}`);
  const target = parseRedisUrl(opts.url ?? 'redis://127.0.0.1:6379', { connectTimeoutMs: opts.connectTimeoutMs ?? 5000 });
  const redis = new RedisCommands(target);
  try {
    await redis.connect();
    await redis.call('PING');
  } catch (e) {
    redis.close();
    throw new TrawlError('TRAWL_E_QUEUE', `cannot reach Redis at ${redis.where}: ${e instanceof Error ? e.message : String(e)}`, { where: redis.where }, { cause: e });
  }
  // Fail at open, not at the first lease, when the scripts are missing from the installation.
  loadLuaScript(RATE_LIMIT);
  loadLuaScript(JOB_STATES);
  // BullMQ's standard connection: commands wait through reconnects (maxRetriesPerRequest: null).
  const client = new Redis({ ...target.options, lazyConnect: false });
  return new BullmqJobQueue(redis, client, prefix, opts);
}

function hashKey(dedupKey: string): string {
  return createHash('sha256').update(dedupKey).digest('base64url');
}

function parseId(id: string): { queue: string; bullId: string } | undefined {
  const slash = id.indexOf('/');
  if (slash < 0) return undefined;
  const queue = id.slice(0, slash);
  const bullId = id.slice(slash + 1);
  if ((queue !== ANY && !/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/.test(queue)) || !BULL_ID.test(bullId)) return undefined;
  return { queue, bullId };
}

function errorCodeOf(e: unknown): number | undefined {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === 'number' ? code : undefined;
}

function asArray(v: RedisReply | undefined): RedisReply[] {
  return Array.isArray(v) ? v : [];
}

type Counts = { waiting: number; leased: number; done: number; failed: number; dead: number };
const zero = (): Counts => ({ waiting: 0, leased: 0, done: 0, failed: 0, dead: 0 });

class BullmqJobQueue implements JobQueue {
  readonly #queues = new Map<string, Queue>();
  readonly #workers = new Map<string, Worker>();
  /** Visibility of the leases this process made, so a heartbeat renews by the same amount. */
  readonly #visibility = new Map<string, number>();
  readonly #client: Redis;
  readonly #stalledCheckMs: number;
  readonly #workerTtlMs: number;
  readonly #doneRetentionMs: number;
  readonly #defaultVisibilityMs: number;
  #closed = false;
  /** The last error BullMQ reported in the background (reconnects, stalled checks), for diagnostics. */
  lastBackgroundError: Error | undefined;

  constructor(
    private readonly redis: RedisCommands,
    client: Redis,
    private readonly prefix: string,
    opts: BullmqQueueOptions,
  ) {
    // One ioredis connection shared by every Queue and Worker of this process; each Worker duplicates
    // it for its blocking connection, unused by manual processing.
    this.#client = client;
    this.#client.on('error', (e: Error) => (this.lastBackgroundError = e));
    this.#stalledCheckMs = opts.stalledCheckMs ?? 5000;
    this.#workerTtlMs = opts.workerTtlMs ?? 60_000;
    this.#doneRetentionMs = opts.doneRetentionMs ?? 7 * 24 * 3600 * 1000;
    this.#defaultVisibilityMs = opts.defaultVisibilityMs ?? 30_000;
  }

  #key(...parts: string[]): string {
    return [this.prefix, '_trawl', ...parts].join(':');
  }

  #queue(name: string): Queue {
    let q = this.#queues.get(name);
    if (q === undefined) {
      q = new Queue(name, { connection: this.#client, prefix: this.prefix });
      q.on('error', (e: Error) => (this.lastBackgroundError = e));
      this.#queues.set(name, q);
    }
    return q;
  }

  #worker(name: string): Worker {
    let w = this.#workers.get(name);
    if (w === undefined) {
      w = new Worker(name, null, {
        connection: this.#client,
        prefix: this.prefix,
        autorun: false,
        // Leases are only what `lease` and `heartbeat` make them: no automatic renewal, and stalled
        // jobs are never failed by BullMQ's own counter (attempts are counted per lease instead).
        skipLockRenewal: true,
        lockDuration: this.#defaultVisibilityMs,
        stalledInterval: this.#stalledCheckMs,
        maxStalledCount: 1_000_000,
        drainDelay: 1,
      });
      w.on('error', (e: Error) => (this.lastBackgroundError = e));
      void w.startStalledCheckTimer();
      this.#workers.set(name, w);
    }
    return w;
  }

  async #knownQueues(): Promise<string[]> {
    return asArray(await this.redis.call('SMEMBERS', this.#key('zones'))).map(String).sort();
  }

  async enqueue(jobs: readonly JobInput[]): Promise<string[]> {
    const normalized = normalizeJobs(jobs);
    return this.#run('enqueue jobs', async () => {
      if (normalized.length === 0) return [];
      const planned = normalized.map((job) => {
        const queue = job.zone ?? ANY;
        const bullId = job.dedupKey !== null ? `k-${hashKey(job.dedupKey)}` : `u-${randomUUID()}`;
        return { job, queue, bullId, id: `${queue}/${bullId}` };
      });
      const queues = [...new Set(planned.map((p) => p.queue))];
      await this.redis.call('SADD', this.#key('zones'), ...queues);
      // Group membership first: a member whose job never got added is harmless, a job missing from its
      // group would escape `cancel`.
      const byGroup = new Map<string, string[]>();
      for (const p of planned) if (p.job.group !== null) byGroup.set(p.job.group, [...(byGroup.get(p.job.group) ?? []), p.id]);
      await Promise.all([...byGroup].map(([g, ids]) => this.redis.call('SADD', this.#key('group', g), ...ids)));
      for (const queue of queues) {
        const batch = planned.filter((p) => p.queue === queue);
        for (let i = 0; i < batch.length; i += 1000) {
          await this.#queue(queue).addBulk(
            batch.slice(i, i + 1000).map(({ job, bullId }) => {
              const data: StoredData = {
                p: JSON.parse(job.payloadJson) as JsonValue,
                ...(job.dedupKey !== null ? { k: job.dedupKey } : {}),
                ...(job.group !== null ? { g: job.group } : {}),
                ...(job.rateGroup !== null ? { r: job.rateGroup } : {}),
              };
              return {
                name: job.kind,
                data,
                opts: {
                  jobId: bullId,
                  // BullMQ's 0 means "no priority" and jumps every prioritized job; ours starts at 0.
                  priority: job.priority + 1,
                  attempts: job.maxAttempts,
                  backoff: { type: 'exponential', delay: job.backoffMs, jitter: job.backoffJitter },
                  removeOnComplete: { age: Math.ceil(this.#doneRetentionMs / 1000) },
                  removeOnFail: false,
                },
              };
            }),
          );
        }
      }
      return planned.map((p) => p.id);
    });
  }

  async lease(worker: WorkerIdentity, opts: LeaseOptions): Promise<LeasedJob[]> {
    const w = checkWorker(worker);
    const { max, visibilityMs } = checkLease(opts);
    return this.#run(`lease jobs for worker ${w.id}`, async () => {
      const queues = [...w.zones, ANY];
      const now = Date.now();
      await Promise.all(queues.map((q) => this.redis.call('ZADD', this.#key('workers', q), now, w.id)));
      const known = new Set(await this.#knownQueues());
      const out: LeasedJob[] = [];
      for (const q of queues) {
        if (!known.has(q)) continue;
        const bw = this.#worker(q);
        for (let pulls = 0; out.length < max && pulls < max + EXTRA_PULLS; pulls++) {
          const token = randomUUID();
          const job = await bw.getNextJob(token, { block: false });
          if (job === undefined || job === null) break;
          const leased = await this.#admit(q, job as Job, token, visibilityMs);
          if (leased !== undefined) out.push(leased);
        }
      }
      return out;
    });
  }

  /** Decides what a job BullMQ just made active becomes: a lease, a dead letter, or deferred. */
  async #admit(queue: string, job: Job, token: string, visibilityMs: number): Promise<LeasedJob | undefined> {
    const id = `${queue}/${job.id}`;
    const data = job.data as StoredData;
    const maxAttempts = job.opts.attempts ?? 1;
    if (Number(await this.redis.call('SISMEMBER', this.#key('cancelled'), id)) === 1) {
      // Cancelled while leased, then the lease expired: drop it instead of redelivering.
      await job.moveToFailed(new UnrecoverableError('cancelled'), token, false);
      await job.remove();
      await this.redis.call('SREM', this.#key('cancelled'), id);
      return undefined;
    }
    if (job.attemptsStarted > maxAttempts) {
      await job.moveToFailed(new UnrecoverableError(`lease expired without ack or fail (attempt ${maxAttempts} of ${maxAttempts})`), token, false);
      return undefined;
    }
    if (data.r !== undefined) {
      const [granted, retryAfter] = asArray(await this.redis.eval(loadLuaScript(RATE_LIMIT), [this.#key('ratelimits'), this.#key('grants', data.r)], [data.r, `${id}#${token}`]));
      if (Number(granted) !== 1) {
        // Back to delayed until the window frees a slot; that was not an attempt.
        await job.moveToDelayed(Date.now() + Math.max(1, Number(retryAfter)), token);
        await this.redis.call('HINCRBY', `${this.prefix}:${queue}:${String(job.id)}`, 'ats', -1);
        return undefined;
      }
    }
    if (Number(await job.extendLock(token, visibilityMs)) !== 1) return undefined;
    this.#remember(token, visibilityMs);
    return {
      id,
      kind: job.name,
      payload: data.p,
      leaseToken: token,
      attempt: job.attemptsStarted,
      maxAttempts,
      leaseExpiresAt: Date.now() + visibilityMs,
      ...(data.k !== undefined ? { dedupKey: data.k } : {}),
      ...(data.g !== undefined ? { group: data.g } : {}),
      ...(data.r !== undefined ? { rateGroup: data.r } : {}),
      ...(queue !== ANY ? { zone: queue } : {}),
    };
  }

  #remember(token: string, visibilityMs: number): void {
    // Bounded: a process that leases without ever acking must not grow this forever.
    if (this.#visibility.size >= 100_000) this.#visibility.clear();
    this.#visibility.set(token, visibilityMs);
  }

  async #job(jobId: string): Promise<{ queue: string; job: Job } | undefined> {
    const ref = parseId(jobId);
    if (ref === undefined) return undefined;
    const job = await Job.fromId(this.#queue(ref.queue), ref.bullId);
    return job === undefined ? undefined : { queue: ref.queue, job: job as Job };
  }

  /** Runs a BullMQ call that checks the lock; its lock errors mean this lease is gone. */
  async #locked<T>(jobId: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      const code = errorCodeOf(e);
      if (code !== undefined && LOCK_LOST_CODES.has(code)) {
        throw leaseLost(jobId, `the lease is no longer held: the token is stale or the lease expired (${(e as Error).message})`);
      }
      throw e;
    }
  }

  async heartbeat(jobId: string, leaseToken: string, visibilityMs?: number): Promise<HeartbeatResult> {
    checkJobRef(jobId, leaseToken);
    const vis = checkVisibility(visibilityMs) ?? this.#visibility.get(leaseToken) ?? this.#defaultVisibilityMs;
    return this.#run(`extend the lease of job ${jobId}`, async () => {
      const found = await this.#job(jobId);
      if (found === undefined) throw leaseLost(jobId, 'no such job (cancelled, pruned, or never enqueued)');
      if (Number(await found.job.extendLock(leaseToken, vis)) !== 1) {
        throw leaseLost(jobId, 'the lease is no longer held: the token is stale or the lease expired');
      }
      if (visibilityMs !== undefined) this.#remember(leaseToken, vis);
      const cancelled = Number(await this.redis.call('SISMEMBER', this.#key('cancelled'), jobId)) === 1;
      return { leaseExpiresAt: Date.now() + vis, cancelled };
    });
  }

  async ack(jobId: string, leaseToken: string, result?: JsonValue): Promise<void> {
    checkJobRef(jobId, leaseToken);
    const resultJson = result === undefined ? 'null' : jsonText(result, `result of job ${jobId}`, LIMITS.resultBytes);
    return this.#run(`ack job ${jobId}`, async () => {
      const found = await this.#job(jobId);
      if (found === undefined) throw leaseLost(jobId, 'no such job (cancelled, pruned, or never enqueued)');
      await this.#locked(jobId, () => found.job.moveToCompleted(JSON.parse(resultJson) as JsonValue, leaseToken, false));
      this.#visibility.delete(leaseToken);
      await this.redis.call('SREM', this.#key('cancelled'), jobId);
    });
  }

  async fail(jobId: string, leaseToken: string, error: string | Error): Promise<FailOutcome> {
    checkJobRef(jobId, leaseToken);
    const message = errorText(error);
    return this.#run(`fail job ${jobId}`, async () => {
      const found = await this.#job(jobId);
      if (found === undefined) throw leaseLost(jobId, 'no such job (cancelled, pruned, or never enqueued)');
      const { job } = found;
      this.#visibility.delete(leaseToken);
      if (Number(await this.redis.call('SISMEMBER', this.#key('cancelled'), jobId)) === 1) {
        await this.#locked(jobId, () => job.moveToFailed(new UnrecoverableError(message), leaseToken, false));
        await job.remove();
        await this.redis.call('SREM', this.#key('cancelled'), jobId);
        return { outcome: 'cancelled' };
      }
      if (job.attemptsStarted >= (job.opts.attempts ?? 1)) {
        await this.#locked(jobId, () => job.moveToFailed(new UnrecoverableError(message), leaseToken, false));
        return { outcome: 'dead' };
      }
      await this.#locked(jobId, () => job.moveToFailed(new Error(message), leaseToken, false));
      // BullMQ drew the jittered delay itself; the delayed set's score carries the time (ms × 4096 + n).
      const score = await this.redis.call('ZSCORE', `${this.prefix}:${found.queue}:delayed`, String(job.id));
      return { outcome: 'retry', retryAt: score === null ? Date.now() : Math.floor(Number(score) / 4096) };
    });
  }

  async setRateLimit(group: string, limit: RateLimit | null): Promise<void> {
    const checked = checkRateLimit(group, limit);
    return this.#run(`set the rate limit of ${checked.group}`, async () => {
      if (checked.limit === null) await this.redis.call('HDEL', this.#key('ratelimits'), checked.group);
      else await this.redis.call('HSET', this.#key('ratelimits'), checked.group, `${checked.limit.max}:${checked.limit.perMs}`);
    });
  }

  async listDead(filter: QueueFilter & { limit?: number } = {}): Promise<DeadJob[]> {
    const f = optionalFilter(filter);
    const limit = Math.max(1, Math.min(Math.floor(filter.limit ?? 100), 10_000));
    return this.#run('list dead jobs', async () => {
      const queues = f.zone !== undefined ? [f.zone] : await this.#knownQueues();
      const dead: DeadJob[] = [];
      for (const q of queues) {
        for (let start = 0; ; start += 1000) {
          const page = (await this.#queue(q).getJobs(['failed'], start, start + 999, false)) as Job[];
          for (const job of page) {
            const data = job.data as StoredData;
            if (f.group !== undefined && data.g !== f.group) continue;
            if (f.kind !== undefined && job.name !== f.kind) continue;
            const maxAttempts = job.opts.attempts ?? 1;
            dead.push({
              id: `${q}/${String(job.id)}`,
              kind: job.name,
              payload: data.p,
              attempts: Math.min(job.attemptsStarted, maxAttempts),
              error: job.failedReason ?? '',
              failedAt: job.finishedOn ?? 0,
              ...(data.k !== undefined ? { dedupKey: data.k } : {}),
              ...(data.g !== undefined ? { group: data.g } : {}),
              ...(q !== ANY ? { zone: q } : {}),
            });
          }
          if (page.length < 1000 || dead.length >= limit * 10) break;
        }
      }
      return dead.sort((a, b) => b.failedAt - a.failedAt || (a.id < b.id ? -1 : 1)).slice(0, limit);
    });
  }

  async redrive(jobId: string): Promise<boolean> {
    checkJobRef(jobId);
    return this.#run(`redrive job ${jobId}`, async () => {
      const found = await this.#job(jobId);
      if (found === undefined || (await found.job.getState()) !== 'failed') return false;
      await found.job.retry('failed', { resetAttemptsMade: true, resetAttemptsStarted: true });
      return true;
    });
  }

  async cancel(filter: { group?: string }): Promise<number> {
    const { group } = optionalFilter(filter);
    return this.#run(group === undefined ? 'cancel all jobs' : `cancel the jobs of group ${group}`, async () => {
      let ids: string[];
      if (group !== undefined) {
        ids = asArray(await this.redis.call('SMEMBERS', this.#key('group', group))).map(String);
      } else {
        ids = [];
        for (const q of await this.#knownQueues()) {
          const jobs = (await this.#queue(q).getJobs(['wait', 'prioritized', 'delayed', 'active'])) as Job[];
          ids.push(...jobs.map((j) => `${q}/${String(j.id)}`));
        }
      }
      let cancelled = 0;
      for (const id of ids) {
        const found = await this.#job(id);
        if (found === undefined) {
          if (group !== undefined) await this.redis.call('SREM', this.#key('group', group), id);
          continue;
        }
        let state = await found.job.getState();
        if (state === 'waiting' || state === 'prioritized' || state === 'delayed') {
          try {
            await found.job.remove();
            cancelled++;
            if (group !== undefined) await this.redis.call('SREM', this.#key('group', group), id);
            continue;
          } catch {
            state = await found.job.getState(); // leased meanwhile: flag it like the others
          }
        }
        if (state === 'active') {
          if (Number(await this.redis.call('SADD', this.#key('cancelled'), id)) === 1) cancelled++;
        }
      }
      return cancelled;
    });
  }

  async counts(filter: QueueFilter = {}): Promise<QueueCounts> {
    const f = optionalFilter(filter);
    return this.#run('count jobs', async () => {
      const perQueue = new Map<string, Counts>();
      // A state code from job-states.lua is "<code>:<kind>" ("" for a job that is gone).
      const add = (q: string, stateCode: string): void => {
        const colon = stateCode.indexOf(':');
        const code = colon < 0 ? stateCode : stateCode.slice(0, colon);
        if (code === '' || (f.kind !== undefined && stateCode.slice(colon + 1) !== f.kind)) return;
        const c = perQueue.get(q) ?? zero();
        if (code === 'w') c.waiting++;
        else if (code === 'r') c.failed++;
        else if (code === 'l') c.leased++;
        else if (code === 'd') c.done++;
        else if (code === 'x') c.dead++;
        perQueue.set(q, c);
      };
      const classify = async (q: string, bullIds: readonly string[]): Promise<void> => {
        for (let i = 0; i < bullIds.length; i += SCAN_BATCH) {
          const codes = asArray(await this.redis.eval(loadLuaScript(JOB_STATES), [`${this.prefix}:${q}:`], bullIds.slice(i, i + SCAN_BATCH)));
          for (const code of codes) add(q, String(code));
        }
      };
      if (f.group !== undefined) {
        let cursor = '0';
        do {
          const [next, members] = asArray(await this.redis.call('SSCAN', this.#key('group', f.group), cursor, 'COUNT', SCAN_BATCH));
          cursor = String(next);
          const byQueue = new Map<string, string[]>();
          for (const m of asArray(members ?? null).map(String)) {
            const ref = parseId(m);
            if (ref === undefined || (f.zone !== undefined && ref.queue !== f.zone)) continue;
            byQueue.set(ref.queue, [...(byQueue.get(ref.queue) ?? []), ref.bullId]);
          }
          for (const [q, bullIds] of byQueue) await classify(q, bullIds);
        } while (cursor !== '0');
      } else if (f.kind !== undefined) {
        // BullMQ counts by state, not by job name: classify every job of the queue (O(jobs), like a group).
        const queues = f.zone !== undefined ? [f.zone] : await this.#knownQueues();
        for (const q of queues) {
          const ids: string[] = [];
          for (const list of ['wait', 'paused', 'active']) ids.push(...asArray(await this.redis.call('LRANGE', `${this.prefix}:${q}:${list}`, 0, -1)).map(String));
          for (const set of ['prioritized', 'delayed', 'completed', 'failed']) ids.push(...asArray(await this.redis.call('ZRANGE', `${this.prefix}:${q}:${set}`, 0, -1)).map(String));
          await classify(q, [...new Set(ids)]);
        }
      } else {
        const queues = f.zone !== undefined ? [f.zone] : await this.#knownQueues();
        for (const q of queues) {
          const n = await this.#queue(q).getJobCounts('wait', 'prioritized', 'active', 'completed', 'failed');
          const c = perQueue.get(q) ?? zero();
          c.waiting += (n.wait ?? 0) + (n.prioritized ?? 0);
          c.leased += n.active ?? 0;
          c.done += n.completed ?? 0;
          c.dead += n.failed ?? 0;
          perQueue.set(q, c);
          // Delayed holds both retries in backoff and jobs deferred by a rate limit: tell them apart.
          await classify(q, asArray(await this.redis.call('ZRANGE', `${this.prefix}:${q}:delayed`, 0, -1)).map(String));
        }
      }
      const since = Date.now() - this.#workerTtlMs;
      const total = { ...zero(), waitingNoWorker: 0 };
      for (const [q, c] of perQueue) {
        total.waiting += c.waiting;
        total.leased += c.leased;
        total.done += c.done;
        total.failed += c.failed;
        total.dead += c.dead;
        if (c.waiting + c.failed > 0 && Number(await this.redis.call('ZCOUNT', this.#key('workers', q), since, '+inf')) === 0) {
          total.waitingNoWorker += c.waiting + c.failed;
        }
      }
      return total;
    });
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const errors: unknown[] = [];
    for (const w of this.#workers.values()) await w.close(true).catch((e: unknown) => errors.push(e));
    for (const q of this.#queues.values()) await q.close().catch((e: unknown) => errors.push(e));
    // quit() waits for Redis; a connection that is reconnecting (Redis down) is simply dropped.
    if (this.#client.status === 'ready') await this.#client.quit().catch(() => this.#client.disconnect());
    else this.#client.disconnect();
    this.redis.close();
    if (errors.length > 0) throw new TrawlError('TRAWL_E_QUEUE', `closing the queue failed: ${String(errors[0])}`, {}, { cause: errors[0] });
  }

  async #run<T>(action: string, fn: () => Promise<T>): Promise<T> {
    if (this.#closed) throw new TrawlError('TRAWL_E_QUEUE', `cannot ${action}: the queue is closed`);
    try {
      return await fn();
    } catch (e) {
      if (e instanceof TrawlError) throw e;
      throw new TrawlError('TRAWL_E_QUEUE', `cannot ${action}: ${e instanceof Error ? e.message : String(e)} (Redis ${this.redis.where}, prefix ${this.prefix})`, { prefix: this.prefix }, { cause: e });
    }
  }
}
