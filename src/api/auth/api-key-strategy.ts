import type { Kysely } from 'kysely';
import type { Database } from '../../store/schema.js';
import { findKeyCredential, touchKey } from '../queries/key-queries.js';
import { parseApiKeyToken, secretMatches } from './api-key-token.js';
import type { AuthStrategy } from './auth-strategy.js';

/** last_used_at is written at most this often per key: not one write per request. */
const TOUCH_EVERY_MS = 60_000;

/** `Authorization: Bearer trawl_<id>_<secret>`. Unknown, malformed, revoked and disabled keys are all 401. */
export function apiKeyStrategy(db: Kysely<Database>): AuthStrategy {
  return {
    name: 'api-key',
    async authenticate(request) {
      const header = request.headers.authorization;
      if (header === undefined) return { kind: 'skip' };
      const m = /^Bearer\s+(\S+)\s*$/i.exec(header.length > 200 ? '' : header);
      if (!m) return { kind: 'reject', reason: 'Authorization header is not "Bearer <api key>"' };
      const parsed = parseApiKeyToken(m[1]!);
      if (!parsed) return { kind: 'reject', reason: 'malformed API key' };
      const cred = await findKeyCredential(db, parsed.id);
      // One message for "no such key" and "wrong secret": the id alone must not be confirmable.
      if (!cred || !secretMatches(parsed.secret, cred.secretSha256)) return { kind: 'reject', reason: 'invalid API key' };
      if (cred.revokedAt !== null) return { kind: 'reject', reason: `API key ${cred.id} was revoked at ${cred.revokedAt}` };
      if (cred.userDisabledAt !== null) return { kind: 'reject', reason: `the user of API key ${cred.id} is disabled` };
      const now = Date.now();
      if (cred.lastUsedAt === null || now - Date.parse(cred.lastUsedAt) > TOUCH_EVERY_MS) {
        await touchKey(db, cred.id, new Date(now).toISOString());
      }
      return {
        kind: 'accept',
        principal: {
          orgId: cred.orgId, role: cred.role, actor: `key:${cred.id}`, keyId: cred.id, strategy: 'api-key',
          ...(cred.userId !== null ? { userId: cred.userId } : {}),
        },
      };
    },
  };
}
