import { TrawlError } from '../errors/index.js';
import { formatIp, parseIp, type IpAddress } from '../scope/ip-address.js';
import { RangeSet } from '../scope/range-set.js';
import { parseTarget } from '../scope/target-parser.js';

/**
 * The last line of defence against a scanner bug leaking probes: every packet an engine is about
 * to send is checked against the scan's own scope, and — when TRAWL_EGRESS_ALLOW is set (the test
 * suite sets it to loopback and the benchmark range) — against that allow-list too. A refusal
 * aborts the scan with TRAWL_E_EGRESS_DENIED instead of sending.
 */
export class EgressGuard {
  readonly #scope: RangeSet;
  readonly #allow: RangeSet | undefined;

  constructor(scope: RangeSet, allow?: RangeSet) {
    this.#scope = scope;
    this.#allow = allow;
  }

  /** Reads the optional process-wide allow-list (comma-separated addresses/CIDRs/ranges). */
  static allowListFromEnv(env: NodeJS.ProcessEnv = process.env): RangeSet | undefined {
    const text = env['TRAWL_EGRESS_ALLOW'];
    if (text === undefined || text.trim() === '') return undefined;
    const ranges = text.split(',').map((s) => s.trim()).filter(Boolean).map((s) => {
      const t = parseTarget(s, 'TRAWL_EGRESS_ALLOW');
      if (t.kind !== 'range') throw new TrawlError('TRAWL_E_BAD_OPTION', `TRAWL_EGRESS_ALLOW entry "${s}" must be an address, CIDR or range`, { value: s });
      return t.range;
    });
    return RangeSet.from(ranges);
  }

  static forScope(scope: RangeSet, env: NodeJS.ProcessEnv = process.env): EgressGuard {
    const allow = EgressGuard.allowListFromEnv(env);
    if (allow) {
      const outside = scope.subtract(allow);
      if (!outside.isEmpty) {
        const first = outside.ranges[0]!;
        throw new TrawlError('TRAWL_E_EGRESS_DENIED', `scope reaches outside TRAWL_EGRESS_ALLOW (first address outside: ${formatIp({ family: first.family, value: first.first })}); refusing to scan`, { allow: process.env['TRAWL_EGRESS_ALLOW'] });
      }
    }
    return new EgressGuard(scope, allow);
  }

  permits(a: IpAddress): boolean {
    return this.#scope.contains(a) && (this.#allow === undefined || this.#allow.contains(a));
  }

  /** Throws unless `ip` may receive a probe. Bound as the engines' `guard` callback. */
  readonly check = (ip: string, _family: 4 | 6): void => {
    const a = parseIp(ip);
    if (a === undefined || !this.permits(a)) {
      throw new TrawlError('TRAWL_E_EGRESS_DENIED', `refused to send a probe to ${ip}: outside the scan's scope${this.#allow ? ' or TRAWL_EGRESS_ALLOW' : ''}`, { ip });
    }
  };
}
