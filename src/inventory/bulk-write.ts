/**
 * Multi-row inserts and full-row upserts as prepared SQL text, for the fold's hot path. Kysely's
 * builder turns every value of a 1,000-row insert into syntax-tree nodes and compiles them on each
 * call, which cost more than SQLite spent executing; here the text depends only on (table, row count),
 * so it is built once and the SQLite statement cache reuses the prepared statement. Portable: plain
 * INSERT ... ON CONFLICT (...) DO UPDATE SET col = excluded.col, with the dialect's placeholders.
 */
import { CompiledQuery, PostgresAdapter, type Kysely } from 'kysely';
import type { Database } from '../store/schema.js';

export interface BulkTable<R> {
  readonly table: keyof Database & string;
  readonly columns: readonly (keyof R & string)[];
  /** Conflict target of an upsert; undefined for plain inserts. */
  readonly key?: readonly (keyof R & string)[];
}

/**
 * Every column of R, checked at compile time: leaving one out is a type error naming it, so a column
 * added to a table cannot be silently dropped by the fold.
 */
export function allColumns<R>() {
  return <const C extends readonly (keyof R & string)[]>(cols: C & ([Exclude<keyof R, C[number]>] extends [never] ? unknown : { missing: Exclude<keyof R, C[number]> })): C => cols;
}

const texts = new Map<string, string>();

function sqlText<R>(t: BulkTable<R>, rows: number, postgres: boolean): string {
  const cacheKey = `${t.table}|${rows}|${postgres ? 'pg' : 'sqlite'}`;
  let text = texts.get(cacheKey);
  if (text !== undefined) return text;
  const cols = t.columns.map((c) => `"${c}"`).join(', ');
  const width = t.columns.length;
  const tuples: string[] = [];
  for (let r = 0; r < rows; r++) {
    const ph: string[] = [];
    for (let c = 0; c < width; c++) ph.push(postgres ? `$${r * width + c + 1}` : '?');
    tuples.push(`(${ph.join(', ')})`);
  }
  text = `insert into "${t.table}" (${cols}) values ${tuples.join(', ')}`;
  if (t.key !== undefined) {
    const set = t.columns.filter((c) => !t.key!.includes(c)).map((c) => `"${c}" = excluded."${c}"`).join(', ');
    text += ` on conflict (${t.key.map((c) => `"${c}"`).join(', ')}) do update set ${set}`;
  }
  // Bounded: one entry per (table, chunk size) actually used.
  if (texts.size > 256) texts.clear();
  texts.set(cacheKey, text);
  return text;
}

export async function bulkWrite<R extends object>(db: Kysely<Database>, t: BulkTable<R>, rows: readonly R[]): Promise<void> {
  if (rows.length === 0) return;
  const postgres = db.getExecutor().adapter instanceof PostgresAdapter;
  const params: unknown[] = new Array<unknown>(rows.length * t.columns.length);
  let i = 0;
  for (const row of rows) for (const c of t.columns) params[i++] = (row as Record<string, unknown>)[c] ?? null;
  await db.executeQuery(CompiledQuery.raw(sqlText(t, rows.length, postgres), params));
}
