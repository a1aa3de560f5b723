import { accessSync, constants, existsSync, rmSync, statSync, type Stats } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { TrawlError } from '../../errors/trawl-error.js';

/** Longest path accepted; the OS limit is 4096 and a longer value is a mistake, not a path. */
const MAX_PATH = 4096;
/** A store the open created holds at most its header page (one page at the default page size). */
const EMPTY_DB_MAX_BYTES = 4096;

export function dbPathError(path: string, reason: string, cause?: unknown): TrawlError {
  return new TrawlError('TRAWL_E_DB_PATH', `database path ${JSON.stringify(path)} ${reason}`, { path }, cause === undefined ? undefined : { cause });
}

/**
 * Checks a store path before SQLite touches it, so the usual mistakes get a message naming the path
 * and the reason instead of SQLite's "unable to open database file". Returns whether the file existed,
 * which tells the opener whether it may delete what a failed open left behind.
 */
export function checkDbPath(path: string, readonly: boolean): { existed: boolean } {
  if (typeof path !== 'string' || path.length === 0) throw dbPathError(String(path), 'is empty');
  if (path.length > MAX_PATH || path.includes('\u0000')) throw dbPathError(path.slice(0, 200), 'is not a valid file path');
  const stat = statOrUndefined(path);
  if (stat !== undefined) {
    if (stat.isDirectory()) throw dbPathError(path, 'is a directory, not a database file');
    if (!stat.isFile()) throw dbPathError(path, 'is not a regular file');
    if (!canAccess(path, readonly ? constants.R_OK : constants.R_OK | constants.W_OK)) {
      throw dbPathError(path, readonly ? 'is not readable' : 'is not writable (open it read-only to inspect it)');
    }
    return { existed: true };
  }
  if (readonly) throw dbPathError(path, 'does not exist (a read-only open needs an existing store)');
  const dir = dirname(resolve(path));
  const dirStat = statOrUndefined(dir);
  if (dirStat === undefined) throw dbPathError(path, `cannot be created: directory ${JSON.stringify(dir)} does not exist`);
  if (!dirStat.isDirectory()) throw dbPathError(path, `cannot be created: ${JSON.stringify(dir)} is not a directory`);
  if (!canAccess(dir, constants.W_OK | constants.X_OK)) throw dbPathError(path, `cannot be created: directory ${JSON.stringify(dir)} is not writable`);
  return { existed: false };
}

/**
 * Removes the file a failed open created. Guarded against a race with another process creating the
 * same store meanwhile: the open only ever writes the header page and never a WAL, so a bigger file
 * or one with a WAL beside it is someone else's and stays.
 */
export function removeCreatedDb(path: string): void {
  try {
    if (existsSync(`${path}-wal`) || statSync(path).size > EMPTY_DB_MAX_BYTES) return;
    rmSync(path, { force: true });
  } catch {
    // Leaving an empty file behind is the lesser evil than masking the open error.
  }
}

function statOrUndefined(path: string): Stats | undefined {
  try {
    return statSync(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    if ((e as NodeJS.ErrnoException).code === 'ENOTDIR') throw dbPathError(path, 'has a parent that is not a directory', e);
    if ((e as NodeJS.ErrnoException).code === 'EACCES') throw dbPathError(path, 'cannot be inspected: permission denied', e);
    throw dbPathError(path, `cannot be inspected: ${(e as Error).message}`, e);
  }
}

function canAccess(path: string, mode: number): boolean {
  try {
    accessSync(path, mode);
    return true;
  } catch {
    return false;
  }
}
