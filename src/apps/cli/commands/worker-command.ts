import type { Command } from 'commander';
import { formatTemplateSetSummary } from '../../../checks/nuclei/index.js';
import { TrawlError } from '../../../errors/index.js';
import { inventoryClosedWatch } from '../../../fleet/closed-watch.js';
import { openFleetConnections, openFleetStore, type FleetConnections } from '../../../fleet/fleet-connections.js';
import { assessmentStatus, formatAssessmentStatus } from '../../../fleet/fleet-status.js';
import { defaultWorkerId, runWorker } from '../../../fleet/fleet-worker.js';
import { checkZone } from '../../../queue/job-input.js';
import type { JobQueue } from '../../../queue/job-queue.js';
import { isPostgresUrl } from '../../../store/store-database.js';
import type { Store } from '../../../store/store.js';
import { parseIntOption } from '../parse-number.js';
import { addTemplateOptions, loadTemplateOptions, type TemplateCliOptions } from '../template-options.js';
import type { CliIo } from './scan-command.js';

export interface WorkerCliOptions extends TemplateCliOptions {
  queue?: string;
  prefix?: string;
  db: string;
  zone?: string[];
  concurrency?: string;
  id?: string;
  leaseMs?: string;
  stalledCheckMs?: string;
  drainMs?: string;
  versionIntensity?: string;
  datadir?: string;
  quiet?: boolean;
}

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/** `trawl worker` (runs fleet jobs) and `trawl status` (progress of an assessment). */
export function registerWorkerCommand(program: Command, io: CliIo): void {
  const worker = program
    .command('worker')
    .description('run fleet jobs: lease work units of assessments from the queue, run them, record results in the store')
    .option('--queue <url>', 'job queue: redis://host:port/db, unix:///path/redis.sock, or sqlite:<file>; default with a SQLite store: the queue embedded in its file (trawl serve --db <file> on the same machine)')
    .option('--prefix <prefix>', 'key prefix of the queue in Redis (one prefix, one queue)', 'trawl')
    .requiredOption('--db <url|path>', 'store: postgres://… (fleet) or a SQLite file')
    .option('--zone <zones>', 'zones this worker serves (comma-separated, repeatable); it also takes zone-less work', collect)
    .option('--concurrency <n>', 'jobs run at once (several overlap the tail of timeouts that ends each unit)', '8')
    .option('--id <id>', 'worker id recorded with results (default: host-pid-random)')
    .option('--lease-ms <ms>', 'lease length; renewed every third of it while a job runs', '30000')
    .option('--stalled-check-ms <ms>', 'how often expired leases are swept back (BullMQ)', '5000')
    .option('--drain-ms <ms>', 'on SIGTERM, how long in-flight jobs may finish before they are stopped and released', '10000')
    .option('--version-intensity <n>', 'nmap probe rarity limit for identify jobs, 0-9', '7')
    .option('--datadir <dir>', 'nmap data directory (identify probes); default $NMAPDIR or /usr/share/nmap')
    .option('-q, --quiet', 'no log lines on stderr');
  // The same template flags as scan and serve: this worker's check jobs run the set beside the checks.
  addTemplateOptions(worker).action(async (options: WorkerCliOptions) => {
    io.exitCode = await workerCommand(options, io);
  });

  program
    .command('status')
    .description('progress of an assessment per stage: units, probes, identified services, and job states')
    .requiredOption('--db <url|path>', 'store: postgres://… or a SQLite file')
    .option('--scan <id>', 'scan id or unique prefix (default: the latest)', 'latest')
    .option('--queue <url>', 'also report job states (leased, retrying, dead, waiting for a zone) from this queue (default with a SQLite store: its embedded queue)')
    .option('--prefix <prefix>', 'key prefix of the queue in Redis', 'trawl')
    .option('--redrive <job|all>', 'put a dead-lettered job of the scan (its id, or all of them) back on the queue with fresh attempts')
    .option('--json', 'machine-readable output')
    .action(async (options: StatusCliOptions) => {
      io.exitCode = await statusCommand(options, io);
    });
}

export async function workerCommand(o: WorkerCliOptions, io: CliIo): Promise<number> {
  const zones = (o.zone ?? []).flatMap((z) => z.split(',')).map((z) => z.trim()).filter(Boolean).map((z) => checkZone(z, '--zone'));
  const concurrency = parseIntOption('--concurrency', o.concurrency ?? '8', 1, 1024);
  const visibilityMs = parseIntOption('--lease-ms', o.leaseMs ?? '30000', 300, 12 * 3600 * 1000);
  const stalledCheckMs = parseIntOption('--stalled-check-ms', o.stalledCheckMs ?? '5000', 50, 600_000);
  const drainMs = parseIntOption('--drain-ms', o.drainMs ?? '10000', 0, 3600 * 1000);
  const intensity = parseIntOption('--version-intensity', o.versionIntensity ?? '7', 0, 9);
  const id = o.id ?? defaultWorkerId();
  const log = o.quiet === true ? () => {} : (line: string) => { io.stderr.write(`trawl: ${line}\n`); };
  // Templates load (and a bad directory fails) before the worker connects or leases anything.
  const templates = await loadTemplateOptions(o);
  if (templates && o.quiet !== true) io.stderr.write(`trawl: worker ${id}: ${formatTemplateSetSummary(templates)}`);
  const controller = new AbortController();
  let signals = 0;
  const onSignal = (): void => {
    signals++;
    if (signals === 1) {
      log(`worker ${id}: stopping — no new leases, finishing or releasing jobs in flight (again to quit now)`);
      controller.abort();
    } else {
      // Leases left behind expire and go to other workers; committed progress is kept.
      process.exit(130);
    }
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  let conns: FleetConnections | undefined;
  try {
    conns = await openFleetConnections({
      db: o.db, ...(o.queue !== undefined ? { queue: o.queue } : {}), bullmq: { stalledCheckMs, defaultVisibilityMs: visibilityMs, prefix: o.prefix ?? 'trawl' },
      applicationName: `trawl-worker ${id}`.slice(0, 63), poolSize: Math.min(20, concurrency + 2),
    });
    const { store, db } = conns.database;
    log(`worker ${id}: serving zones ${zones.length > 0 ? zones.join(', ') : '(none)'} and zone-less jobs, ${concurrency} at once, queue ${conns.queueLocation}`);
    const stats = await runWorker({
      store, queue: conns.queue, zones, concurrency, signal: controller.signal, id, visibilityMs, drainMs, intensity, log,
      // Resets on ports an org's inventory holds open are recorded, as the in-process runner does.
      recordClosed: inventoryClosedWatch(db),
      ...(o.datadir !== undefined ? { datadir: o.datadir } : {}),
      ...(templates ? { templates } : {}),
    });
    log(`worker ${id}: stopped: ${stats.leased} leased, ${stats.acked} done, ${stats.failed} failed, ${stats.released} released, ${stats.lost} lost`);
    return 0;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await conns?.close();
  }
}

export interface StatusCliOptions {
  db: string;
  scan: string;
  queue?: string;
  prefix?: string;
  redrive?: string;
  json?: boolean;
}

export async function statusCommand(o: StatusCliOptions, io: CliIo): Promise<number> {
  // A SQLite store has its queue in the same file; a PostgreSQL store's is wherever --queue says.
  let conns: FleetConnections | undefined;
  let store: Store;
  let queue: JobQueue | undefined;
  if (o.queue !== undefined || !isPostgresUrl(o.db)) {
    conns = await openFleetConnections({ db: o.db, ...(o.queue !== undefined ? { queue: o.queue } : {}), bullmq: { prefix: o.prefix ?? 'trawl' }, applicationName: 'trawl-status', poolSize: 2 });
    store = conns.database.store;
    queue = conns.queue;
  } else {
    store = await openFleetStore(o.db);
  }
  try {
    await store.migrate();
    const scan = await store.findScan(o.scan);
    if (scan === undefined) throw new TrawlError('TRAWL_E_SCAN_NOT_FOUND', o.scan === 'latest' ? 'the store holds no scan' : `no scan "${o.scan}" in the store`, { scan: o.scan });
    if (o.redrive !== undefined) {
      if (queue === undefined) throw new TrawlError('TRAWL_E_BAD_OPTION', '--redrive needs the queue: give --queue', {});
      const dead = await queue.listDead({ group: scan.id, limit: 10_000 });
      const chosen = o.redrive === 'all' ? dead : dead.filter((d) => d.id === o.redrive || d.dedupKey === o.redrive);
      if (chosen.length === 0 && o.redrive !== 'all') throw new TrawlError('TRAWL_E_NOT_FOUND', `scan ${scan.id} has no dead job "${o.redrive}"`, { id: o.redrive });
      let n = 0;
      for (const d of chosen) if (await queue.redrive(d.id)) n++;
      io.stderr.write(`trawl: ${n} dead job(s) of scan ${scan.id} put back on the queue\n`);
    }
    const s = await assessmentStatus(store, scan.id, queue);
    if (o.json === true) {
      io.stdout.write(`${JSON.stringify(s, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))}\n`);
    } else {
      io.stdout.write(formatAssessmentStatus(s));
    }
    return 0;
  } finally {
    if (conns !== undefined) await conns.close();
    else await store.close();
  }
}
