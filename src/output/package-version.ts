import { readFileSync } from 'node:fs';

let cached: string | undefined;

/**
 * Trawl's version from its package.json, which sits three levels above this module both in the
 * repository (dist/src/output) and in an installed package. Reports '0.0.0' rather than failing output.
 */
export function trawlVersion(): string {
  if (cached === undefined) {
    try {
      const pkg: unknown = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8'));
      const v = (pkg as { version?: unknown }).version;
      cached = typeof v === 'string' ? v : '0.0.0';
    } catch {
      cached = '0.0.0';
    }
  }
  return cached;
}
