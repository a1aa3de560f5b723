import { TrawlError } from '../errors/trawl-error.js';
import type { ScanRecord } from '../model/scan.js';
import type { WorkUnit } from '../model/work-unit.js';
import type { JobInput } from '../queue/job.js';
import type { JobQueue } from '../queue/job-queue.js';
import { reconcile } from '../queue/reconcile.js';
import type { Store } from '../store/store.js';
import { checksOf, isFleetScan, jobPolicyOf, wantsIdentify } from './assessment.js';
import { checkJob, discoverJob, identifyJob } from './fleet-jobs.js';

/** One host with open ports: all of them, and those still without a service fact. */
export interface OpenHost {
  readonly ip: string;
  readonly ports: number[];
  readonly unidentified: number[];
}

/**
 * The hosts of a scan with open ports, in the store's address order. Once discovery is complete the
 * list is final, so a host's position in it is a stable index: its `check` unit.
 */
export async function openHosts(store: Store, scanId: string): Promise<{ hosts: OpenHost[]; open: number }> {
  const hosts: OpenHost[] = [];
  let open = 0;
  let last: OpenHost | undefined;
  for await (const o of store.listPortObservations(scanId, { state: 'open' })) {
    open++;
    if (last === undefined || last.ip !== o.ip) hosts.push((last = { ip: o.ip, ports: [], unidentified: [] }));
    last.ports.push(o.port);
    if (o.service === undefined) last.unidentified.push(o.port);
  }
  return { hosts, open };
}

/** Open ports of a scan that have no service fact yet, per host, in the store's (ip, port) order. */
export async function unidentifiedPorts(store: Store, scanId: string): Promise<{ perHost: Map<string, number[]>; open: number }> {
  const { hosts, open } = await openHosts(store, scanId);
  return { perHost: new Map(hosts.filter((h) => h.unidentified.length > 0).map((h) => [h.ip, h.unidentified])), open };
}

export async function discoverComplete(store: Store, scanId: string): Promise<boolean> {
  const units = await store.listWorkUnits(scanId, 'discover');
  return units.every((u) => u.state === 'done');
}

/** The check units of a scan, created (one per open host, idempotently) when missing. */
async function checkUnitsOf(store: Store, scanId: string, hosts: readonly OpenHost[]): Promise<WorkUnit[]> {
  let units = await store.listWorkUnits(scanId, 'check');
  if (units.length < hosts.length) {
    const planned: WorkUnit[] = hosts.map((_, i) => ({ scanId, stage: 'check', unitIndex: i, start: 0n, end: 1n, checkpoint: 0n, state: 'pending', attempts: 0, leaseOwner: null }));
    for (let i = 0; i < planned.length; i += 5000) await store.putWorkUnits(planned.slice(i, i + 5000));
    units = await store.listWorkUnits(scanId, 'check');
  }
  return units;
}

export interface AdvanceResult {
  readonly identifyJobs: number;
  readonly checkJobs: number;
  readonly complete: boolean;
}

/**
 * What an assessment still needs once discovery is complete, read from the store (the record of
 * work): an identify job per host with unidentified open ports, and, when the assessment runs checks,
 * a check job per identified host whose check unit is not done (its units are created here).
 */
async function pendingWork(store: Store, scan: ScanRecord): Promise<{ jobs: JobInput[]; identifyJobs: number; checkJobs: number }> {
  const checks = checksOf(scan);
  const jobs: JobInput[] = [];
  let identifyJobs = 0;
  let checkJobs = 0;
  if (!wantsIdentify(scan) && checks === undefined) return { jobs, identifyJobs, checkJobs };
  const { hosts } = await openHosts(store, scan.id);
  const policy = jobPolicyOf(scan);
  const done = new Set<number>();
  if (checks !== undefined) for (const u of await checkUnitsOf(store, scan.id, hosts)) if (u.state === 'done') done.add(u.unitIndex);
  hosts.forEach((h, i) => {
    if (h.unidentified.length > 0) {
      identifyJobs++;
      jobs.push(identifyJob({ scanId: scan.id, ip: h.ip, ports: h.unidentified, ...(checks !== undefined ? { checkUnit: i } : {}) }, policy));
    } else if (checks !== undefined && !done.has(i)) {
      checkJobs++;
      jobs.push(checkJob({ scanId: scan.id, unit: i, ip: h.ip }, policy));
    }
  });
  return { jobs, identifyJobs, checkJobs };
}

async function markDone(store: Store, scanId: string, now: () => Date): Promise<void> {
  const current = await store.getScan(scanId);
  if (current !== undefined && current.status === 'running') await store.setScanStatus(scanId, 'done', now().toISOString());
}

/**
 * Moves an assessment on once its discover units are all done: enqueues one identify job per host
 * with unidentified open ports (dedup key scan/identify/host) and one check job per identified host
 * whose check unit is not done (scan/check/host), or marks the scan done when nothing is left.
 * Identify jobs wait for the whole discover stage because a host's open ports come from many units:
 * a per-host job made earlier would miss the ports of units finishing after it. A host's check job
 * follows its own identify job (the identify handler enqueues it), not the whole identify stage.
 *
 * Idempotent and safe to race: every worker finishing a unit calls it after committing its unit, so
 * the last commit is always followed by a call that sees the stage complete; duplicates are deduped.
 * A scan that is no longer running (cancelled, interrupted) gets nothing more.
 */
export async function advanceAssessment(store: Store, queue: JobQueue, scan: ScanRecord, now: () => Date = () => new Date()): Promise<AdvanceResult> {
  const current = await store.getScan(scan.id);
  if (current === undefined) throw new TrawlError('TRAWL_E_SCAN_NOT_FOUND', `no scan "${scan.id}" in the store`, { scanId: scan.id });
  if (current.status !== 'running') return { identifyJobs: 0, checkJobs: 0, complete: current.status === 'done' };
  if (!(await discoverComplete(store, scan.id))) return { identifyJobs: 0, checkJobs: 0, complete: false };
  const { jobs, identifyJobs, checkJobs } = await pendingWork(store, current);
  if (jobs.length > 0) {
    for (let i = 0; i < jobs.length; i += 5000) await queue.enqueue(jobs.slice(i, i + 5000));
    return { identifyJobs, checkJobs, complete: false };
  }
  await markDone(store, scan.id, now);
  return { identifyJobs: 0, checkJobs: 0, complete: true };
}

/**
 * After a later-stage job (identify, check) committed its work: marks the scan done when the store
 * says nothing is left, without enqueueing anything (each job queues its own follow-up, and
 * `advanceAssessment` / `reconcileAssessment` put back anything lost). Race-free for the same reason
 * as `advanceAssessment`: the last job to commit sees everything done.
 */
export async function completeIfDone(store: Store, scan: ScanRecord, now: () => Date = () => new Date()): Promise<boolean> {
  const current = await store.getScan(scan.id);
  if (current === undefined || current.status !== 'running') return current?.status === 'done';
  if (!(await discoverComplete(store, scan.id))) return false;
  if ((await pendingWork(store, current)).jobs.length > 0) return false;
  await markDone(store, scan.id, now);
  return true;
}

/**
 * Puts back every job an assessment still needs, from the store: unfinished discover units, then (when
 * discovery is complete) identify and check jobs for hosts whose work is not recorded. Run it after the
 * queue lost jobs (a Redis restarted empty) or at any time: dedup keys make it a no-op for queued work.
 * A scan that is not running any more (done, cancelled) is left alone.
 */
export async function reconcileAssessment(store: Store, queue: JobQueue, scanId: string): Promise<{ discoverUnits: number; identifyJobs: number; checkJobs: number; complete: boolean }> {
  const scan = await store.getScan(scanId);
  if (scan === undefined) throw new TrawlError('TRAWL_E_SCAN_NOT_FOUND', `no scan "${scanId}" in the store`, { scanId });
  if (!isFleetScan(scan)) throw new TrawlError('TRAWL_E_BAD_OPTION', `scan ${scanId} was not planned for a fleet (it is a \`trawl scan\` run)`, { scanId });
  if (scan.status !== 'running') return { discoverUnits: 0, identifyJobs: 0, checkJobs: 0, complete: scan.status === 'done' };
  const policy = jobPolicyOf(scan);
  const d = await reconcile(store, queue, { scanId, stage: 'discover', toJob: (u) => discoverJob(u, policy) });
  const a = await advanceAssessment(store, queue, scan);
  return { discoverUnits: d.enqueued, identifyJobs: a.identifyJobs, checkJobs: a.checkJobs, complete: a.complete };
}
