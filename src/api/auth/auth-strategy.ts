import type { FastifyRequest } from 'fastify';
import type { Principal } from './principal.js';

/**
 * One way of proving who a request is (API key now; browser sessions later). `skip` means the
 * request carries nothing this strategy understands, so the next one is asked; `reject` ends
 * authentication with a 401 naming the reason.
 */
export type AuthOutcome =
  | { readonly kind: 'skip' }
  | { readonly kind: 'accept'; readonly principal: Principal }
  | { readonly kind: 'reject'; readonly reason: string };

export interface AuthStrategy {
  readonly name: string;
  authenticate(request: FastifyRequest): Promise<AuthOutcome>;
}
