/**
 * A virtualised, keyboard-navigable table over cursor-paged data. Only the rows in view (plus a few)
 * are in the DOM, so 100,000 loaded rows cost what 40 do; the next page is fetched when the view
 * nears the end. It stays a real <table> (spacer rows above and below the window) so screen readers
 * keep table semantics. Rows use a roving tabindex: Tab reaches the table once, arrows move, Enter
 * opens, Space selects.
 */
import { useVirtualizer } from '@tanstack/react-virtual';
import { useEffect, useRef, useState, type KeyboardEvent, type ReactNode } from 'react';
import { errorText } from '../api/client';
import { fmtInt } from '../format';

export interface Column<T> {
  readonly id: string;
  readonly header: ReactNode;
  /** CSS width (e.g. '9rem'); one column without width takes the rest. */
  readonly width?: string;
  readonly render: (row: T) => ReactNode;
  /** Set when the server can sort by this column: the sort name. */
  readonly sortKey?: string;
  readonly align?: 'start' | 'end';
}

export interface SortState {
  readonly key: string;
  readonly order: 'asc' | 'desc';
  readonly onSort: (key: string) => void;
}

export interface Selection {
  readonly selected: ReadonlySet<string>;
  readonly toggle: (key: string) => void;
  readonly setAll: (keys: string[], on: boolean) => void;
}

export interface VirtualTableProps<T> {
  readonly label: string;
  readonly columns: readonly Column<T>[];
  readonly rows: readonly T[];
  readonly rowKey: (row: T) => string;
  readonly loading: boolean;
  readonly error?: unknown;
  readonly hasMore: boolean;
  readonly loadingMore: boolean;
  readonly loadMore: () => void;
  readonly empty: ReactNode;
  readonly onOpen?: (row: T) => void;
  readonly sort?: SortState;
  readonly selection?: Selection;
  /** CSS height of the scroll area. */
  readonly height?: string;
  readonly rowHeight?: number;
  readonly testId?: string;
}

export function VirtualTable<T>(p: VirtualTableProps<T>) {
  const scrollRef = useRef<HTMLDivElement>(null);
  const bodyRef = useRef<HTMLTableSectionElement>(null);
  const [active, setActive] = useState(0);
  const rowHeight = p.rowHeight ?? 37;
  const v = useVirtualizer({
    count: p.rows.length,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => rowHeight,
    overscan: 12,
  });
  const items = v.getVirtualItems();
  const last = items[items.length - 1];

  useEffect(() => {
    if (last && p.hasMore && !p.loadingMore && last.index >= p.rows.length - 25) p.loadMore();
  }, [last?.index, p.hasMore, p.loadingMore, p.rows.length, p.loadMore]);

  useEffect(() => {
    if (active >= p.rows.length && p.rows.length > 0) setActive(p.rows.length - 1);
  }, [p.rows.length, active]);

  const focusRow = (i: number): void => {
    const idx = Math.max(0, Math.min(p.rows.length - 1, i));
    setActive(idx);
    v.scrollToIndex(idx, { align: 'auto' });
    // The row may only exist after the virtualiser renders it.
    requestAnimationFrame(() => bodyRef.current?.querySelector<HTMLTableRowElement>(`tr[data-index="${idx}"]`)?.focus());
  };

  const onKey = (e: KeyboardEvent<HTMLTableSectionElement>): void => {
    const page = Math.max(1, Math.floor((scrollRef.current?.clientHeight ?? 400) / rowHeight) - 1);
    const row = p.rows[active];
    switch (e.key) {
      case 'ArrowDown': focusRow(active + 1); break;
      case 'ArrowUp': focusRow(active - 1); break;
      case 'PageDown': focusRow(active + page); break;
      case 'PageUp': focusRow(active - page); break;
      case 'Home': focusRow(0); break;
      case 'End': focusRow(p.rows.length - 1); break;
      case 'Enter':
        if (row && p.onOpen && (e.target as HTMLElement).tagName === 'TR') p.onOpen(row);
        else return;
        break;
      case ' ':
        if (row && p.selection && (e.target as HTMLElement).tagName === 'TR') p.selection.toggle(p.rowKey(row));
        else return;
        break;
      default: return;
    }
    e.preventDefault();
  };

  const cols = p.selection ? [{ id: '__sel', width: '2.75rem' } as const, ...p.columns] : p.columns;
  const allKeys = p.selection ? p.rows.map(p.rowKey) : [];
  const allOn = p.selection !== undefined && allKeys.length > 0 && allKeys.every((k) => p.selection!.selected.has(k));
  const padTop = items[0]?.start ?? 0;
  // Fixed column widths plus room for the flexible one: narrower than that, the box scrolls sideways
  // instead of squeezing the flexible column to nothing.
  const minWidthRem = cols.reduce((sum, c) => sum + (c.width?.endsWith('rem') ? Number.parseFloat(c.width) : 14), 0);
  // A short, complete list takes only the room it needs.
  const fits = !p.hasMore && !p.loading && p.rows.length > 0 && p.rows.length < 12;
  const padBottom = last ? v.getTotalSize() - last.end : 0;

  return (
    <div className="vt" data-testid={p.testId}>
      <div ref={scrollRef} className="vt-scroll" style={{ height: fits ? `calc(${p.rows.length * rowHeight + 4}px + 2.4rem)` : (p.height ?? 'calc(100vh - 16rem)') }}>
        <table aria-label={p.label} aria-rowcount={p.hasMore ? -1 : p.rows.length + 1} style={{ minWidth: `${minWidthRem}rem` }}>
          <colgroup>
            {cols.map((c) => <col key={c.id} style={c.width ? { width: c.width } : undefined} />)}
          </colgroup>
          <thead>
            <tr aria-rowindex={1}>
              {p.selection && (
                <th scope="col" className="vt-sel">
                  <input type="checkbox" aria-label="Select all loaded rows" checked={allOn} onChange={(e) => p.selection!.setAll(allKeys, e.target.checked)} />
                </th>
              )}
              {p.columns.map((c) => {
                const sorted = p.sort && c.sortKey && p.sort.key === c.sortKey;
                return (
                  <th key={c.id} scope="col" className={c.align === 'end' ? 'num' : undefined}
                    aria-sort={sorted ? (p.sort!.order === 'asc' ? 'ascending' : 'descending') : undefined}>
                    {p.sort && c.sortKey ? (
                      <button type="button" className="sort" onClick={() => p.sort!.onSort(c.sortKey!)}>
                        {c.header}<span aria-hidden="true" className="sort-mark">{sorted ? (p.sort.order === 'asc' ? '▲' : '▼') : '↕'}</span>
                      </button>
                    ) : c.header}
                  </th>
                );
              })}
            </tr>
          </thead>
          <tbody ref={bodyRef} onKeyDown={onKey}>
            {padTop > 0 && <tr aria-hidden="true" className="vt-pad"><td colSpan={cols.length} style={{ height: padTop }} /></tr>}
            {items.map((it) => {
              const row = p.rows[it.index]!;
              const key = p.rowKey(row);
              const selected = p.selection?.selected.has(key) ?? false;
              return (
                <tr key={key} data-index={it.index} aria-rowindex={it.index + 2} tabIndex={it.index === active ? 0 : -1}
                  aria-selected={p.selection ? selected : undefined}
                  className={`${p.onOpen ? 'clickable' : ''}${selected ? ' selected' : ''}`}
                  style={{ height: rowHeight }}
                  onFocus={() => setActive(it.index)}
                  onClick={(e) => {
                    if ((e.target as HTMLElement).closest('a,button,input,label')) return;
                    setActive(it.index);
                    p.onOpen?.(row);
                  }}>
                  {p.selection && (
                    <td className="vt-sel">
                      <input type="checkbox" tabIndex={-1} aria-label={`Select row ${it.index + 1}`} checked={selected} onChange={() => p.selection!.toggle(key)} />
                    </td>
                  )}
                  {p.columns.map((c) => <td key={c.id} className={c.align === 'end' ? 'num' : undefined}>{c.render(row)}</td>)}
                </tr>
              );
            })}
            {padBottom > 0 && <tr aria-hidden="true" className="vt-pad"><td colSpan={cols.length} style={{ height: padBottom }} /></tr>}
          </tbody>
        </table>
        {p.loading && <p className="vt-state" role="status">Loading…</p>}
        {!p.loading && p.error !== undefined && p.error !== null && <p className="vt-state error" role="alert">{errorText(p.error)}</p>}
        {!p.loading && !p.error && p.rows.length === 0 && <div className="vt-state">{p.empty}</div>}
      </div>
      <p className="vt-foot muted" aria-live="polite">
        {p.rows.length > 0 && `${fmtInt(p.rows.length)} ${p.rows.length === 1 ? 'row' : 'rows'} loaded${p.hasMore ? ' · more load as you scroll' : ''}${p.loadingMore ? ' · loading…' : ''}`}
      </p>
    </div>
  );
}
