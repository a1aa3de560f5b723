import type { FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import { apiKeyStrategy } from '../../../api/auth/api-key-strategy.js';
import { buildApi } from '../../../api/build-api.js';
import { nowIso } from '../../../api/ids.js';
import { releaseAssessment } from '../../../api/queries/assessment-queries.js';
import { finishOrgScan } from '../../../api/queries/scan-queries.js';
import { FleetAssessmentRunner } from '../../../api/runner/fleet-runner.js';
import { inventoryAfterRun } from '../../../api/runner/inventory-hook.js';
import { RunEvents } from '../../../api/runner/run-events.js';
import { inventoryClosedWatch } from '../../../fleet/closed-watch.js';
import { EmbeddedWorkers } from '../../../fleet/embedded-workers.js';
import { openFleetConnections } from '../../../fleet/fleet-connections.js';
import { Notifier } from '../../../notify/notifier.js';
import type { JobQueue } from '../../../queue/job-queue.js';
import type { Database } from '../../../store/schema.js';
import type { Store } from '../../../store/store.js';
import { DEMO_ORG } from './demo-org.js';

/**
 * `trawl serve`'s platform in this process, listening on nothing: the store and its embedded job
 * queue, worker loops, the fleet runner (discover → identify → check work units), and the REST API,
 * which the demo drives with Fastify's `inject` exactly as a client would over HTTP.
 */
export interface DemoPlatform {
  readonly db: Kysely<Database>;
  readonly store: Store;
  readonly app: FastifyInstance;
  /** Where the store and queue are, for messages. */
  readonly location: string;
  /**
   * Stops everything, each part even when an earlier one failed: the API, the runner (a run still in
   * flight ends `interrupted`), the workers (jobs in flight stop with their progress committed), the
   * notifier, then the queue and the database. Idempotent.
   */
  close(): Promise<void>;
}

export interface DemoPlatformOptions {
  readonly db: string;
  /** One line about a background problem (a worker, the runner's watch loop). */
  readonly log: (line: string) => void;
  /** Where the API's error log goes (JSON lines). */
  readonly logStream: NodeJS.WritableStream;
}

export async function openDemoPlatform(o: DemoPlatformOptions): Promise<DemoPlatform> {
  const conns = await openFleetConnections({ db: o.db, inMemoryFallback: true, applicationName: 'trawl-demo' });
  const { db, store } = conns.database;
  const queue = conns.queue;
  const logError = (e: unknown, what: string): void => o.log(`${what}: ${e instanceof Error ? e.message : String(e)}`);
  let workers: EmbeddedWorkers | undefined;
  let runner: FleetAssessmentRunner | undefined;
  let notifier: Notifier | undefined;
  let app: FastifyInstance | undefined;
  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      const steps: Array<[string, (() => Promise<unknown>) | undefined]> = [
        ['close the API', app && (() => app!.close())],
        ['stop the runner', runner && (() => runner!.close())],
        ['stop the workers', workers && (() => workers!.stop())],
        ['deliver notifications', notifier && (() => notifier!.drain())],
        ['close the store', () => conns.close()],
      ];
      for (const [what, step] of steps) await step?.().catch((e: unknown) => logError(e, what));
    })();
    return closing;
  };
  try {
    await abandonLeftovers(db, store, queue, DEMO_ORG);
    const events = new RunEvents();
    notifier = new Notifier({ db, onError: logError });
    // The same pipeline as `trawl serve` with its default embedded worker loop.
    workers = new EmbeddedWorkers({
      store, queue, count: 1, concurrency: 8, zones: 'all', drainMs: 2000, idPrefix: `demo-${process.pid}`,
      recordClosed: inventoryClosedWatch(db),
      log: o.log,
    });
    runner = new FleetAssessmentRunner({
      db, store, queue, events, afterRun: inventoryAfterRun(db, notifier), onError: logError, workers,
      // The workers of this process stop a cancelled run's jobs at once: no need to wait long for them.
      stopTimeoutMs: 5000,
    });
    // Only errors are logged: a request that fails inside the API says why on stderr, not just its id.
    app = buildApi({
      db, store, runner, events, notifier, authStrategies: [apiKeyStrategy(db)], rateLimit: false, logger: { level: 'error', stream: o.logStream },
    });
    await app.ready();
    return { db, store, app, location: conns.database.location, close };
  } catch (e) {
    await close();
    throw e;
  }
}

/**
 * A demo killed mid-run (kill -9, Ctrl-C twice, a closed terminal) leaves its run `running` in the
 * store, with its lab gone. Nothing would ever finish it, and its assessment would refuse to run
 * again: end it as interrupted (no stage advances any more, its queued jobs cancelled, the
 * assessment idle) before anything starts. Only the demo organisation's runs: other organisations'
 * may belong to a `trawl serve` on the same file. (Two demos on one store at once are not supported:
 * the second ends the first one's run.)
 */
async function abandonLeftovers(db: Kysely<Database>, store: Store, queue: JobQueue, orgName: string): Promise<void> {
  const rows = await db.selectFrom('org_scans as s').innerJoin('orgs as o', 'o.id', 's.org_id')
    .select(['s.scan_id', 's.assessment_id']).where('s.status', '=', 'running').where('o.name', '=', orgName).execute();
  for (const { scan_id: scanId, assessment_id: assessmentId } of rows) {
    const scan = await store.getScan(scanId);
    if (scan?.status === 'running') await store.setScanStatus(scanId, 'interrupted', nowIso());
    await queue.cancel({ group: scanId });
    await finishOrgScan(db, scanId, 'interrupted', null);
    if (assessmentId !== null) await releaseAssessment(db, assessmentId, scanId);
  }
}
