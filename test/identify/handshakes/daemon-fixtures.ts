/**
 * Real Debian daemons in a network namespace of the test's own, for the handshake tests. The
 * namespace has only a loopback interface, and the probes run inside it too (`ip netns exec`), so
 * nothing can leave the machine. (src/lab/daemon-lab.ts did not exist when this was written; once it
 * does, these helpers can give way to it.)
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { accessSync, chmodSync, chownSync, closeSync, constants, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';

const PATHS = ['/usr/sbin', '/usr/bin', '/sbin', '/bin', '/usr/lib/postgresql/15/bin'];

export function findBinary(name: string): string | undefined {
  if (name.startsWith('/')) {
    try {
      accessSync(name, constants.X_OK);
      return name;
    } catch {
      return undefined;
    }
  }
  for (const d of [...(process.env['PATH'] ?? '').split(':'), ...PATHS]) {
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

/** Why daemons cannot run here, or undefined when they can. */
export function namespaceProblem(): string | undefined {
  if (process.platform !== 'linux') return 'network namespaces need Linux';
  if (process.getuid?.() !== 0) return `real-daemon tests need root to create a network namespace (uid ${process.getuid?.() ?? '?'})`;
  if (findBinary('ip') === undefined) return "iproute2's ip is not installed";
  if (findBinary('ss') === undefined) return "iproute2's ss is not installed";
  return undefined;
}

function run(cmd: string, args: readonly string[], opts: { uid?: number } = {}): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 60_000, ...opts });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${(r.stderr || r.stdout || String(r.error ?? r.signal)).trim().slice(0, 800)}`);
  return r.stdout;
}

export interface DaemonSpec {
  readonly name: string;
  /** Binaries that must exist; the daemon is skipped (with the reason) when one is missing. */
  readonly needs: readonly string[];
  /** TCP ports on 127.0.0.1 that must be listening before the daemon counts as up. */
  readonly ports: readonly number[];
  /** Writes config into `dir` (a per-daemon folder) and returns the command line. */
  prepare(dir: string, ns: DaemonNamespace): string[];
}

export interface ProbeOutcome {
  readonly result?: unknown;
  readonly error?: string;
  readonly ms: number;
}

export class DaemonNamespace {
  readonly ns: string;
  readonly dir: string;
  readonly #children: ChildProcess[] = [];
  /** Daemons that are up, and why the others are not. */
  readonly started = new Set<string>();
  readonly skipped = new Map<string, string>();

  private constructor(ns: string, dir: string) {
    this.ns = ns;
    this.dir = dir;
  }

  static create(prefix = 'trawl-hs'): DaemonNamespace {
    const ns = `${prefix}-${process.pid}`;
    const dir = mkdtempSync(join(tmpdir(), `${prefix}-`));
    // Daemons that drop privileges (postgres, exim, mosquitto) must be able to reach their files.
    chmodSync(dir, 0o755);
    if (spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout.split('\n').some((l) => l.split(' ')[0] === ns)) run('ip', ['netns', 'del', ns]);
    run('ip', ['netns', 'add', ns]);
    run('ip', ['netns', 'exec', ns, 'ip', 'link', 'set', 'lo', 'up']);
    return new DaemonNamespace(ns, dir);
  }

  /** Runs a setup command inside the namespace (e.g. initdb). */
  exec(argv: readonly string[]): string {
    return run('ip', ['netns', 'exec', this.ns, ...argv]);
  }

  listening(): Set<number> {
    const out = spawnSync('ip', ['netns', 'exec', this.ns, 'ss', '-Htln'], { encoding: 'utf8' }).stdout;
    const ports = new Set<number>();
    for (const line of out.split('\n')) {
      const m = /\s(?:127\.0\.0\.1|0\.0\.0\.0|\*|\[::1?\]):(\d+)\s/.exec(line);
      if (m !== null) ports.add(Number(m[1]));
    }
    return ports;
  }

  /** Starts every daemon whose binaries exist and waits until each listens; failures are recorded. */
  async startAll(specs: readonly DaemonSpec[], timeoutMs = 20_000): Promise<void> {
    const waiting: { spec: DaemonSpec; child: ChildProcess; log: string }[] = [];
    for (const spec of specs) {
      const missing = spec.needs.find((b) => findBinary(b) === undefined);
      if (missing !== undefined) {
        this.skipped.set(spec.name, `${missing} is not installed`);
        continue;
      }
      const dir = join(this.dir, spec.name);
      mkdirSync(dir, { recursive: true, mode: 0o755 });
      let argv: string[];
      try {
        argv = spec.prepare(dir, this);
      } catch (e) {
        this.skipped.set(spec.name, `setup failed: ${(e as Error).message}`);
        continue;
      }
      const log = join(dir, 'daemon.log');
      const fd = openSync(log, 'w');
      const child = spawn('ip', ['netns', 'exec', this.ns, ...argv], { stdio: ['ignore', fd, fd], detached: true });
      closeSync(fd);
      child.on('error', () => undefined);
      this.#children.push(child);
      waiting.push({ spec, child, log });
    }
    const deadline = performance.now() + timeoutMs;
    while (waiting.length > 0) {
      const up = this.listening();
      for (let i = waiting.length - 1; i >= 0; i--) {
        const w = waiting[i]!;
        if (w.spec.ports.every((p) => up.has(p))) {
          this.started.add(w.spec.name);
          waiting.splice(i, 1);
        } else if (w.child.exitCode !== null || performance.now() > deadline) {
          this.skipped.set(w.spec.name, `did not come up (exit ${w.child.exitCode ?? 'none'}): ${readFileSync(w.log, 'utf8').slice(-600)}`);
          waiting.splice(i, 1);
        }
      }
      if (waiting.length > 0) await sleep(100);
    }
  }

  /** Runs the probe script inside the namespace: every handshake there talks to the daemons. */
  probe(plan: readonly Record<string, unknown>[], timeoutMs = 45_000): Promise<Record<string, ProbeOutcome>> {
    const script = join(dirname(fileURLToPath(import.meta.url)), 'handshake-probe-main.js');
    return new Promise((resolve, reject) => {
      const child = spawn('ip', ['netns', 'exec', this.ns, process.execPath, script, JSON.stringify(plan)], { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString('utf8')));
      child.stderr.on('data', (d: Buffer) => (err += d.toString('utf8')));
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      child.on('close', (code) => {
        clearTimeout(timer);
        if (code !== 0) return reject(new Error(`probe script exited ${code}: ${err.slice(-2000)}`));
        try {
          resolve(JSON.parse(out) as Record<string, ProbeOutcome>);
        } catch (e) {
          reject(new Error(`probe script printed no JSON (${(e as Error).message}): ${out.slice(0, 500)} ${err.slice(-1000)}`));
        }
      });
    });
  }

  /** Stops the daemons this namespace started (by their process groups), then deletes it. */
  async destroy(): Promise<void> {
    for (const c of this.#children) {
      if (c.pid !== undefined && c.exitCode === null) {
        try {
          process.kill(-c.pid, 'SIGTERM');
        } catch {
          // already gone
        }
      }
    }
    const deadline = performance.now() + 5000;
    while (this.#children.some((c) => c.exitCode === null && c.signalCode === null) && performance.now() < deadline) await sleep(50);
    // Anything still inside the namespace was started by these daemons: end it by its pid.
    for (const pid of spawnSync('ip', ['netns', 'pids', this.ns], { encoding: 'utf8' }).stdout.split(/\s+/).filter((s) => /^\d+$/.test(s)).map(Number)) {
      if (pid === process.pid) continue;
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
    for (const c of this.#children) {
      if (c.pid !== undefined && c.exitCode === null && c.signalCode === null) {
        try {
          process.kill(-c.pid, 'SIGKILL');
        } catch {
          // gone
        }
      }
    }
    spawnSync('ip', ['netns', 'del', this.ns]);
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** A self-signed certificate, or a CA and a leaf it signed, made with the openssl CLI. */
export function makeCertificates(dir: string): { selfCert: string; selfKey: string; chainCert: string; chainKey: string; caCert: string } {
  const p = (n: string): string => join(dir, n);
  run('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', p('self.key'), '-out', p('self.pem'), '-subj', '/CN=trawl.test/O=Trawl Lab', '-days', '30', '-addext', 'subjectAltName=DNS:trawl.test,DNS:www.trawl.test,IP:127.0.0.1']);
  run('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-384', '-nodes', '-keyout', p('ca.key'), '-out', p('ca.pem'), '-subj', '/CN=Trawl Test CA', '-days', '60', '-addext', 'basicConstraints=critical,CA:TRUE']);
  run('openssl', ['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', p('leaf.key'), '-out', p('leaf.csr'), '-subj', '/CN=leaf.trawl.test']);
  writeFileSync(p('leaf.ext'), 'subjectAltName=DNS:leaf.trawl.test\nbasicConstraints=CA:FALSE\n');
  run('openssl', ['x509', '-req', '-in', p('leaf.csr'), '-CA', p('ca.pem'), '-CAkey', p('ca.key'), '-CAcreateserial', '-out', p('leaf.pem'), '-days', '20', '-sha384', '-extfile', p('leaf.ext')]);
  writeFileSync(p('fullchain.pem'), readFileSync(p('leaf.pem'), 'utf8') + readFileSync(p('ca.pem'), 'utf8'));
  return { selfCert: p('self.pem'), selfKey: p('self.key'), chainCert: p('fullchain.pem'), chainKey: p('leaf.key'), caCert: p('ca.pem') };
}

export function chownTree(path: string, user: string): void {
  const uid = Number(run('id', ['-u', user]).trim());
  const gid = Number(run('id', ['-g', user]).trim());
  run('chown', ['-R', `${uid}:${gid}`, path]);
  chownSync(path, uid, gid);
}
