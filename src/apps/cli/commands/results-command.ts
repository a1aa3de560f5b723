import type { Command } from 'commander';
import { TrawlError } from '../../../errors/index.js';
import { writeAll, type OutputTarget } from '../../../output/result-writer.js';
import { openStore } from '../open-store.js';
import { printOpenPorts } from '../print-open-ports.js';
import type { CliIo } from './scan-command.js';

interface ResultsOptions {
  db?: string;
  scan: string;
  outputJson?: string;
  outputXml?: string;
  outputCsv?: string;
  list?: boolean;
}

export function registerResultsCommand(program: Command, io: CliIo): void {
  program
    .command('results')
    .description('read back what the embedded store holds')
    .requiredOption('--db <path>', 'the store written by `trawl scan --db`')
    .option('--scan <ref>', 'scan id, unique id prefix, or latest', 'latest')
    .option('--list', 'list recent scans instead')
    .option('--output-json <file>', 'JSON lines; - for stdout (-oJ)')
    .option('--output-xml <file>', 'nmap-compatible XML (-oX)')
    .option('--output-csv <file>', 'CSV (-oC)')
    .action(async (options: ResultsOptions) => {
      io.exitCode = await resultsCommand(options, io);
    });
}

async function resultsCommand(o: ResultsOptions, io: CliIo): Promise<number> {
  const { existsSync } = await import('node:fs');
  if (o.db && o.db !== ':memory:' && !existsSync(o.db)) throw new TrawlError('TRAWL_E_DB_PATH', `no store at "${o.db}"`, { path: o.db });
  const store = await openStore(o.db);
  try {
    await store.migrate();
    if (o.list) {
      for (const s of await store.listScans(50)) {
        io.stdout.write(`${s.id}  ${s.status.padEnd(11)} ${s.createdAt}  open=${s.counters.openFound}  ${s.spec.targets.join(' ')}\n`);
      }
      return 0;
    }
    const scan = await store.findScan(o.scan);
    if (!scan) throw new TrawlError('TRAWL_E_SCAN_NOT_FOUND', `no scan "${o.scan}" in ${o.db}`, { ref: o.scan });
    const targets: OutputTarget[] = [];
    if (o.outputJson !== undefined) targets.push({ format: 'jsonl', destination: o.outputJson });
    if (o.outputXml !== undefined) targets.push({ format: 'xml', destination: o.outputXml });
    if (o.outputCsv !== undefined) targets.push({ format: 'csv', destination: o.outputCsv });
    if (targets.length === 0) {
      await printOpenPorts(io.stdout, store.listPortObservations(scan.id, { state: 'open' }));
      return 0;
    }
    const at = scan.finishedAt ?? scan.createdAt;
    const info = {
      scan,
      startedAt: scan.createdAt,
      finishedAt: at,
      elapsedSeconds: (Date.parse(at) - Date.parse(scan.createdAt)) / 1000,
      args: io.args,
    };
    await writeAll(targets, info, () => store.listPortObservations(scan.id, { state: 'open' }));
    return 0;
  } finally {
    await store.close();
  }
}
