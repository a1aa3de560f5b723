import type { Command } from 'commander';
import { bootstrapAdmin } from '../../../api/bootstrap/bootstrap-admin.js';
import { apiKeyStrategy } from '../../../api/auth/api-key-strategy.js';
import { buildApi } from '../../../api/build-api.js';
import { ensureSessionSchema, sessionStrategy } from '../../../api/session-auth.js';
import { registerDashboard } from '../../../api/web-plugin.js';
import { releaseAllAssessments } from '../../../api/queries/assessment-queries.js';
import { interruptRunningOrgScans } from '../../../api/queries/scan-queries.js';
import { FleetAssessmentRunner } from '../../../api/runner/fleet-runner.js';
import { inventoryAfterRun } from '../../../api/runner/inventory-hook.js';
import { launchAssessment } from '../../../api/runner/launch-assessment.js';
import { RunEvents } from '../../../api/runner/run-events.js';
import { TrawlError } from '../../../errors/trawl-error.js';
import { inventoryClosedWatch } from '../../../fleet/closed-watch.js';
import { EmbeddedWorkers } from '../../../fleet/embedded-workers.js';
import { openFleetConnections } from '../../../fleet/fleet-connections.js';
import { checkZone } from '../../../queue/job-input.js';
import { Notifier } from '../../../notify/notifier.js';
import { Scheduler } from '../../../schedule/scheduler.js';
import { formatTemplateSetSummary } from '../../../checks/nuclei/index.js';
import { addTemplateOptions, loadTemplateOptions, type TemplateCliOptions } from '../template-options.js';
import { parseIntOption } from '../parse-number.js';
import type { CliIo } from './scan-command.js';

interface ServeOptions extends TemplateCliOptions {
  db: string;
  listen: string;
  initAdmin?: boolean;
  org?: string;
  scope?: string;
  smtpHost?: string;
  smtpPort?: string;
  smtpFrom?: string;
  smtpUser?: string;
  smtpSecure?: boolean;
  rateLimit?: string;
  schedulePollMs?: string;
  queue?: string;
  prefix?: string;
  /** A count, or false for --no-workers. */
  workers?: string | boolean;
  workerConcurrency?: string;
  workerZone?: string[];
  unitSize?: string;
  jobAttempts?: string;
}

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/** `127.0.0.1:8080`, `[::1]:8080`, `:8080` or `8080` (loopback). */
export function parseListen(text: string): { host: string; port: number } {
  const t = text.trim();
  const bad = (): TrawlError => new TrawlError('TRAWL_E_BAD_OPTION', `--listen "${text}" is not host:port (e.g. 127.0.0.1:8080)`, { value: text });
  let host = '127.0.0.1';
  let portText = t;
  const v6 = /^\[([0-9A-Fa-f:.]+)\]:([0-9]{1,5})$/.exec(t);
  if (v6) {
    host = v6[1]!;
    portText = v6[2]!;
  } else if (t.includes(':')) {
    const at = t.lastIndexOf(':');
    if (at > 0) host = t.slice(0, at);
    portText = t.slice(at + 1);
    if (host.includes(':') || host.length > 253) throw bad();
  }
  if (!/^[0-9]{1,5}$/.test(portText) || Number(portText) > 65535) throw bad();
  return { host, port: Number(portText) };
}

/**
 * The exit code goes to `io.exitCode`, which main() returns: setting process.exitCode here would be
 * overwritten by the launcher with main()'s result. Errors propagate to main(), which prints them
 * and maps them to their catalogue exit code like every other command's.
 */
export function registerServeCommand(program: Command, io: Pick<CliIo, 'exitCode'>): void {
  const cmd = program
    .command('serve')
    .description('run the REST API (OpenAPI at /openapi.json, docs at /docs), its scans and schedules')
    .option('--db <path|url>', 'SQLite file, or postgres://… for a shared database', 'trawl.db')
    .option('--listen <host:port>', 'address to listen on (loopback by default)', '127.0.0.1:8080')
    .option('--init-admin', 'mint a new admin API key and print it once (first start does this by itself)')
    .option('--org <name>', 'organisation for --init-admin, or the name of the first one')
    .option('--scope <targets>', 'declared scope of the first organisation: comma-separated addresses/CIDRs/ranges')
    .option('--smtp-host <host>', 'SMTP server for e-mail notifications')
    .option('--smtp-port <port>', 'SMTP port', '587')
    .option('--smtp-from <address>', 'sender of notification e-mails')
    .option('--smtp-user <user>', 'SMTP user (password from TRAWL_SMTP_PASSWORD)')
    .option('--smtp-secure', 'implicit TLS (port 465)')
    .option('--rate-limit <n>', 'requests per minute per API key', '600')
    .option('--schedule-poll-ms <ms>', 'how often due schedules are looked for', '15000')
    .option('--queue <url>', 'job queue of the assessments: redis://host:port/db or unix:///path/redis.sock (BullMQ, for trawl worker processes on other machines), or sqlite:<file>; default: the embedded queue in the SQLite store (in memory beside a PostgreSQL store)')
    .option('--prefix <prefix>', 'key prefix of the queue in Redis', 'trawl')
    .option('--workers <n>', 'worker loops in this process running the assessments\' jobs', '1')
    .option('--no-workers', 'run no jobs here: separate `trawl worker` processes on the same store and queue do the work')
    .option('--worker-concurrency <n>', 'jobs each worker loop runs at once', '8')
    .option('--worker-zone <zones>', 'zones the workers here serve (comma-separated, repeatable); default: every zone of the runs started here', collect)
    .option('--unit-size <n>', 'probes per discover work unit (small units spread over workers and lose little to a crash)', '4096')
    .option('--job-attempts <n>', 'leases a job gets, expired ones included, before it is dead-lettered', '8');
  addTemplateOptions(cmd)
    .action(async (o: ServeOptions) => {
      io.exitCode = await serve(o);
    });
}

async function serve(o: ServeOptions): Promise<number> {
  const { host, port } = parseListen(o.listen);
  const rate = Number(o.rateLimit);
  if (!Number.isInteger(rate) || rate < 1) throw new TrawlError('TRAWL_E_BAD_OPTION', `--rate-limit must be a positive integer, got "${o.rateLimit}"`, { value: o.rateLimit });
  const workerCount = o.workers === false ? 0 : parseIntOption('--workers', String(o.workers ?? '1'), 0, 256);
  const workerConcurrency = parseIntOption('--worker-concurrency', o.workerConcurrency ?? '8', 1, 1024);
  // Templates load (and fail) before the store opens; the check jobs of this process's workers run them.
  const templates = await loadTemplateOptions(o);
  if (templates) process.stderr.write(`trawl serve: ${formatTemplateSetSummary(templates)}`);
  const unitSize = parseIntOption('--unit-size', o.unitSize ?? '4096', 1, 1 << 24);
  const attempts = parseIntOption('--job-attempts', o.jobAttempts ?? '8', 1, 1000);
  const workerZones = o.workerZone?.flatMap((z) => z.split(',')).map((z) => z.trim()).filter(Boolean).map((z) => checkZone(z, '--worker-zone'));
  // Without --queue a PostgreSQL store gets an in-memory queue, which only workers of this process see.
  const conns = await openFleetConnections({
    db: o.db, ...(o.queue !== undefined ? { queue: o.queue } : {}), bullmq: { prefix: o.prefix ?? 'trawl' },
    inMemoryFallback: workerCount > 0, applicationName: 'trawl-api', poolSize: 10,
  });
  const { db, store } = conns.database;
  const queue = conns.queue;
  let workers: EmbeddedWorkers | undefined;
  try {
    const boot = await bootstrapAdmin(db, {
      force: o.initAdmin === true,
      ...(o.org !== undefined ? { orgName: o.org } : {}),
      ...(o.scope !== undefined ? { scope: o.scope.split(',').map((s) => s.trim()).filter(Boolean) } : {}),
    });
    if (boot) {
      process.stdout.write(`${boot.created ? `Created organisation "${boot.org.name}" (${boot.org.id}). ` : ''}Admin API key for "${boot.org.name}" (shown once, store it now):\n${boot.token}\n`);
      if (boot.org.scope.length === 0) process.stdout.write('Its declared scope is empty: set it with PUT /org/scope before running assessments.\n');
    }

    const smtp = o.smtpHost !== undefined
      ? { host: o.smtpHost, port: Number(o.smtpPort ?? 587), secure: o.smtpSecure === true, from: o.smtpFrom ?? `trawl@${o.smtpHost}`, ...(o.smtpUser !== undefined ? { user: o.smtpUser, pass: process.env['TRAWL_SMTP_PASSWORD'] ?? '' } : {}) }
      : undefined;
    const events = new RunEvents();
    const logError = (e: unknown, what: string): void => {
      process.stderr.write(`trawl serve: ${what}: ${e instanceof Error ? e.message : String(e)}\n`);
    };
    const notifier = new Notifier({ db, ...(smtp ? { smtp } : {}), onError: logError });
    // The same pipeline as a fleet: assessments are work units on the queue; the workers here (unless
    // --no-workers) and any `trawl worker` on the same store and queue run them.
    workers = workerCount > 0
      ? new EmbeddedWorkers({
        store, queue, count: workerCount, concurrency: workerConcurrency, zones: workerZones ?? 'all', drainMs: 2000,
        recordClosed: inventoryClosedWatch(db),
        ...(templates ? { templates } : {}),
        log: (line) => process.stderr.write(`trawl serve: ${line}\n`),
      })
      : undefined;
    const runner = new FleetAssessmentRunner({
      db, store, queue, events, afterRun: inventoryAfterRun(db, notifier), onError: logError, unitSize, attempts, ...(workers ? { workers } : {}),
    });
    // Runs a previous server left in flight carry on (their work is in the store and the queue);
    // anything else it left running died with it.
    const adopted = await runner.recover();
    const interrupted = await interruptRunningOrgScans(db, adopted.map((r) => r.scanId));
    await releaseAllAssessments(db, adopted.map((r) => r.assessmentId));
    if (adopted.length > 0) process.stderr.write(`trawl serve: picked up ${adopted.length} run(s) left in flight: ${adopted.map((r) => r.scanId).join(', ')}\n`);
    if (interrupted > 0) process.stderr.write(`trawl serve: ${interrupted} scan(s) left running by the previous process marked interrupted\n`);
    // Browsers log in with a session cookie; machines keep using API keys.
    await ensureSessionSchema(db);
    const app = buildApi({ db, store, runner, events, notifier, authStrategies: [apiKeyStrategy(db), sessionStrategy({ db })], rateLimit: { max: rate, timeWindowMs: 60_000 }, logger: { level: 'info', stream: process.stderr } });
    await registerDashboard(app, { db });
    const scheduler = new Scheduler({
      db,
      pollMs: Number(o.schedulePollMs ?? 15_000),
      launch: async (row) => {
        try {
          return (await launchAssessment({ db, runner }, row.org_id, row.assessment_id, 'schedule')).scanId;
        } catch (e) {
          // Still running from the previous fire: skip this one rather than queue scans up.
          if (e instanceof TrawlError && e.code === 'TRAWL_E_CONFLICT') return undefined;
          throw e;
        }
      },
      onError: (e, row) => logError(e, `schedule ${row.id} (assessment ${row.assessment_id})`),
    });

    const address = await app.listen({ host, port });
    process.stderr.write(`trawl serve: listening on ${address} (dashboard at ${address}/ui/, API docs at ${address}/docs) with store ${conns.database.location}, queue ${conns.queueLocation}, ${workerCount > 0 ? `${workerCount} worker loop(s) of ${workerConcurrency} job(s) here` : 'no workers here (trawl worker processes run the jobs)'}\n`);
    scheduler.start();

    await new Promise<void>((resolve) => {
      const stop = (): void => {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
        resolve();
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    });
    process.stderr.write('trawl serve: stopping (running scans end as interrupted)\n');
    await scheduler.stop();
    await app.close();
    await runner.close();
    await workers?.stop();
    await notifier.drain();
    return 0;
  } finally {
    await workers?.stop();
    await conns.close();
  }
}
