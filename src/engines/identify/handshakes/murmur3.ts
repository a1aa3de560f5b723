/**
 * MurmurHash3 x86 32-bit (Austin Appleby's reference MurmurHash3_x86_32), as Python's `mmh3.hash`
 * computes it — the function behind Shodan's `http.favicon.hash`.
 */
export function murmur3x86_32(data: Uint8Array, seed = 0): number {
  const c1 = 0xcc9e2d51;
  const c2 = 0x1b873593;
  let h = seed >>> 0;
  const len = data.length;
  const blocks = len & ~3;
  for (let i = 0; i < blocks; i += 4) {
    let k = (data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24)) >>> 0;
    k = Math.imul(k, c1);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, c2);
    h ^= k;
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  const tail = len & 3;
  if (tail > 0) {
    let k = 0;
    if (tail === 3) k ^= data[blocks + 2]! << 16;
    if (tail >= 2) k ^= data[blocks + 1]! << 8;
    k ^= data[blocks]!;
    k = Math.imul(k, c1);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, c2);
    h ^= k;
  }
  h ^= len;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** The signed form mmh3.hash returns (and Shodan stores). */
export function murmur3x86_32Signed(data: Uint8Array, seed = 0): number {
  return murmur3x86_32(data, seed) | 0;
}

/** base64 as Python's base64.encodebytes writes it: a newline after every 76 characters and at the end. */
export function base64Mime(data: Uint8Array): string {
  const b64 = Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('base64');
  let out = '';
  for (let i = 0; i < b64.length; i += 76) out += `${b64.slice(i, i + 76)}\n`;
  return out;
}

/** Shodan's favicon hash: mmh3.hash(codecs.encode(favicon_bytes, "base64")). */
export function shodanFaviconHash(favicon: Uint8Array): number {
  return murmur3x86_32Signed(Buffer.from(base64Mime(favicon), 'latin1'));
}
