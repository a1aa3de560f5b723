import { TrawlError } from '../../errors/trawl-error.js';

/** Longest URL accepted; a real one is well under a few hundred characters. */
const MAX_URL = 2048;

export function dbUrlError(location: string, reason: string, cause?: unknown, detail: Record<string, unknown> = {}): TrawlError {
  return new TrawlError('TRAWL_E_DB_URL', `database URL ${location} ${reason}`, { location, ...detail }, cause === undefined ? undefined : { cause });
}

/**
 * Checks the shape of a PostgreSQL URL before the driver sees it, so a typo gets a message naming the
 * URL (password redacted) instead of a driver stack trace. Returns the redacted form for messages.
 */
export function checkPostgresUrl(url: string): { location: string } {
  if (typeof url !== 'string' || url.length === 0) throw dbUrlError('""', 'is empty');
  if (url.length > MAX_URL || url.includes('\u0000')) throw dbUrlError(JSON.stringify(url.slice(0, 80) + '…'), 'is not a valid URL');
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (e) {
    throw dbUrlError(JSON.stringify(redactUnparsed(url)), 'is not a valid URL (expected postgres://user@host:port/database)', e);
  }
  const location = redactPostgresUrl(parsed);
  if (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:') {
    throw dbUrlError(location, `has scheme "${parsed.protocol.replace(/:$/, '')}", expected postgres or postgresql`);
  }
  // A socket directory may come as ?host=/run/postgresql instead of the authority.
  if (parsed.hostname === '' && !parsed.searchParams.has('host')) throw dbUrlError(location, 'names no host');
  if (parsed.port !== '' && !/^[0-9]{1,5}$/.test(parsed.port)) throw dbUrlError(location, `has an invalid port "${parsed.port}"`);
  if (parsed.pathname.length > 1 && decodeURIComponent(parsed.pathname.slice(1)).includes('/')) {
    throw dbUrlError(location, 'has a database name containing "/"');
  }
  return { location };
}

/** The URL with any password replaced, safe for messages and logs. */
export function redactPostgresUrl(parsed: URL): string {
  const copy = new URL(parsed.href);
  if (copy.password !== '') copy.password = '***';
  for (const key of ['password', 'sslpassword']) if (copy.searchParams.has(key)) copy.searchParams.set(key, '***');
  return copy.href;
}

/** Best effort for a string `URL` cannot parse: hide what looks like `user:password@`. */
function redactUnparsed(url: string): string {
  return url.replace(/(\/\/[^:/@]*:)[^@/]*@/, '$1***@').slice(0, 200);
}
