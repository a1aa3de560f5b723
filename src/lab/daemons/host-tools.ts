import { spawnSync } from 'node:child_process';
import { accessSync, chmodSync, constants, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import { TrawlError } from '../../errors/index.js';

/** Small host-side helpers the daemon specs share: finding programs, running them, files, users. */

const SBIN = ['/usr/sbin', '/sbin', '/usr/bin', '/bin', '/usr/local/sbin', '/usr/local/bin'];

/** Absolute path of an executable, also searching the sbin folders a non-login root shell may lack. */
export function findExecutable(name: string): string | undefined {
  if (name.includes('/')) return isExecutable(name) ? name : undefined;
  for (const d of [...(process.env['PATH'] ?? '').split(delimiter), ...SBIN]) {
    if (d === '') continue;
    const p = join(d, name);
    if (isExecutable(p)) return p;
  }
  return undefined;
}

function isExecutable(p: string): boolean {
  try {
    accessSync(p, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Runs a preparation tool (openssl, ssh-keygen...); a failure names the command and its stderr. */
export function runTool(cmd: string, args: readonly string[], opts: { cwd?: string; input?: string } = {}): string {
  const exe = findExecutable(cmd) ?? cmd;
  const r = spawnSync(exe, args, { cwd: opts.cwd, input: opts.input, encoding: 'utf8', timeout: 30_000, maxBuffer: 4 * 1024 * 1024 });
  if (r.status !== 0) {
    const why = (r.stderr || r.error?.message || `exit ${r.status ?? r.signal}`).trim().slice(-600);
    throw new TrawlError('TRAWL_E_LAB', `daemon lab: ${cmd} ${args.slice(0, 6).join(' ')} failed: ${why}`, { command: [cmd, ...args.slice(0, 6)].join(' ') });
  }
  return r.stdout;
}

/** Writes a file (creating its folder) with an explicit mode, whatever the umask. */
export function writeText(path: string, text: string, mode = 0o644): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o755 });
  writeFileSync(path, text, { mode });
  chmodSync(path, mode);
}

export function makeDir(path: string, mode = 0o755): string {
  mkdirSync(path, { recursive: true, mode });
  chmodSync(path, mode);
  return path;
}

/** uid/gid of a local account from /etc/passwd (Node has no getpwnam). */
export function systemUser(name: string): { uid: number; gid: number; home: string } | undefined {
  return lookupColonFile('/etc/passwd', name, (f) => ({ uid: Number(f[2]), gid: Number(f[3]), home: f[5] ?? '' }));
}

/** gid of a local group from /etc/group. */
export function systemGroup(name: string): number | undefined {
  return lookupColonFile('/etc/group', name, (f) => Number(f[2]));
}

function lookupColonFile<T>(file: string, name: string, pick: (fields: string[]) => T): T | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  for (const line of text.split('\n')) {
    const f = line.split(':');
    if (f[0] === name && f.length >= 4) return pick(f);
  }
  return undefined;
}

/** Full Debian version of the first installed package of `candidates` (e.g. 1:9.2p1-2+deb12u10). */
export function installedPackage(candidates: readonly string[]): { name: string; version: string } | undefined {
  const dpkg = findExecutable('dpkg-query');
  if (dpkg === undefined) return undefined;
  for (const name of candidates) {
    const r = spawnSync(dpkg, ['-W', '-f=${Status}\t${Version}', name], { encoding: 'utf8', timeout: 10_000 });
    if (r.status !== 0) continue;
    const [status, version] = r.stdout.split('\t');
    if (status?.endsWith(' installed') && version !== undefined && version !== '') return { name, version };
  }
  return undefined;
}

/**
 * The upstream part of a Debian version, which is what daemons announce:
 * 1:9.2p1-2+deb12u10 → 9.2p1, 2:4.17.12+dfsg-0+deb12u4 → 4.17.12, 5:7.0.15-1~deb12u10 → 7.0.15.
 */
export function upstreamVersion(debianVersion: string): string {
  let v = debianVersion.replace(/^\d+:/, '');
  const dash = v.lastIndexOf('-');
  if (dash > 0) v = v.slice(0, dash);
  return v.replace(/[+~](dfsg|ds|repack)[^+~]*$/i, '');
}
