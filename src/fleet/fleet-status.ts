import { TrawlError } from '../errors/trawl-error.js';
import type { ScanRecord } from '../model/scan.js';
import type { JobQueue } from '../queue/job-queue.js';
import type { QueueCounts } from '../queue/job.js';
import type { Store } from '../store/store.js';
import { checksOf, isFleetScan, jobPolicyOf, stagesOf, wantsIdentify, type FleetStage } from './assessment.js';
import { CHECK_KIND, DISCOVER_KIND, IDENTIFY_KIND } from './fleet-jobs.js';
import { openHosts } from './stage-advance.js';

/** Job states of one stage, from the queue. */
export interface StageJobs {
  readonly waiting: number;
  readonly leased: number;
  /** Failed at least once, waiting for a retry. */
  readonly retrying: number;
  readonly done: number;
  readonly dead: number;
}

export interface StageProgress {
  readonly requested: boolean;
  /** Work units of the stage: probe ranges (discover) or hosts (identify, check). */
  readonly unitsPlanned: number;
  readonly unitsDone: number;
  /** From the queue, when one was given and the scan is a fleet scan. */
  readonly jobs?: StageJobs;
  /** Seconds left at the recent pace, when it can be told; null when not (no pace yet, or done). */
  readonly etaSeconds: number | null;
}

/** Honest progress of one assessment, per stage, from the store and (when given) the queue. */
export interface AssessmentStatus {
  readonly scan: ScanRecord;
  readonly zone: string | null;
  readonly stages: readonly FleetStage[];
  /** Epoch ms of this reading. */
  readonly at: number;
  /** The stage work is being done in, or 'done' / 'stopped' (cancelled, interrupted, failed). */
  readonly phase: FleetStage | 'done' | 'stopped';
  readonly discover: StageProgress & {
    /** Units with a checkpoint past their start that are not done (being worked on, or interrupted). */
    readonly unitsStarted: number;
    readonly probesPlanned: bigint;
    /** Probes finished: answered, timed out, or skipped because their host is down (at most planned). */
    readonly probesDone: bigint;
    readonly probesSent: bigint;
    readonly probesAnswered: bigint;
    readonly probesTimedOut: bigint;
    readonly probesRetried: bigint;
    readonly probesSkippedDown: bigint;
    readonly openFound: number;
  };
  /** Units are hosts with open ports (known once discovery is complete). */
  readonly identify: StageProgress & { readonly portsPlanned: number; readonly portsDone: number };
  /** Units are hosts with open ports; `selection` is the assessment's --checks value. */
  readonly check: StageProgress & { readonly selection: string | null };
  /**
   * Why nothing moves, when nothing can: jobs dead-lettered (redrive or cancel), or jobs of a zone no
   * live worker serves. Null when work can proceed.
   */
  readonly blocked: string | null;
  /** Job states of the assessment (all stages), when a queue was given. */
  readonly jobs?: QueueCounts & { readonly deadErrors: readonly { readonly id: string; readonly kind: string; readonly error: string; readonly dedupKey: string | null }[] };
}

function stageJobs(c: QueueCounts): StageJobs {
  return { waiting: c.waiting, leased: c.leased, retrying: c.failed, done: c.done, dead: c.dead };
}

/** Seconds left for `left` more units at the pace between two readings (or since `startMs`). */
function eta(doneNow: number, doneBefore: number, left: number, msBetween: number): number | null {
  if (left <= 0) return 0;
  const rate = (doneNow - doneBefore) / msBetween;
  return rate > 0 && msBetween > 0 ? Math.round(left / rate / 1000) : null;
}

/**
 * Reads the progress of an assessment. `previous`, an earlier reading of the same scan, gives the
 * pace for the ETAs of every stage; without it only discovery has one (its pace since the scan began).
 */
export async function assessmentStatus(store: Store, scanId: string, queue?: JobQueue, previous?: AssessmentStatus): Promise<AssessmentStatus> {
  const scan = await store.getScan(scanId);
  if (scan === undefined) throw new TrawlError('TRAWL_E_SCAN_NOT_FOUND', `no scan "${scanId}" in the store`, { scanId });
  const at = Date.now();
  const before = previous?.scan.id === scanId && previous.at < at ? previous : undefined;
  const units = await store.listWorkUnits(scanId, 'discover');
  const { hosts, open } = await openHosts(store, scanId);
  const discoverDone = units.every((u) => u.state === 'done');
  const identifyWanted = wantsIdentify(scan);
  const selection = checksOf(scan) ?? null;
  const checkUnits = selection !== null ? await store.listWorkUnits(scanId, 'check') : [];
  const c = scan.counters;
  const finished = c.probesAnswered + c.probesTimedOut + c.probesSkippedDown;
  const probesDone = scan.status === 'done' || finished > c.probesPlanned ? c.probesPlanned : finished;

  let jobs: AssessmentStatus['jobs'];
  const perStage: Partial<Record<FleetStage, StageJobs>> = {};
  if (queue !== undefined && isFleetScan(scan)) {
    const counts = await queue.counts({ group: scanId });
    const dead = await queue.listDead({ group: scanId, limit: 20 });
    jobs = { ...counts, deadErrors: dead.map((d) => ({ id: d.id, kind: d.kind, error: d.error, dedupKey: d.dedupKey ?? null })) };
    perStage.discover = stageJobs(await queue.counts({ group: scanId, kind: DISCOVER_KIND }));
    if (identifyWanted) perStage.identify = stageJobs(await queue.counts({ group: scanId, kind: IDENTIFY_KIND }));
    if (selection !== null) perStage.check = stageJobs(await queue.counts({ group: scanId, kind: CHECK_KIND }));
  }

  const ms = before ? at - before.at : at - Date.parse(scan.createdAt);
  const discoverEta = scan.status !== 'running' || discoverDone ? (discoverDone ? 0 : null)
    : eta(Number(probesDone), before ? Number(before.discover.probesDone) : 0, Number(c.probesPlanned - probesDone), ms);
  const hostsIdentified = hosts.filter((h) => h.unidentified.length === 0).length;
  const identifyPlanned = discoverDone && identifyWanted ? hosts.length : 0;
  const checkDone = checkUnits.filter((u) => u.state === 'done').length;
  const laterEta = (doneNow: number, doneBefore: number | undefined, planned: number): number | null =>
    planned > 0 && doneNow >= planned ? 0 : before && doneBefore !== undefined && scan.status === 'running' ? eta(doneNow, doneBefore, planned - doneNow, ms) : null;

  const phase: AssessmentStatus['phase'] = scan.status === 'done' ? 'done' : scan.status !== 'running' ? 'stopped'
    : !discoverDone ? 'discover' : identifyWanted && hostsIdentified < hosts.length ? 'identify' : selection !== null ? 'check' : identifyWanted ? 'identify' : 'discover';
  let blocked: string | null = null;
  if (scan.status === 'running' && jobs !== undefined) {
    const pending = jobs.waiting + jobs.leased + jobs.failed;
    if (jobs.dead > 0 && pending === 0) blocked = `${jobs.dead} job(s) dead-lettered and nothing else to do: redrive them (trawl status --redrive) or cancel the assessment`;
    else if (jobs.waitingNoWorker > 0 && jobs.leased === 0) blocked = `${jobs.waitingNoWorker} job(s) wait for a worker of zone ${jobPolicyOf(scan).zone ?? '(any)'}: no live worker serves it`;
  }

  return {
    scan,
    zone: jobPolicyOf(scan).zone ?? null,
    stages: stagesOf(scan),
    at,
    phase,
    discover: {
      requested: true,
      unitsPlanned: units.length,
      unitsDone: units.filter((u) => u.state === 'done').length,
      unitsStarted: units.filter((u) => u.state !== 'done' && u.checkpoint > u.start).length,
      ...(perStage.discover ? { jobs: perStage.discover } : {}),
      etaSeconds: discoverEta,
      probesPlanned: c.probesPlanned,
      probesDone,
      probesSent: c.probesSent,
      probesAnswered: c.probesAnswered,
      probesTimedOut: c.probesTimedOut,
      probesRetried: c.probesRetried,
      probesSkippedDown: c.probesSkippedDown,
      openFound: open,
    },
    identify: {
      requested: identifyWanted,
      unitsPlanned: identifyPlanned,
      unitsDone: identifyPlanned > 0 ? hostsIdentified : 0,
      ...(perStage.identify ? { jobs: perStage.identify } : {}),
      etaSeconds: identifyWanted && discoverDone ? laterEta(hostsIdentified, before?.identify.unitsDone, hosts.length) : null,
      portsPlanned: identifyWanted ? open : 0,
      portsDone: identifyWanted ? hosts.reduce((n, h) => n + h.ports.length - h.unidentified.length, 0) : 0,
    },
    check: {
      requested: selection !== null,
      selection,
      unitsPlanned: checkUnits.length,
      unitsDone: checkDone,
      ...(perStage.check ? { jobs: perStage.check } : {}),
      etaSeconds: selection !== null && checkUnits.length > 0 ? laterEta(checkDone, before?.check.unitsDone, checkUnits.length) : null,
    },
    blocked,
    ...(jobs !== undefined ? { jobs } : {}),
  };
}

function jobsText(j: StageJobs | undefined): string {
  return j === undefined ? '' : `; jobs waiting ${j.waiting}, leased ${j.leased}, retrying ${j.retrying}, done ${j.done}, dead ${j.dead}`;
}

function etaText(s: number | null): string {
  if (s === null) return '';
  if (s === 0) return '';
  return s < 120 ? `, eta ${s} s` : s < 7200 ? `, eta ${Math.round(s / 60)} min` : `, eta ${(s / 3600).toFixed(1)} h`;
}

/** The status as text lines for `trawl status`. */
export function formatAssessmentStatus(s: AssessmentStatus): string {
  const d = s.discover;
  const lines = [
    `scan ${s.scan.id}: ${s.scan.status}${isFleetScan(s.scan) ? ` (fleet${s.zone !== null ? `, zone ${s.zone}` : ''}; stages ${s.stages.join(' → ')})` : ''}, created ${s.scan.createdAt}${s.scan.finishedAt ? `, finished ${s.scan.finishedAt}` : ''}`,
    `  discover: units ${d.unitsDone}/${d.unitsPlanned} done, ${d.unitsStarted} started; probes planned ${d.probesPlanned}, done ${d.probesDone}, sent ${d.probesSent}, answered ${d.probesAnswered}, timed out ${d.probesTimedOut}, retried ${d.probesRetried}, skipped (host down) ${d.probesSkippedDown}; open ports ${d.openFound}${etaText(d.etaSeconds)}${jobsText(d.jobs)}`,
  ];
  const waitingForDiscovery = d.unitsDone < d.unitsPlanned ? ' (planned once discovery completes)' : '';
  if (s.identify.requested) {
    const i = s.identify;
    lines.push(`  identify: hosts ${i.unitsDone}/${i.unitsPlanned} done, ports ${i.portsDone}/${i.portsPlanned} identified${waitingForDiscovery}${etaText(i.etaSeconds)}${jobsText(i.jobs)}`);
  }
  if (s.check.requested) {
    const c = s.check;
    lines.push(`  check (${c.selection}): hosts ${c.unitsDone}/${c.unitsPlanned} done${waitingForDiscovery}${etaText(c.etaSeconds)}${jobsText(c.jobs)}`);
  }
  if (s.jobs !== undefined) {
    const j = s.jobs;
    lines.push(`  jobs: waiting ${j.waiting}, leased ${j.leased}, retrying ${j.failed}, done ${j.done}, dead ${j.dead}`);
    if (j.waitingNoWorker > 0) lines.push(`  waiting: ${j.waitingNoWorker} job(s) wait for a worker of zone ${s.zone ?? '(any)'}: no live worker serves it`);
    for (const x of j.deadErrors) lines.push(`  dead: ${x.id} (${x.kind}${x.dedupKey !== null ? ` ${x.dedupKey}` : ''}): ${x.error.split('\n')[0]!.slice(0, 200)}`);
  }
  if (s.blocked !== null && !(s.jobs && s.jobs.waitingNoWorker > 0 && /wait for a worker/.test(s.blocked))) lines.push(`  blocked: ${s.blocked}`);
  return `${lines.join('\n')}\n`;
}
