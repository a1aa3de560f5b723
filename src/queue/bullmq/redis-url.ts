import type { RedisOptions } from 'ioredis';
import { TrawlError } from '../../errors/trawl-error.js';

/** Where the queue's Redis is, as ioredis options, and a password-free description for messages. */
export interface RedisTarget {
  readonly options: RedisOptions;
  readonly where: string;
}

const MAX_URL = 2048;

function bad(shown: string, why: string, cause?: unknown): TrawlError {
  return new TrawlError('TRAWL_E_QUEUE', `Redis URL ${shown} ${why}`, {}, cause === undefined ? undefined : { cause });
}

/**
 * `redis://[user[:password]@]host[:port][/db]`, or a unix socket as `unix:///path/redis.sock[?db=n]`
 * (also `redis+unix://`). A socket is a filesystem path, so it reaches a Redis from inside another
 * network namespace, which is how the fleet's chaos test connects workers that have no route out.
 * The password never appears in messages.
 */
export function parseRedisUrl(url: string, opts: { connectTimeoutMs?: number } = {}): RedisTarget {
  if (typeof url !== 'string' || url.length === 0 || url.length > MAX_URL) throw bad(JSON.stringify(String(url).slice(0, 80)), 'is empty or too long');
  let u: URL;
  try {
    u = new URL(url);
  } catch (e) {
    throw bad(JSON.stringify(url.replace(/:[^:@/]*@/, ':***@').slice(0, 200)), 'is not a valid URL (expected redis://host:port/db or unix:///path/to/redis.sock)', e);
  }
  const shown = redactRedisUrl(u);
  const common: RedisOptions = {
    // BullMQ's requirement: commands wait through a reconnect instead of failing after N retries.
    maxRetriesPerRequest: null,
    connectTimeout: opts.connectTimeoutMs ?? 5000,
    lazyConnect: true,
    ...(u.username !== '' ? { username: decodeURIComponent(u.username) } : {}),
    ...(u.password !== '' ? { password: decodeURIComponent(u.password) } : {}),
  };
  if (u.protocol === 'unix:' || u.protocol === 'redis+unix:') {
    const path = decodeURIComponent(u.pathname);
    if (!path.startsWith('/')) throw bad(shown, 'must name an absolute socket path (unix:///run/redis.sock)');
    const db = dbNumber(u.searchParams.get('db'), shown);
    return { options: { ...common, path, ...(db !== undefined ? { db } : {}) }, where: `unix:${path}${db !== undefined ? `?db=${db}` : ''}` };
  }
  if (u.protocol !== 'redis:') throw bad(shown, 'must use the redis: scheme (or unix: for a socket; TLS is not supported)');
  if (u.hostname === '') throw bad(shown, 'names no host');
  const db = dbNumber(u.pathname.length > 1 ? u.pathname.slice(1) : null, shown);
  const host = u.hostname.replace(/^\[(.*)\]$/, '$1');
  const port = u.port === '' ? 6379 : Number(u.port);
  return {
    options: { ...common, host, port, ...(db !== undefined ? { db } : {}) },
    where: `redis://${host.includes(':') ? `[${host}]` : host}:${port}${db !== undefined ? `/${db}` : ''}`,
  };
}

function dbNumber(text: string | null, shown: string): number | undefined {
  if (text === null || text === '') return undefined;
  const db = Number(text);
  if (!Number.isInteger(db) || db < 0 || db > 1_000_000) throw bad(shown, 'has an invalid database number');
  return db;
}

export function redactRedisUrl(u: URL): string {
  const copy = new URL(u.href);
  if (copy.password !== '') copy.password = '***';
  return copy.href;
}
