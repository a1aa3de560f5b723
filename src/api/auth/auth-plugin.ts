import { TrawlError } from '../../errors/trawl-error.js';
import type { Principal } from './principal.js';
import type { AuthStrategy } from './auth-strategy.js';
import { roleAtLeast } from './roles.js';
import { sharedPlugin } from '../http/shared-plugin.js';
import type { FastifyRequest } from 'fastify';
import '../http/fastify-augment.js';

export interface AuthPluginOptions extends Record<string, unknown> {
  /** Asked in order; the first that does not skip decides. */
  readonly strategies: readonly AuthStrategy[];
  /** URL prefixes served without authentication (the docs UI's assets). */
  readonly publicPrefixes?: readonly string[];
}

/**
 * Authenticates every request (routes opt out with `config.public`), then enforces the route's
 * `config.minRole`. Runs as the first onRequest hook, so rate limits and handlers see a principal.
 */
export const authPlugin = sharedPlugin<AuthPluginOptions>('trawl-auth', async (app, opts) => {
  app.decorateRequest('principal', null);
  app.decorateRequest('auditTarget', null);
  const prefixes = opts.publicPrefixes ?? [];
  app.addHook('onRequest', async (request) => {
    const config = request.routeOptions.config;
    const url = request.routeOptions.url ?? '';
    if (config.public === true || prefixes.some((p) => url === p || url.startsWith(`${p}/`))) return;
    for (const strategy of opts.strategies) {
      const outcome = await strategy.authenticate(request);
      if (outcome.kind === 'skip') continue;
      if (outcome.kind === 'reject') throw new TrawlError('TRAWL_E_UNAUTHENTICATED', outcome.reason, { strategy: strategy.name });
      request.principal = outcome.principal;
      break;
    }
    if (request.principal === null) throw new TrawlError('TRAWL_E_UNAUTHENTICATED', 'no credentials: send "Authorization: Bearer trawl_…" with an API key');
    const need = config.minRole ?? 'viewer';
    if (!roleAtLeast(request.principal.role, need)) {
      throw new TrawlError('TRAWL_E_FORBIDDEN', `${request.method} ${url} needs role ${need}; this key has role ${request.principal.role}`, { need, have: request.principal.role });
    }
  });
});

/** The authenticated principal of a non-public route (the auth hook guarantees one). */
export function principalOf(request: FastifyRequest): Principal {
  if (request.principal === null) throw new TrawlError('TRAWL_E_UNAUTHENTICATED', 'not authenticated');
  return request.principal;
}
