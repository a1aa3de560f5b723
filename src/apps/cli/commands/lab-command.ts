import type { Command } from 'commander';
import { TrawlError } from '../../../errors/index.js';
import { loopbackLabDown, loopbackLabStatus, loopbackLabUp, type LoopbackLabState } from '../../../lab/loopback-lab-daemon.js';
import { netnsLabDown, netnsLabPresent, netnsLabRecorded, netnsLabStatus, netnsLabUp, netnsNames, netnsPrivilegeProblem, type NetnsLabState } from '../../../lab/netns-lab.js';
import type { NetnsLabTruth } from '../../../lab/netns-plan.js';

interface UpOptions {
  netns?: boolean;
  cidr?: string;
  alive?: number;
  firewalled?: number;
  seed?: number;
  json?: boolean;
}

function fraction(name: string): (text: string) => number {
  return (text) => {
    const v = Number(text);
    if (text.trim() === '' || !(v >= 0 && v <= 1)) {
      throw new TrawlError('TRAWL_E_BAD_OPTION', `invalid --${name} "${text}": expected a fraction from 0 to 1`, { option: name, value: text });
    }
    return v;
  };
}

function seed(text: string): number {
  const v = Number(text);
  if (!/^\d+$/.test(text.trim()) || v > 0xffff_ffff) {
    throw new TrawlError('TRAWL_E_BAD_SEED', `invalid --seed "${text}": expected a whole number from 0 to 4294967295`, { value: text });
  }
  return v;
}

const out = (s: string): void => void process.stdout.write(s);

function loopbackTable(s: LoopbackLabState): string {
  const rows = s.services.map((x) => {
    const what = [x.product, x.version].filter(Boolean).join(' ');
    return `  ${x.ip.padEnd(15)} ${String(x.port).padEnd(5)} ${x.name.padEnd(10)} ${what}${x.tls ? ' (TLS)' : ''}`;
  });
  const ports = [...new Set([...s.services.map((x) => x.port), ...s.closed.map((c) => c.port)])].sort((a, b) => a - b);
  const closed = s.closed.map((c) => `${c.ip}:${c.port}`).join(', ');
  return [
    `loopback lab on ${s.cidr} (seed ${s.seed}, pid ${s.pid}, since ${s.startedAt})`,
    `  ${'ADDRESS'.padEnd(15)} ${'PORT'.padEnd(5)} ${'SERVICE'.padEnd(10)} PRODUCT`,
    ...rows,
    `  closed (RST): ${closed}; every other address of ${s.cidr} refuses every port`,
    '',
    `scan it:  trawl scan ${s.cidr} -p ${ports.join(',')}`,
    'stop it:  trawl lab down',
    '',
  ].join('\n');
}

function netnsSummary(t: NetnsLabTruth, s?: NetnsLabState): string {
  const names = s?.names ?? netnsNames();
  const pairs = Object.values(t.open).reduce((n, ps) => n + ps.length, 0);
  return [
    `namespace lab field ${t.cidr} (seed ${t.seed}): ${t.alive.length} live hosts (${t.firewalled.length} firewalled), ${pairs} open ports over ${t.ports.length} ports`,
    `  scanner namespace ${names.scan} (${names.scanAddress}, device ${names.scanDevice}); field namespace ${names.net}${s ? `, router MAC ${s.gatewayMac}` : ''}`,
    '',
    `scan it:  ip netns exec ${names.scan} trawl scan ${t.cidr} -p ${t.ports.join(',')}`,
    'truth:    trawl lab truth --netns',
    'stop it:  trawl lab down',
    '',
  ].join('\n');
}

/** `trawl lab up|down|status|truth`: Trawl's own field to demo and test against. */
export function registerLabCommand(program: Command): void {
  const lab = program
    .command('lab')
    .description("Trawl's own lab: real-looking services on 127.77.0.x (no root), or a simulated network in namespaces (root)");

  lab
    .command('up')
    .description('start the loopback lab in the background (or, with --netns, the namespace field)')
    .option('--netns', 'build the namespace field (root, ip and nft needed) instead of the loopback lab')
    .option('--cidr <cidr>', 'loopback lab subnet inside 127.0.0.0/8 (default 127.77.0.0/24); with --netns the field inside 198.18.0.0/15 (default 198.19.0.0/22)')
    .option('--alive <fraction>', 'with --netns: fraction of addresses that are live hosts (default 0.25)', fraction('alive'))
    .option('--firewalled <fraction>', 'with --netns: fraction of live hosts that drop instead of reset (default 0.3)', fraction('firewalled'))
    .option('--seed <n>', 'layout seed: same seed, same lab (default 1)', seed)
    .option('--json', 'print the ground truth as JSON')
    .action(async (o: UpOptions) => {
      if (o.netns) {
        const truth = await netnsLabUp({ cidr: o.cidr, seed: o.seed, alive: o.alive, firewalled: o.firewalled });
        out(o.json ? `${JSON.stringify(truth)}\n` : netnsSummary(truth, netnsLabStatus()));
        return;
      }
      if (o.alive !== undefined || o.firewalled !== undefined) {
        throw new TrawlError('TRAWL_E_BAD_OPTION', '--alive and --firewalled apply to the namespace lab only (add --netns)');
      }
      const { state, alreadyRunning } = await loopbackLabUp({ subnet: o.cidr, seed: o.seed });
      if (o.json) out(`${JSON.stringify(state)}\n`);
      else out(`${alreadyRunning ? 'already running: ' : ''}${loopbackTable(state)}`);
    });

  lab
    .command('down')
    .description('stop the loopback lab and remove the namespace field, whichever is up (idempotent)')
    .option('--loopback', 'only the loopback lab')
    .option('--netns', 'only the namespace field; also removes trawl-scan/trawl-net left by another state folder')
    .action(async (o: { loopback?: boolean; netns?: boolean }) => {
      const both = !o.loopback && !o.netns;
      if (both || o.loopback) {
        const lb = await loopbackLabDown();
        out(lb.stopped ? `loopback lab stopped (pid ${lb.pid})\n` : 'loopback lab: not running\n');
      }
      if (!(both || o.netns)) return;
      // Without --netns only a field started from this state folder is removed, so a `lab down` for
      // one state folder (a test's, say) never tears down a field someone else is using.
      if (!o.netns && !netnsLabRecorded()) {
        out(netnsLabPresent() ? `namespace lab: ${netnsNames().scan}/${netnsNames().net} exist but were not started from this state folder; remove them with 'trawl lab down --netns'\n` : 'namespace lab: not present\n');
        return;
      }
      const problem = netnsPrivilegeProblem();
      if (problem !== undefined) throw new TrawlError('TRAWL_E_PRIVILEGE', `the namespace lab cannot be removed: ${problem}`);
      const ns = await netnsLabDown();
      out(ns.removed ? 'namespace lab removed\n' : 'namespace lab: not present\n');
    });

  lab
    .command('status')
    .description('show what is running')
    .option('--json', 'as JSON')
    .action((o: { json?: boolean }) => {
      const lb = loopbackLabStatus();
      const ns = netnsLabStatus();
      if (o.json) {
        out(`${JSON.stringify({ loopback: lb ?? null, netns: ns ?? null })}\n`);
        return;
      }
      out(lb ? loopbackTable(lb) : 'loopback lab: not running\n');
      out(ns ? netnsSummary(ns.truth, ns) : 'namespace lab: not present\n');
    });

  lab
    .command('truth')
    .description('print the ground truth of the running lab as JSON (for scoring a scan)')
    .option('--netns', 'the namespace field')
    .option('--loopback', 'the loopback lab')
    .action((o: { netns?: boolean; loopback?: boolean }) => {
      const lb = o.netns ? undefined : loopbackLabStatus();
      const ns = o.loopback ? undefined : netnsLabStatus();
      if (lb && ns) throw new TrawlError('TRAWL_E_BAD_OPTION', 'both labs are up: choose --loopback or --netns');
      if (lb) return out(`${JSON.stringify({ cidr: lb.cidr, seed: lb.seed, services: lb.services, closed: lb.closed })}\n`);
      if (ns) return out(`${JSON.stringify(ns.truth)}\n`);
      throw new TrawlError('TRAWL_E_LAB', `no ${o.netns ? 'namespace ' : o.loopback ? 'loopback ' : ''}lab is up; start one with 'trawl lab up'`);
    });
}
