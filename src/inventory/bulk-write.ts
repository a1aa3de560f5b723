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

/**
 * A narrow multi-row UPDATE: `set` columns of the rows matched on `key`, from a VALUES list
 * (`update t set c = v.columnN from (values ...) as v where t.k = v.columnM`; SQLite ≥ 3.33 and
 * PostgreSQL both name VALUES columns column1, column2...). For rows of which only a few columns
 * changed — a service seen again moves last_seen and last_scan_id — this writes those columns and no
 * index they are not in, with a third of a full row's parameters.
 */
export interface BulkUpdate<R> {
  readonly table: keyof Database & string;
  readonly key: readonly (keyof R & string)[];
  readonly set: readonly (keyof R & string)[];
  /** PostgreSQL types of the non-text columns: parameters in a VALUES list are text there otherwise. */
  readonly pgTypes?: Partial<Record<keyof R & string, string>>;
}

function updateText<R>(t: BulkUpdate<R>, rows: number, postgres: boolean): string {
  const cacheKey = `update|${t.table}|${t.set.join(',')}|${rows}|${postgres ? 'pg' : 'sqlite'}`;
  let text = texts.get(cacheKey);
  if (text !== undefined) return text;
  const cols = [...t.key, ...t.set];
  const width = cols.length;
  const tuples: string[] = [];
  for (let r = 0; r < rows; r++) {
    const ph: string[] = [];
    for (let c = 0; c < width; c++) {
      const type = postgres ? t.pgTypes?.[cols[c]!] : undefined;
      ph.push(postgres ? `$${r * width + c + 1}${type !== undefined ? `::${type}` : ''}` : '?');
    }
    tuples.push(`(${ph.join(', ')})`);
  }
  const set = t.set.map((c, i) => `"${c}" = v.column${t.key.length + i + 1}`).join(', ');
  const where = t.key.map((c, i) => `"${t.table}"."${c}" = v.column${i + 1}`).join(' and ');
  text = `update "${t.table}" set ${set} from (values ${tuples.join(', ')}) as v where ${where}`;
  if (texts.size > 256) texts.clear();
  texts.set(cacheKey, text);
  return text;
}

export async function bulkUpdate<R extends object>(db: Kysely<Database>, t: BulkUpdate<R>, rows: readonly R[]): Promise<void> {
  if (rows.length === 0) return;
  const postgres = db.getExecutor().adapter instanceof PostgresAdapter;
  const cols = [...t.key, ...t.set];
  const params: unknown[] = new Array<unknown>(rows.length * cols.length);
  let i = 0;
  for (const row of rows) for (const c of cols) params[i++] = (row as Record<string, unknown>)[c] ?? null;
  await db.executeQuery(CompiledQuery.raw(updateText(t, rows.length, postgres), params));
}

export async function bulkWrite<R extends object>(db: Kysely<Database>, t: BulkTable<R>, rows: readonly R[]): Promise<void> {
  if (rows.length === 0) return;
  const postgres = db.getExecutor().adapter instanceof PostgresAdapter;
  const params: unknown[] = new Array<unknown>(rows.length * t.columns.length);
  let i = 0;
  for (const row of rows) for (const c of t.columns) params[i++] = (row as Record<string, unknown>)[c] ?? null;
  await db.executeQuery(CompiledQuery.raw(sqlText(t, rows.length, postgres), params));
}
