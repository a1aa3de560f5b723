import { TrawlError } from '../errors/trawl-error.js';
import type { ScanRecord } from '../model/scan.js';
import type { JobQueue } from '../queue/job-queue.js';
import type { QueueCounts } from '../queue/job.js';
import type { Store } from '../store/store.js';
import { isFleetScan, jobPolicyOf, wantsIdentify } from './assessment.js';
import { unidentifiedPorts } from './stage-advance.js';

/** Honest progress of one assessment, per stage, from the store and (when given) the queue. */
export interface AssessmentStatus {
  readonly scan: ScanRecord;
  readonly zone: string | null;
  readonly discover: {
    readonly unitsPlanned: number;
    readonly unitsDone: number;
    /** Units with a checkpoint past their start that are not done (being worked on, or interrupted). */
    readonly unitsStarted: number;
    readonly probesPlanned: bigint;
    readonly probesSent: bigint;
    readonly probesAnswered: bigint;
    readonly probesTimedOut: bigint;
    readonly probesSkippedDown: bigint;
    readonly openFound: number;
  };
  readonly identify: { readonly requested: boolean; readonly portsPlanned: number; readonly portsDone: number } ;
  /** Job states of the assessment (all stages), when a queue was given. */
  readonly jobs?: QueueCounts & { readonly deadErrors: readonly { readonly id: string; readonly kind: string; readonly error: string }[] };
}

export async function assessmentStatus(store: Store, scanId: string, queue?: JobQueue): Promise<AssessmentStatus> {
  const scan = await store.getScan(scanId);
  if (scan === undefined) throw new TrawlError('TRAWL_E_SCAN_NOT_FOUND', `no scan "${scanId}" in the store`, { scanId });
  const units = await store.listWorkUnits(scanId, 'discover');
  const { perHost, open } = await unidentifiedPorts(store, scanId);
  let unidentified = 0;
  for (const ports of perHost.values()) unidentified += ports.length;
  const c = scan.counters;
  let jobs: AssessmentStatus['jobs'];
  if (queue !== undefined && isFleetScan(scan)) {
    const counts = await queue.counts({ group: scanId });
    const dead = await queue.listDead({ group: scanId, limit: 20 });
    jobs = { ...counts, deadErrors: dead.map((d) => ({ id: d.id, kind: d.kind, error: d.error })) };
  }
  return {
    scan,
    zone: jobPolicyOf(scan).zone ?? null,
    discover: {
      unitsPlanned: units.length,
      unitsDone: units.filter((u) => u.state === 'done').length,
      unitsStarted: units.filter((u) => u.state !== 'done' && u.checkpoint > u.start).length,
      probesPlanned: c.probesPlanned,
      probesSent: c.probesSent,
      probesAnswered: c.probesAnswered,
      probesTimedOut: c.probesTimedOut,
      probesSkippedDown: c.probesSkippedDown,
      openFound: open,
    },
    identify: { requested: wantsIdentify(scan), portsPlanned: wantsIdentify(scan) ? open : 0, portsDone: wantsIdentify(scan) ? open - unidentified : 0 },
    ...(jobs !== undefined ? { jobs } : {}),
  };
}

/** The status as text lines for `trawl status`. */
export function formatAssessmentStatus(s: AssessmentStatus): string {
  const d = s.discover;
  const lines = [
    `scan ${s.scan.id}: ${s.scan.status}${isFleetScan(s.scan) ? ` (fleet${s.zone !== null ? `, zone ${s.zone}` : ''})` : ''}, created ${s.scan.createdAt}${s.scan.finishedAt ? `, finished ${s.scan.finishedAt}` : ''}`,
    `  discover: units ${d.unitsDone}/${d.unitsPlanned} done, ${d.unitsStarted} started; probes planned ${d.probesPlanned}, sent ${d.probesSent}, answered ${d.probesAnswered}, timed out ${d.probesTimedOut}, skipped (host down) ${d.probesSkippedDown}; open ports ${d.openFound}`,
  ];
  if (s.identify.requested) lines.push(`  identify: ports ${s.identify.portsDone}/${s.identify.portsPlanned} identified${d.unitsDone < d.unitsPlanned ? ' (planned once discovery completes)' : ''}`);
  if (s.jobs !== undefined) {
    const j = s.jobs;
    lines.push(`  jobs: waiting ${j.waiting}, leased ${j.leased}, retrying ${j.failed}, done ${j.done}, dead ${j.dead}`);
    if (j.waitingNoWorker > 0) lines.push(`  waiting: ${j.waitingNoWorker} job(s) wait for a worker of zone ${s.zone ?? '(any)'}: no live worker serves it`);
    for (const x of j.deadErrors) lines.push(`  dead: ${x.id} (${x.kind}): ${x.error.split('\n')[0]!.slice(0, 200)}`);
  }
  return `${lines.join('\n')}\n`;
}
