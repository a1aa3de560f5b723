import { TrawlError } from '../../errors/trawl-error.js';
import { formatIp } from '../../scope/ip-address.js';
import { RangeSet, type AddressRange } from '../../scope/range-set.js';
import { parseTarget } from '../../scope/target-parser.js';

/** Entries in an org's declared scope; a real estate is a few thousand prefixes at most. */
export const MAX_SCOPE_ENTRIES = 10_000;

/**
 * An org's declared scope: addresses, CIDRs and ranges (no host names: a name's addresses can move
 * into someone else's network). `field` names the request field for error messages.
 */
export function parseOrgScope(entries: readonly string[], field = 'body.scope'): RangeSet {
  if (entries.length > MAX_SCOPE_ENTRIES) throw new TrawlError('TRAWL_E_VALIDATION', `${field} has ${entries.length} entries; at most ${MAX_SCOPE_ENTRIES}`, { field });
  const ranges: AddressRange[] = [];
  entries.forEach((text, i) => {
    let t: ReturnType<typeof parseTarget>;
    try {
      t = parseTarget(text, `${field}[${i}]`);
    } catch (e) {
      if (e instanceof TrawlError) throw new TrawlError(e.code, e.message, { ...e.detail, field: `${field}[${i}]` }, { cause: e });
      throw e;
    }
    if (t.kind !== 'range') throw new TrawlError('TRAWL_E_BAD_TARGET', `${field}[${i}] "${t.text}" is a host name; a scope is addresses, CIDRs or ranges`, { field: `${field}[${i}]`, value: t.text });
    ranges.push(t.range);
  });
  return RangeSet.from(ranges);
}

/** Throws TRAWL_E_OUT_OF_SCOPE naming the first address of `targets` outside `scope`. */
export function assertWithinScope(targets: RangeSet, scope: RangeSet, what: string): void {
  const outside = targets.subtract(scope);
  if (outside.isEmpty) return;
  const first = outside.ranges[0]!;
  const address = formatIp({ family: first.family, value: first.first });
  throw new TrawlError('TRAWL_E_OUT_OF_SCOPE', `${what} includes ${address}, which is outside the organisation's declared scope`, {
    address,
    outsideAddresses: outside.size.toString(),
  });
}

/** Literal targets (not host names) of an assessment, checked against the scope at creation time. */
export function literalTargets(targets: readonly string[], field: string): { set: RangeSet; hostnames: string[] } {
  const ranges: AddressRange[] = [];
  const hostnames: string[] = [];
  targets.forEach((text, i) => {
    const t = parseTarget(text, `${field}[${i}]`);
    if (t.kind === 'range') ranges.push(t.range);
    else hostnames.push(t.name);
  });
  return { set: RangeSet.from(ranges), hostnames };
}
