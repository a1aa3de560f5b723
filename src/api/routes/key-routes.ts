import type { FastifyPluginAsync } from 'fastify';
import type { ApiRole } from '../../store/schema.js';
import type { ApiContext } from '../api-context.js';
import { principalOf } from '../auth/auth-plugin.js';
import { notFound } from '../http/problem-plugin.js';
import { errorResponses, idParam, idPattern, pageOf, pageParams, pageQuery, type PageQuery } from '../http/schemas.js';
import { createApiKey, getApiKey, keySorts, listApiKeys, revokeApiKey } from '../queries/key-queries.js';
import { getUser } from '../queries/user-queries.js';
import { apiKeyViewSchema } from './view-schemas.js';
import { TrawlError } from '../../errors/trawl-error.js';

/** API keys: admin only. The token is returned once, by the create call. */
export const keyRoutes: FastifyPluginAsync<ApiContext> = async (app, ctx) => {
  const tags = ['api-keys'];

  app.get<{ Querystring: PageQuery & { includeRevoked?: boolean } }>('/api-keys', {
    config: { minRole: 'admin' },
    schema: { tags, summary: 'List API keys', querystring: pageQuery(Object.keys(keySorts), { includeRevoked: { type: 'boolean', default: false } }), response: { 200: pageOf(apiKeyViewSchema), ...errorResponses } },
  }, async (request) => {
    const p = principalOf(request);
    return listApiKeys(ctx.db, p.orgId, { ...pageParams(request.query, keySorts, 'desc'), includeRevoked: request.query.includeRevoked === true });
  });

  app.post<{ Body: { name: string; role: ApiRole; userId?: string } }>('/api-keys', {
    config: { minRole: 'admin', audit: 'api-key.create' },
    schema: {
      tags, summary: 'Create an API key (the token is shown once)',
      body: {
        type: 'object',
        properties: { name: { type: 'string', minLength: 1, maxLength: 100 }, role: { type: 'string', enum: ['admin', 'analyst', 'viewer'] }, userId: { type: 'string', pattern: idPattern } },
        required: ['name', 'role'],
        additionalProperties: false,
      },
      response: { 201: { type: 'object', properties: { key: apiKeyViewSchema, token: { type: 'string', description: 'trawl_<id>_<secret>; store it now, it cannot be shown again' } } }, ...errorResponses },
    },
  }, async (request, reply) => {
    const p = principalOf(request);
    if (request.body.userId !== undefined && !(await getUser(ctx.db, p.orgId, request.body.userId))) {
      throw new TrawlError('TRAWL_E_VALIDATION', `body.userId: no user ${request.body.userId} in this organisation`, { field: 'body.userId' });
    }
    const created = await createApiKey(ctx.db, { orgId: p.orgId, name: request.body.name, role: request.body.role, userId: request.body.userId ?? null, createdBy: p.actor });
    request.auditTarget = created.key.id;
    return reply.code(201).send(created);
  });

  app.get<{ Params: { id: string } }>('/api-keys/:id', {
    config: { minRole: 'admin' },
    schema: { tags, summary: 'One API key', params: idParam, response: { 200: apiKeyViewSchema, ...errorResponses } },
  }, async (request) => {
    const key = await getApiKey(ctx.db, principalOf(request).orgId, request.params.id);
    if (!key) throw notFound('API key', request.params.id);
    return key;
  });

  app.delete<{ Params: { id: string } }>('/api-keys/:id', {
    config: { minRole: 'admin', audit: 'api-key.revoke' },
    schema: { tags, summary: 'Revoke an API key (it fails authentication from now on)', params: idParam, response: { 200: apiKeyViewSchema, ...errorResponses } },
  }, async (request) => {
    const key = await revokeApiKey(ctx.db, principalOf(request).orgId, request.params.id);
    if (!key) throw notFound('API key', request.params.id);
    return key;
  });
};
