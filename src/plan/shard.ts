import { TrawlError } from '../errors/index.js';

export interface Shard {
  /** 1-based, as in masscan's and nmap-style `--shard 1/4`. */
  readonly index: number;
  readonly count: number;
}

export function parseShard(text: string): Shard {
  const m = /^\s*(\d{1,6})\s*\/\s*(\d{1,6})\s*$/.exec(text);
  if (!m) throw new TrawlError('TRAWL_E_BAD_SHARD', `invalid shard "${text}": expected i/n, e.g. 1/4`, { value: text });
  const index = Number(m[1]);
  const count = Number(m[2]);
  if (count < 1 || index < 1 || index > count) {
    throw new TrawlError('TRAWL_E_BAD_SHARD', `invalid shard "${text}": need 1 ≤ i ≤ n`, { value: text });
  }
  return { index, count };
}

/**
 * A shard is a contiguous slice of the *permuted* index space. Since the permutation is
 * pseudo-random, each slice is a random sample of (address × port), and n shards with the same
 * seed cover the space exactly once.
 */
export function shardRange(size: bigint, shard: Shard): { start: bigint; end: bigint } {
  const n = BigInt(shard.count);
  const i = BigInt(shard.index - 1);
  return { start: (size * i) / n, end: (size * (i + 1n)) / n };
}
