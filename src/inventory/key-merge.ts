/**
 * A merge join over several tables read in ip_key order, one address at a time. Every side is read in
 * keyset pages, so memory holds one page per side however large the scan or the view. ip_key is
 * compared with JavaScript `<`, which is the bytewise order SQLite and the "C" collation use.
 */

/** One side of the join, as the merge sees it. */
export interface KeyedSide<R extends { readonly ip_key: string }> {
  head(floor: string | undefined): Promise<string | undefined>;
  take(ipKey: string): Promise<R[]>;
}

type RowsOf<S> = { [K in keyof S]: S[K] extends KeyedSide<infer R> ? R[] : never };

/** One side of the join: rows in ascending ip_key order, fetched a page at a time after a cursor. */
export class PagedSide<R extends { readonly ip_key: string }> implements KeyedSide<R> {
  #page: R[] = [];
  #pos = 0;
  #last: R | undefined;
  #done = false;

  constructor(
    private readonly fetch: (after: R | undefined) => Promise<R[]>,
    private readonly pageSize: number,
  ) {}

  /** The next row's ip_key, skipping rows at or below `floor` (rows the fold itself wrote behind it). */
  async head(floor: string | undefined): Promise<string | undefined> {
    for (;;) {
      if (this.#pos < this.#page.length) {
        const row = this.#page[this.#pos]!;
        if (floor !== undefined && row.ip_key <= floor) {
          this.#pos++;
          continue;
        }
        return row.ip_key;
      }
      if (this.#done) return undefined;
      const rows = await this.fetch(this.#last);
      this.#page = rows;
      this.#pos = 0;
      if (rows.length < this.pageSize) this.#done = true;
      if (rows.length > 0) this.#last = rows[rows.length - 1];
      if (rows.length === 0) return undefined;
    }
  }

  /** Takes every row of `ipKey` (call after `head` returned a key ≤ ipKey). */
  async take(ipKey: string): Promise<R[]> {
    const out: R[] = [];
    for (;;) {
      const head = await this.head(undefined);
      if (head !== ipKey) return out;
      out.push(this.#page[this.#pos++]!);
    }
  }
}

/**
 * Calls `visit` once per ip_key present on any side, in ascending order, with that key's rows from
 * each side. Rows a visit inserts behind the cursor are never visited again.
 */
export async function mergeByIp<S extends readonly KeyedSide<{ readonly ip_key: string }>[]>(
  sides: S,
  visit: (ipKey: string, rows: RowsOf<S>) => Promise<void> | void,
): Promise<void> {
  let floor: string | undefined;
  for (;;) {
    let min: string | undefined;
    for (const side of sides) {
      const h = await side.head(floor);
      if (h !== undefined && (min === undefined || h < min)) min = h;
    }
    if (min === undefined) return;
    const rows: unknown[] = [];
    for (const side of sides) rows.push(await side.take(min));
    await visit(min, rows as RowsOf<S>);
    floor = min;
  }
}
