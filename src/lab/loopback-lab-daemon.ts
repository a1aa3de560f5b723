import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { TrawlError } from '../errors/index.js';
import { ensureStateDir, labStateDir, logTail, pidRuns, readJsonFile, removeFile, spawnDetached, terminate } from './lab-state.js';
import { DEFAULT_LAB_SEED, DEFAULT_LOOPBACK_SUBNET, checkLoopbackSubnet, type LabEndpoint, type LabService } from './loopback-lab.js';

/** What the background lab publishes in `<state dir>/loopback.json` once every service listens. */
export interface LoopbackLabState {
  readonly pid: number;
  readonly ready: boolean;
  readonly cidr: string;
  readonly seed: number;
  readonly startedAt: string;
  readonly services: readonly LabService[];
  readonly closed: readonly LabEndpoint[];
  /** The background process's log file. */
  readonly log: string;
}

export interface LoopbackLabUpOptions {
  readonly subnet?: string;
  readonly seed?: number;
  readonly stateDir?: string;
  /** How long to wait for the lab to report ready. Default 15 s. */
  readonly timeoutMs?: number;
}

/** Marker used to recognise our background process in /proc before signalling a recorded pid. */
const ENTRY = 'loopback-lab-main.js';

export function loopbackEntryPath(): string {
  return fileURLToPath(new URL(`./${ENTRY}`, import.meta.url));
}

export function loopbackStatePath(stateDir = labStateDir()): string {
  return join(stateDir, 'loopback.json');
}

function isState(v: unknown): v is LoopbackLabState {
  if (typeof v !== 'object' || v === null) return false;
  const o = v as Record<string, unknown>;
  return typeof o['pid'] === 'number' && o['ready'] === true && typeof o['cidr'] === 'string' && Array.isArray(o['services']) && Array.isArray(o['closed']);
}

/** The running lab's state, or undefined; a state file left by a dead process is removed. */
export function loopbackLabStatus(stateDir = labStateDir()): LoopbackLabState | undefined {
  const path = loopbackStatePath(stateDir);
  const v = readJsonFile(path);
  if (v === undefined) return undefined;
  if (isState(v) && pidRuns(v.pid, ENTRY)) return v;
  removeFile(path);
  return undefined;
}

/**
 * Starts the loopback lab as a detached background process and waits until it reports ready.
 * Idempotent for the same subnet and seed; a lab with other settings must be taken down first.
 */
export async function loopbackLabUp(opts: LoopbackLabUpOptions = {}): Promise<{ state: LoopbackLabState; alreadyRunning: boolean }> {
  const subnet = checkLoopbackSubnet(opts.subnet ?? DEFAULT_LOOPBACK_SUBNET).text;
  const seed = opts.seed ?? DEFAULT_LAB_SEED;
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffff_ffff) {
    throw new TrawlError('TRAWL_E_BAD_SEED', `lab seed '${seed}' must be an integer in 0..4294967295`, { value: seed });
  }
  const dir = ensureStateDir(opts.stateDir ?? labStateDir());
  const running = loopbackLabStatus(dir);
  if (running) {
    if (running.cidr === subnet && running.seed === seed) return { state: running, alreadyRunning: true };
    throw new TrawlError('TRAWL_E_LAB', `a loopback lab is already up on ${running.cidr} (seed ${running.seed}, pid ${running.pid}); run 'trawl lab down' first`, { cidr: running.cidr, pid: running.pid });
  }

  const statePath = loopbackStatePath(dir);
  const log = join(dir, 'loopback.log');
  const child = spawnDetached(process.execPath, [loopbackEntryPath(), '--subnet', subnet, '--seed', String(seed), '--state', statePath, '--log', log], log);

  const deadline = Date.now() + (opts.timeoutMs ?? 15_000);
  while (Date.now() < deadline) {
    const v = readJsonFile(statePath);
    if (isState(v) && v.pid === child.pid) return { state: v, alreadyRunning: false };
    const exited = child.exitCode();
    if (exited !== undefined) {
      throw new TrawlError('TRAWL_E_LAB', `loopback lab exited before it was ready (code ${exited}): ${logTail(log, 600) || 'no output'}`, { log });
    }
    await sleep(40);
  }
  if (child.pid !== undefined) await terminate(child.pid, 1_000);
  throw new TrawlError('TRAWL_E_LAB', `loopback lab did not report ready within ${opts.timeoutMs ?? 15_000} ms; see ${log}`, { log });
}

/** Stops the background lab (SIGTERM, SIGKILL after `graceMs`) and removes its state. Idempotent. */
export async function loopbackLabDown(opts: { stateDir?: string; graceMs?: number } = {}): Promise<{ stopped: boolean; pid?: number }> {
  const dir = opts.stateDir ?? labStateDir();
  const state = loopbackLabStatus(dir);
  if (!state) return { stopped: false };
  await terminate(state.pid, opts.graceMs ?? 3_000);
  removeFile(loopbackStatePath(dir));
  return { stopped: true, pid: state.pid };
}
