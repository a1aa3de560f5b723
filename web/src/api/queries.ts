/** TanStack Query wiring: keys, list paging by cursor, and the session. */
import { QueryClient, useInfiniteQuery, useQuery, type InfiniteData } from '@tanstack/react-query';
import { api, ProblemError, type QueryValue } from './client';
import type { Page, Session } from './types';

export const queryClient = new QueryClient({
  defaultOptions: {
    queries: {
      staleTime: 15_000,
      refetchOnWindowFocus: false,
      // 4xx will not get better by asking again.
      retry: (n, e) => !(e instanceof ProblemError && e.status >= 400 && e.status < 500) && n < 2,
    },
  },
});

export function useSession() {
  return useQuery({ queryKey: ['session'], queryFn: ({ signal }) => api<Session>('/session', { signal }), staleTime: Infinity, retry: false });
}

export function useDoc<T>(path: string | null, query?: Readonly<Record<string, QueryValue>>, opts: { refetchMs?: number; staleMs?: number } = {}) {
  return useQuery({
    queryKey: [path, query ?? {}],
    queryFn: ({ signal }) => api<T>(path!, { query, signal }),
    enabled: path !== null,
    ...(opts.refetchMs !== undefined ? { refetchInterval: opts.refetchMs } : {}),
    ...(opts.staleMs !== undefined ? { staleTime: opts.staleMs } : {}),
  });
}

/**
 * A cursor-paged list: pages of `limit` rows, the next one fetched when the table scrolls near its
 * end. The query key holds every filter, so changing one starts over from the first page.
 */
export function useList<T>(path: string, query: Readonly<Record<string, QueryValue>>, limit = 100, enabled = true) {
  return useInfiniteQuery<Page<T>, Error, InfiniteData<Page<T>>, readonly unknown[], string | undefined>({
    queryKey: [path, 'list', query, limit],
    queryFn: ({ pageParam, signal }) => api<Page<T>>(path, { query: { ...query, limit, ...(pageParam !== undefined ? { cursor: pageParam } : {}) }, signal }),
    initialPageParam: undefined,
    getNextPageParam: (last) => last.nextCursor ?? undefined,
    enabled,
  });
}

/** Every item of a list up to `max`, page by page (exports). */
export async function fetchAll<T>(path: string, query: Readonly<Record<string, QueryValue>>, max: number, onProgress?: (n: number) => void): Promise<{ items: T[]; truncated: boolean }> {
  const items: T[] = [];
  let cursor: string | undefined;
  for (;;) {
    const page = await api<Page<T>>(path, { query: { ...query, limit: 500, ...(cursor !== undefined ? { cursor } : {}) } });
    items.push(...page.items);
    onProgress?.(items.length);
    if (page.nextCursor === null) return { items, truncated: false };
    if (items.length >= max) return { items: items.slice(0, max), truncated: true };
    cursor = page.nextCursor;
  }
}
