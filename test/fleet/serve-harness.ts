/**
 * Test plumbing for `trawl serve` as a real process of this build (see fleet-cli.ts): start it on a
 * free loopback port, read its admin key, call its API; run `trawl worker`, `trawl status` and
 * `trawl scan` processes beside it; read what a scan recorded (ports, services, findings) from a
 * store file, to compare a fleet run with a clean single-process `trawl scan`.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { openFleetStore } from '../../src/fleet/fleet-connections.js';
import { openSqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import type { Store } from '../../src/store/store.js';

export const fleetCli = fileURLToPath(new URL('./fleet-cli.js', import.meta.url));
export const poisonWorker = fileURLToPath(new URL('./poison-worker.js', import.meta.url));

export interface Proc {
  readonly child: ChildProcess;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stdout: string;
  stderr: string;
}

/** Runs `node <script> <args>` with its output captured. */
export function spawnNode(script: string, args: readonly string[], env: NodeJS.ProcessEnv = {}): Proc {
  const child = spawn(process.execPath, [script, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  const p: Proc = {
    child, stdout: '', stderr: '',
    exited: new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal }))),
  };
  child.stdout?.on('data', (d: Buffer) => { if (p.stdout.length < 1_000_000) p.stdout += d.toString(); });
  child.stderr?.on('data', (d: Buffer) => { if (p.stderr.length < 1_000_000) p.stderr += d.toString(); });
  return p;
}

/** `trawl <args>` of this build, to completion. */
export async function runCli(args: readonly string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const p = spawnNode(fleetCli, args);
  const { code } = await p.exited;
  return { code, stdout: p.stdout, stderr: p.stderr };
}

export interface ServeProcess extends Proc {
  readonly url: string;
  /** The admin key printed on the first start of a database (undefined on later starts). */
  readonly token: string | undefined;
  /** SIGTERM, then the exit code. */
  stop(): Promise<number | null>;
}

/** `trawl serve --listen 127.0.0.1:0 <args>`, resolved once it listens. */
export async function startServe(args: readonly string[]): Promise<ServeProcess> {
  const p = spawnNode(fleetCli, ['serve', '--listen', '127.0.0.1:0', ...args]);
  const deadline = Date.now() + 30_000;
  let url: string | undefined;
  while (url === undefined) {
    url = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(p.stderr)?.[1];
    if (url !== undefined) break;
    if (p.child.exitCode !== null || Date.now() > deadline) {
      p.child.kill('SIGKILL');
      throw new Error(`trawl serve did not start:\n${p.stderr}`);
    }
    await sleep(50);
  }
  const token = /^(trawl_\S+)$/m.exec(p.stdout)?.[1];
  return {
    ...p, url, token,
    get stdout() { return p.stdout; },
    get stderr() { return p.stderr; },
    async stop() {
      if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGTERM');
      return (await p.exited).code;
    },
  };
}

export type Api = <T = Record<string, unknown>>(method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', path: string, body?: unknown) => Promise<{ status: number; body: T }>;

export function apiClient(url: string, token: string): Api {
  return async <T>(method: string, path: string, body?: unknown) => {
    const r = await fetch(`${url}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await r.text();
    return { status: r.status, body: (text === '' ? {} : JSON.parse(text)) as T };
  };
}

export async function waitFor(what: string, cond: () => Promise<boolean>, ms = 120_000, detail?: () => Promise<string>): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) assert.fail(`timed out after ${ms} ms waiting for ${what}${detail ? `\n${await detail()}` : ''}`);
    await sleep(200);
  }
}

/** What a scan recorded, as comparable sorted keys: open ports, service identities, findings. */
export interface ScanSnapshot {
  readonly ports: string[];
  readonly services: string[];
  readonly findings: string[];
}

export async function snapshotOf(store: Store, scanId: string): Promise<ScanSnapshot> {
  const ports: string[] = [];
  const services: string[] = [];
  const findings: string[] = [];
  for await (const o of store.listPortObservations(scanId, { state: 'open' })) {
    const at = `${o.ip}:${o.port}`;
    ports.push(at);
    if (o.service) services.push(`${at} ${o.service.name}|${o.service.product ?? ''}|${o.service.version ?? ''}|${o.service.tunnel ?? ''}`);
    for (const f of o.findings ?? []) findings.push(`${at} ${f.check_id}`);
  }
  return { ports: ports.sort(), services: services.sort(), findings: findings.sort() };
}

/** The snapshot of a scan in a store: a SQLite file or a postgres:// URL. */
export async function snapshotOfFile(path: string, scanId: string): Promise<ScanSnapshot> {
  const store = await openFleetStore(path);
  try {
    return await snapshotOf(store, scanId);
  } finally {
    await store.close();
  }
}

/**
 * The reference: a clean single-process `trawl scan -sV --checks safe` of the same targets and ports,
 * whose results a fleet run must equal (no port, service or finding missing or twice).
 */
export async function referenceScan(dbPath: string, targets: string, ports: readonly number[], extra: readonly string[] = []): Promise<{ scanId: string; snapshot: ScanSnapshot }> {
  const r = await runCli(['scan', targets, '-p', ports.join(','), '-sV', '--checks', 'safe', '--db', dbPath, '-q', ...extra]);
  assert.equal(r.code, 0, r.stderr);
  const store = await openSqliteStore(dbPath);
  try {
    const scan = await store.findScan('latest');
    assert.ok(scan);
    return { scanId: scan.id, snapshot: await snapshotOf(store, scan.id) };
  } finally {
    await store.close();
  }
}
