/**
 * The dashboard's only way to the server: same-origin fetch with the session cookie. Errors come back
 * as RFC 9457 problem details, kept whole in ProblemError so forms can put `detail` next to `field`.
 */

export interface Problem {
  readonly type?: string;
  readonly title?: string;
  readonly status: number;
  readonly detail: string;
  readonly code?: string;
  readonly field?: string;
  readonly requestId?: string;
  readonly retryAfter?: number;
}

export class ProblemError extends Error {
  readonly problem: Problem;
  constructor(problem: Problem) {
    super(problem.detail);
    this.name = 'ProblemError';
    this.problem = problem;
  }
  get status(): number {
    return this.problem.status;
  }
  get field(): string | undefined {
    return this.problem.field;
  }
}

export type QueryValue = string | number | boolean | null | undefined | readonly (string | number)[];

/** `{a: 1, s: ['x', 'y'], b: undefined}` → `?a=1&s=x&s=y` (the API reads repeated keys as arrays). */
export function queryString(q: Readonly<Record<string, QueryValue>> | undefined): string {
  if (!q) return '';
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) {
    if (v === undefined || v === null || v === '') continue;
    if (Array.isArray(v)) for (const x of v) p.append(k, String(x));
    else p.append(k, String(v));
  }
  const s = p.toString();
  return s === '' ? '' : `?${s}`;
}

export interface RequestOptions {
  readonly method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  readonly query?: Readonly<Record<string, QueryValue>>;
  readonly body?: unknown;
  readonly signal?: AbortSignal;
}

/** Listeners told when the server says the session is gone (the app shows the login form). */
const unauthenticated = new Set<() => void>();
export function onUnauthenticated(fn: () => void): () => void {
  unauthenticated.add(fn);
  return () => unauthenticated.delete(fn);
}

export async function api<T>(path: string, o: RequestOptions = {}): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json, application/problem+json' };
  if (o.body !== undefined) headers['content-type'] = 'application/json';
  let res: Response;
  try {
    res = await fetch(`${path}${queryString(o.query)}`, {
      method: o.method ?? 'GET',
      headers,
      credentials: 'same-origin',
      ...(o.body !== undefined ? { body: JSON.stringify(o.body) } : {}),
      ...(o.signal ? { signal: o.signal } : {}),
    });
  } catch (e) {
    if ((e as Error).name === 'AbortError') throw e;
    throw new ProblemError({ status: 0, title: 'Network error', detail: `the server could not be reached (${(e as Error).message})` });
  }
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  let body: unknown;
  try {
    body = text === '' ? undefined : JSON.parse(text);
  } catch {
    body = undefined;
  }
  if (!res.ok) {
    const p = (typeof body === 'object' && body !== null ? body : {}) as Partial<Problem>;
    const problem: Problem = { ...p, status: res.status, detail: p.detail ?? (text.slice(0, 300) || res.statusText) };
    if (res.status === 401 && !path.startsWith('/session')) for (const fn of unauthenticated) fn();
    throw new ProblemError(problem);
  }
  return body as T;
}

/** A human sentence for any error a query or mutation can throw. */
export function errorText(e: unknown): string {
  if (e instanceof ProblemError) return e.problem.detail;
  if (e instanceof Error) return e.message;
  return String(e);
}
