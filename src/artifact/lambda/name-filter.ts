import { TrawlError } from '../../errors/trawl-error.js';

/**
 * Exclusion patterns over function names and ARNs: `*` any run of characters (colons included),
 * `?` one character, everything else literal. A pattern excludes a function when it matches the
 * whole name or the whole ARN.
 */
export class NameFilter {
  readonly #patterns: { source: string; re: RegExp }[];

  constructor(patterns: readonly string[]) {
    this.#patterns = patterns.map((p) => {
      if (p.length === 0 || p.length > 512) throw new TrawlError('TRAWL_E_BAD_EXCLUDE', `exclusion pattern ${JSON.stringify(p.slice(0, 80))} must be 1 to 512 characters`, { value: p.slice(0, 80) });
      const body = [...p].map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\]/g, '\\$&'))).join('');
      return { source: p, re: new RegExp(`^${body}$`, 's') };
    });
  }

  /** The first pattern excluding this function, or undefined. */
  excludes(name: string, arn: string): string | undefined {
    return this.#patterns.find((p) => p.re.test(name) || p.re.test(arn))?.source;
  }
}
