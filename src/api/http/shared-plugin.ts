import type { FastifyPluginAsync } from 'fastify';

/**
 * Marks a plugin as not encapsulated (Fastify's `skip-override`, what fastify-plugin sets), so the
 * hooks and decorators it adds apply to the routes of its parent. Used only for cross-cutting
 * concerns (errors, auth, audit, rate limits); route plugins stay encapsulated.
 */
export function sharedPlugin<Options extends Record<string, unknown>>(name: string, plugin: FastifyPluginAsync<Options>): FastifyPluginAsync<Options> {
  const marked = plugin as FastifyPluginAsync<Options> & Record<symbol, unknown>;
  marked[Symbol.for('skip-override')] = true;
  marked[Symbol.for('fastify.display-name')] = name;
  return marked;
}
