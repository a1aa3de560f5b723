import { sql, type RawBuilder, type SelectQueryBuilder } from 'kysely';
import { decodeCursor, encodeCursor, type CursorValue, type SortDirection } from './cursor.js';

/**
 * A public sort name and the columns that make its key unique (the last one is a unique id). A
 * column is a reference (`f.last_seen`) or an expression (a severity rank) that an index covers.
 */
export interface SortKey {
  readonly name: string;
  readonly columns: readonly (string | RawBuilder<unknown>)[];
}

export interface PageParams {
  readonly limit: number;
  readonly cursor?: string | undefined;
  readonly sort: SortKey;
  readonly direction: SortDirection;
}

export interface Page<T> {
  readonly items: T[];
  /** Pass as `cursor` for the next page; null on the last one. */
  readonly nextCursor: string | null;
}

/**
 * One page of a keyset (seek) query: `(key) > (cursor key)` in sort order, limit + 1 rows to know
 * whether another page exists. With an index on (org_id, key columns…) every page, however deep,
 * is one index range scan. The row comparison is SQL-standard; SQLite and PostgreSQL both run it.
 */
export async function keysetPage<DB, TB extends keyof DB, O>(
  query: SelectQueryBuilder<DB, TB, O>,
  params: PageParams,
  keyOf: (row: O) => readonly CursorValue[],
): Promise<Page<O>> {
  const { sort, direction } = params;
  let q = query;
  if (params.cursor !== undefined) {
    const after = decodeCursor(params.cursor, sort.name, direction, sort.columns.length);
    const cols = sql.join(sort.columns.map(columnSql));
    const vals = sql.join(after.map((v) => sql`${v}`));
    q = q.where(direction === 'asc' ? sql<boolean>`(${cols}) > (${vals})` : sql<boolean>`(${cols}) < (${vals})`);
  }
  for (const c of sort.columns) q = q.orderBy(columnSql(c), direction);
  const rows = await q.limit(params.limit + 1).execute();
  const more = rows.length > params.limit;
  const items = more ? rows.slice(0, params.limit) : rows;
  const last = items[items.length - 1];
  return { items, nextCursor: more && last !== undefined ? encodeCursor(sort.name, direction, keyOf(last)) : null };
}

function columnSql(c: string | RawBuilder<unknown>): RawBuilder<unknown> {
  return typeof c === 'string' ? sql.ref(c) : c;
}

export function mapPage<T, U>(page: Page<T>, fn: (item: T) => U): Page<U> {
  return { items: page.items.map(fn), nextCursor: page.nextCursor };
}
