import { parseCheckSelection } from '../checks/check-registry.js';
import { TrawlError } from '../errors/trawl-error.js';
import { emptyCounters, type ScanCounters, type ScanRecord } from '../model/scan.js';
import { randomSeed } from '../plan/seed.js';
import { shardRange } from '../plan/shard.js';
import { planUnits } from '../plan/unit-planner.js';
import type { JobQueue } from '../queue/job-queue.js';
import { checkZone } from '../queue/job-input.js';
import { newScanId } from '../scan/scan-id.js';
import type { DiscoveryMode } from '../scan/scan-options.js';
import { checkPlan, scopeOf, specFromRequest, type ScanRequest } from '../scan/scan-runner.js';
import type { Scope } from '../scope/scope-builder.js';
import type { Store } from '../store/store.js';
import { discoverJob, type JobPolicy } from './fleet-jobs.js';

/** Stages of a fleet assessment, in order. `check` implies `identify` (checks read the identities). */
export type FleetStage = 'discover' | 'identify' | 'check';
const STAGES: readonly FleetStage[] = ['discover', 'identify', 'check'];

/** What an assessment covers and how it is run; the fleet counterpart of `trawl scan`'s request. */
export interface AssessmentRequest {
  readonly targets: readonly string[];
  readonly targetFiles?: readonly string[];
  readonly excludes?: readonly string[];
  readonly excludeFiles?: readonly string[];
  readonly ports: readonly number[];
  /**
   * Default ['discover']; 'identify' adds service identification of every open port, 'check' the
   * selected checks on every host with open ports (and identify before them).
   */
  readonly stages?: readonly FleetStage[];
  /** The `--checks` selection of the check stage (safe, all, ids); default 'safe'. */
  readonly checks?: string;
  /** A scope already built (and checked, e.g. against an org's) from these targets: it is what gets scanned. */
  readonly scope?: Scope;
  /** Per-assessment engine overrides; a worker applies them to each job of the assessment. */
  readonly tuning?: { readonly globalRate?: number; readonly retries?: number };
  /** The organisation whose inventory decides which resets are recorded as closed ports. */
  readonly org?: string;
  readonly seed?: bigint;
  /** Host discovery before probing ports, as `trawl scan` does it; default 'auto'. */
  readonly discovery?: DiscoveryMode;
  /** Default true: leave out IANA special-purpose ranges. */
  readonly applyBlocklist?: boolean;
  /** Only workers serving this zone run the assessment's jobs; none means any worker. */
  readonly zone?: string;
  /** Probes per discover unit (default 4096: the embedded runner's minimum). */
  readonly unitSize?: number;
  /** Leases a job gets, expired ones included, before it is dead-lettered (default 8). */
  readonly attempts?: number;
}

export interface EnqueueOptions {
  store: Store;
  queue: JobQueue;
  request: AssessmentRequest;
  now?: () => Date;
  resolve?: (name: string) => Promise<string[]>;
  /**
   * Called once the scan and its units are in the store, before any job is queued (an API links the
   * scan to its org here). If it throws, nothing is queued and the scan is marked failed.
   */
  onPlanned?: (scan: ScanRecord) => Promise<void>;
}

export interface EnqueuedAssessment {
  readonly scan: ScanRecord;
  readonly units: number;
  readonly jobs: number;
}

export const DEFAULT_UNIT_SIZE = 4096;
const DEFAULT_ATTEMPTS = 8;

/** The job policy an assessment recorded in its spec (zone, attempts). */
export function jobPolicyOf(scan: ScanRecord): JobPolicy {
  const zone = scan.spec.options['zone'];
  const attempts = scan.spec.options['attempts'];
  return { ...(typeof zone === 'string' && zone !== '' ? { zone } : {}), attempts: typeof attempts === 'number' ? attempts : DEFAULT_ATTEMPTS };
}

export function isFleetScan(scan: ScanRecord): boolean {
  return scan.spec.options['fleet'] === true;
}

export function wantsIdentify(scan: ScanRecord): boolean {
  return scan.spec.options['identify'] === true;
}

/** The check selection of an assessment with a check stage, or undefined. */
export function checksOf(scan: ScanRecord): string | undefined {
  const c = scan.spec.options['checks'];
  return typeof c === 'string' && c !== '' && c !== 'none' ? c : undefined;
}

/** The organisation recorded with the assessment, if any. */
export function orgOf(scan: ScanRecord): string | undefined {
  const o = scan.spec.options['org'];
  return typeof o === 'string' && o !== '' ? o : undefined;
}

/** The assessment's own engine overrides (probe rate, retries). */
export function tuningOf(scan: ScanRecord): { globalRate?: number; retries?: number } {
  const rate = scan.spec.options['rate'];
  const retries = scan.spec.options['retries'];
  return { ...(typeof rate === 'number' ? { globalRate: rate } : {}), ...(typeof retries === 'number' ? { retries } : {}) };
}

/** The stages an assessment runs, from its spec. */
export function stagesOf(scan: ScanRecord): FleetStage[] {
  return ['discover', ...(wantsIdentify(scan) ? ['identify' as const] : []), ...(checksOf(scan) !== undefined ? ['check' as const] : [])];
}

/**
 * Plans an assessment into discover work units over the permuted (address × port) space, exactly as
 * `trawl scan` plans one (same scope, blocklist, seed and permutation, so the same seed gives the
 * same probes), records the scan and its units in the store, the record of work, calls `onPlanned`,
 * and enqueues one job per unit (dedup key scan/discover/unit). If the enqueue fails part way the
 * store still has every unit, and `reconcileAssessment` puts the missing jobs back. The later stages'
 * jobs are queued as the assessment advances (stage-advance.ts).
 */
export async function enqueueAssessment(opts: EnqueueOptions): Promise<EnqueuedAssessment> {
  const { store, queue, request: r } = opts;
  const now = opts.now ?? (() => new Date());
  if (r.ports.length === 0) throw new TrawlError('TRAWL_E_BAD_PORTS', 'no ports to scan');
  const stages = r.stages ?? ['discover'];
  for (const s of stages) if (!STAGES.includes(s)) throw new TrawlError('TRAWL_E_BAD_OPTION', `unknown assessment stage "${String(s)}": expected discover, identify or check`, { value: s });
  if (!stages.includes('discover')) throw new TrawlError('TRAWL_E_BAD_OPTION', 'an assessment starts with the discover stage');
  // The selection is checked now, so a typo fails the plan rather than every check job.
  const checks = stages.includes('check') && parseCheckSelection(r.checks ?? 'safe').length > 0 ? (r.checks ?? 'safe') : undefined;
  const rate = r.tuning?.globalRate;
  if (rate !== undefined && !(Number.isInteger(rate) && rate >= 0)) throw new TrawlError('TRAWL_E_BAD_OPTION', `probe rate ${rate} must be a non-negative integer`, { value: rate });
  const retries = r.tuning?.retries;
  if (retries !== undefined && !(Number.isInteger(retries) && retries >= 0 && retries <= 100)) throw new TrawlError('TRAWL_E_BAD_OPTION', `retries ${retries} must be an integer in 0..100`, { value: retries });
  if (r.zone !== undefined) checkZone(r.zone, 'assessment zone');
  const unitSize = r.unitSize ?? DEFAULT_UNIT_SIZE;
  if (!Number.isInteger(unitSize) || unitSize < 1 || unitSize > 1 << 24) throw new TrawlError('TRAWL_E_BAD_OPTION', `unit size ${unitSize} must be an integer in 1..16777216`, { value: unitSize });
  const attempts = r.attempts ?? DEFAULT_ATTEMPTS;
  if (!Number.isInteger(attempts) || attempts < 1 || attempts > 1000) throw new TrawlError('TRAWL_E_BAD_OPTION', `attempts ${attempts} must be an integer in 1..1000`, { value: attempts });

  const req: ScanRequest = {
    targets: r.targets,
    targetFiles: r.targetFiles ?? [],
    excludes: r.excludes ?? [],
    excludeFiles: r.excludeFiles ?? [],
    ports: r.ports,
    seed: r.seed ?? randomSeed(),
    shard: { index: 1, count: 1 },
    applyBlocklist: r.applyBlocklist !== false,
    discovery: r.discovery ?? 'auto',
    identify: stages.includes('identify') || checks !== undefined,
  };
  const scope = r.scope ?? (await scopeOf(req, opts.resolve ? { resolve: opts.resolve } : {}));
  const { space } = checkPlan(scope, req.ports);
  const { start, end } = shardRange(space, req.shard);
  const base = specFromRequest(req, scope, req.seed!);
  const spec = {
    ...base,
    options: {
      ...base.options, fleet: true, unitSize, attempts,
      ...(r.zone !== undefined ? { zone: r.zone } : {}),
      ...(checks !== undefined ? { checks } : {}),
      ...(rate !== undefined && rate > 0 ? { rate } : {}),
      ...(retries !== undefined ? { retries } : {}),
      ...(r.org !== undefined ? { org: r.org } : {}),
    },
  };
  const counters: ScanCounters = {
    ...emptyCounters(),
    probesPlanned: end - start,
    probesSkippedBlocklist: scope.blockedAddresses * BigInt(req.ports.length),
  };
  const scan = await store.createScan({ id: newScanId(now().getTime()), spec, counters, createdAt: now().toISOString() });
  // One unit per `unitSize` probes: small units spread over workers and lose little to a crash.
  const total = end - start;
  const count = Number((total + BigInt(unitSize) - 1n) / BigInt(unitSize));
  const units = planUnits(scan.id, 'discover', start, end, Math.max(1, count), BigInt(unitSize));
  for (let i = 0; i < units.length; i += 5000) await store.putWorkUnits(units.slice(i, i + 5000));
  if (opts.onPlanned) {
    try {
      await opts.onPlanned(scan);
    } catch (e) {
      await store.setScanStatus(scan.id, 'failed', now().toISOString()).catch(() => undefined);
      throw e;
    }
  }
  const policy = jobPolicyOf(scan);
  let jobs = 0;
  for (let i = 0; i < units.length; i += 5000) {
    const ids = await queue.enqueue(units.slice(i, i + 5000).map((u) => discoverJob(u, policy)));
    jobs += ids.length;
  }
  return { scan, units: units.length, jobs };
}
