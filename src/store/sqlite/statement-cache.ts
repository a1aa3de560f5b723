import type BetterSqlite3 from 'better-sqlite3';
import type { SqliteDatabase, SqliteStatement } from 'kysely';

/** Distinct SQL texts kept prepared; the store issues a few dozen shapes, chunk sizes included. */
const CACHE_SIZE = 128;

/**
 * Kysely prepares every query anew; a large multi-row upsert costs more to prepare than to run, so
 * statements are kept by SQL text (least recently used dropped first). Safe because Kysely's SQLite
 * driver runs one query at a time on its single connection and never leaves an iterator open.
 */
export function cachingStatements(db: BetterSqlite3.Database): SqliteDatabase {
  const cache = new Map<string, SqliteStatement>();
  return {
    close: () => {
      cache.clear();
      db.close();
    },
    prepare: (source: string): SqliteStatement => {
      const hit = cache.get(source);
      if (hit !== undefined) {
        cache.delete(source);
        cache.set(source, hit);
        return hit;
      }
      const stmt = db.prepare(source);
      cache.set(source, stmt);
      if (cache.size > CACHE_SIZE) {
        const oldest = cache.keys().next();
        if (!oldest.done) cache.delete(oldest.value);
      }
      return stmt;
    },
  };
}
