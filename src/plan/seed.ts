import { randomBytes } from 'node:crypto';
import { TrawlError } from '../errors/index.js';

/** Seeds are unsigned integers up to 128 bits, given in decimal or 0x-hex. */
export function parseSeed(text: string): bigint {
  const t = text.trim();
  if (!/^(0x[0-9a-fA-F]{1,32}|[0-9]{1,39})$/.test(t)) {
    throw new TrawlError('TRAWL_E_BAD_SEED', `invalid seed "${text}": expected an unsigned integer (decimal, or hex with 0x) of at most 128 bits`, { value: text });
  }
  const v = BigInt(t);
  if (v >= 2n ** 128n) {
    throw new TrawlError('TRAWL_E_BAD_SEED', `invalid seed "${text}": larger than 128 bits`, { value: text });
  }
  return v;
}

export function randomSeed(): bigint {
  return randomBytes(8).readBigUInt64BE();
}
