import type { Role } from './roles.js';

/** Who a request acts as, once a strategy authenticated it. Every query is scoped by `orgId`. */
export interface Principal {
  readonly orgId: string;
  readonly role: Role;
  /** Stable name for the audit log: `key:<id>`, `user:<id>`. */
  readonly actor: string;
  readonly keyId?: string;
  readonly userId?: string;
  /** Which strategy authenticated it (api-key, session…). */
  readonly strategy: string;
}
