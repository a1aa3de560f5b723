import { randomBytes } from 'node:crypto';

const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz'; // Crockford base32, lower case

/** Time-sortable scan ids (ULID-like): 10 chars of milliseconds, 8 random. Short prefixes work in the CLI. */
export function newScanId(now = Date.now()): string {
  let t = now;
  let time = '';
  for (let i = 0; i < 10; i++) {
    time = ALPHABET[t % 32]! + time;
    t = Math.floor(t / 32);
  }
  const rnd = randomBytes(8);
  let tail = '';
  for (const b of rnd) tail += ALPHABET[b % 32]!;
  return time + tail;
}
