import { TrawlError } from '../../errors/trawl-error.js';
import { dbUrlError } from './postgres-url.js';

/** SQLSTATE of a server error (`23505`), or a Node network error code (`ECONNREFUSED`). */
function errorCode(error: unknown): string | undefined {
  const e = error as { code?: unknown; errors?: unknown } | null;
  if (typeof e?.code === 'string') return e.code;
  // Happy-eyeballs connects (localhost → ::1 and 127.0.0.1) fail with an AggregateError.
  if (Array.isArray(e?.errors)) {
    for (const inner of e.errors) {
      const code = errorCode(inner);
      if (code !== undefined) return code;
    }
  }
  return undefined;
}

function messageOf(error: unknown): string {
  if (error instanceof AggregateError && error.message === '' && error.errors.length > 0) return messageOf(error.errors[0]);
  return error instanceof Error ? error.message : String(error);
}

const NETWORK_REASONS: Readonly<Record<string, string>> = {
  ECONNREFUSED: 'refused the connection (is PostgreSQL running and listening there?)',
  ENOTFOUND: 'names a host that does not resolve',
  EAI_AGAIN: 'names a host that does not resolve (temporary DNS failure)',
  ETIMEDOUT: 'did not answer in time',
  EHOSTUNREACH: 'names an unreachable host',
  ENETUNREACH: 'names a host on an unreachable network',
  ECONNRESET: 'closed the connection during the handshake (is it a PostgreSQL server?)',
  EACCES: 'cannot be reached: permission denied',
  ENOENT: 'names a socket path that does not exist',
};

/** SQLSTATEs at connect time that mean the URL itself is wrong (class 28: auth; 3D000: no such database). */
function connectReason(code: string, error: unknown): string | undefined {
  if (code in NETWORK_REASONS) return NETWORK_REASONS[code];
  if (code === '3D000') return `names a database that does not exist (${messageOf(error)})`;
  if (code.startsWith('28')) return `was rejected: ${messageOf(error)}`;
  if (code === '53300') return 'was refused: the server has too many connections';
  if (code === '57P03') return 'names a server that is starting up or shutting down';
  return undefined;
}

/** An error while opening: problems reaching or logging in to the server are TRAWL_E_DB_URL. */
export function postgresOpenError(error: unknown, location: string): TrawlError {
  if (error instanceof TrawlError) return error;
  const code = errorCode(error) ?? '';
  const reason = connectReason(code, error);
  if (reason !== undefined) return dbUrlError(location, reason, error, { pgCode: code });
  const message = messageOf(error);
  if (/timeout/i.test(message)) return dbUrlError(location, 'did not answer in time', error);
  // Anything else at connect time (a non-PostgreSQL server, a TLS mismatch) is still about the URL.
  return dbUrlError(location, `cannot be connected to: ${message}`, error, { pgCode: code || undefined });
}

/** An error of a store operation; `action` says what was being done ("commit progress of …"). */
export function postgresOperationError(error: unknown, action: string, location: string): TrawlError {
  if (error instanceof TrawlError) return error;
  const code = errorCode(error) ?? '';
  const message = messageOf(error);
  const where = `store ${location}`;
  let reason: string;
  // The server could not be reached or dropped the session: nothing is wrong with the operation itself,
  // and it will work again once the server is back (callers such as fleet workers wait for that).
  let unreachable = false;
  if (code.startsWith('23')) reason = `a constraint rejected the data: ${message} (${where})`;
  else if (code === '40001' || code === '40P01') reason = `the transaction conflicted with another one and was rolled back; retry it (${message}, ${where})`;
  else if (code === '57P01' || code === '57P02' || code === '57P03' || /Connection terminated|not queryable|ECONNRESET|EPIPE/i.test(message) || code === 'ECONNRESET' || code === 'EPIPE') {
    reason = `the connection to ${where} was lost; the transaction was rolled back (${message})`;
    unreachable = true;
  } else if (code === '53100') reason = `the disk holding ${where} is full`;
  else if (code === '25006') reason = `${where} is read-only (${message})`;
  else {
    // The URL worked at open, so a server that became unreachable later is a store error, not a bad URL.
    const connect = connectReason(code, error);
    unreachable = code in NETWORK_REASONS || code === '53300' || /timeout/i.test(message);
    reason = connect !== undefined ? `the server of ${where} ${connect.replace(/^names /, 'is ')}` : `${message} (${where})`;
  }
  return new TrawlError('TRAWL_E_DB', `cannot ${action}: ${reason}`, { location, pgCode: code || undefined, ...(unreachable ? { unreachable: true } : {}) }, { cause: error });
}

