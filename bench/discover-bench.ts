/**
 * Discovery benchmark: times `trawl scan`, `nmap -sS` and `masscan` on the same namespace field and
 * scores each against the field's ground truth. Every scanner runs inside the scanner namespace,
 * whose only route leads into the field, so no probe can leave the machine.
 *
 *   node dist/bench/discover-bench.js [--field own|netlab] [--cidr 198.19.0.0/22] [--seed 1]
 *        [--alive 0.25] [--firewalled 0.3] [--ports 22,80,...] [--tools trawl,nmap,masscan]
 *        [--rate 50000] [--keep] [--json] [--trawl-arg=--concurrency=2000 ...]
 *
 * See bench/README.md.
 */
import { spawn, spawnSync } from 'node:child_process';
import { accessSync, closeSync, constants, existsSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { netnsLabDown, netnsLabStatus, netnsLabUp, netnsPrivilegeProblem } from '../src/lab/netns-lab.js';
import { FIELD_PORTS, type NetnsLabTruth } from '../src/lab/netns-plan.js';
import { parseJsonLines, parseMasscanList, parseNmapXml, scorePairs, truthPairs, type PairSet, type Score } from './bench-score.js';

interface Field {
  readonly truth: Pick<NetnsLabTruth, 'cidr' | 'open'>;
  readonly scanNs: string;
  readonly scanDevice: string;
  readonly gatewayMac: string;
  readonly label: string;
}

interface ToolResult {
  readonly tool: string;
  readonly command: string;
  readonly wallSeconds: number | null;
  /** True when the wall time is an upper bound (the tool was interrupted). */
  readonly upperBound: boolean;
  readonly score: Score | null;
  readonly note: string;
}

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const APT = 'apt-get -o DPkg::Lock::Timeout=600 install -y';
/** Sends a datagram to the namespace gateway's discard port every 250 ms (see the masscan run). */
const NUDGE = "const s=require('node:dgram').createSocket('udp4');s.on('error',()=>{});setInterval(()=>s.send('x',9,'198.18.0.1'),250);setTimeout(()=>process.exit(0),600000);";

function findExecutable(name: string): string | undefined {
  for (const d of [...(process.env['PATH'] ?? '').split(delimiter), '/usr/sbin', '/sbin', '/usr/bin', '/bin']) {
    if (d === '') continue;
    try {
      accessSync(join(d, name), constants.X_OK);
      return join(d, name);
    } catch {
      // next
    }
  }
  return undefined;
}

function ipJson(args: string[]): unknown {
  const r = spawnSync('ip', ['-j', ...args], { encoding: 'utf8', timeout: 10_000 });
  if (r.status !== 0) throw new Error(`ip ${args.join(' ')}: ${r.stderr.trim()}`);
  return JSON.parse(r.stdout) as unknown;
}

/** The external yardstick field (shared/netlab), used as is: never created or removed here. */
function netlabField(): Field {
  const dir = process.env['NETLAB_STATE'] ?? '/run/netlab';
  const truthFile = join(dir, 'truth.json');
  if (!existsSync(truthFile)) throw new Error(`--field netlab: ${truthFile} not found (is netlab up?)`);
  const truth = JSON.parse(readFileSync(truthFile, 'utf8')) as { cidr: string; open: Record<string, number[]> };
  const link = ipJson(['-n', 'nl-net', 'link', 'show', 'dev', 'nl1']) as Array<{ address?: string }>;
  return { truth, scanNs: 'nl-scan', scanDevice: 'nl0', gatewayMac: link[0]?.address ?? '', label: `netlab ${truth.cidr}` };
}

interface RunOutcome {
  readonly seconds: number;
  readonly code: number | null;
  readonly interrupted: boolean;
  readonly killed: boolean;
}

/**
 * Runs argv inside the scanner namespace with output to a log. `interruptAfterMs` sends SIGINT
 * (masscan writes its results on SIGINT), then SIGKILL 3 s later if the tool still hangs;
 * `timeoutMs` is the hard ceiling for any tool.
 */
function runInNs(ns: string, argv: string[], log: string, cwd: string, env: NodeJS.ProcessEnv, opts: { interruptAfterMs?: number; timeoutMs: number }): Promise<RunOutcome> {
  return new Promise((done) => {
    const fd = openSync(log, 'w');
    const start = performance.now();
    const child = spawn('ip', ['netns', 'exec', ns, ...argv], { stdio: ['ignore', fd, fd], cwd, env });
    closeSync(fd);
    let interrupted = false;
    let killed = false;
    const timers: NodeJS.Timeout[] = [];
    if (opts.interruptAfterMs !== undefined) {
      timers.push(setTimeout(() => {
        interrupted = true;
        child.kill('SIGINT');
        // masscan counts its SIGINTs: the first stops sending, a later one exits through exit(3),
        // which flushes the -oL file when its receive thread is stuck.
        for (let i = 1; i <= 3; i++) timers.push(setTimeout(() => child.kill('SIGINT'), i * 1_000));
        timers.push(setTimeout(() => ((killed = true), child.kill('SIGKILL')), 5_000));
      }, opts.interruptAfterMs));
    }
    timers.push(setTimeout(() => ((killed = true), child.kill('SIGKILL')), opts.timeoutMs));
    const finish = (code: number | null): void => {
      timers.forEach(clearTimeout);
      done({ seconds: (performance.now() - start) / 1000, code, interrupted, killed });
    };
    child.on('exit', (code) => finish(code));
    child.on('error', () => finish(-1));
  });
}

function logTail(path: string): string {
  try {
    return readFileSync(path, 'utf8').trim().split('\n').slice(-3).join(' | ').slice(0, 300);
  } catch {
    return '';
  }
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      field: { type: 'string', default: 'own' },
      cidr: { type: 'string' },
      seed: { type: 'string', default: '1' },
      alive: { type: 'string', default: '0.25' },
      firewalled: { type: 'string', default: '0.3' },
      ports: { type: 'string' },
      tools: { type: 'string', default: 'trawl,nmap,masscan' },
      rate: { type: 'string', default: '50000' },
      'trawl-arg': { type: 'string', multiple: true, default: [] },
      'timeout': { type: 'string', default: '900' },
      keep: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(readFileSync(fileURLToPath(import.meta.url), 'utf8').split('*/')[0] ?? '');
    return 0;
  }
  const say = (s: string): void => void process.stderr.write(`${s}\n`);
  const problem = netnsPrivilegeProblem();
  if (problem !== undefined) {
    say(`discover-bench: ${problem}`);
    return 77;
  }

  let field: Field;
  let ownField = false;
  if (values.field === 'netlab') {
    field = netlabField();
  } else if (values.field === 'own') {
    say('discover-bench: bringing up the namespace lab…');
    const truth = await netnsLabUp({ cidr: values.cidr, seed: Number(values.seed), alive: Number(values.alive), firewalled: Number(values.firewalled) });
    const st = netnsLabStatus();
    if (!st) throw new Error('namespace lab did not come up');
    field = { truth, scanNs: st.names.scan, scanDevice: st.names.scanDevice, gatewayMac: st.gatewayMac, label: `trawl netns lab ${truth.cidr} seed ${truth.seed}` };
    ownField = true;
  } else {
    say(`discover-bench: --field must be 'own' or 'netlab', not '${values.field}'`);
    return 64;
  }

  const ports = (values.ports ?? FIELD_PORTS.join(',')).split(',').map(Number);
  const portSet = new Set(ports);
  const portList = ports.join(',');
  const truth = truthPairs(field.truth.open, portSet);
  const cidr = field.truth.cidr;
  const work = mkdtempSync(join(tmpdir(), 'trawl-bench-'));
  const timeoutMs = Number(values.timeout) * 1000;
  const results: ToolResult[] = [];
  say(`discover-bench: field ${field.label}: ${truth.size} open pairs over ${ports.length} ports; scanner namespace ${field.scanNs}`);

  const score = (found: PairSet): Score => scorePairs(truth, found, portSet);

  try {
    for (const tool of values.tools.split(',').map((t) => t.trim()).filter(Boolean)) {
      const log = join(work, `${tool}.log`);
      if (tool === 'trawl') {
        const entry = join(REPO, 'bin', 'trawl.js');
        if (!existsSync(join(REPO, 'dist', 'src', 'apps', 'cli', 'main.js'))) {
          results.push({ tool, command: '', wallSeconds: null, upperBound: false, score: null, note: 'not built (npm run build)' });
          continue;
        }
        const out = join(work, 'trawl.jsonl');
        const argv = [process.execPath, entry, 'scan', cidr, '-p', portList, '-oJ', out, '-q', ...(values['trawl-arg'] ?? [])];
        say(`discover-bench: trawl scan ${cidr} -p <${ports.length} ports> -oJ … -q`);
        // The egress guard pinned to the field: a bug that aimed elsewhere would be refused.
        const r = await runInNs(field.scanNs, argv, log, work, { ...process.env, TRAWL_EGRESS_ALLOW: cidr }, { timeoutMs });
        const ok = r.code === 0 && existsSync(out);
        results.push({
          tool,
          command: `trawl scan ${cidr} -p ${portList} -oJ out.jsonl -q`,
          wallSeconds: r.seconds,
          upperBound: r.killed,
          score: existsSync(out) ? score(parseJsonLines(readFileSync(out, 'utf8'))) : null,
          note: ok ? '' : `exit ${r.code}${r.killed ? ' (killed at timeout)' : ''}: ${logTail(log)}`,
        });
      } else if (tool === 'nmap') {
        if (!findExecutable('nmap')) {
          say(`discover-bench: nmap is not installed (${APT} nmap); skipping it`);
          results.push({ tool, command: '', wallSeconds: null, upperBound: false, score: null, note: `not installed: ${APT} nmap` });
          continue;
        }
        const out = join(work, 'nmap.xml');
        say(`discover-bench: nmap -sS -n -T4 -p <${ports.length} ports> ${cidr}`);
        const r = await runInNs(field.scanNs, ['nmap', '-sS', '-n', '-T4', '-p', portList, cidr, '-oX', out], log, work, process.env, { timeoutMs });
        results.push({
          tool,
          command: `nmap -sS -n -T4 -p ${portList} ${cidr} -oX out.xml`,
          wallSeconds: r.seconds,
          upperBound: r.killed,
          score: existsSync(out) ? score(parseNmapXml(readFileSync(out, 'utf8'))) : null,
          note: r.code === 0 ? '' : `exit ${r.code}: ${logTail(log)}`,
        });
      } else if (tool === 'masscan') {
        if (!findExecutable('masscan')) {
          say(`discover-bench: masscan is not installed (${APT} masscan); skipping it`);
          results.push({ tool, command: '', wallSeconds: null, upperBound: false, score: null, note: `not installed: ${APT} masscan` });
          continue;
        }
        const out = join(work, 'masscan.txt');
        say(`discover-bench: masscan -p<${ports.length} ports> ${cidr} --rate ${values.rate}`);
        // masscan 1.3.2 often never exits after --wait here: SIGINT at 12 s makes it write its list.
        const argv = ['masscan', `-p${portList}`, cidr, '--rate', values.rate, '-e', field.scanDevice, '--router-mac', field.gatewayMac, '--wait', '2', '-oL', out];
        // Its receive thread blocks in libpcap until a packet arrives, so on a quiet link it never
        // notices the end of --wait. A trickle of datagrams to the gateway (never into the field)
        // wakes it; SIGINT at 12 s stays as the fallback.
        const nudge = spawn('ip', ['netns', 'exec', field.scanNs, process.execPath, '-e', NUDGE], { stdio: 'ignore' });
        const r = await runInNs(field.scanNs, argv, log, work, process.env, { interruptAfterMs: 12_000, timeoutMs }).finally(() => nudge.kill('SIGKILL'));
        results.push({
          tool,
          command: `masscan -p${portList} ${cidr} --rate ${values.rate} -e ${field.scanDevice} --router-mac ${field.gatewayMac} --wait 2 -oL out.txt`,
          wallSeconds: r.seconds,
          upperBound: r.interrupted,
          score: existsSync(out) ? score(parseMasscanList(readFileSync(out, 'utf8'))) : null,
          note: r.interrupted ? 'stopped with SIGINT after 12 s: time is an upper bound' : r.code === 0 ? '' : `exit ${r.code}: ${logTail(log)}`,
        });
      } else {
        say(`discover-bench: unknown tool '${tool}' (trawl, nmap, masscan)`);
      }
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
    if (ownField && !values.keep) await netnsLabDown();
  }

  const trawl = results.find((r) => r.tool === 'trawl' && r.wallSeconds !== null);
  if (values.json) {
    process.stdout.write(`${JSON.stringify({ field: field.label, cidr, ports, truthPairs: truth.size, results }, null, 2)}\n`);
    return 0;
  }
  const fmt = (n: number | undefined, d = 3): string => (n === undefined ? '-' : n.toFixed(d));
  const lines = [
    `field: ${field.label}; ${ports.length} ports; ${truth.size} open (ip, port) pairs`,
    `${'tool'.padEnd(8)} ${'wall s'.padStart(9)} ${'found'.padStart(7)} ${'recall'.padStart(7)} ${'precision'.padStart(9)} ${'x trawl'.padStart(8)}  note`,
  ];
  for (const r of results) {
    const wall = r.wallSeconds === null ? '-' : `${r.upperBound ? '<=' : ''}${r.wallSeconds.toFixed(2)}`;
    const ratio = r.wallSeconds !== null && trawl?.wallSeconds ? `${r.upperBound ? '<=' : ''}${(r.wallSeconds / trawl.wallSeconds).toFixed(2)}` : '-';
    lines.push(`${r.tool.padEnd(8)} ${wall.padStart(9)} ${String(r.score?.found ?? '-').padStart(7)} ${fmt(r.score?.recall).padStart(7)} ${fmt(r.score?.precision).padStart(9)} ${(r.tool === 'trawl' ? '1.00' : ratio).padStart(8)}  ${r.note}`);
  }
  const ratio = (tool: string): string => {
    const r = results.find((x) => x.tool === tool);
    if (!r?.wallSeconds || !trawl?.wallSeconds) return '-';
    return `${r.upperBound ? '<=' : ''}${(r.wallSeconds / trawl.wallSeconds).toFixed(2)}`;
  };
  lines.push('', `wall-time ratios: nmap/trawl ${ratio('nmap')}, masscan/trawl ${ratio('masscan')}`);
  process.stdout.write(`${lines.join('\n')}\n`);
  return 0;
}

main().then(
  (code) => (process.exitCode = code),
  (e: unknown) => {
    process.stderr.write(`discover-bench: ${(e as Error).message ?? String(e)}\n`);
    process.exitCode = 1;
  },
);
