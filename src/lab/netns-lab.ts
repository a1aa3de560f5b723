import { spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { TrawlError } from '../errors/index.js';
import { ensureStateDir, labStateDir, logTail, pidAlive, pidRuns, readJsonFile, removeFile, spawnDetached, terminate, writeJsonAtomic } from './lab-state.js';
import { DEFAULT_FIELD_CIDR, listenedPorts, nftRuleset, planField, type NetnsLabTruth } from './netns-plan.js';

export { DEFAULT_FIELD_CIDR, FIELD_PORTS, planField, type NetnsLabTruth } from './netns-plan.js';

/**
 * The namespace lab: two network namespaces joined by one veth pair and nothing else, so no
 * probe can leave the machine.
 *
 *   trawl-scan  198.18.0.2/24 on trawl0, default route via 198.18.0.1. Scanners run here.
 *   trawl-net   198.18.0.1/24 on trawl1; answers for every address of the field through an AnyIP
 *               route (`local <cidr> dev lo`); nftables makes each (address, port) open, closed or
 *               silent, and one listener process serves every open port.
 *
 * Nothing here touches the host's own namespace beyond creating and deleting the two namespaces.
 */

export interface NetnsLabOptions {
  /** The field; inside 198.18.0.0/15, outside the link 198.18.0.0/24. Default 198.19.0.0/22. */
  readonly cidr?: string;
  readonly seed?: number;
  /** Fraction of addresses that are live hosts. Default 0.25. */
  readonly alive?: number;
  /** Fraction of live hosts that drop, rather than reset, what is not open. Default 0.3. */
  readonly firewalled?: number;
  /**
   * Runs a separate pair of namespaces (`trawl-scan-<instance>`, `trawl-net-<instance>`), so a test
   * can have its own field while `trawl lab up --netns` or a benchmark uses the default one.
   */
  readonly instance?: string;
  readonly stateDir?: string;
  /** How long to wait for the listener. Default 15 s. */
  readonly timeoutMs?: number;
}

export interface NetnsLabNames {
  /** Scanner-side namespace. */
  readonly scan: string;
  /** Field-side namespace. */
  readonly net: string;
  readonly scanDevice: string;
  readonly netDevice: string;
  readonly scanAddress: string;
  readonly gateway: string;
}

export interface NetnsLabState {
  readonly instance: string | null;
  readonly names: NetnsLabNames;
  readonly listenerPid: number;
  /** MAC of the field side of the veth: the "router MAC" raw-packet scanners need. */
  readonly gatewayMac: string;
  readonly startedAt: string;
  readonly stateDir: string;
  readonly truth: NetnsLabTruth;
}

const LISTENER = 'netns-listener-main.js';

export function netnsNames(instance?: string): NetnsLabNames {
  if (instance !== undefined && !/^[a-z0-9]{1,12}$/.test(instance)) {
    throw new TrawlError('TRAWL_E_BAD_OPTION', `namespace lab instance '${instance}' must be 1-12 lowercase letters or digits`, { value: instance });
  }
  const suffix = instance === undefined ? '' : `-${instance}`;
  // Interface names are per namespace, so every instance can use the same two.
  return { scan: `trawl-scan${suffix}`, net: `trawl-net${suffix}`, scanDevice: 'trawl0', netDevice: 'trawl1', scanAddress: '198.18.0.2', gateway: '198.18.0.1' };
}

function netnsStateDir(instance: string | undefined, stateDir = labStateDir()): string {
  return join(stateDir, instance === undefined ? 'netns' : `netns-${instance}`);
}

function findExecutable(name: string): string | undefined {
  // /usr/sbin and /sbin are searched too: a non-login root shell may not have them on PATH.
  const dirs = [...(process.env['PATH'] ?? '').split(delimiter), '/usr/sbin', '/sbin', '/usr/bin', '/bin'];
  for (const d of dirs) {
    if (d === '') continue;
    const p = join(d, name);
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      // keep looking
    }
  }
  return undefined;
}

/** Why this process cannot run the namespace lab, or undefined when it can. */
export function netnsPrivilegeProblem(): string | undefined {
  if (process.platform !== 'linux') return 'network namespaces need Linux';
  if (process.getuid?.() !== 0) return `the namespace lab needs root (running as uid ${process.getuid?.() ?? '?'})`;
  if (findExecutable('ip') === undefined) return "iproute2's `ip` is not installed";
  if (findExecutable('nft') === undefined) return '`nft` is not installed (apt-get -o DPkg::Lock::Timeout=600 install -y nftables)';
  return undefined;
}

/** Root, `ip` and `nft` present. */
export function hasNetnsPrivileges(): boolean {
  return netnsPrivilegeProblem() === undefined;
}

/** The argv prefix that runs a command inside the scanner namespace. */
export function netnsExecArgs(argv: string[], instance?: string): string[] {
  return ['ip', 'netns', 'exec', netnsNames(instance).scan, ...argv];
}

function ipPath(): string {
  return findExecutable('ip') ?? 'ip';
}

/** Runs a setup command; a failure names the command and carries its stderr. */
function run(cmd: string, args: readonly string[], input?: string): string {
  const r = spawnSync(cmd, args, { input, encoding: 'utf8', timeout: 30_000, maxBuffer: 16 * 1024 * 1024 });
  if (r.status !== 0) {
    const why = (r.stderr || r.error?.message || `exit ${r.status ?? r.signal}`).trim().slice(0, 500);
    throw new TrawlError('TRAWL_E_LAB', `namespace lab setup failed: ${cmd} ${args.slice(0, 8).join(' ')}: ${why}`, { command: [cmd, ...args.slice(0, 8)].join(' ') });
  }
  return r.stdout;
}

function nsExists(name: string): boolean {
  return existsSync(join('/var/run/netns', name)) || existsSync(join('/run/netns', name));
}

function nsPids(name: string): number[] {
  const r = spawnSync(ipPath(), ['netns', 'pids', name], { encoding: 'utf8', timeout: 10_000 });
  if (r.status !== 0) return [];
  return r.stdout.split(/\s+/).filter((s) => /^\d+$/.test(s)).map(Number).filter((p) => p !== process.pid);
}

/** Writes a sysctl inside a namespace through /proc/sys, which shows the namespace's own values. */
function nsSysctl(ns: string, key: string, value: string): void {
  run(ipPath(), ['netns', 'exec', ns, 'sh', '-c', 'printf "%s\\n" "$1" > "$2"', 'sh', value, `/proc/sys/${key.replaceAll('.', '/')}`]);
}

function isNetnsState(v: unknown): v is Omit<NetnsLabState, 'truth'> {
  if (typeof v !== 'object' || v === null) return false;
  const o = v as Record<string, unknown>;
  return typeof o['listenerPid'] === 'number' && typeof o['names'] === 'object' && typeof o['gatewayMac'] === 'string';
}

function isTruth(v: unknown): v is NetnsLabTruth {
  if (typeof v !== 'object' || v === null) return false;
  const o = v as Record<string, unknown>;
  return typeof o['cidr'] === 'string' && Array.isArray(o['alive']) && Array.isArray(o['firewalled']) && typeof o['open'] === 'object' && Array.isArray(o['ports']);
}

/** True when a namespace lab was brought up from this state folder (its state file exists). */
export function netnsLabRecorded(opts: { instance?: string; stateDir?: string } = {}): boolean {
  return existsSync(join(netnsStateDir(opts.instance, opts.stateDir), 'state.json'));
}

/** True when either namespace of the lab exists, whoever created it. */
export function netnsLabPresent(instance?: string): boolean {
  const names = netnsNames(instance);
  return nsExists(names.scan) || nsExists(names.net);
}

/** The running namespace lab, or undefined when its namespaces or listener are gone. */
export function netnsLabStatus(opts: { instance?: string; stateDir?: string } = {}): NetnsLabState | undefined {
  const names = netnsNames(opts.instance);
  const dir = netnsStateDir(opts.instance, opts.stateDir);
  const state = readJsonFile(join(dir, 'state.json'));
  const truth = readJsonFile(join(dir, 'truth.json'));
  if (!isNetnsState(state) || !isTruth(truth)) return undefined;
  if (!nsExists(names.scan) || !nsExists(names.net) || !pidRuns(state.listenerPid, LISTENER)) return undefined;
  return { ...state, truth };
}

/**
 * Removes the lab's namespaces and stops every process still inside them (the listener, and any
 * scanner left running there). Idempotent; also what netnsLabUp runs first to clear an unclean exit.
 */
export async function netnsLabDown(opts: { instance?: string; stateDir?: string } = {}): Promise<{ removed: boolean }> {
  const names = netnsNames(opts.instance);
  const dir = netnsStateDir(opts.instance, opts.stateDir);
  let removed = false;
  const pids = new Set<number>();
  const state = readJsonFile(join(dir, 'state.json'));
  if (isNetnsState(state) && pidRuns(state.listenerPid, LISTENER)) pids.add(state.listenerPid);
  for (const ns of [names.scan, names.net]) if (nsExists(ns)) for (const p of nsPids(ns)) pids.add(p);
  await Promise.all([...pids].map(async (p) => {
    removed = true;
    await terminate(p, 2_000);
  }));
  for (const ns of [names.scan, names.net]) {
    if (!nsExists(ns)) continue;
    // Deleting a namespace also destroys the veth end inside it, and so the whole pair.
    spawnSync(ipPath(), ['netns', 'del', ns], { timeout: 10_000 });
    removed = true;
  }
  for (const f of ['state.json', 'truth.json', 'listener.ready']) removeFile(join(dir, f));
  return { removed };
}

/** Brings the field up (after clearing any leftovers of a previous run) and returns its truth. */
export async function netnsLabUp(opts: NetnsLabOptions = {}): Promise<NetnsLabTruth> {
  const problem = netnsPrivilegeProblem();
  if (problem !== undefined) throw new TrawlError('TRAWL_E_PRIVILEGE', `cannot start the namespace lab: ${problem}`);
  const names = netnsNames(opts.instance);
  const truth = planField({ cidr: opts.cidr ?? DEFAULT_FIELD_CIDR, seed: opts.seed ?? 1, alive: opts.alive ?? 0.25, firewalled: opts.firewalled ?? 0.3 });
  await netnsLabDown(opts);
  const dir = ensureStateDir(netnsStateDir(opts.instance, ensureStateDir(opts.stateDir ?? labStateDir())));
  const ip = ipPath();
  const nft = findExecutable('nft') ?? 'nft';
  const { scan, net, scanDevice, netDevice } = names;
  try {
    run(ip, ['netns', 'add', scan]);
    run(ip, ['netns', 'add', net]);
    // Created directly inside the namespaces: no interface ever appears in the host's namespace.
    run(ip, ['link', 'add', scanDevice, 'netns', scan, 'type', 'veth', 'peer', 'name', netDevice, 'netns', net]);
    for (const [ns, dev, addr] of [[scan, scanDevice, `${names.scanAddress}/24`], [net, netDevice, `${names.gateway}/24`]] as const) {
      run(ip, ['-n', ns, 'link', 'set', 'lo', 'up']);
      run(ip, ['-n', ns, 'addr', 'add', addr, 'dev', dev]);
      run(ip, ['-n', ns, 'link', 'set', dev, 'up']);
      nsSysctl(ns, 'net.core.somaxconn', '65535');
      nsSysctl(ns, 'net.ipv4.tcp_max_syn_backlog', '65535');
      nsSysctl(ns, 'net.ipv4.ip_local_port_range', '1024 65535');
      // No IPv6 chatter (router solicitations, DAD) on a link meant for IPv4 probes only.
      nsSysctl(ns, 'net.ipv6.conf.all.disable_ipv6', '1');
    }
    // Connect scanners recycle source ports fast; TIME_WAIT reuse keeps the scan side from running dry.
    nsSysctl(scan, 'net.ipv4.tcp_tw_reuse', '1');
    // ICMP rate limits would turn closed UDP ports and pings into silence under load.
    nsSysctl(net, 'net.ipv4.icmp_ratelimit', '0');
    run(ip, ['-n', scan, 'route', 'add', 'default', 'via', names.gateway]);
    run(ip, ['-n', net, 'route', 'add', 'local', truth.cidr, 'dev', 'lo']);
    run(ip, ['netns', 'exec', net, nft, '-f', '-'], nftRuleset(truth));

    const ready = join(dir, 'listener.ready');
    const log = join(dir, 'listener.log');
    removeFile(ready);
    const listener = fileURLToPath(new URL(`./${LISTENER}`, import.meta.url));
    const child = spawnDetached(ip, ['netns', 'exec', net, process.execPath, listener, '--ports', listenedPorts(truth).join(','), '--ready', ready], log);
    const deadline = Date.now() + (opts.timeoutMs ?? 15_000);
    let listenerPid: number | undefined;
    while (listenerPid === undefined) {
      const r = readJsonFile(ready) as { pid?: unknown } | undefined;
      if (typeof r?.pid === 'number' && pidAlive(r.pid)) listenerPid = r.pid;
      else if (child.exitCode() !== undefined) throw new TrawlError('TRAWL_E_LAB', `field listener exited (code ${child.exitCode()}): ${logTail(log, 600) || 'no output'}`, { log });
      else if (Date.now() > deadline) throw new TrawlError('TRAWL_E_LAB', `field listener not ready after ${opts.timeoutMs ?? 15_000} ms; see ${log}`, { log });
      else await sleep(40);
    }
    const link = JSON.parse(run(ip, ['-n', net, '-j', 'link', 'show', 'dev', netDevice])) as Array<{ address?: string }>;
    const state: Omit<NetnsLabState, 'truth'> = {
      instance: opts.instance ?? null,
      names,
      listenerPid,
      gatewayMac: link[0]?.address ?? '',
      startedAt: new Date().toISOString(),
      stateDir: dir,
    };
    writeJsonAtomic(join(dir, 'truth.json'), truth);
    writeJsonAtomic(join(dir, 'state.json'), state);
    return truth;
  } catch (e) {
    await netnsLabDown(opts);
    throw e;
  }
}
