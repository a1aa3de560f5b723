/**
 * Test plumbing for the fleet: a private Redis on a unix socket, a throwaway PostgreSQL database
 * reached through the server's socket directory, and worker processes run inside a namespace lab.
 *
 * Why unix sockets: workers must run in the lab's scanner namespace (the field is reachable only from
 * there, and that namespace has no route anywhere else), so they cannot reach 127.0.0.1 of the host.
 * A unix socket is a filesystem path, which network namespaces do not partition: Redis and
 * PostgreSQL listening on sockets serve workers inside the namespace without giving it any route.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync } from 'node:fs';
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { netnsExecArgs } from '../../src/lab/netns-lab.js';

export const fleetCli = fileURLToPath(new URL('./fleet-cli.js', import.meta.url));
export const PG_SOCKET_DIR = '/var/run/postgresql';
const ADMIN_URL = process.env.TRAWL_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** Why the fleet tests cannot run here, or undefined. */
export function fleetProblem(): string | undefined {
  if (spawnSync('redis-server', ['--version']).status !== 0) return 'redis-server is not installed';
  if (!existsSync(join(PG_SOCKET_DIR, '.s.PGSQL.5432'))) return `no PostgreSQL socket in ${PG_SOCKET_DIR}`;
  return undefined;
}

/** A redis-server of the test's own, on a unix socket only (no TCP port), without persistence. */
export class PrivateRedis {
  #child: ChildProcess | undefined;
  readonly socket: string;

  constructor(dir: string) {
    this.socket = join(dir, 'redis.sock');
  }

  get url(): string {
    return `unix://${this.socket}`;
  }

  async start(): Promise<void> {
    const child = spawn('redis-server', ['--port', '0', '--unixsocket', this.socket, '--unixsocketperm', '770', '--save', '', '--appendonly', 'no', '--daemonize', 'no', '--loglevel', 'warning'], { stdio: 'ignore' });
    this.#child = child;
    for (let i = 0; i < 100; i++) {
      if (existsSync(this.socket) && spawnSync('redis-cli', ['-s', this.socket, 'ping'], { encoding: 'utf8' }).stdout.trim() === 'PONG') return;
      await sleep(50);
    }
    throw new Error('private redis-server did not start');
  }

  /** Stops it without saving: everything queued is gone, as after a crash of a non-persistent Redis. */
  async stop(): Promise<void> {
    const child = this.#child;
    this.#child = undefined;
    if (child === undefined || child.exitCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
  }
}

export class PgDatabase {
  readonly name: string;
  readonly #admin = new pg.Pool({ connectionString: ADMIN_URL, max: 2 });

  constructor(name: string) {
    this.name = name;
    this.#admin.on('error', () => {});
  }

  /** The URL through the socket directory (the host= parameter wins over the authority): what workers inside a namespace use. */
  get socketUrl(): string {
    return `postgres://postgres@localhost/${this.name}?host=${encodeURIComponent(PG_SOCKET_DIR)}`;
  }

  async create(): Promise<void> {
    await this.#admin.query(`create database ${this.name}`);
  }

  async query<R extends pg.QueryResultRow>(text: string, values: unknown[] = []): Promise<R[]> {
    const u = new URL(ADMIN_URL);
    u.pathname = `/${this.name}`;
    const client = new pg.Client({ connectionString: u.href });
    await client.connect();
    try {
      return (await client.query<R>(text, values)).rows;
    } finally {
      await client.end();
    }
  }

  async drop(): Promise<void> {
    await this.#admin.query(`drop database if exists ${this.name} with (force)`);
    await this.#admin.end();
  }
}

export interface WorkerProcess {
  readonly child: ChildProcess;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stderr: string;
}

/** `trawl worker` inside the lab's scanner namespace (`ip netns exec` execs it: the pid is the worker's). */
export function spawnWorkerInNamespace(instance: string, args: readonly string[]): WorkerProcess {
  const argv = netnsExecArgs([process.execPath, fleetCli, 'worker', ...args], instance);
  const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'ignore', 'pipe'] });
  const w: WorkerProcess = {
    child,
    stderr: '',
    exited: new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal }))),
  };
  child.stderr?.on('data', (d: Buffer) => {
    if (w.stderr.length < 200_000) w.stderr += d.toString();
  });
  return w;
}

/** `trawl <args>` (this build) inside the namespace, to completion. */
export function runCliInNamespace(instance: string, args: readonly string[]): Promise<{ code: number | null; stderr: string }> {
  const argv = netnsExecArgs([process.execPath, fleetCli, ...args], instance);
  const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => { stderr += d.toString(); });
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, stderr })));
}

const PG_BIN = '/usr/lib/postgresql/15/bin';

/** Why a private PostgreSQL cluster cannot be run here, or undefined. */
export function privatePostgresProblem(): string | undefined {
  if (!existsSync(join(PG_BIN, 'initdb')) || !existsSync(join(PG_BIN, 'pg_ctl'))) return `no initdb/pg_ctl in ${PG_BIN}`;
  if (process.getuid?.() !== 0) return 'not root: the private cluster runs as the postgres OS user through runuser';
  if (spawnSync('id', ['-u', 'postgres']).status !== 0) return 'no postgres OS user';
  return undefined;
}

/** A TCP port nobody listens on right now on 127.0.0.1. */
export async function freeLoopbackPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve, reject) => {
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/**
 * A PostgreSQL cluster of the test's own (never the machine's shared one, which other tests use), so
 * the test may crash and restart it. initdb'd as the postgres OS user (the server refuses to run as
 * root) into a temp dir, trust auth, listening on 127.0.0.1 at a free port and on a private socket dir.
 */
export class PrivatePostgres {
  readonly dir: string;
  readonly data: string;
  readonly sockets: string;
  port = 0;

  constructor(dir: string) {
    this.dir = join(dir, 'pg');
    this.data = join(this.dir, 'data');
    this.sockets = join(this.dir, 'sock');
  }

  /** The URL of its `postgres` database over TCP, at `port` (the server's own unless given: a proxy's). */
  url(port = this.port): string {
    return `postgres://postgres@127.0.0.1:${port}/postgres`;
  }

  #pg(args: readonly string[]): void {
    const r = spawnSync('runuser', ['-u', 'postgres', '--', ...args], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`${args.join(' ')} failed (${r.status}): ${r.stderr}${r.stdout}`);
  }

  /** initdb (first time) and start; resolves once it accepts connections. */
  async start(): Promise<void> {
    if (!existsSync(this.data)) {
      mkdirSync(this.sockets, { recursive: true });
      spawnSync('chown', ['-R', 'postgres:postgres', this.dir]);
      chmodSync(join(this.dir, '..'), 0o755);
      this.#pg([join(PG_BIN, 'initdb'), '-D', this.data, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8']);
      this.port = await freeLoopbackPort();
    }
    const opts = `-p ${this.port} -k ${this.sockets} -c listen_addresses=127.0.0.1 -c max_connections=100`;
    this.#pg([join(PG_BIN, 'pg_ctl'), '-D', this.data, '-o', opts, '-l', join(this.dir, 'log'), '-w', '-t', '30', 'start']);
  }

  /** Stops it; `immediate` is a crash (no checkpoint, every session dropped; recovery on the next start). */
  async stop(mode: 'immediate' | 'fast' = 'fast'): Promise<void> {
    if (!existsSync(join(this.data, 'postmaster.pid'))) return;
    this.#pg([join(PG_BIN, 'pg_ctl'), '-D', this.data, '-m', mode, '-w', 'stop']);
  }

  async restart(downMs: number): Promise<void> {
    await this.stop('immediate');
    await sleep(downMs);
    await this.start();
  }
}

/**
 * A TCP proxy on 127.0.0.1 between workers and a server, which can be cut: every connection through it
 * dropped and new ones reset at once (the workers see a network partition from the store), then restored.
 */
export class CuttableProxy {
  readonly #server: Server;
  readonly #open = new Set<Socket>();
  #cut = false;
  connections = 0;

  private constructor(server: Server) {
    this.#server = server;
  }

  static async start(target: { host: string; port: number }): Promise<CuttableProxy> {
    const server = createServer();
    const proxy = new CuttableProxy(server);
    server.on('connection', (client) => proxy.#accept(client, target));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    return proxy;
  }

  get port(): number {
    return (this.#server.address() as AddressInfo).port;
  }

  #accept(client: Socket, target: { host: string; port: number }): void {
    client.on('error', () => {});
    if (this.#cut) {
      client.resetAndDestroy();
      return;
    }
    this.connections++;
    const upstream = connect(target.port, target.host);
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
    this.#open.add(client).add(upstream);
    client.on('close', () => this.#open.delete(client));
    upstream.on('close', () => this.#open.delete(upstream));
    client.pipe(upstream);
    upstream.pipe(client);
  }

  /** Partition: reset every connection through the proxy and every new one until `restore`. */
  cut(): void {
    this.#cut = true;
    for (const s of this.#open) s.resetAndDestroy();
    this.#open.clear();
  }

  restore(): void {
    this.#cut = false;
  }

  async close(): Promise<void> {
    this.cut();
    await new Promise<void>((r) => this.#server.close(() => r()));
  }
}
