import { spawn } from 'node:child_process';
import { closeSync, lstatSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { TrawlError } from '../errors/index.js';

/**
 * Where the labs keep their state (pids, ground truth, logs): `$TRAWL_LAB_STATE`, else a per-user
 * folder in the temporary directory, so `lab down` finds what `lab up` started.
 */
export function labStateDir(): string {
  const env = process.env['TRAWL_LAB_STATE'];
  if (env !== undefined && env !== '') return env;
  return join(tmpdir(), `trawl-lab-${process.getuid?.() ?? 'user'}`);
}

/**
 * Creates the folder (0700) and checks it is a real directory of ours: a shared /tmp lets anyone
 * pre-create the name, possibly as a symlink pointing somewhere we would then write into.
 */
export function ensureStateDir(dir: string): string {
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const st = lstatSync(dir);
    const uid = process.getuid?.();
    if (!st.isDirectory() || (uid !== undefined && st.uid !== uid)) {
      throw new TrawlError('TRAWL_E_LAB', `lab state folder '${dir}' is not a directory owned by this user; set TRAWL_LAB_STATE to another folder`, { path: dir });
    }
    return dir;
  } catch (e) {
    if (e instanceof TrawlError) throw e;
    throw new TrawlError('TRAWL_E_LAB', `lab state folder '${dir}' cannot be created: ${(e as Error).message}`, { path: dir }, { cause: e });
  }
}

/** Write-then-rename, so a reader polling the file never sees half a document. */
export function writeJsonAtomic(path: string, value: unknown): void {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(value, null, 2)}\n`, { mode: 0o600 });
  renameSync(tmp, path);
}

const MAX_STATE_BYTES = 16 * 1024 * 1024;

/** Reads a JSON state file; undefined when absent, unreadable, oversized or malformed. */
export function readJsonFile(path: string): unknown {
  try {
    const st = lstatSync(path);
    if (!st.isFile() || st.size > MAX_STATE_BYTES) return undefined;
    return JSON.parse(readFileSync(path, 'utf8')) as unknown;
  } catch {
    return undefined;
  }
}

export function removeFile(path: string): void {
  rmSync(path, { force: true });
}

export function pidAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  // A zombie still answers kill(0) until its parent reaps it; where no init reaps orphans it never goes.
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return process.platform !== 'linux';
  }
}

/**
 * True when `pid` still runs a command line containing `marker`. Guards against signalling an
 * unrelated process that inherited a recycled pid from a stale state file. Without /proc, trusts
 * the pid.
 */
export function pidRuns(pid: number, marker: string): boolean {
  if (!pidAlive(pid)) return false;
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'latin1').includes(marker);
  } catch {
    return process.platform !== 'linux';
  }
}

/** SIGTERM, then SIGKILL once `graceMs` has passed; resolves when the process is gone. */
export async function terminate(pid: number, graceMs: number): Promise<void> {
  const signal = (sig: NodeJS.Signals): void => {
    try {
      process.kill(pid, sig);
    } catch {
      // already gone
    }
  };
  signal('SIGTERM');
  const deadline = Date.now() + graceMs;
  while (pidAlive(pid) && Date.now() < deadline) await sleep(25);
  if (!pidAlive(pid)) return;
  signal('SIGKILL');
  const hard = Date.now() + 2_000;
  while (pidAlive(pid) && Date.now() < hard) await sleep(25);
}

/** The last `maxBytes` of a log file, for error messages about a child that died. */
export function logTail(path: string, maxBytes = 2_000): string {
  try {
    const text = readFileSync(path, 'utf8');
    return text.slice(-maxBytes).trim();
  } catch {
    return '';
  }
}

/** A lab daemon started in the background, its output appended to a log file. */
export interface DetachedProcess {
  readonly pid: number | undefined;
  /** The exit code once the process has ended (-1 when it could not start); undefined while it runs. */
  exitCode(): number | null | undefined;
}

/** Starts `command` detached from this process (it outlives the CLI that started the lab). */
export function spawnDetached(command: string, args: readonly string[], log: string): DetachedProcess {
  const fd = openSync(log, 'a', 0o600);
  let child;
  try {
    child = spawn(command, args, { detached: true, stdio: ['ignore', fd, fd] });
  } finally {
    closeSync(fd);
  }
  let exited: number | null | undefined;
  child.on('exit', (code) => (exited = code));
  child.on('error', () => (exited = -1));
  child.unref();
  return { pid: child.pid, exitCode: () => exited };
}
