import { TrawlError } from '../errors/trawl-error.js';
import type { ScanRecord } from '../model/scan.js';
import type { JobQueue } from '../queue/job-queue.js';
import { reconcile } from '../queue/reconcile.js';
import type { Store } from '../store/store.js';
import { isFleetScan, jobPolicyOf, wantsIdentify } from './assessment.js';
import { discoverJob, identifyJob } from './fleet-jobs.js';

/** Open ports of a scan that have no service fact yet, per host, in the store's (ip, port) order. */
export async function unidentifiedPorts(store: Store, scanId: string): Promise<{ perHost: Map<string, number[]>; open: number }> {
  const perHost = new Map<string, number[]>();
  let open = 0;
  for await (const o of store.listPortObservations(scanId, { state: 'open' })) {
    open++;
    if (o.service !== undefined) continue;
    let list = perHost.get(o.ip);
    if (list === undefined) perHost.set(o.ip, (list = []));
    list.push(o.port);
  }
  return { perHost, open };
}

export async function discoverComplete(store: Store, scanId: string): Promise<boolean> {
  const units = await store.listWorkUnits(scanId, 'discover');
  return units.every((u) => u.state === 'done');
}

/**
 * Moves an assessment on once its discover units are all done: enqueues one identify job per host
 * with unidentified open ports (dedup key scan/identify/host), or marks the scan done when nothing is
 * left. Identify jobs wait for the whole discover stage because a host's open ports come from many
 * units: a per-host job made earlier would miss the ports of units finishing after it.
 *
 * Idempotent and safe to race: every worker finishing a unit calls it after committing its unit, so
 * the last commit is always followed by a call that sees the stage complete; duplicates are deduped.
 */
export async function advanceAssessment(store: Store, queue: JobQueue, scan: ScanRecord, now: () => Date = () => new Date()): Promise<{ identifyJobs: number; complete: boolean }> {
  if (!(await discoverComplete(store, scan.id))) return { identifyJobs: 0, complete: false };
  if (wantsIdentify(scan)) {
    const { perHost } = await unidentifiedPorts(store, scan.id);
    if (perHost.size > 0) {
      const policy = jobPolicyOf(scan);
      const jobs = [...perHost].map(([ip, ports]) => identifyJob({ scanId: scan.id, ip, ports }, policy));
      for (let i = 0; i < jobs.length; i += 5000) await queue.enqueue(jobs.slice(i, i + 5000));
      return { identifyJobs: jobs.length, complete: false };
    }
  }
  const current = await store.getScan(scan.id);
  if (current !== undefined && current.status !== 'done') await store.setScanStatus(scan.id, 'done', now().toISOString());
  return { identifyJobs: 0, complete: true };
}

/**
 * Puts back every job an assessment still needs, from the store: unfinished discover units, then (when
 * discovery is complete) identify jobs for hosts with unidentified open ports. Run it after the queue
 * lost jobs (a Redis restarted empty) or at any time: dedup keys make it a no-op for queued work.
 */
export async function reconcileAssessment(store: Store, queue: JobQueue, scanId: string): Promise<{ discoverUnits: number; identifyJobs: number; complete: boolean }> {
  const scan = await store.getScan(scanId);
  if (scan === undefined) throw new TrawlError('TRAWL_E_SCAN_NOT_FOUND', `no scan "${scanId}" in the store`, { scanId });
  if (!isFleetScan(scan)) throw new TrawlError('TRAWL_E_BAD_OPTION', `scan ${scanId} was not planned for a fleet (it is a \`trawl scan\` run)`, { scanId });
  const policy = jobPolicyOf(scan);
  const d = await reconcile(store, queue, { scanId, stage: 'discover', toJob: (u) => discoverJob(u, policy) });
  const a = await advanceAssessment(store, queue, scan);
  return { discoverUnits: d.enqueued, identifyJobs: a.identifyJobs, complete: a.complete };
}
