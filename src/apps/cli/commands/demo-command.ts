import type { Command } from 'commander';
import { isTrawlError, TrawlError } from '../../../errors/index.js';
import type { LoopbackLab } from '../../../lab/loopback-lab.js';
import { openAll, writeAll, type OpenedOutput } from '../../../output/result-writer.js';
import { DemoApiClient } from '../demo/demo-api-client.js';
import { demoPorts, startDemoLab } from '../demo/demo-lab.js';
import { DEMO_ORG, ensureDemoOrg } from '../demo/demo-org.js';
import { openDemoPlatform, type DemoPlatform } from '../demo/demo-platform.js';
import { DemoProgressPrinter } from '../demo/demo-progress.js';
import { DEMO_ASSESSMENT, runDemoAssessment } from '../demo/demo-run.js';
import { formatDemoSummary, readDemoSummary } from '../demo/demo-summary.js';
import type { CliIo } from './scan-command.js';

interface DemoOptions {
  db: string;
  outputJson: string;
}

const PREFIX = 'trawl demo: ';

/**
 * The README's first command ends here: Trawl's main job on its embedded default. The loopback lab
 * starts in this process; the platform `trawl serve` runs (store, embedded queue and workers, fleet
 * runner, REST API) is built here without a socket; an organisation "demo" with the lab in its scope
 * runs an assessment of it through the API (discover → identify → safe checks), and what it found is
 * read back through the API and left in the store for the dashboard. No root, no servers, no ports.
 */
export function registerDemoCommand(program: Command, io: CliIo): void {
  program
    .command('demo')
    .description('start the loopback lab, assess it with the platform (ports, services, safe checks) into an embedded store, show the results')
    .option('--db <path>', 'embedded store to write (a later `trawl serve --db` shows it)', 'trawl-demo.db')
    .option('--output-json <file>', 'JSON lines of the open ports with their services', 'trawl-demo.jsonl')
    .action(async (o: DemoOptions) => {
      io.exitCode = await demo(o, io);
    });
}

async function demo(o: DemoOptions, io: CliIo): Promise<number> {
  const controller = new AbortController();
  let signals = 0;
  const onSignal = (): void => {
    signals++;
    if (signals === 1) {
      io.stderr.write(`\n${PREFIX}interrupted — cancelling the run and shutting down (again to quit now)\n`);
      controller.abort();
    } else {
      // The store is crash-safe; the next demo ends the abandoned run as interrupted.
      process.exit(130);
    }
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  let outputs: OpenedOutput[] = [];
  let lab: LoopbackLab | undefined;
  let platform: DemoPlatform | undefined;
  try {
    // A path that cannot be written fails now, not after the run.
    outputs = await openAll([{ format: 'jsonl', destination: o.outputJson }]);
    lab = await startDemoLab();
    const ports = demoPorts(lab);
    io.stderr.write(`${PREFIX}loopback lab up on ${lab.cidr} with ${lab.services.length} services\n`);
    if (controller.signal.aborted) return 130;

    platform = await openDemoPlatform({ db: o.db, log: (line) => io.stderr.write(`${PREFIX}${line}\n`), logStream: io.stderr });
    const { org, token, created } = await ensureDemoOrg(platform.db, lab.cidr);
    io.stderr.write(`${PREFIX}store ${platform.location}: ${created ? 'created' : 'using'} organisation "${DEMO_ORG}"; assessing ${lab.cidr} ports ${ports.join(',')} (discover → identify → safe checks)\n`);
    const api = new DemoApiClient(platform.app, token);
    const progress = new DemoProgressPrinter(io.stderr, PREFIX);
    const run = await runDemoAssessment(api, { cidr: lab.cidr, ports, signal: controller.signal, onProgress: (p, ms) => progress.show(p, ms) })
      .finally(() => progress.end());
    io.stderr.write(`${PREFIX}run ${run.runs} of assessment "${DEMO_ASSESSMENT}" (scan ${run.scanId}) ${run.status} in ${(run.elapsedMs / 1000).toFixed(1)} s\n`);

    const summary = await readDemoSummary(api, run.scanId);
    io.stdout.write(`\nTrawl assessed the loopback lab on ${lab.cidr} for organisation "${org.name}" (run ${run.runs}, scan ${run.scanId}).\n\n`);
    io.stdout.write(formatDemoSummary(summary));
    io.stdout.write(`${summary.services.length} of the lab's ${lab.services.length} services found.\n`);

    const store = platform.store;
    const scan = await store.getScan(run.scanId);
    if (!scan) throw new TrawlError('TRAWL_E_SCAN_NOT_FOUND', `scan ${run.scanId} is not in the store ${o.db}`, { id: run.scanId });
    const finishedAt = scan.finishedAt ?? new Date().toISOString();
    const [rows] = await writeAll(outputs, {
      scan, startedAt: scan.createdAt, finishedAt, elapsedSeconds: (Date.parse(finishedAt) - Date.parse(scan.createdAt)) / 1000, args: io.args,
    }, () => store.listPortObservations(run.scanId, { state: 'open' }));
    outputs = [];

    const db = shellWord(o.db);
    io.stdout.write([
      '',
      `Wrote ${o.outputJson === '-' ? 'stdout' : o.outputJson} (${rows ?? 0} open ports) and the store ${o.db}.`,
      '',
      'Look at it in the dashboard:',
      `  npx trawl serve --db ${db}`,
      '  then open http://127.0.0.1:8080/ui/ and sign in with this API key (the "API key" tab of the login page):',
      `  ${token}`,
      `  Overview, Findings, Services, and Assessments › ${DEMO_ASSESSMENT} with its runs and what changed between them`,
      '  (run the demo again for another run to compare).',
      `Or read the results here:  npx trawl results --db ${db} --scan latest`,
      '',
    ].join('\n'));
    return 0;
  } catch (e) {
    // Ctrl-C while a step other than the run was under way ends as an interruption too.
    if (controller.signal.aborted && !isTrawlError(e)) {
      io.stderr.write(`${PREFIX}interrupted: ${e instanceof Error ? e.message : String(e)}\n`);
      return 130;
    }
    throw e;
  } finally {
    await Promise.all(outputs.map((x) => x.writer.abort()));
    await platform?.close();
    await lab?.stop();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

/** A path as a shell word, quoted when it needs to be. */
function shellWord(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}
