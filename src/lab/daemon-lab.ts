import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, lstatSync, mkdirSync, openSync, readdirSync, readlinkSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { TrawlError } from '../errors/index.js';
import { logTail, pidAlive } from './lab-state.js';
import { DAEMON_CATALOGUE, daemonHostname } from './daemons/daemon-catalogue.js';
import { DAEMON_NAMES, type DaemonCredential, type DaemonLaunch, type DaemonName, type DaemonProfile, type DaemonSpec, type ServiceExpectation } from './daemons/daemon-spec.js';
import { findExecutable, installedPackage, upstreamVersion } from './daemons/host-tools.js';
import { LabPki } from './daemons/lab-pki.js';

export { DAEMON_NAMES, type DaemonCredential, type DaemonName, type DaemonProfile, type ServiceExpectation } from './daemons/daemon-spec.js';

/**
 * The daemon lab: real daemons from the machine's Debian packages (nginx, OpenSSH, Redis, vsftpd,
 * Samba, memcached, Exim, Mosquitto) in one network namespace whose only interface is its own
 * loopback — no route anywhere, so nothing a scanner inside sends can leave the machine.
 *
 * Each daemon gets its own 127.0.1.x address (a /32 on the namespace's `lo`) and its standard ports,
 * plus a few unexpected ones (HTTP on 9000, TLS on 8443, SSH on 2222, MQTT on 9883) for any-port
 * identification. Configs are generated into a work folder; nothing in /etc is touched, no init
 * system is used: every daemon runs in the foreground in its own process group, which `stop()` kills
 * before deleting the namespace. Scanners (Trawl, nmap) run inside via `execArgs`.
 *
 * `profile` selects the weak configuration (what the findings stage must flag) or its hardened twin.
 */

export interface DaemonLabOptions {
  /** Default 'weak'. */
  profile?: DaemonProfile;
  /** Network namespace name. Default `trawl-dlab`. A leftover namespace of that name is cleared first. */
  namespace?: string;
  /** Default: every daemon whose executable is installed. */
  daemons?: DaemonName[];
  /**
   * Parent of the lab's work folder (configs, keys, logs). Default the system temporary folder. The
   * work folder must be traversable by the daemons' own accounts (Exim's receiving processes).
   */
  stateDir?: string;
  /** 'throw' (default): a daemon that fails to start fails the lab; 'skip': it is listed in `skipped`. */
  onStartFailure?: 'throw' | 'skip';
  /** How long daemons get to accept connections. Default 20 s. */
  timeoutMs?: number;
  /** Keep the work folder after stop() (for looking at logs). Default false. */
  keepFiles?: boolean;
}

export interface DaemonEndpoint {
  daemon: DaemonName;
  ip: string;
  port: number;
  /** The daemon's lab hostname (in its certificate and banner); not resolvable — use `ip`. */
  hostname: string;
  expect: ServiceExpectation;
}

export interface DaemonLab {
  namespace: string;
  profile: DaemonProfile;
  endpoints: DaemonEndpoint[];
  skipped: { daemon: DaemonName; reason: string }[];
  /** Hardened daemons' secrets, for clients that must get in (tests, benchmarks). */
  credentials: Partial<Record<DaemonName, DaemonCredential>>;
  /** The test CA that signed the hardened certificates (undefined when none was made). */
  caCert: string | undefined;
  workDir: string;
  /** argv that runs a command inside the namespace. */
  execArgs(argv: string[]): string[];
  stop(): Promise<void>;
}

export const DEFAULT_DAEMON_LAB_NAMESPACE = 'trawl-dlab';

const PORT_WAIT = fileURLToPath(new URL('./daemons/port-wait-main.js', import.meta.url));

/** Why this process cannot run the daemon lab (tests skip with it), or undefined when it can. */
export function daemonLabProblem(): string | undefined {
  if (process.platform !== 'linux') return 'the daemon lab needs Linux network namespaces';
  if (process.getuid?.() !== 0) return `the daemon lab needs root (running as uid ${process.getuid?.() ?? '?'})`;
  if (findExecutable('ip') === undefined) return "iproute2's `ip` is not installed";
  return undefined;
}

function checkNamespace(ns: string): string {
  if (!/^[a-z0-9][a-z0-9-]{0,30}$/.test(ns)) {
    throw new TrawlError('TRAWL_E_BAD_OPTION', `daemon lab namespace '${ns}' must be 1-31 lowercase letters, digits or dashes`, { value: ns });
  }
  return ns;
}

function ipPath(): string {
  return findExecutable('ip') ?? 'ip';
}

function ip(args: readonly string[]): void {
  const r = spawnSync(ipPath(), args, { encoding: 'utf8', timeout: 15_000 });
  if (r.status !== 0) {
    const why = (r.stderr || r.error?.message || `exit ${r.status ?? r.signal}`).trim().slice(0, 400);
    throw new TrawlError('TRAWL_E_LAB', `daemon lab: ip ${args.join(' ')} failed: ${why}`, { command: `ip ${args.join(' ')}` });
  }
}

function nsFile(ns: string): string | undefined {
  for (const base of ['/run/netns', '/var/run/netns']) {
    try {
      statSync(join(base, ns));
      return join(base, ns);
    } catch {
      // try the next
    }
  }
  return undefined;
}

/**
 * Every process whose network namespace is `ns`, found by comparing /proc/<pid>/ns/net with the
 * namespace's inode (what `ip netns pids` does, without a process per poll).
 */
function namespacePids(ns: string): number[] {
  const file = nsFile(ns);
  if (file === undefined) return [];
  let want: string;
  try {
    want = `net:[${statSync(file).ino}]`;
  } catch {
    return [];
  }
  const out: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d) || Number(d) === process.pid) continue;
    try {
      if (readlinkSync(`/proc/${d}/ns/net`) === want) out.push(Number(d));
    } catch {
      // exited meanwhile, or a kernel thread
    }
  }
  return out;
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // already gone
  }
}

/** SIGTERM the groups, wait, SIGKILL what is left in the namespace, delete the namespace. */
async function teardown(ns: string, groups: readonly number[], graceMs = 3_000): Promise<void> {
  for (const g of groups) signal(-g, 'SIGTERM');
  for (const p of namespacePids(ns)) signal(p, 'SIGTERM');
  const alive = (): boolean => groups.some((g) => pidAlive(g)) || namespacePids(ns).length > 0;
  let deadline = Date.now() + graceMs;
  while (alive() && Date.now() < deadline) await sleep(50);
  if (alive()) {
    for (const g of groups) signal(-g, 'SIGKILL');
    for (const p of namespacePids(ns)) signal(p, 'SIGKILL');
    deadline = Date.now() + 2_000;
    while (alive() && Date.now() < deadline) await sleep(50);
  }
  if (nsFile(ns) !== undefined) spawnSync(ipPath(), ['netns', 'del', ns], { timeout: 15_000 });
}

/** Clears a daemon lab left behind by a crashed run: its processes, namespace and work folder. */
export async function clearDaemonLab(opts: { namespace?: string; stateDir?: string } = {}): Promise<void> {
  const ns = checkNamespace(opts.namespace ?? DEFAULT_DAEMON_LAB_NAMESPACE);
  await teardown(ns, []);
  rmSync(workDirOf(ns, opts.stateDir), { recursive: true, force: true });
}

function workDirOf(ns: string, stateDir: string | undefined): string {
  return join(stateDir ?? tmpdir(), `trawl-daemon-lab-${ns}`);
}

/** A fresh root-owned work folder; refuses a name someone else pre-created (shared /tmp). */
function freshWorkDir(path: string): string {
  rmSync(path, { recursive: true, force: true });
  mkdirSync(join(path, '..'), { recursive: true });
  try {
    mkdirSync(path, { mode: 0o755 });
    const st = lstatSync(path);
    if (!st.isDirectory() || st.uid !== process.getuid?.()) throw new Error('not a directory of ours');
  } catch (e) {
    throw new TrawlError('TRAWL_E_LAB', `daemon lab work folder '${path}' cannot be created: ${(e as Error).message}`, { path }, { cause: e });
  }
  return path;
}

interface Running {
  readonly spec: DaemonSpec;
  readonly ip: string;
  readonly dir: string;
  readonly log: string;
  readonly logs: readonly string[];
  readonly child: ChildProcess;
  exit?: string;
}

function tailOf(r: Running): string {
  const parts = [r.log, ...r.logs].map((f) => logTail(f, 800)).filter((t) => t !== '');
  return parts.join('\n').slice(-1_500) || 'no output';
}

/** Waits (from inside the namespace) until the ports accept, or every daemon is ready or dead. */
async function waitForPorts(ns: string, running: readonly Running[], timeoutMs: number): Promise<Set<string>> {
  const ready = new Set<string>();
  const targets = running.flatMap((r) => r.spec.ports.map((p) => `${r.ip}:${p.port}`));
  const helper = spawn(ipPath(), ['netns', 'exec', ns, process.execPath, PORT_WAIT, '--targets', targets.join(','), '--timeout', String(timeoutMs)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let buf = '';
  let stderr = '';
  helper.stderr.setEncoding('utf8').on('data', (d: string) => (stderr = (stderr + d).slice(-2_000)));
  const finished = new Promise<void>((resolve) => {
    helper.stdout.setEncoding('utf8').on('data', (d: string) => {
      buf += d;
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        try {
          const o = JSON.parse(line) as { ready?: unknown };
          if (typeof o.ready === 'string') ready.add(o.ready);
        } catch {
          // not ours
        }
      }
    });
    helper.once('close', () => resolve());
    helper.once('error', () => resolve());
  });
  // A daemon that died will never accept: stop waiting once nothing can change any more.
  let over = false;
  const settled = (async () => {
    while (!over) {
      const open = running.filter((r) => r.exit === undefined && r.spec.ports.some((p) => !ready.has(`${r.ip}:${p.port}`)));
      if (open.length === 0) return;
      await sleep(50);
    }
  })();
  await Promise.race([finished, settled]);
  over = true;
  if (helper.exitCode === null) helper.kill('SIGKILL');
  await finished;
  if (helper.exitCode === 2) throw new TrawlError('TRAWL_E_LAB', `daemon lab: port poller failed: ${stderr.trim()}`);
  return ready;
}

/** Starts the daemons; see the module comment. */
export async function startDaemonLab(opts: DaemonLabOptions = {}): Promise<DaemonLab> {
  const problem = daemonLabProblem();
  if (problem !== undefined) throw new TrawlError('TRAWL_E_PRIVILEGE', `cannot start the daemon lab: ${problem}`);
  const profile = opts.profile ?? 'weak';
  if (profile !== 'weak' && profile !== 'hardened') throw new TrawlError('TRAWL_E_BAD_OPTION', `daemon lab profile '${String(profile)}' must be weak or hardened`, { value: profile });
  const ns = checkNamespace(opts.namespace ?? DEFAULT_DAEMON_LAB_NAMESPACE);
  for (const d of opts.daemons ?? []) {
    if (!DAEMON_NAMES.includes(d)) throw new TrawlError('TRAWL_E_BAD_OPTION', `unknown daemon '${String(d)}' (known: ${DAEMON_NAMES.join(', ')})`, { value: d });
  }
  const wanted = DAEMON_CATALOGUE.filter((e) => opts.daemons === undefined || opts.daemons.includes(e.spec.name));
  const onFailure = opts.onStartFailure ?? 'throw';

  await teardown(ns, []);
  const workDir = freshWorkDir(workDirOf(ns, opts.stateDir));
  const skipped: DaemonLab['skipped'] = [];
  const credentials: DaemonLab['credentials'] = {};
  const running: Running[] = [];
  let pki: LabPki | undefined;
  const failures: string[] = [];
  let stopped: Promise<void> | undefined;

  const stop = (): Promise<void> => {
    stopped ??= (async () => {
      await teardown(ns, running.map((r) => r.child.pid).filter((p): p is number => p !== undefined));
      if (opts.keepFiles !== true) rmSync(workDir, { recursive: true, force: true });
    })();
    return stopped;
  };

  try {
    ip(['netns', 'add', ns]);
    ip(['-n', ns, 'link', 'set', 'lo', 'up']);

    for (const { spec, ip: addr } of wanted) {
      const executable = findExecutable(spec.executable);
      const missing = [spec.executable, ...(spec.helpers?.(profile) ?? [])].filter((x) => (x === spec.executable ? executable : findExecutable(x)) === undefined);
      if (executable === undefined || missing.length > 0) {
        skipped.push({ daemon: spec.name, reason: `not installed: ${missing.join(', ')} (Debian package ${spec.packages[0] ?? '?'})` });
        continue;
      }
      ip(['-n', ns, 'addr', 'add', `${addr}/32`, 'dev', 'lo']);
      const dir = join(workDir, spec.name);
      mkdirSync(dir, { mode: 0o755 });
      pki ??= new LabPki(join(workDir, 'pki'));
      const credential = profile === 'hardened' && spec.authenticates !== undefined
        ? { ...(spec.authenticates === 'user-password' ? { user: 'trawl-lab' } : {}), password: randomBytes(12).toString('hex') }
        : undefined;
      if (credential !== undefined) credentials[spec.name] = credential;
      let launch: DaemonLaunch;
      try {
        launch = spec.prepare({ profile, ip: addr, dir, hostname: daemonHostname(spec.name), pki, executable, ...(credential ? { credential } : {}) });
      } catch (e) {
        const reason = `preparation failed: ${e instanceof Error ? e.message : String(e)}`;
        delete credentials[spec.name];
        if (onFailure === 'skip') skipped.push({ daemon: spec.name, reason });
        else failures.push(`${spec.name}: ${reason}`);
        continue;
      }

      const log = join(dir, 'daemon.log');
      const fd = openSync(log, 'a', 0o644);
      let child: ChildProcess;
      try {
        // detached: its own process group, so stop() reaches the workers and children it forks.
        child = spawn(ipPath(), ['netns', 'exec', ns, ...launch.argv], { cwd: dir, detached: true, stdio: ['ignore', fd, fd] });
      } finally {
        closeSync(fd);
      }
      const r: Running = { spec, ip: addr, dir, log, logs: launch.logs, child };
      child.once('exit', (code, sig) => (r.exit = sig !== null ? `killed by ${sig}` : `exited with code ${code ?? '?'}`));
      child.once('error', (e) => (r.exit = `could not be started: ${e.message}`));
      child.unref();
      running.push(r);
    }

    const timeoutMs = opts.timeoutMs ?? 20_000;
    const ready = running.length > 0 ? await waitForPorts(ns, running, timeoutMs) : new Set<string>();
    for (const r of [...running]) {
      const notReady = r.spec.ports.filter((p) => !ready.has(`${r.ip}:${p.port}`)).map((p) => p.port);
      if (r.exit === undefined && notReady.length === 0) continue;
      const why = r.exit !== undefined ? `${r.spec.executable} ${r.exit}` : `not accepting on ${r.ip}:${notReady.join(',')} after ${timeoutMs} ms`;
      const reason = `${why}: ${tailOf(r)}`;
      failures.push(`${r.spec.name}: ${reason}`);
      if (onFailure === 'skip') {
        skipped.push({ daemon: r.spec.name, reason });
        delete credentials[r.spec.name];
        if (r.child.pid !== undefined) signal(-r.child.pid, 'SIGKILL');
        running.splice(running.indexOf(r), 1);
      }
    }
    if (failures.length > 0 && onFailure === 'throw') {
      throw new TrawlError('TRAWL_E_LAB', `daemon lab: ${failures.length} daemon(s) failed to start:\n${failures.join('\n')}`, { failures });
    }

    const endpoints: DaemonEndpoint[] = running.flatMap((r) => {
      const pkg = installedPackage(r.spec.packages);
      const version = pkg === undefined ? undefined : (r.spec.announcedVersion ?? upstreamVersion)(pkg.version);
      return r.spec.ports.map((p) => ({
        daemon: r.spec.name,
        ip: r.ip,
        port: p.port,
        hostname: daemonHostname(r.spec.name),
        expect: {
          name: p.name,
          product: r.spec.product,
          ...(version !== undefined ? { version } : {}),
          ...(p.tunnel !== undefined ? { tunnel: p.tunnel } : {}),
          ...(pkg !== undefined ? { package: pkg } : {}),
        },
      }));
    });
    const caCert = pki !== undefined && profile === 'hardened' ? pki.caCert : undefined;
    return {
      namespace: ns,
      profile,
      endpoints,
      skipped,
      credentials,
      caCert,
      workDir,
      execArgs: (argv) => [ipPath(), 'netns', 'exec', ns, ...argv],
      stop,
    };
  } catch (e) {
    await stop();
    throw e;
  }
}
