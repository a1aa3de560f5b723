import { TrawlError } from '../../errors/trawl-error.js';

/**
 * One ecosystem's version order. `parse` validates and pre-computes whatever comparison needs, so a
 * matcher parses each installed version once and compares parsed values in its inner loop.
 */
export interface VersionScheme<P = unknown> {
  /** Human name of the order ('PEP 440', 'dpkg', ...), used in messages. */
  readonly name: string;
  /** Throws TRAWL_E_BAD_VERSION naming the version and why. */
  parse(version: string): P;
  /** Negative, zero or positive; total order over parsed values. */
  compareParsed(a: P, b: P): number;
  /** `compareParsed(parse(a), parse(b))` reduced to -1, 0 or 1. */
  compare(a: string, b: string): number;
  /** Whether `parse` accepts the version. */
  isValid(version: string): boolean;
}

/** Longest version accepted: real ones are short, a longer value is garbage or an attack on the parser. */
export const MAX_VERSION_LENGTH = 256;

export function badVersion(scheme: string, version: string, reason: string): TrawlError {
  const shown = version.length > 80 ? `${version.slice(0, 80)}…` : version;
  return new TrawlError('TRAWL_E_BAD_VERSION', `${JSON.stringify(shown)} is not a valid ${scheme} version: ${reason}`, { version: shown, scheme });
}

export function defineScheme<P>(name: string, parse: (version: string) => P, compareParsed: (a: P, b: P) => number): VersionScheme<P> {
  const checkedParse = (version: string): P => {
    if (typeof version !== 'string') throw badVersion(name, String(version), 'not a string');
    if (version.length > MAX_VERSION_LENGTH) throw badVersion(name, version, `longer than ${MAX_VERSION_LENGTH} characters`);
    return parse(version);
  };
  return {
    name,
    parse: checkedParse,
    compareParsed,
    compare: (a, b) => Math.sign(compareParsed(checkedParse(a), checkedParse(b))),
    isValid: (version) => {
      try {
        checkedParse(version);
        return true;
      } catch (e) {
        if (e instanceof TrawlError) return false;
        throw e;
      }
    },
  };
}

/**
 * Compares two runs of ASCII digits as unbounded integers (leading zeros ignored): versions carry
 * dates and build numbers past 2^53, and every ecosystem here compares them numerically.
 */
export function compareDigits(a: string, b: string): number {
  const x = stripZeros(a);
  const y = stripZeros(b);
  if (x.length !== y.length) return x.length - y.length;
  return x < y ? -1 : x > y ? 1 : 0;
}

export function stripZeros(digits: string): string {
  let i = 0;
  while (i < digits.length - 1 && digits.charCodeAt(i) === 48) i++;
  return i === 0 ? digits : digits.slice(i);
}

/** Plain code-unit order, the C `strcmp`/Ruby `String#<=>` order for ASCII. */
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
