import { TrawlError } from '../../errors/trawl-error.js';
import type { SortDirection } from '../pagination/cursor.js';
import type { SortKey } from '../pagination/keyset.js';

/** JSON Schema fragments shared by the routes (and so by the OpenAPI document). */
export const problemSchema = {
  $id: 'Problem',
  type: 'object',
  description: 'RFC 9457 problem details. `code` is the Trawl error code; validation problems name the bad `field`.',
  properties: {
    type: { type: 'string' },
    title: { type: 'string' },
    status: { type: 'integer' },
    detail: { type: 'string' },
    code: { type: 'string' },
    instance: { type: 'string' },
    requestId: { type: 'string' },
    field: { type: 'string' },
  },
  required: ['type', 'title', 'status', 'detail'],
  additionalProperties: true,
} as const;

export const idPattern = '^[0-9a-z]{1,40}$';
export const idParam = { type: 'object', properties: { id: { type: 'string', pattern: idPattern } }, required: ['id'], additionalProperties: false } as const;
export const tagSchema = { type: 'string', pattern: '^[A-Za-z0-9._:/-]{1,64}$' } as const;
export const zoneSchema = { type: 'string', pattern: '^[A-Za-z0-9._-]{1,64}$' } as const;
export const nullableString = { anyOf: [{ type: 'string' }, { type: 'null' }] } as const;

/** limit/cursor/order/sort query parameters of a list route. */
export function pageQuery(sorts: readonly string[], extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    type: 'object',
    properties: {
      limit: { type: 'integer', minimum: 1, maximum: 500, default: 50 },
      cursor: { type: 'string', minLength: 1, maxLength: 2048, description: 'Opaque; from the previous page\'s nextCursor' },
      sort: { type: 'string', enum: [...sorts], default: sorts[0] },
      order: { type: 'string', enum: ['asc', 'desc'] },
      ...extra,
    },
    additionalProperties: false,
  };
}

/** `{items: [...], nextCursor}` around an item schema. */
export function pageOf(item: Record<string, unknown>): Record<string, unknown> {
  return {
    type: 'object',
    properties: { items: { type: 'array', items: item }, nextCursor: { anyOf: [{ type: 'string' }, { type: 'null' }] } },
    required: ['items', 'nextCursor'],
  };
}

export interface PageQuery {
  limit: number;
  cursor?: string;
  sort: string;
  order?: SortDirection;
}

export function pageParams(q: PageQuery, sorts: Readonly<Record<string, SortKey>>, defaultOrder: SortDirection): { limit: number; cursor?: string; sort: SortKey; direction: SortDirection } {
  const sort = sorts[q.sort];
  if (!sort) throw new TrawlError('TRAWL_E_VALIDATION', `querystring.sort must be one of ${Object.keys(sorts).join(', ')}`, { field: 'querystring.sort' });
  return { limit: q.limit, ...(q.cursor !== undefined ? { cursor: q.cursor } : {}), sort, direction: q.order ?? defaultOrder };
}

/** Error responses every authenticated route can give, for the OpenAPI document. */
export const problemResponse = (description: string) => ({ description, content: { 'application/problem+json': { schema: { $ref: 'Problem#' } } } });

export const errorResponses = {
  400: problemResponse('Validation failed; `field` names the offending field'),
  401: problemResponse('Missing, invalid or revoked API key'),
  403: problemResponse('Role too low, or target outside the declared scope'),
  404: problemResponse('No such resource in this organisation'),
  429: problemResponse('Rate limit of this key exceeded'),
} as const;
