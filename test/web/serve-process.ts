/**
 * `trawl serve` as a user runs it: a child process of this build's CLI over a SQLite file in a fresh
 * temporary directory, listening on 127.0.0.1 (an ephemeral port), with the first organisation and
 * its admin key bootstrapped from the command line. Everything else — the dashboard user, its
 * password, assessments — goes through the public HTTP API, so the tests drive whatever the serve
 * command builds (in-process runner or embedded fleet workers) and nothing internal.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureWebBuilt } from './web-harness.js';

/** This build's `trawl` (bin/trawl.js always loads dist/). */
const serveCli = fileURLToPath(new URL('../cli/build-cli.js', import.meta.url));
const TOKEN = /trawl_[0-9a-z]{12}_[A-Za-z0-9_-]{43}/;
const LISTENING = /listening on (http:\/\/[^\s]+) \(/;
const MAX_LOG = 400_000;

export interface ApiResponse<T> {
  readonly status: number;
  readonly body: T;
}

export interface ServeProcess {
  readonly url: string;
  readonly adminToken: string;
  readonly orgId: string;
  /** A dashboard user (role admin) with a password, made through POST /users. */
  readonly user: { readonly id: string; readonly email: string; readonly password: string; readonly displayName: string };
  readonly child: ChildProcess;
  /** What the server wrote to stderr so far (its request log and errors), for failure messages. */
  log(): string;
  /** A call to the API with the admin key (or the given headers instead). */
  api<T = Record<string, unknown>>(method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', path: string, body?: unknown, headers?: Record<string, string>): Promise<ApiResponse<T>>;
  /** SIGTERM (as Ctrl-C would), then SIGKILL after 20 s; removes the temporary directory. */
  stop(): Promise<void>;
}

export interface ServeOptions {
  /** Declared scope of the bootstrapped organisation. */
  readonly scope: readonly string[];
  readonly args?: readonly string[];
}

export async function startTrawlServe(o: ServeOptions): Promise<ServeProcess> {
  await ensureWebBuilt();
  const dir = mkdtempSync(join(tmpdir(), 'trawl-serve-'));
  const args = [
    serveCli, 'serve', '--db', join(dir, 'trawl.db'), '--listen', '127.0.0.1:0', '--org', 'lab-org', '--scope', o.scope.join(','),
    // The dashboard makes many small requests (pages, SSE, polling); the per-minute budget is not under test here.
    '--rate-limit', '100000', '--schedule-poll-ms', '1000',
    ...(o.args ?? []),
  ];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env: process.env });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => {
    if (stdout.length < MAX_LOG) stdout += d.toString();
  });
  child.stderr!.on('data', (d: Buffer) => {
    stderr += d.toString();
    if (stderr.length > MAX_LOG) stderr = stderr.slice(-MAX_LOG / 2);
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  let stopped: Promise<void> | undefined;
  const stop = (): Promise<void> => (stopped ??= (async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      await exited;
      clearTimeout(killer);
    }
    rmSync(dir, { recursive: true, force: true });
  })());

  try {
    const ready = await new Promise<{ url: string; token: string }>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`trawl serve did not start within 60 s:\n${stdout}\n${stderr}`)), 60_000);
      const poll = setInterval(() => {
        const token = TOKEN.exec(stdout)?.[0];
        const url = LISTENING.exec(stderr)?.[1];
        if (token && url) {
          clearInterval(poll);
          clearTimeout(timer);
          resolve({ url, token });
        }
      }, 50);
      void exited.then(({ code, signal }) => {
        clearInterval(poll);
        clearTimeout(timer);
        reject(new Error(`trawl serve exited (${code ?? signal}) before it listened:\n${stdout}\n${stderr}`));
      });
    });
    const api = async <T>(method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', path: string, body?: unknown, headers?: Record<string, string>): Promise<ApiResponse<T>> => {
      const r = await fetch(`${ready.url}${path}`, {
        method,
        headers: { ...(headers ?? { authorization: `Bearer ${ready.token}` }), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
      const text = await r.text();
      return { status: r.status, body: (text === '' ? undefined : JSON.parse(text)) as T };
    };
    const me = await api<{ orgId: string }>('GET', '/me');
    if (me.status !== 200) throw new Error(`GET /me with the bootstrapped key: ${me.status} ${JSON.stringify(me.body)}`);
    const user = { email: 'ada@example.test', displayName: 'Ada Analyst', password: 'correct horse battery staple' };
    const made = await api<{ id: string }>('POST', '/users', { email: user.email, displayName: user.displayName, role: 'admin' });
    if (made.status !== 201) throw new Error(`POST /users: ${made.status} ${JSON.stringify(made.body)}`);
    const pw = await api('PUT', `/users/${made.body.id}/password`, { password: user.password });
    if (pw.status !== 204) throw new Error(`PUT /users/{id}/password: ${pw.status} ${JSON.stringify(pw.body)}`);
    return {
      url: ready.url, adminToken: ready.token, orgId: me.body.orgId, user: { ...user, id: made.body.id }, child,
      log: () => stderr, api, stop,
    };
  } catch (e) {
    await stop();
    throw e;
  }
}
