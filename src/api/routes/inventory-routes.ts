import type { FastifyPluginAsync } from 'fastify';
import { TrawlError } from '../../errors/trawl-error.js';
import { triageFinding } from '../../inventory/finding-lifecycle.js';
import { annotateAsset } from '../../inventory/inventory-queries.js';
import { changeKinds } from '../../inventory/inventory-types.js';
import { riskScores } from '../../inventory/risk-score.js';
import { trendSeries } from '../../inventory/trend-series.js';
import type { AssetState, ChangeKind, FindingStatus, SeverityLevel } from '../../store/schema.js';
import type { ApiContext } from '../api-context.js';
import { principalOf } from '../auth/auth-plugin.js';
import { notFound } from '../http/problem-plugin.js';
import { errorResponses, idPattern, nullableString, pageOf, pageParams, pageQuery, problemResponse, tagSchema, zoneSchema, type PageQuery } from '../http/schemas.js';
import {
  assetSorts, changeSorts, findingSorts, getAsset, getOrgFinding, listAssetsPage, listChangesPage, listFindingsPage,
} from '../queries/inventory-list.js';
import { defaultServiceOrder, listServicesPage, serviceSorts, type ServiceFilter } from '../queries/service-list.js';

const str = { type: 'string' } as const;
const int = { type: 'integer' } as const;
const json = {} as const;
const addressSchema = { type: 'string', pattern: '^[0-9A-Za-z:.%_-]{2,100}$', description: 'An IPv4 or IPv6 address' } as const;
const severities = ['critical', 'high', 'medium', 'low', 'none', 'unknown'];
const findingStatuses = ['open', 'fixed', 'accepted_risk', 'false_positive'];

const assetSchema = {
  type: 'object',
  properties: {
    address: str, hostnames: { type: 'array', items: str }, zone: str, tags: { type: 'array', items: str }, owner: nullableString,
    firstSeen: str, lastSeen: str, state: str, lastScanId: str,
  },
} as const;

const serviceSchema = {
  type: 'object',
  properties: {
    address: str, port: int, proto: str,
    identity: { anyOf: [{ type: 'object', properties: { name: str, product: nullableString, version: nullableString, banner: nullableString } }, { type: 'null' }] },
    tls: { anyOf: [{ type: 'object', properties: { fingerprint: str, notAfter: nullableString } }, { type: 'null' }] },
    hostnames: { type: 'array', items: str, description: 'Of the asset' },
    zone: { ...nullableString, description: 'Of the asset' },
    tags: { type: 'array', items: str, description: 'Of the asset' },
    findings: {
      type: 'object', description: 'Open findings on this service',
      properties: { open: int, maxSeverity: { anyOf: [{ type: 'string', enum: severities }, { type: 'null' }] } },
    },
    firstSeen: str, lastSeen: str, state: str, silentScans: int, lastScanId: str,
  },
} as const;

export const findingSchema = {
  type: 'object',
  properties: {
    id: str, address: str, port: int, proto: str, checkId: str, severity: str, title: nullableString, status: str, firstSeen: str, lastSeen: str,
    openedAt: str, fixedAt: nullableString, timesSeen: int, reopenedCount: int, firstScanId: str, lastScanId: str, evidence: json,
    triage: { anyOf: [{ type: 'object', properties: { by: str, reason: str, until: nullableString, at: str } }, { type: 'null' }] },
  },
} as const;

export const changeSchema = {
  type: 'object',
  properties: {
    id: nullableString, kind: str, scanId: str, prevScanId: nullableString, at: str, address: str, port: { anyOf: [int, { type: 'null' }] },
    proto: nullableString, checkId: nullableString, before: json, after: json, evidence: nullableString,
  },
} as const;

/** Strips the org id from inventory records: the caller's org is implied. */
function withoutOrg<T extends { orgId: string }>(r: T): Omit<T, 'orgId'> {
  const { orgId: _org, ...rest } = r;
  return rest;
}

/** Assets, services, findings (with triage) and change events: the inventory view, org-scoped. */
export const inventoryRoutes: FastifyPluginAsync<ApiContext> = async (app, ctx) => {
  app.get<{ Querystring: PageQuery & { state?: AssetState; zone?: string; tag?: string; owner?: string } }>('/assets', {
    schema: {
      tags: ['inventory'], summary: 'Assets (addresses seen), current state',
      querystring: pageQuery(Object.keys(assetSorts), { state: { type: 'string', enum: ['up', 'gone'] }, zone: zoneSchema, tag: tagSchema, owner: { type: 'string', maxLength: 200 } }),
      response: { 200: pageOf(assetSchema), ...errorResponses },
    },
  }, async (request) => {
    const { state, zone, tag, owner } = request.query;
    const page = await listAssetsPage(ctx.db, principalOf(request).orgId, {
      ...(state !== undefined ? { state } : {}), ...(zone !== undefined ? { zone } : {}), ...(tag !== undefined ? { tag } : {}), ...(owner !== undefined ? { owner } : {}),
    }, pageParams(request.query, assetSorts, 'asc'));
    return { items: page.items.map(withoutOrg), nextCursor: page.nextCursor };
  });

  app.get<{ Params: { address: string } }>('/assets/:address', {
    schema: { tags: ['inventory'], summary: 'One asset', params: { type: 'object', properties: { address: addressSchema }, required: ['address'] }, response: { 200: assetSchema, ...errorResponses } },
  }, async (request) => {
    const a = await getAsset(ctx.db, principalOf(request).orgId, request.params.address);
    if (!a) throw notFound('asset', request.params.address);
    return withoutOrg(a);
  });

  app.patch<{ Params: { address: string }; Body: { zone?: string | null; tags?: string[] | null; owner?: string | null } }>('/assets/:address', {
    config: { minRole: 'analyst', audit: 'asset.annotate' },
    schema: {
      tags: ['inventory'], summary: 'Set owner, tags or zone of an asset (kept across rebuilds)',
      params: { type: 'object', properties: { address: addressSchema }, required: ['address'] },
      body: {
        type: 'object',
        properties: {
          zone: { anyOf: [zoneSchema, { type: 'null' }] },
          tags: { anyOf: [{ type: 'array', maxItems: 64, items: tagSchema }, { type: 'null' }] },
          owner: { anyOf: [{ type: 'string', minLength: 1, maxLength: 200 }, { type: 'null' }] },
        },
        additionalProperties: false,
        minProperties: 1,
      },
      response: { 200: assetSchema, ...errorResponses },
    },
  }, async (request) => {
    const p = principalOf(request);
    const existing = await getAsset(ctx.db, p.orgId, request.params.address);
    if (!existing) throw notFound('asset', request.params.address);
    await annotateAsset(ctx.db, { orgId: p.orgId, address: request.params.address, ...request.body, by: p.actor });
    request.auditTarget = existing.address;
    return withoutOrg((await getAsset(ctx.db, p.orgId, request.params.address))!);
  });

  app.get<{ Querystring: PageQuery & ServiceFilter }>('/services', {
    schema: {
      tags: ['inventory'],
      summary: 'Services (address, port) with identity, TLS certificate, the asset\'s zone and tags, and open findings',
      description: 'Search (`q`: part of the address, a host name, service, product, version or banner, any case), filter (state, port, '
        + 'asset, exact service or product, the asset\'s zone or tag, open findings: `hasFinding`, `check`, `minSeverity`) and sort '
        + '(address, port, service, product, lastSeen). Every sort is an index walk: the first page of 100,000 services costs what the first of 100 does.',
      querystring: pageQuery(Object.keys(serviceSorts), {
        state: { type: 'string', enum: ['open', 'closed', 'unknown'] }, port: { type: 'integer', minimum: 0, maximum: 65535 }, asset: addressSchema,
        service: { type: 'string', maxLength: 100 }, product: { type: 'string', maxLength: 200 },
        q: { type: 'string', maxLength: 200, description: 'Case-insensitive substring of the address, a host name, the service, product, version or banner' },
        zone: zoneSchema, tag: tagSchema,
        hasFinding: { type: 'boolean', description: 'true: services with an open finding; false: without' },
        check: { type: 'string', minLength: 1, maxLength: 200, description: 'Services with an open finding of this check' },
        minSeverity: { type: 'string', enum: severities, description: 'Services with an open finding of at least this severity' },
      }),
      response: { 200: pageOf(serviceSchema), ...errorResponses },
    },
  }, async (request) => {
    const { limit: _l, cursor: _c, sort: _s, order: _o, ...filter } = request.query;
    return listServicesPage(ctx.db, principalOf(request).orgId, filter, pageParams({ ...request.query }, serviceSorts, defaultServiceOrder(request.query.sort)));
  });

  app.get<{ Querystring: PageQuery & { severity?: SeverityLevel[]; status?: FindingStatus[]; check?: string; asset?: string; port?: number } }>('/findings', {
    schema: {
      tags: ['findings'], summary: 'Findings; filter by severity, status, check and asset; sort by severity (default), time or address',
      querystring: pageQuery(Object.keys(findingSorts), {
        severity: { type: 'array', maxItems: 6, items: { type: 'string', enum: severities } },
        status: { type: 'array', maxItems: 4, items: { type: 'string', enum: findingStatuses } },
        check: { type: 'string', minLength: 1, maxLength: 200 },
        asset: addressSchema,
        port: { type: 'integer', minimum: 0, maximum: 65535 },
      }),
      response: { 200: pageOf(findingSchema), ...errorResponses },
    },
  }, async (request) => {
    const { severity, status, check, asset, port } = request.query;
    const page = await listFindingsPage(ctx.db, principalOf(request).orgId, {
      ...(severity !== undefined ? { severity } : {}), ...(status !== undefined ? { status } : {}), ...(check !== undefined ? { check } : {}),
      ...(asset !== undefined ? { asset } : {}), ...(port !== undefined ? { port } : {}),
    }, pageParams(request.query, findingSorts, 'desc'));
    return { items: page.items.map(withoutOrg), nextCursor: page.nextCursor };
  });

  app.get<{ Params: { id: string } }>('/findings/:id', {
    schema: {
      tags: ['findings'], summary: 'One finding with its triage',
      params: { type: 'object', properties: { id: { type: 'string', pattern: '^[0-9A-Za-z_-]{1,80}$' } }, required: ['id'] },
      response: { 200: findingSchema, ...errorResponses },
    },
  }, async (request) => {
    const f = await getOrgFinding(ctx.db, principalOf(request).orgId, request.params.id);
    if (!f) throw notFound('finding', request.params.id);
    return withoutOrg(f);
  });

  app.patch<{ Params: { id: string }; Body: { status: 'accepted_risk' | 'false_positive' | 'open'; reason: string; until?: string | null } }>('/findings/:id', {
    config: { minRole: 'analyst', audit: 'finding.triage' },
    schema: {
      tags: ['findings'], summary: 'Triage a finding: accept the risk, mark a false positive, or reopen (status open)',
      params: { type: 'object', properties: { id: { type: 'string', pattern: '^[0-9A-Za-z_-]{1,80}$' } }, required: ['id'] },
      body: {
        type: 'object',
        properties: {
          status: { type: 'string', enum: ['accepted_risk', 'false_positive', 'open'] },
          reason: { type: 'string', minLength: 1, maxLength: 4000 },
          until: { anyOf: [{ type: 'string', format: 'date-time' }, { type: 'null' }], description: 'When the decision lapses' },
        },
        required: ['status', 'reason'],
        additionalProperties: false,
      },
      response: { 200: findingSchema, 409: problemResponse('The finding is fixed; nothing to triage'), ...errorResponses },
    },
  }, async (request) => {
    const p = principalOf(request);
    const f = await getOrgFinding(ctx.db, p.orgId, request.params.id);
    if (!f) throw notFound('finding', request.params.id);
    if (f.status === 'fixed') throw new TrawlError('TRAWL_E_CONFLICT', `finding ${f.id} is fixed; there is nothing to triage`, { id: f.id });
    const until = request.body.until;
    if (typeof until === 'string' && Date.parse(until) <= Date.now()) {
      throw new TrawlError('TRAWL_E_VALIDATION', 'body.until must be in the future', { field: 'body.until' });
    }
    const updated = await triageFinding(ctx.db, f.id, { status: request.body.status, reason: request.body.reason, by: p.actor, ...(until !== undefined ? { until } : {}) });
    return withoutOrg(updated);
  });

  app.get<{ Querystring: PageQuery & { kind?: ChangeKind[]; scanId?: string; asset?: string; since?: string; until?: string } }>('/changes', {
    schema: {
      tags: ['inventory'], summary: 'Change events (port opened/closed, service/version changed, certificate rotated, finding opened/fixed/reopened…)',
      querystring: pageQuery(Object.keys(changeSorts), {
        kind: { type: 'array', maxItems: changeKinds.length, items: { type: 'string', enum: [...changeKinds] } },
        scanId: { type: 'string', pattern: idPattern }, asset: addressSchema,
        since: { type: 'string', format: 'date-time' }, until: { type: 'string', format: 'date-time' },
      }),
      response: { 200: pageOf(changeSchema), ...errorResponses },
    },
  }, async (request) => {
    const { kind, scanId, asset, since, until } = request.query;
    const iso = (s: string): string => new Date(s).toISOString();
    const page = await listChangesPage(ctx.db, principalOf(request).orgId, {
      ...(kind !== undefined ? { kind } : {}), ...(scanId !== undefined ? { scanId } : {}), ...(asset !== undefined ? { asset } : {}),
      ...(since !== undefined ? { since: iso(since) } : {}), ...(until !== undefined ? { until: iso(until) } : {}),
    }, pageParams(request.query, changeSorts, 'desc'));
    return { items: page.items.map(withoutOrg), nextCursor: page.nextCursor };
  });

  app.get<{ Querystring: { limit: number } }>('/risk', {
    schema: {
      tags: ['inventory'], summary: 'Risk score of the organisation and its riskiest assets (0-100)',
      querystring: { type: 'object', properties: { limit: { type: 'integer', minimum: 1, maximum: 1000, default: 50 } }, additionalProperties: false },
      response: {
        200: {
          type: 'object',
          properties: {
            at: str, score: { type: 'number' },
            assets: { type: 'array', items: { type: 'object', properties: { address: str, zone: str, raw: { type: 'number' }, score: { type: 'number' }, openFindings: int, exposedServices: int } } },
          },
        },
        ...errorResponses,
      },
    },
  }, async (request) => {
    const r = await riskScores(ctx.db, { orgId: principalOf(request).orgId });
    return { at: r.at, score: r.score, assets: r.assets.slice(0, request.query.limit) };
  });

  app.get<{ Querystring: { days: number; until?: string } }>('/trends', {
    schema: {
      tags: ['inventory'], summary: 'Daily open findings by severity, assets, services and risk',
      querystring: { type: 'object', properties: { days: { type: 'integer', minimum: 1, maximum: 366, default: 30 }, until: { type: 'string', format: 'date-time' } }, additionalProperties: false },
      response: {
        200: {
          type: 'object',
          properties: {
            points: {
              type: 'array',
              items: {
                type: 'object',
                properties: { day: str, source: str, open: { type: 'object', additionalProperties: int }, openTotal: int, assets: int, services: int, risk: { type: 'number' } },
              },
            },
          },
        },
        ...errorResponses,
      },
    },
  }, async (request) => ({
    points: await trendSeries(ctx.db, { orgId: principalOf(request).orgId, days: request.query.days, ...(request.query.until !== undefined ? { until: request.query.until } : {}) }),
  }));
};
