import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { TrawlError } from '../../../errors/index.js';
import type { ScanRecord } from '../../../model/scan.js';
import { openAll, writeAll, formatSummaryText, type OutputTarget, type OpenedOutput } from '../../../output/result-writer.js';
import { parseSeed } from '../../../plan/seed.js';
import { parseShard } from '../../../plan/shard.js';
import { ProgressReporter, progressModeFor } from '../../../progress/progress-reporter.js';
import { checkPlan, runScan, scopeOf, type ScanRequest, type ScanOutcome } from '../../../scan/scan-runner.js';
import { defaultEngineOptions, type DiscoveryMode, type EngineTuning } from '../../../scan/scan-options.js';
import { parsePorts } from '../../../scope/port-parser.js';
import { topPorts } from '../../../scope/top-ports.js';
import type { Store } from '../../../store/store.js';
import { openStore } from '../open-store.js';
import { parseIntOption } from '../parse-number.js';
import { printOpenPorts } from '../print-open-ports.js';
import { identifyOpenPorts } from '../identify-open-ports.js';
import { parseCheckSelection } from '../../../checks/check-registry.js';
import { runCheckStage } from '../../../scan/check-stage.js';
import { formatTemplateSetSummary, templateSetRecords } from '../../../checks/nuclei/index.js';
import { addTemplateOptions, loadTemplateOptions, type TemplateCliOptions } from '../template-options.js';

export interface ScanCliOptions extends TemplateCliOptions {
  ports?: string;
  topPorts?: string;
  inputList?: string[];
  exclude?: string[];
  excludefile?: string[];
  outputJson?: string;
  outputXml?: string;
  outputCsv?: string;
  db?: string;
  seed?: string;
  shard?: string;
  resume?: string | boolean;
  quiet?: boolean;
  ping?: boolean;
  discovery?: string;
  allowSpecial?: boolean;
  concurrency?: string;
  retries?: string;
  timeout?: string;
  minTimeout?: string;
  maxTimeout?: string;
  maxRate?: string;
  maxRatePerNet?: string;
  datadir?: string;
  connectScan?: boolean;
  serviceVersion?: boolean;
  versionIntensity?: string;
  checks?: string;
}

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

export function registerScanCommand(program: Command, io: CliIo): void {
  const cmd = program
    .command('scan')
    .description('discover open TCP ports on targets (addresses, CIDRs, ranges, hostnames)')
    .argument('[targets...]', 'targets: 192.0.2.1, 198.19.0.0/20, 10.0.0.1-10.0.0.40, 2001:db8::/120, host.example')
    .option('-p, --ports <ports>', 'ports: 22,80,443,8000-8100 or - for all (default: --top-ports 1000)')
    .option('--top-ports <n>', 'the n most common TCP ports (nmap-services frequency, else a built-in table)')
    .option('--input-list <file>', 'read targets from a file, one or more per line (-iL)', collect)
    .option('--exclude <targets>', 'comma-separated targets to leave out', collect)
    .option('--excludefile <file>', 'read exclusions from a file', collect)
    .option('--output-json <file>', 'JSON lines, one per open port; - for stdout (-oJ)')
    .option('--output-xml <file>', 'nmap-compatible XML (-oX)')
    .option('--output-csv <file>', 'CSV (-oC)')
    .option('--db <path>', 'record the scan in this embedded store (SQLite file); needed for --resume')
    .option('--seed <n>', 'permutation seed: same seed, same probe order')
    .option('--shard <i/n>', 'scan only shard i of n (1-based); shards with one seed cover the space once')
    .option('--resume [scanId]', 'continue an interrupted scan from its checkpoint in --db (default: the latest unfinished)')
    .option('-q, --quiet', 'no progress and no summary on stderr')
    .option('--no-ping', 'skip host discovery: probe every address (-Pn)')
    .option('--discovery <mode>', 'host discovery: auto, on or off', 'auto')
    .option('--allow-special', 'do not apply the default blocklist of IANA special-purpose ranges')
    .option('--concurrency <n>', 'max connections in flight (default: from the file-descriptor limit)')
    .option('--retries <n>', 'extra attempts for a probe met with silence', '1')
    .option('--timeout <ms>', 'initial probe timeout before RTT samples exist', '500')
    .option('--min-timeout <ms>', 'floor of the adaptive timeout', '100')
    .option('--max-timeout <ms>', 'ceiling of the adaptive timeout', '1500')
    .option('--max-rate <pps>', 'global probe rate cap (0 = none)', '0')
    .option('--max-rate-per-net <pps>', 'probe rate cap per /24 (IPv4) or /64 (IPv6)', '20000')
    .option('--datadir <dir>', 'nmap data directory (for --top-ports); default $NMAPDIR or /usr/share/nmap')
    .option('--connect-scan', 'TCP connect scan (the default and only engine for now; -sT)')
    .option('--service-version', 'identify services on open ports: nmap probes + protocol handshakes (-sV)')
    .option('--version-intensity <n>', 'nmap probe rarity limit, 0-9', '7')
    .option('--checks <selection>', 'run exposure checks on open ports: none, safe, all, or ids (implies -sV)', 'none');
  addTemplateOptions(cmd)
    .action(async (targets: string[], options: ScanCliOptions) => {
      io.exitCode = await scanCommand(targets, options, io);
    });
}

export interface CliIo {
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  args: readonly string[];
  exitCode: number;
}

export function resolvePorts(o: ScanCliOptions): number[] {
  if (o.ports !== undefined && o.topPorts !== undefined) {
    throw new TrawlError('TRAWL_E_BAD_PORTS', 'use either -p or --top-ports, not both');
  }
  if (o.ports !== undefined) return parsePorts(o.ports);
  const n = o.topPorts === undefined ? 1000 : parseIntOption('--top-ports', o.topPorts, 1, 65535);
  return topPorts(n, o.datadir ? { datadir: o.datadir } : {}).ports;
}

function tuningFrom(o: ScanCliOptions): EngineTuning {
  const d = defaultEngineOptions();
  const minT = parseIntOption('--min-timeout', o.minTimeout ?? String(d.minTimeoutMs), 1, 60_000);
  const maxT = parseIntOption('--max-timeout', o.maxTimeout ?? String(d.maxTimeoutMs), 1, 600_000);
  if (minT > maxT) throw new TrawlError('TRAWL_E_BAD_OPTION', `--min-timeout ${minT} is larger than --max-timeout ${maxT}`);
  const concurrency = o.concurrency ? parseIntOption('--concurrency', o.concurrency, 1, 1_000_000) : d.concurrency;
  return {
    concurrency,
    retries: parseIntOption('--retries', o.retries ?? '1', 0, 10),
    initialTimeoutMs: parseIntOption('--timeout', o.timeout ?? String(d.initialTimeoutMs), 1, 600_000),
    minTimeoutMs: minT,
    maxTimeoutMs: maxT,
    perNetworkInFlight: Math.min(d.perNetworkInFlight, concurrency),
    perNetworkRate: parseIntOption('--max-rate-per-net', o.maxRatePerNet ?? String(d.perNetworkRate), 0, 100_000_000),
    globalRate: parseIntOption('--max-rate', o.maxRate ?? '0', 0, 100_000_000),
  };
}

function discoveryMode(o: ScanCliOptions): DiscoveryMode {
  if (o.ping === false) return 'off';
  const m = o.discovery ?? 'auto';
  if (m !== 'auto' && m !== 'on' && m !== 'off') throw new TrawlError('TRAWL_E_BAD_OPTION', `invalid --discovery "${m}": expected auto, on or off`, { value: m });
  return m;
}

function splitList(values: readonly string[] | undefined): string[] {
  return (values ?? []).flatMap((v) => v.split(',')).map((s) => s.trim()).filter(Boolean);
}

function outputTargets(o: ScanCliOptions): OutputTarget[] {
  const t: OutputTarget[] = [];
  if (o.outputJson !== undefined) t.push({ format: 'jsonl', destination: o.outputJson });
  if (o.outputXml !== undefined) t.push({ format: 'xml', destination: o.outputXml });
  if (o.outputCsv !== undefined) t.push({ format: 'csv', destination: o.outputCsv });
  return t;
}

async function findResumable(store: Store, ref: string | boolean): Promise<ScanRecord> {
  const scan = typeof ref === 'string' ? await store.findScan(ref) : await store.latestUnfinishedScan();
  if (!scan) {
    throw new TrawlError('TRAWL_E_NOTHING_TO_RESUME', typeof ref === 'string' ? `no scan "${ref}" in the store to resume` : 'no interrupted scan in the store to resume');
  }
  if (scan.status === 'done') throw new TrawlError('TRAWL_E_NOTHING_TO_RESUME', `scan ${scan.id} already finished; nothing to resume`);
  return scan;
}

export async function scanCommand(targets: string[], o: ScanCliOptions, io: CliIo): Promise<number> {
  const resuming = o.resume !== undefined && o.resume !== false;
  if (resuming && !o.db) throw new TrawlError('TRAWL_E_BAD_OPTION', '--resume needs --db: the checkpoint lives in the store');
  if (resuming && o.db && o.db !== ':memory:' && !existsSync(o.db)) {
    throw new TrawlError('TRAWL_E_NOTHING_TO_RESUME', `no store at "${o.db}" to resume from`, { path: o.db });
  }
  const inputFiles = o.inputList ?? [];
  if (!resuming && targets.length === 0 && inputFiles.length === 0) {
    throw new TrawlError('TRAWL_E_BAD_TARGET', 'no targets given: name addresses, CIDRs, ranges or hostnames, or use -iL <file>');
  }
  // Validate everything that can be validated before a file is created or a probe is sent.
  const request: ScanRequest = {
    targets,
    targetFiles: inputFiles,
    excludes: splitList(o.exclude),
    excludeFiles: o.excludefile ?? [],
    ports: resuming ? [] : resolvePorts(o),
    ...(o.seed !== undefined ? { seed: parseSeed(o.seed) } : {}),
    shard: o.shard !== undefined ? parseShard(o.shard) : { index: 1, count: 1 },
    applyBlocklist: o.allowSpecial !== true,
    discovery: discoveryMode(o),
    identify: o.serviceVersion === true || (o.checks ?? 'none') !== 'none' || (o.templates ?? []).length > 0,
  };
  const checkSelection = o.checks ?? 'none';
  // An unknown check id is an input error: say so before anything runs.
  if (checkSelection !== 'none') parseCheckSelection(checkSelection);
  // So is a template directory that cannot be read; what will not run is said now, not at the end.
  const templates = await loadTemplateOptions(o);
  if (templates && o.quiet !== true) io.stderr.write(`trawl: ${formatTemplateSetSummary(templates)}`);
  const intensity = parseIntOption('--version-intensity', o.versionIntensity ?? '7', 0, 9);
  const tuning = tuningFrom(o);
  // Targets, files and hostnames are checked before any output or store file is created.
  const scope = resuming ? undefined : await scopeOf(request);
  if (scope) checkPlan(scope, request.ports);
  const outputs: OpenedOutput[] = await openAll(outputTargets(o));
  let store: Store | undefined;
  const controller = new AbortController();
  let signals = 0;
  const onSignal = (): void => {
    signals++;
    if (signals === 1) {
      io.stderr.write('\ntrawl: interrupted — finishing probes in flight and saving progress (again to quit now)\n');
      controller.abort();
    } else {
      // The store is crash-safe: quitting now loses at most the probes in flight.
      process.exit(130);
    }
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  let reporter: ProgressReporter | undefined;
  try {
    store = await openStore(o.db);
    await store.migrate();
    let resume: ScanRecord | undefined;
    if (resuming) {
      resume = await findResumable(store, o.resume as string | boolean);
      if (targets.length > 0 && JSON.stringify(targets) !== JSON.stringify(resume.spec.targets)) {
        throw new TrawlError('TRAWL_E_RESUME_MISMATCH', `--resume continues scan ${resume.id} of ${resume.spec.targets.join(' ')}; targets given now (${targets.join(' ')}) differ — drop them or start a new scan`);
      }
    }
    const startedAt = new Date();
    const mode = progressModeFor(io.stderr, o.quiet === true);
    const outcome: ScanOutcome = await runScan(request, {
      store,
      tuning,
      ...(resume ? { resume } : {}),
      ...(scope ? { scope } : {}),
      signal: controller.signal,
      onStart: (scan, progress) => {
        if (mode !== 'off') io.stderr.write(`trawl: scan ${scan.id}${resume ? ' (resumed)' : ''}: ${scan.counters.probesPlanned} probes planned\n`);
        reporter = new ProgressReporter(io.stderr, mode, progress);
        reporter.start();
      },
    });
    reporter?.stop();
    if (outcome.identify && !outcome.interrupted) {
      await identifyOpenPorts(store, outcome, { intensity, quiet: o.quiet === true, signal: controller.signal, io, ...(o.datadir ? { datadir: o.datadir } : {}) });
    }
    if ((checkSelection !== 'none' || templates) && !outcome.interrupted && !controller.signal.aborted) {
      const c = await runCheckStage({ store, scanId: outcome.scan.id, selection: checkSelection, guard: outcome.guard.check, signal: controller.signal, ...(templates ? { templates } : {}) });
      if (o.quiet !== true) {
        io.stderr.write(`trawl: checks: ${c.findings} finding(s) on ${c.targets} open port(s) (${c.runs} check runs${c.incomplete ? `, ${c.incomplete} incomplete` : ''})\n`);
        const t = c.templates;
        if (t) io.stderr.write(`trawl: templates: ${t.jobs} template run(s), ${t.findings} finding(s): ${Object.entries(t.outcomes).filter(([, n]) => n > 0).map(([k, n]) => `${n} ${k}`).join(', ') || 'nothing applicable'}\n`);
      }
    }
    const finishedAt = new Date();
    const info = {
      scan: outcome.scan,
      startedAt: startedAt.toISOString(),
      finishedAt: finishedAt.toISOString(),
      elapsedSeconds: (finishedAt.getTime() - startedAt.getTime()) / 1000,
      args: io.args,
      ...(templates ? { records: templateSetRecords(templates) } : {}),
    };
    const s = store;
    if (outcome.interrupted) {
      await Promise.all(outputs.map((x) => x.writer.abort()));
    } else if (outputs.length > 0) {
      await writeAll(outputs, info, () => s.listPortObservations(outcome.scan.id, { state: 'open' }));
    } else {
      await printOpenPorts(io.stdout, s.listPortObservations(outcome.scan.id, { state: 'open' }));
    }
    if (o.quiet !== true) {
      io.stderr.write(formatSummaryText(info));
      if (outcome.discovery) {
        const d = outcome.discovery;
        io.stderr.write(`host discovery: ${d.method}: ${d.hostsUp}/${d.hostsProbed} hosts up (${d.icmpSent} echo requests, ${d.tcpSent} TCP probes)${d.icmpUnavailable ? `; ICMP unavailable: ${d.icmpUnavailable}` : ''}\n`);
      } else if (outcome.discoverySkippedReason) {
        io.stderr.write(`host discovery: ${outcome.discoverySkippedReason}\n`);
      }
      if (outcome.interrupted) io.stderr.write(`trawl: scan ${outcome.scan.id} interrupted; continue it with: trawl scan --resume ${outcome.scan.id} --db ${o.db ?? '<path>'}\n`);
    }
    return outcome.interrupted ? 130 : 0;
  } catch (err) {
    reporter?.stop();
    await Promise.all(outputs.map((x) => x.writer.abort()));
    throw err;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await store?.close();
  }
}
