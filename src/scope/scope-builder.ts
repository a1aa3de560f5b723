/**
 * Turns what the user asked for (targets, target files, exclusions, hostnames) into the exact address
 * set to scan. Order matters and is fixed: each target expression is cut by the default blocklist on
 * its own (so naming a blocked range explicitly keeps it), the pieces are merged, then exclusions are
 * removed. Hostnames resolve once each; their addresses count as named explicitly.
 */
import { lookup } from 'node:dns/promises';
import { TrawlError } from '../errors/index.js';
import { applyBlocklist, specialPurposeRanges } from './blocklist.js';
import { addressKey, formatIp, parseIp, type IpAddress } from './ip-address.js';
import { RangeSetBuilder, type RangeSet } from './range-set.js';
import { readTargetBatches } from './target-file-reader.js';
import { parseExclude, parseTarget, type ParsedTarget } from './target-parser.js';

export interface ScopeInput {
  readonly targets: readonly string[];
  readonly targetFiles: readonly string[];
  readonly excludes: readonly string[];
  readonly excludeFiles: readonly string[];
  /** Cut IANA special-purpose ranges out of targets that do not name them (CLI default: true). */
  readonly applyBlocklist: boolean;
  /** Hostname → addresses. Default: the system resolver (`dns.lookup`, all addresses). */
  readonly resolve?: (name: string) => Promise<string[]>;
  /** Resolutions recorded by an earlier run (resume): used instead of resolving again. */
  readonly resolved?: Readonly<Record<string, readonly string[]>>;
}

export interface Scope {
  /** What to scan: targets after the blocklist and exclusions. */
  readonly targets: RangeSet;
  /** Hostname (lower-cased) → the addresses used for it, targets and exclusions alike. */
  readonly resolved: Record<string, string[]>;
  /** The target hostname an address came from, if any (the first one named, when several share it). */
  readonly hostnameOf: (a: IpAddress) => string | undefined;
  /** Addresses removed by the blocklist and not excluded anyway. */
  readonly blockedAddresses: bigint;
  /** Names of the blocked ranges that removed something, e.g. '127.0.0.0/8 loopback'. */
  readonly blockedNames: readonly string[];
  /** Target addresses removed by exclusions. */
  readonly excludedAddresses: bigint;
}

/** Parallel lookups: the system resolver runs on libuv's small thread pool anyway. */
const RESOLVE_CONCURRENCY = 8;

export async function buildScope(input: ScopeInput): Promise<Scope> {
  const allowed = new RangeSetBuilder();
  const removed = new RangeSetBuilder();
  const removedBy = new Map<string, RangeSetBuilder>();
  const excluded = new RangeSetBuilder();
  const targetNames = new Map<string, string | undefined>(); // name -> where first named
  const excludeNames = new Map<string, string | undefined>();
  let expressions = 0;

  const addTarget = (t: ParsedTarget, where: string | undefined): void => {
    expressions++;
    if (t.kind === 'hostname') {
      if (!targetNames.has(t.name)) targetNames.set(t.name, where);
      return;
    }
    if (!input.applyBlocklist || t.range.first === t.range.last) {
      allowed.add(t.range);
      return;
    }
    const cut = applyBlocklist(t.range, specialPurposeRanges);
    for (const k of cut.kept) allowed.add(k);
    for (const { range, by } of cut.removed) {
      removed.add(range);
      let b = removedBy.get(by.name);
      if (b === undefined) removedBy.set(by.name, (b = new RangeSetBuilder()));
      b.add(range);
    }
  };
  const addExclude = (t: ParsedTarget, where: string | undefined): void => {
    if (t.kind === 'hostname') {
      if (!excludeNames.has(t.name)) excludeNames.set(t.name, where);
    } else {
      excluded.add(t.range);
    }
  };

  for (const arg of input.targets) for (const text of splitList(arg)) addTarget(parseTarget(text), undefined);
  for (const path of input.targetFiles) {
    for await (const batch of readTargetBatches(path)) {
      for (const { text, line } of batch) {
        const where = `${path} line ${line}`;
        addTarget(parseTarget(text, where), where);
      }
    }
  }
  for (const arg of input.excludes) for (const text of splitList(arg)) addExclude(parseExclude(text), undefined);
  for (const path of input.excludeFiles) {
    for await (const batch of readTargetBatches(path)) {
      for (const { text, line } of batch) {
        const where = `${path} line ${line}`;
        addExclude(parseExclude(text, where), where);
      }
    }
  }

  // Resolve every distinct name once, targets and exclusions together.
  const names = new Map<string, string | undefined>([...excludeNames, ...targetNames]);
  const resolver = input.resolve ?? systemResolve;
  const addressesOf = new Map<string, IpAddress[]>();
  await forEachLimited([...names.keys()], RESOLVE_CONCURRENCY, async (name) => {
    addressesOf.set(name, await resolveName(name, names.get(name), resolver, input.resolved));
  });
  const resolved: Record<string, string[]> = {};
  for (const name of names.keys()) resolved[name] = (addressesOf.get(name) ?? []).map(formatIp);

  const hostnames = new Map<string, string>();
  for (const name of targetNames.keys()) {
    for (const a of addressesOf.get(name) ?? []) {
      allowed.add({ family: a.family, first: a.value, last: a.value });
      const key = addressKey(a);
      if (!hostnames.has(key)) hostnames.set(key, name);
    }
  }
  for (const name of excludeNames.keys()) {
    for (const a of addressesOf.get(name) ?? []) excluded.add({ family: a.family, first: a.value, last: a.value });
  }

  const allowedSet = allowed.build();
  const excludeSet = excluded.build();
  const targets = allowedSet.subtract(excludeSet);
  const blocked = removed.build().subtract(allowedSet).subtract(excludeSet);
  const blockedNames: string[] = [];
  if (!blocked.isEmpty) {
    for (const b of specialPurposeRanges) {
      const pieces = removedBy.get(b.name);
      if (pieces !== undefined && !pieces.build().intersect(blocked).isEmpty) blockedNames.push(b.name);
    }
  }
  const excludedAddresses = allowedSet.size - targets.size;

  if (targets.isEmpty) {
    throw new TrawlError('TRAWL_E_EMPTY_SCOPE', `nothing to scan: ${emptyReason(expressions, excludedAddresses, blocked.size, blockedNames, input)}`, {
      excludedAddresses: excludedAddresses.toString(),
      blockedAddresses: blocked.size.toString(),
      blockedNames,
    });
  }

  return {
    targets,
    resolved,
    hostnameOf: (a) => hostnames.get(addressKey(a)),
    blockedAddresses: blocked.size,
    blockedNames,
    excludedAddresses,
  };
}

/** Command-line targets may be comma or space separated within one argument, as in a file. */
function splitList(arg: string): string[] {
  return arg.split(/[\s,]+/).filter((t) => t.length > 0);
}

async function systemResolve(name: string): Promise<string[]> {
  const r = await lookup(name, { all: true });
  return r.map((x) => x.address);
}

async function resolveName(
  name: string,
  where: string | undefined,
  resolver: (name: string) => Promise<string[]>,
  recorded: Readonly<Record<string, readonly string[]>> | undefined,
): Promise<IpAddress[]> {
  const at = where ? ` (${where})` : '';
  let texts: readonly string[];
  if (recorded !== undefined && Object.hasOwn(recorded, name)) {
    texts = recorded[name] as readonly string[];
  } else {
    try {
      texts = await resolver(name);
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      const reason = err.code ?? (e instanceof Error ? e.message : String(e));
      throw new TrawlError('TRAWL_E_RESOLVE', `host name "${name}"${at} did not resolve: ${reason}`, { value: name, reason }, { cause: e });
    }
  }
  if (texts.length === 0) throw new TrawlError('TRAWL_E_RESOLVE', `host name "${name}"${at} did not resolve: no addresses`, { value: name });
  const out: IpAddress[] = [];
  const seen = new Set<string>();
  for (const t of texts) {
    const a = parseIp(t);
    if (a === undefined) {
      throw new TrawlError('TRAWL_E_RESOLVE', `host name "${name}"${at} resolved to an invalid address "${t}"`, { value: name, address: t });
    }
    const key = addressKey(a);
    if (!seen.has(key)) {
      seen.add(key);
      out.push(a);
    }
  }
  return out;
}

async function forEachLimited<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) await fn(items[next++] as T);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

function plural(n: bigint, one: string, many: string): string {
  return `${n} ${n === 1n ? one : many}`;
}

function emptyReason(expressions: number, excluded: bigint, blocked: bigint, blockedNames: readonly string[], input: ScopeInput): string {
  if (expressions === 0) {
    return input.targetFiles.length > 0 ? `no targets given (target files ${input.targetFiles.map((p) => `"${p}"`).join(', ')} hold none)` : 'no targets given';
  }
  const hint = ' — name the range explicitly to scan it';
  if (blocked === 0n && excluded === 0n) return 'every target address is both blocked and excluded';
  if (blocked === 0n) return `all ${plural(excluded, 'address', 'addresses')} excluded`;
  const blockedText = `blocked by ${blockedNames.join(', ')}${hint}`;
  if (excluded === 0n) return `all ${plural(blocked, 'address is', 'addresses are')} ${blockedText}`;
  return `${plural(excluded, 'address', 'addresses')} excluded and ${plural(blocked, 'address', 'addresses')} ${blockedText}`;
}
