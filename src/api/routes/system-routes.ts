import type { FastifyPluginAsync } from 'fastify';
import type { ApiContext } from '../api-context.js';
import { principalOf } from '../auth/auth-plugin.js';
import { notFound } from '../http/problem-plugin.js';
import { errorResponses } from '../http/schemas.js';
import { getOrg, setOrgScope } from '../queries/org-queries.js';
import { MAX_SCOPE_ENTRIES } from '../queries/org-scope.js';
import { orgViewSchema } from './view-schemas.js';

/** /health (public), /me, and the org itself with its declared scope. */
export const systemRoutes: FastifyPluginAsync<ApiContext> = async (app, ctx) => {
  app.get('/health', {
    config: { public: true, rateLimit: false },
    schema: { tags: ['system'], summary: 'Liveness (no authentication)', security: [], response: { 200: { type: 'object', properties: { status: { type: 'string' } } } } },
  }, async () => ({ status: 'ok' }));

  app.get('/me', {
    schema: {
      tags: ['system'], summary: 'Who this key is',
      response: { 200: { type: 'object', properties: { orgId: { type: 'string' }, role: { type: 'string' }, actor: { type: 'string' }, strategy: { type: 'string' } } }, ...errorResponses },
    },
  }, async (request) => {
    const p = principalOf(request);
    return { orgId: p.orgId, role: p.role, actor: p.actor, strategy: p.strategy };
  });

  app.get('/org', {
    schema: { tags: ['org'], summary: 'This organisation and its declared scope', response: { 200: orgViewSchema, ...errorResponses } },
  }, async (request) => {
    const p = principalOf(request);
    const org = await getOrg(ctx.db, p.orgId);
    if (!org) throw notFound('organisation', p.orgId);
    return org;
  });

  app.put<{ Body: { scope: string[] } }>('/org/scope', {
    config: { minRole: 'admin', audit: 'org.scope.set' },
    schema: {
      tags: ['org'],
      summary: 'Declare the address space this organisation may scan',
      description: 'Addresses, CIDRs and ranges. Assessments whose targets fall outside are refused with TRAWL_E_OUT_OF_SCOPE.',
      body: {
        type: 'object',
        properties: { scope: { type: 'array', maxItems: MAX_SCOPE_ENTRIES, items: { type: 'string', minLength: 1, maxLength: 100 } } },
        required: ['scope'],
        additionalProperties: false,
      },
      response: { 200: orgViewSchema, ...errorResponses },
    },
  }, async (request) => {
    const p = principalOf(request);
    request.auditTarget = p.orgId;
    return setOrgScope(ctx.db, p.orgId, request.body.scope);
  });
};
