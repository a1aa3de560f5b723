import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { SqliteAdapter, type Kysely } from 'kysely';
import { TrawlError } from '../errors/trawl-error.js';
import type { SmtpSettings } from '../notify/channels.js';
import type { RetryPolicy } from '../notify/http-delivery.js';
import { Notifier } from '../notify/notifier.js';
import { trawlVersion } from '../output/package-version.js';
import { inventoryClosedWatch } from '../fleet/closed-watch.js';
import { EmbeddedWorkers } from '../fleet/embedded-workers.js';
import { deferredQueue } from '../queue/deferred-queue.js';
import type { JobQueue } from '../queue/job-queue.js';
import type { JobsDatabase } from '../queue/sqlite/jobs-schema.js';
import { createSqliteQueue, openSqliteQueue } from '../queue/sqlite/sqlite-queue.js';
import type { EngineTuning } from '../scan/scan-options.js';
import type { Database } from '../store/schema.js';
import type { Store } from '../store/store.js';
import type { ApiContext } from './api-context.js';
import { auditPlugin } from './audit/audit-plugin.js';
import { apiKeyStrategy } from './auth/api-key-strategy.js';
import { authPlugin } from './auth/auth-plugin.js';
import type { AuthStrategy } from './auth/auth-strategy.js';
import { problemPlugin } from './http/problem-plugin.js';
import { problemSchema } from './http/schemas.js';
import type { AssessmentRunner } from './runner/assessment-runner.js';
import { FleetAssessmentRunner } from './runner/fleet-runner.js';
import type { FinishedRun, RunStages } from './runner/in-process-runner.js';
import { inventoryAfterRun } from './runner/inventory-hook.js';
import { RunEvents } from './runner/run-events.js';
import { forwardRunNotifications } from './runner/run-notifications.js';
import { assessmentRoutes } from './routes/assessment-routes.js';
import { auditRoutes } from './routes/audit-routes.js';
import { inventoryRoutes } from './routes/inventory-routes.js';
import { keyRoutes } from './routes/key-routes.js';
import { notificationRoutes } from './routes/notification-routes.js';
import { progressRoutes } from './routes/progress-routes.js';
import { scanRoutes } from './routes/scan-routes.js';
import { scheduleRoutes } from './routes/schedule-routes.js';
import { systemRoutes } from './routes/system-routes.js';
import { userRoutes } from './routes/user-routes.js';
import './http/fastify-augment.js';

export interface BuildApiOptions {
  readonly db: Kysely<Database>;
  readonly store: Store;
  /**
   * Default: a FleetAssessmentRunner on `queue` with `workers` embedded worker loops, closed with
   * the app. Pass an InProcessAssessmentRunner to run each scan as one in-process scan instead.
   */
  readonly runner?: AssessmentRunner;
  /**
   * The job queue of the default runner. Default: the embedded queue in the same SQLite database
   * (sharing its connection), or an in-memory one next to a PostgreSQL database.
   */
  readonly queue?: JobQueue;
  /** Embedded worker loops of the default runner (default 1; 0 when workers run elsewhere). */
  readonly workers?: number;
  /** Jobs each embedded worker loop runs at once (default 8). */
  readonly workerConcurrency?: number;
  readonly events?: RunEvents;
  /** Default: a Notifier over `db` with `smtp` and `notifyRetry`. */
  readonly notifier?: Notifier;
  readonly smtp?: SmtpSettings;
  readonly notifyRetry?: Partial<RetryPolicy>;
  /** Asked in order; default: API keys only. A session strategy for the dashboard slots in here. */
  readonly authStrategies?: readonly AuthStrategy[];
  /** Requests per key (per client address before authentication) and window; false disables. Default 600 per minute. */
  readonly rateLimit?: { readonly max: number; readonly timeWindowMs: number } | false;
  readonly logger?: FastifyServerOptions['logger'];
  readonly resolve?: (name: string) => Promise<string[]>;
  readonly tuning?: EngineTuning;
  readonly now?: () => Date;
  readonly sseHeartbeatMs?: number;
  readonly progressIntervalMs?: number;
  /**
   * Runs after each scan, before `run.finished` is published. Default: fold the scan into the
   * inventory and notify its finding and change events (src/inventory); null: nothing.
   */
  readonly afterRun?: ((run: FinishedRun) => Promise<void>) | null;
  /** Stages the in-process runner adds after the port scan (default identify + safe checks); null: none. */
  readonly stages?: RunStages | null;
}

const REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;

/**
 * The REST API as a Fastify instance (not listening: call `listen`, or `inject` in tests). Each
 * concern is one plugin — problems, auth, rate limits, audit, OpenAPI — and each resource one
 * encapsulated route plugin over its query module. Every route is authenticated except /health,
 * /openapi.json and the /docs UI, which serve no data.
 */
export function buildApi(opts: BuildApiOptions): FastifyInstance {
  const app = Fastify({
    logger: opts.logger ?? false,
    bodyLimit: 256 * 1024,
    // Client-supplied ids are kept when they are short and plain, so a caller can correlate.
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    },
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', useDefaults: true, allErrors: false } },
    return503OnClosing: true,
  });

  const events = opts.events ?? new RunEvents();
  const notifier = opts.notifier ?? new Notifier({
    db: opts.db, ...(opts.smtp ? { smtp: opts.smtp } : {}), ...(opts.notifyRetry ? { retry: opts.notifyRetry } : {}),
    onError: (e, what) => app.log.error({ err: e }, what),
  });
  const ownRunner = opts.runner === undefined;
  const fleet = ownRunner ? defaultFleet(opts, events, notifier, (e, what) => app.log.error({ err: e }, what)) : undefined;
  const runner = opts.runner ?? fleet!.runner;
  const stopForwarding = forwardRunNotifications(events, notifier);
  const ctx: ApiContext = {
    db: opts.db, store: opts.store, runner, events, notifier, now: opts.now ?? (() => new Date()), sseHeartbeatMs: opts.sseHeartbeatMs ?? 15_000,
    ...(opts.resolve ? { resolve: opts.resolve } : {}),
  };

  app.addSchema(problemSchema);
  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });
  app.register(problemPlugin);
  app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'Trawl API', version: trawlVersion(), description: 'Network attack-surface assessments, results, schedules and notifications. Errors are RFC 9457 problem details (application/problem+json).' },
      components: { securitySchemes: { apiKey: { type: 'http', scheme: 'bearer', description: 'An API key: trawl_<id>_<secret>' } } },
      security: [{ apiKey: [] }],
    },
    refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => (typeof json['$id'] === 'string' ? json['$id'] : `def-${i}`) },
  });
  app.register(swaggerUi, { routePrefix: '/docs' });
  app.register(authPlugin, { strategies: opts.authStrategies ?? [apiKeyStrategy(opts.db)], publicPrefixes: ['/docs'] });
  if (opts.rateLimit !== false) {
    const limit = opts.rateLimit ?? { max: 600, timeWindowMs: 60_000 };
    app.register(rateLimit, {
      max: limit.max,
      timeWindow: limit.timeWindowMs,
      // After authentication (route hooks run after the app's), so the bucket is the key's own.
      hook: 'onRequest',
      keyGenerator: (request) => (request.principal ? `key:${request.principal.keyId ?? request.principal.actor}` : `ip:${request.ip}`),
      errorResponseBuilder: (_request, context) =>
        new TrawlError('TRAWL_E_RATE_LIMITED', `rate limit of ${context.max} requests per ${Math.round(context.ttl / 1000) || 1} s window exceeded; retry in ${context.after}`, { retryAfter: context.after }),
    });
  }
  app.register(auditPlugin, { db: opts.db });

  app.get('/openapi.json', { config: { public: true }, schema: { hide: true } }, async () => app.swagger());
  app.register(systemRoutes, ctx);
  app.register(keyRoutes, ctx);
  app.register(userRoutes, ctx);
  app.register(assessmentRoutes, ctx);
  app.register(scanRoutes, ctx);
  app.register(progressRoutes, ctx);
  app.register(inventoryRoutes, ctx);
  app.register(scheduleRoutes, ctx);
  app.register(notificationRoutes, ctx);
  app.register(auditRoutes, ctx);

  app.addHook('onClose', async () => {
    stopForwarding();
    if (ownRunner) await runner.close();
    await fleet?.close();
    await notifier.drain();
  });
  return app;
}

/**
 * The default runner: assessments as work units on a job queue, run by workers embedded in this
 * process: the same pipeline as a fleet of `trawl worker` processes (see src/fleet/README.md).
 */
function defaultFleet(
  opts: BuildApiOptions, events: RunEvents, notifier: Notifier, onError: (e: unknown, what: string) => void,
): { runner: FleetAssessmentRunner; close(): Promise<void> } {
  let ownQueue: JobQueue | undefined;
  let queue = opts.queue;
  if (queue === undefined) {
    // The store's own SQLite connection (one connection per file and process), or an in-memory queue
    // beside PostgreSQL: the store is the record of work, so a lost queue is reconciled from it.
    queue = opts.db.getExecutor().adapter instanceof SqliteAdapter
      ? createSqliteQueue(opts.db as unknown as Kysely<JobsDatabase>)
      : deferredQueue(openSqliteQueue(':memory:'));
    ownQueue = queue;
  }
  const count = opts.workers ?? 1;
  const workers = count > 0
    ? new EmbeddedWorkers({
      store: opts.store, queue, count, concurrency: opts.workerConcurrency ?? 8, drainMs: 2000,
      ...(opts.tuning ? { tuning: opts.tuning } : {}),
      recordClosed: inventoryClosedWatch(opts.db),
      log: (line) => onError(new Error(line), 'embedded worker'),
    })
    : undefined;
  const runner = new FleetAssessmentRunner({
    db: opts.db, store: opts.store, queue, events,
    ...(opts.progressIntervalMs !== undefined ? { progressIntervalMs: opts.progressIntervalMs } : {}),
    ...(opts.afterRun !== null ? { afterRun: opts.afterRun ?? inventoryAfterRun(opts.db, notifier) } : {}),
    ...(opts.stages !== undefined ? { stages: opts.stages } : {}),
    ...(workers ? { workers } : {}),
    onError,
  });
  return {
    runner,
    async close() {
      await workers?.stop();
      await ownQueue?.close();
    },
  };
}
