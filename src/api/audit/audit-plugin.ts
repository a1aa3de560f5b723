import type { Kysely } from 'kysely';
import type { Database } from '../../store/schema.js';
import { sharedPlugin } from '../http/shared-plugin.js';
import { appendAudit } from './audit-queries.js';
import '../http/fastify-augment.js';

const MUTATING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

export interface AuditPluginOptions extends Record<string, unknown> {
  readonly db: Kysely<Database>;
}

/**
 * Writes one audit entry per authenticated mutating call — refused ones included (a 403 is worth
 * knowing about) — before the response leaves, so a client that got an answer can find the entry.
 * A failed audit write is logged; the mutation itself has already happened and is not undone.
 */
export const auditPlugin = sharedPlugin<AuditPluginOptions>('trawl-audit', async (app, opts) => {
  app.addHook('onSend', async (request, reply, payload) => {
    const p = request.principal;
    if (p === null || !MUTATING.has(request.method)) return payload;
    const params = request.params as Record<string, unknown> | undefined;
    const target = request.auditTarget ?? (typeof params?.['id'] === 'string' ? params['id'] : null);
    const route = request.routeOptions.url ?? request.url.split('?')[0] ?? '';
    try {
      await appendAudit(opts.db, {
        orgId: p.orgId, actor: p.actor, actorRole: p.role, action: request.routeOptions.config.audit ?? `${request.method} ${route}`,
        target, method: request.method, path: request.url.split('?')[0]!.slice(0, 500), statusCode: reply.statusCode, requestId: request.id,
        ts: new Date().toISOString(),
      });
    } catch (e) {
      request.log.error({ err: e }, 'audit log write failed');
    }
    return payload;
  });
});
