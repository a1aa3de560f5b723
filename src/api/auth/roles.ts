import type { ApiRole } from '../../store/schema.js';

export type Role = ApiRole;

/** Least to most privileged: viewer reads; analyst also runs assessments and triages; admin manages. */
export const roles: readonly Role[] = ['viewer', 'analyst', 'admin'];

export function roleAtLeast(have: Role, need: Role): boolean {
  return roles.indexOf(have) >= roles.indexOf(need);
}
