import { TrawlError } from '../errors/trawl-error.js';
import type { ScanRecord } from '../model/scan.js';
import { createPermutation } from '../plan/keyed-permutation.js';
import type { EgressGuard } from '../safety/egress-guard.js';
import { hostLookup, type DiscoverSpace } from '../scan/discover-units.js';
import { discoverHosts } from '../scan/host-discovery.js';
import type { EngineTuning } from '../scan/scan-options.js';
import { checkPlan, requestFromSpec, scopeOf, TCP_PORTS_WORTH, type ScanRequest } from '../scan/scan-runner.js';
import type { Store } from '../store/store.js';

/**
 * Above this many addresses a worker does not sweep the scope for live hosts and probes every address
 * (each worker would otherwise sweep the whole scope before its first unit).
 */
export const FLEET_DISCOVERY_MAX_HOSTS = 65_536;

export interface HostsUp {
  readonly up: Uint8Array;
  readonly maxRttMs: number;
  /** Probes the sweep sent; handed to the first caller only, so they are counted once per sweep. */
  probesToCount: number;
}

/** What a worker needs to run any unit of one scan, built once per scan and process. */
export interface ScanContext {
  readonly scan: ScanRecord;
  readonly request: ScanRequest;
  readonly space: DiscoverSpace;
  readonly guard: EgressGuard;
  /** Host discovery over the whole scope, run once per process and scan when the scan asks for it. */
  hostsUp(tuning: EngineTuning): Promise<HostsUp | undefined>;
}

/**
 * Scan contexts by scan id. The scope is rebuilt from the recorded spec (hostnames as resolved at plan
 * time), so every worker derives the same permuted space the planner did.
 */
export class ScanContextCache {
  readonly #contexts = new Map<string, Promise<ScanContext>>();

  constructor(private readonly store: Store, private readonly max = 64) {}

  get(scanId: string): Promise<ScanContext> {
    let ctx = this.#contexts.get(scanId);
    if (ctx === undefined) {
      if (this.#contexts.size >= this.max) this.#contexts.delete(this.#contexts.keys().next().value as string);
      ctx = this.#build(scanId);
      ctx.catch(() => this.#contexts.delete(scanId));
      this.#contexts.set(scanId, ctx);
    }
    return ctx;
  }

  async #build(scanId: string): Promise<ScanContext> {
    const scan = await this.store.getScan(scanId);
    if (scan === undefined) throw new TrawlError('TRAWL_E_SCAN_NOT_FOUND', `no scan "${scanId}" in the store`, { scanId });
    const request = requestFromSpec(scan.spec);
    const scope = await scopeOf(request, { resume: scan });
    const { guard, space } = checkPlan(scope, request.ports);
    const hostCount = Number(scope.targets.size);
    const ds: DiscoverSpace = { scanId, scope, ports: request.ports, perm: createPermutation(space, request.seed!), hostCount, lookup: hostLookup(scope) };
    const want = request.discovery === 'on' || (request.discovery === 'auto' && hostCount > 1 && request.ports.length > TCP_PORTS_WORTH);
    let sweep: Promise<HostsUp> | undefined;
    return {
      scan,
      request,
      space: ds,
      guard,
      hostsUp(tuning) {
        if (!want || hostCount > FLEET_DISCOVERY_MAX_HOSTS) return Promise.resolve(undefined);
        // No abort signal: a sweep cut short would mark live hosts down for every later unit.
        sweep ??= discoverHosts(hostCount, ds.lookup, tuning, guard.check, undefined, () => {}).then((r) => ({
          up: r.up, maxRttMs: r.report.maxRttMs, probesToCount: r.report.icmpSent + r.report.tcpSent,
        }));
        sweep.catch(() => (sweep = undefined));
        return sweep;
      },
    };
  }
}
