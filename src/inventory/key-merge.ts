/**
 * A merge join over several tables read in ip_key order, one address at a time. Every side is read in
 * keyset pages, so memory holds one page per side however large the scan or the view. ip_key is
 * compared with JavaScript `<`, which is the bytewise order SQLite and the "C" collation use.
 *
 * Within a loaded page everything is synchronous: only fetching the next page awaits. (An `await` per
 * row and side cost more than the fold itself: a promise and a microtask each, hundreds of MB of
 * garbage for a scan of 100k addresses.)
 */

/** What `peek` answers when the loaded page is used up and the next one must be fetched (`load`). */
export const NEED_PAGE: unique symbol = Symbol('need page');

/** One side of the join, as the merge sees it. */
export interface KeyedSide<R extends { readonly ip_key: string }> {
  /** The next row's ip_key, skipping rows at or below `floor`; undefined at the end; NEED_PAGE to `load` first. */
  peek(floor: string | undefined): string | undefined | typeof NEED_PAGE;
  /** Fetches the next page. */
  load(): Promise<void>;
  /**
   * Moves the loaded page's rows of `ipKey` (at its head) into `out`; false when the page ran out
   * before the key did (`load`, then call again).
   */
  takeLoaded(ipKey: string, out: R[]): boolean;
}

type RowsOf<S> = { [K in keyof S]: S[K] extends KeyedSide<infer R> ? readonly R[] : never };

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

  peek(floor: string | undefined): string | undefined | typeof NEED_PAGE {
    const page = this.#page;
    while (this.#pos < page.length) {
      const k = page[this.#pos]!.ip_key;
      // Rows the fold itself wrote behind the cursor.
      if (floor !== undefined && k <= floor) {
        this.#pos++;
        continue;
      }
      return k;
    }
    return this.#done ? undefined : NEED_PAGE;
  }

  async load(): Promise<void> {
    const rows = await this.fetch(this.#last);
    this.#page = rows;
    this.#pos = 0;
    if (rows.length < this.pageSize) this.#done = true;
    if (rows.length > 0) this.#last = rows[rows.length - 1];
  }

  takeLoaded(ipKey: string, out: R[]): boolean {
    const page = this.#page;
    while (this.#pos < page.length) {
      const row = page[this.#pos]!;
      if (row.ip_key !== ipKey) return true;
      out.push(row);
      this.#pos++;
    }
    return this.#done;
  }

  /** The next row's ip_key, skipping rows at or below `floor`, fetching pages as needed. */
  async head(floor: string | undefined): Promise<string | undefined> {
    for (;;) {
      const k = this.peek(floor);
      if (k !== NEED_PAGE) return k;
      await this.load();
    }
  }

  /** Takes every row of `ipKey` (call after `head` returned a key ≤ ipKey). */
  async take(ipKey: string): Promise<R[]> {
    const out: R[] = [];
    while (!this.takeLoaded(ipKey, out)) await this.load();
    return out;
  }
}

/** Shared by every side with no row at an address; frozen, so a visitor cannot fill it by mistake. */
const NONE: readonly never[] = Object.freeze([]);

/**
 * Calls `visit` once per ip_key present on any side, in ascending order, with that key's rows from
 * each side. Rows a visit inserts behind the cursor are never visited again. A visit may return a
 * promise (to write a full batch, say), which is awaited before the merge moves on.
 */
export async function mergeByIp<S extends readonly KeyedSide<{ readonly ip_key: string }>[]>(
  sides: S,
  visit: (ipKey: string, rows: RowsOf<S>) => Promise<void> | void,
): Promise<void> {
  let floor: string | undefined;
  const n = sides.length;
  for (;;) {
    let min: string | undefined;
    for (let i = 0; i < n; i++) {
      const side = sides[i]!;
      let h = side.peek(floor);
      while (h === NEED_PAGE) {
        await side.load();
        h = side.peek(floor);
      }
      if (h !== undefined && (min === undefined || h < min)) min = h;
    }
    if (min === undefined) return;
    const rows: (readonly { readonly ip_key: string }[])[] = new Array(n);
    for (let i = 0; i < n; i++) {
      const side = sides[i]!;
      if (side.peek(undefined) !== min) {
        rows[i] = NONE;
        continue;
      }
      const out: { readonly ip_key: string }[] = [];
      while (!side.takeLoaded(min, out)) await side.load();
      rows[i] = out;
    }
    const pending = visit(min, rows as RowsOf<S>);
    if (pending !== undefined) await pending;
    floor = min;
  }
}
