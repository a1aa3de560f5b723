import { TrawlError } from '../../errors/trawl-error.js';

/**
 * Opaque cursors: base64url of `{s, d, k}` — the sort it was issued for, its direction, and the sort
 * key of the last row returned. The next page is everything strictly after that key, so rows
 * inserted meanwhile never shift a page boundary or repeat a row. Clients treat it as a token.
 */
export type SortDirection = 'asc' | 'desc';
export type CursorValue = string | number;

interface CursorBody {
  readonly s: string;
  readonly d: SortDirection;
  readonly k: readonly CursorValue[];
}

/** A cursor longer than this was not issued by us. */
const MAX_CURSOR = 2048;

export function encodeCursor(sort: string, direction: SortDirection, key: readonly CursorValue[]): string {
  const body: CursorBody = { s: sort, d: direction, k: key };
  return Buffer.from(JSON.stringify(body), 'utf8').toString('base64url');
}

/** The key of a cursor issued for this sort and direction; anything else is a 400 naming `cursor`. */
export function decodeCursor(cursor: string, sort: string, direction: SortDirection, arity: number): CursorValue[] {
  const bad = (why: string): TrawlError => new TrawlError('TRAWL_E_VALIDATION', `querystring.cursor ${why}`, { field: 'querystring.cursor' });
  if (cursor.length === 0 || cursor.length > MAX_CURSOR || !/^[A-Za-z0-9_-]+$/.test(cursor)) throw bad('is not a cursor this API issued');
  let body: unknown;
  try {
    body = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw bad('is not a cursor this API issued');
  }
  if (typeof body !== 'object' || body === null) throw bad('is not a cursor this API issued');
  const { s, d, k } = body as Partial<CursorBody>;
  if (typeof s !== 'string' || (d !== 'asc' && d !== 'desc') || !Array.isArray(k)) throw bad('is not a cursor this API issued');
  if (s !== sort || d !== direction) throw bad(`was issued for sort=${s} order=${d}, not sort=${sort} order=${direction}; keep sort and order when paging`);
  if (k.length !== arity || !k.every((v) => typeof v === 'string' || (typeof v === 'number' && Number.isFinite(v)))) throw bad('is not a cursor this API issued');
  return k as CursorValue[];
}
