import type { FastifyPluginAsync } from 'fastify';
import type { ApiContext } from '../api-context.js';
import { auditSorts, listAudit } from '../audit/audit-queries.js';
import { principalOf } from '../auth/auth-plugin.js';
import { errorResponses, pageOf, pageParams, pageQuery, type PageQuery } from '../http/schemas.js';
import { auditViewSchema } from './view-schemas.js';

/** The audit log of this org (admin only), newest first by default. */
export const auditRoutes: FastifyPluginAsync<ApiContext> = async (app, ctx) => {
  app.get<{ Querystring: PageQuery & { action?: string; actor?: string; target?: string; since?: string; until?: string } }>('/audit-log', {
    config: { minRole: 'admin' },
    schema: {
      tags: ['audit'], summary: 'Audit log of mutating calls',
      querystring: pageQuery(Object.keys(auditSorts), {
        action: { type: 'string', maxLength: 100 }, actor: { type: 'string', maxLength: 100 }, target: { type: 'string', maxLength: 100 },
        since: { type: 'string', format: 'date-time' }, until: { type: 'string', format: 'date-time' },
      }),
      response: { 200: pageOf(auditViewSchema), ...errorResponses },
    },
  }, async (request) => {
    const { action, actor, target, since, until } = request.query;
    const iso = (s: string): string => new Date(s).toISOString();
    return listAudit(ctx.db, principalOf(request).orgId, {
      ...(action !== undefined ? { action } : {}), ...(actor !== undefined ? { actor } : {}), ...(target !== undefined ? { target } : {}),
      ...(since !== undefined ? { since: iso(since) } : {}), ...(until !== undefined ? { until: iso(until) } : {}),
    }, pageParams(request.query, auditSorts, 'desc'));
  });
};
