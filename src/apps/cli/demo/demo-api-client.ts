import type { FastifyInstance } from 'fastify';
import { errorCatalogue, TrawlError, type TrawlErrorCode } from '../../../errors/index.js';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** One page of a list route. */
export interface Page<T> {
  readonly items: T[];
  readonly nextCursor: string | null;
}

/**
 * The REST API as its clients see it, without a socket: requests go through Fastify's `inject`, so
 * authentication, validation, scope checks and the audit log all run. A problem response comes back
 * as the TrawlError it was (same code, message and detail).
 */
export class DemoApiClient {
  constructor(private readonly app: FastifyInstance, private readonly token: string) {}

  async request<T>(method: HttpMethod, url: string, body?: unknown): Promise<T> {
    const res = await this.app.inject({
      method, url,
      headers: { authorization: `Bearer ${this.token}` },
      ...(body !== undefined ? { payload: body as Record<string, unknown> } : {}),
    });
    if (res.statusCode >= 400) throw problemError(method, url, res.statusCode, res.body);
    if (res.statusCode === 204 || res.body === '') return undefined as T;
    return (res.headers['content-type'] ?? '').toString().includes('json') ? JSON.parse(res.body) as T : res.body as T;
  }

  get<T>(url: string): Promise<T> {
    return this.request<T>('GET', url);
  }

  /** Every item of a list route, following the cursors (`url` may carry a query already). */
  async all<T>(url: string): Promise<T[]> {
    const out: T[] = [];
    let cursor: string | null = null;
    do {
      const sep = url.includes('?') ? '&' : '?';
      const page: Page<T> = await this.get<Page<T>>(`${url}${sep}limit=500${cursor !== null ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      out.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor !== null);
    return out;
  }
}

function problemError(method: string, url: string, status: number, body: string): TrawlError {
  let problem: Record<string, unknown> = {};
  try {
    problem = JSON.parse(body) as Record<string, unknown>;
  } catch {
    // Not a problem document: the status says enough.
  }
  const code = typeof problem['code'] === 'string' && problem['code'] in errorCatalogue ? problem['code'] as TrawlErrorCode : 'TRAWL_E_INTERNAL';
  const detail = typeof problem['detail'] === 'string' ? problem['detail'] : `HTTP ${status}`;
  return new TrawlError(code, `${method} ${url.split('?')[0] ?? url}: ${detail}`, { status, ...problem });
}
