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
import { existsSync } from 'node:fs';
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
