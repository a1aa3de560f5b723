import { TrawlError } from '../../errors/trawl-error.js';
import { dbPathError } from './sqlite-path.js';

function sqliteCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('SQLITE_') ? code : undefined;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** An error while opening: problems of the file itself are TRAWL_E_DB_PATH, the rest TRAWL_E_DB. */
export function sqliteOpenError(error: unknown, path: string): TrawlError {
  if (error instanceof TrawlError) return error;
  const code = sqliteCode(error) ?? '';
  if (code === 'SQLITE_NOTADB') return dbPathError(path, 'is not an SQLite database', error);
  if (code.startsWith('SQLITE_CANTOPEN') || code.startsWith('SQLITE_PERM') || code.startsWith('SQLITE_AUTH')) {
    return dbPathError(path, `cannot be opened: ${messageOf(error)}`, error);
  }
  if (code.startsWith('SQLITE_READONLY')) return dbPathError(path, `is not writable: ${messageOf(error)}`, error);
  if (code.startsWith('SQLITE_CORRUPT')) return dbPathError(path, `is a corrupt SQLite database: ${messageOf(error)}`, error);
  return new TrawlError('TRAWL_E_DB', `cannot open store ${JSON.stringify(path)}: ${messageOf(error)}`, { path, sqliteCode: code || undefined }, { cause: error });
}

/** An error of a store operation; `action` says what was being done ("commit progress of …"). */
export function sqliteOperationError(error: unknown, action: string, location: string): TrawlError {
  if (error instanceof TrawlError) return error;
  const code = sqliteCode(error) ?? '';
  const where = `store ${JSON.stringify(location)}`;
  let reason = messageOf(error);
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) reason = `${where} is locked by another writer (${reason})`;
  else if (code.startsWith('SQLITE_READONLY')) reason = `${where} is read-only (${reason})`;
  else if (code.startsWith('SQLITE_FULL')) reason = `the disk holding ${where} is full`;
  else if (code.startsWith('SQLITE_CORRUPT') || code === 'SQLITE_NOTADB') reason = `${where} is corrupt (${reason})`;
  else reason = `${reason} (${where})`;
  return new TrawlError('TRAWL_E_DB', `cannot ${action}: ${reason}`, { location, sqliteCode: code || undefined }, { cause: error });
}
