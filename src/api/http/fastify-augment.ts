import type { Principal } from '../auth/principal.js';
import type { Role } from '../auth/roles.js';

/**
 * Route config every Trawl route may set:
 * - `public`: no authentication (only /health, /openapi.json and the docs UI);
 * - `minRole`: least role allowed (default viewer);
 * - `audit`: the action name written to the audit log for mutating calls.
 */
declare module 'fastify' {
  interface FastifyContextConfig {
    public?: boolean;
    minRole?: Role;
    audit?: string;
  }
  interface FastifyRequest {
    principal: Principal | null;
    /** What a mutating call acted on (an id), for the audit log; defaults to the `id` path parameter. */
    auditTarget: string | null;
  }
}

export {};
