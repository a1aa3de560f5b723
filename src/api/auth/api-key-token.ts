import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * API key tokens: `trawl_<id>_<secret>`. The id (12 base32 characters) is public and names the key in
 * lists and the audit log; the secret is 32 random bytes (base64url, 43 characters) of which only the
 * SHA-256 is stored. A fast hash is enough: the secret has 256 bits of entropy, nothing to brute-force.
 */
export interface NewApiKeyToken {
  readonly id: string;
  /** The whole token, shown once. */
  readonly token: string;
  readonly secretSha256: string;
}

const PREFIX = 'trawl_';
const ID_ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';
const ID_LENGTH = 12;
const TOKEN = /^trawl_([0-9a-hjkmnp-tv-z]{12})_([A-Za-z0-9_-]{43})$/;
/** Longer input is not a token; checked before the regular expression runs. */
const MAX_TOKEN = 100;

export function newApiKeyToken(): NewApiKeyToken {
  const idBytes = randomBytes(ID_LENGTH);
  let id = '';
  for (const b of idBytes) id += ID_ALPHABET[b % 32]!;
  const secret = randomBytes(32).toString('base64url');
  return { id, token: `${PREFIX}${id}_${secret}`, secretSha256: hashSecret(secret) };
}

export function parseApiKeyToken(token: string): { id: string; secret: string } | undefined {
  if (token.length > MAX_TOKEN) return undefined;
  const m = TOKEN.exec(token);
  return m ? { id: m[1]!, secret: m[2]! } : undefined;
}

export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

/** Constant-time comparison of a presented secret with the stored hash. */
export function secretMatches(secret: string, storedSha256: string): boolean {
  const a = Buffer.from(hashSecret(secret), 'hex');
  const b = Buffer.from(storedSha256, 'hex');
  return a.length === b.length && timingSafeEqual(a, b);
}
