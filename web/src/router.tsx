/**
 * A small history router: the app has a dozen routes and no nested layouts, which does not warrant a
 * routing library. Filters live in the query string so every view is a shareable, reloadable URL.
 */
import { useCallback, useEffect, useSyncExternalStore, type AnchorHTMLAttributes, type MouseEvent, type ReactNode } from 'react';

export const BASE = '/ui';

const listeners = new Set<() => void>();
function notify(): void {
  for (const l of listeners) l();
}
if (typeof window !== 'undefined') window.addEventListener('popstate', notify);

function subscribe(l: () => void): () => void {
  listeners.add(l);
  return () => listeners.delete(l);
}

function snapshot(): string {
  return window.location.pathname + window.location.search;
}

/** App-relative path (`/findings?status=open`) → absolute URL path. */
export function href(to: string): string {
  return to.startsWith(BASE) ? to : `${BASE}${to.startsWith('/') ? to : `/${to}`}`;
}

export function navigate(to: string, opts: { replace?: boolean } = {}): void {
  const url = href(to);
  if (url === snapshot()) return;
  if (opts.replace) window.history.replaceState(null, '', url);
  else window.history.pushState(null, '', url);
  notify();
  if (!opts.replace) window.scrollTo(0, 0);
}

export interface Location {
  /** Path inside the app, without BASE: `/hosts/127.0.0.1`. */
  readonly path: string;
  readonly query: URLSearchParams;
}

export function useLocation(): Location {
  const s = useSyncExternalStore(subscribe, snapshot, () => '/');
  const u = new URL(s, 'http://x');
  const path = u.pathname.startsWith(BASE) ? u.pathname.slice(BASE.length) || '/' : u.pathname;
  return { path: path === '' ? '/' : path, query: u.searchParams };
}

/** Reads and writes one query-string parameter set (filters, sort), replacing history entries. */
export function useQueryState(): [URLSearchParams, (patch: Record<string, string | string[] | undefined>) => void] {
  const loc = useLocation();
  const set = useCallback((patch: Record<string, string | string[] | undefined>) => {
    const q = new URLSearchParams(window.location.search);
    for (const [k, v] of Object.entries(patch)) {
      q.delete(k);
      if (Array.isArray(v)) for (const x of v) q.append(k, x);
      else if (v !== undefined && v !== '') q.set(k, v);
    }
    const s = q.toString();
    const path = window.location.pathname.slice(BASE.length) || '/';
    navigate(`${path}${s ? `?${s}` : ''}`, { replace: true });
  }, []);
  return [loc.query, set];
}

/** Matches `/hosts/:address` against a path; returns decoded params or undefined. */
export function match(pattern: string, path: string): Record<string, string> | undefined {
  const ps = pattern.split('/');
  const xs = path.split('/');
  if (ps.length !== xs.length) return undefined;
  const out: Record<string, string> = {};
  for (let i = 0; i < ps.length; i++) {
    const p = ps[i]!;
    const x = xs[i]!;
    if (p.startsWith(':')) {
      if (x === '') return undefined;
      try {
        out[p.slice(1)] = decodeURIComponent(x);
      } catch {
        return undefined;
      }
    } else if (p !== x) return undefined;
  }
  return out;
}

export interface LinkProps extends Omit<AnchorHTMLAttributes<HTMLAnchorElement>, 'href'> {
  readonly to: string;
  readonly children?: ReactNode;
}

/** An ordinary link (middle-click, copy address work) that navigates in place on a plain click. */
export function Link({ to, onClick, children, ...rest }: LinkProps) {
  const onClickInner = (e: MouseEvent<HTMLAnchorElement>): void => {
    onClick?.(e);
    if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    e.preventDefault();
    navigate(to);
  };
  return <a href={href(to)} onClick={onClickInner} {...rest}>{children}</a>;
}

/** Sets the document title of a page. */
export function useTitle(title: string): void {
  useEffect(() => {
    document.title = `${title} · Trawl`;
  }, [title]);
}
