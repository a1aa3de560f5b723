import type { FastifyPluginAsync } from 'fastify';
import { TrawlError } from '../../errors/trawl-error.js';
import { assessmentStatus, type AssessmentStatus, type StageJobs, type StageProgress } from '../../fleet/fleet-status.js';
import type { ApiContext } from '../api-context.js';
import { principalOf } from '../auth/auth-plugin.js';
import { notFound } from '../http/problem-plugin.js';
import { errorResponses, idParam, problemResponse } from '../http/schemas.js';
import { getAssessment } from '../queries/assessment-queries.js';
import { getOrgScanRecord } from '../queries/scan-queries.js';

const str = { type: 'string' } as const;
const int = { type: 'integer' } as const;
const nullableInt = { anyOf: [int, { type: 'null' }] } as const;
const stageJobsSchema = {
  anyOf: [{ type: 'object', properties: { waiting: int, leased: int, retrying: int, done: int, dead: int } }, { type: 'null' }],
  description: 'Job states of the stage in the queue (null without a queue): leased = being worked on, retrying = failed and waiting for another attempt, dead = dead-lettered',
} as const;
const stageBase = { requested: { type: 'boolean' }, unitsPlanned: int, unitsDone: int, jobs: stageJobsSchema, etaSeconds: { ...nullableInt, description: 'Seconds left at the recent pace; null when it cannot be told yet' } } as const;

/** The per-stage progress document of a scan. */
export const scanProgressSchema = {
  type: 'object',
  properties: {
    scanId: str,
    status: { type: 'string', enum: ['running', 'done', 'failed', 'interrupted'] },
    phase: { type: 'string', enum: ['discover', 'identify', 'check', 'done', 'stopped'] },
    at: str,
    fleet: { type: 'boolean' },
    zone: { anyOf: [str, { type: 'null' }] },
    stages: { type: 'array', items: str },
    blocked: { anyOf: [str, { type: 'null' }], description: 'Why nothing moves (dead jobs to redrive, a zone without a live worker), or null' },
    discover: {
      type: 'object',
      properties: {
        ...stageBase, unitsStarted: int, probesPlanned: int, probesDone: int, probesSent: int, probesAnswered: int, probesTimedOut: int, probesRetried: int, probesSkippedDown: int, openFound: int,
      },
    },
    identify: { type: 'object', properties: { ...stageBase, portsPlanned: int, portsDone: int } },
    check: { type: 'object', properties: { ...stageBase, selection: { anyOf: [str, { type: 'null' }] } } },
    jobs: {
      anyOf: [{
        type: 'object',
        properties: {
          waiting: int, leased: int, retrying: int, done: int, dead: int, waitingNoWorker: int,
          deadJobs: { type: 'array', items: { type: 'object', properties: { id: str, kind: str, key: { anyOf: [str, { type: 'null' }] }, error: str } } },
        },
      }, { type: 'null' }],
    },
  },
} as const;

function jobsView(j: StageJobs | undefined): StageJobs | null {
  return j ?? null;
}

function stageView(s: StageProgress): Record<string, unknown> {
  return { requested: s.requested, unitsPlanned: s.unitsPlanned, unitsDone: s.unitsDone, jobs: jobsView(s.jobs), etaSeconds: s.etaSeconds };
}

/** The document for the API: plain numbers (probe counts fit doubles), no store internals. */
export function progressView(s: AssessmentStatus): Record<string, unknown> {
  const d = s.discover;
  return {
    scanId: s.scan.id,
    status: s.scan.status,
    phase: s.phase,
    at: new Date(s.at).toISOString(),
    fleet: s.scan.spec.options['fleet'] === true,
    zone: s.zone,
    stages: s.stages,
    blocked: s.blocked,
    discover: {
      ...stageView(d), unitsStarted: d.unitsStarted, probesPlanned: Number(d.probesPlanned), probesDone: Number(d.probesDone), probesSent: Number(d.probesSent),
      probesAnswered: Number(d.probesAnswered), probesTimedOut: Number(d.probesTimedOut), probesRetried: Number(d.probesRetried), probesSkippedDown: Number(d.probesSkippedDown), openFound: d.openFound,
    },
    identify: { ...stageView(s.identify), portsPlanned: s.identify.portsPlanned, portsDone: s.identify.portsDone },
    check: { ...stageView(s.check), selection: s.check.selection },
    jobs: s.jobs === undefined ? null : {
      waiting: s.jobs.waiting, leased: s.jobs.leased, retrying: s.jobs.failed, done: s.jobs.done, dead: s.jobs.dead, waitingNoWorker: s.jobs.waitingNoWorker,
      deadJobs: s.jobs.deadErrors.map((x) => ({ id: x.id, kind: x.kind, key: x.dedupKey, error: x.error })),
    },
  };
}

function scanNotFound(id: string): TrawlError {
  return new TrawlError('TRAWL_E_SCAN_NOT_FOUND', `no scan ${id}`, { id });
}

/**
 * Per-stage progress of runs (units planned / leased / done / retrying / dead, probes, ETA, why a run
 * is blocked), and redrive of a run's dead-lettered jobs.
 */
export const progressRoutes: FastifyPluginAsync<ApiContext> = async (app, ctx) => {
  const read = async (scanId: string): Promise<Record<string, unknown>> => {
    // A runner that polls keeps an earlier reading: the pace between the two gives every stage an ETA.
    const previous = ctx.runner.recentStatus?.(scanId);
    return progressView(await assessmentStatus(ctx.store, scanId, ctx.runner.queue, previous !== undefined && Date.now() - previous.at >= 500 ? previous : undefined));
  };

  app.get<{ Params: { id: string } }>('/assessments/:id/progress', {
    schema: {
      tags: ['assessments'], summary: 'Per-stage progress of the running (or last) scan of an assessment',
      description: 'Units planned/leased/done/retrying/dead per stage (discover: probe ranges; identify and check: hosts), probes planned/sent/answered/timed out, an ETA per stage, and `blocked` when nothing can move (dead jobs, a zone without a live worker).',
      params: idParam, response: { 200: scanProgressSchema, ...errorResponses },
    },
  }, async (request) => {
    const p = principalOf(request);
    const a = await getAssessment(ctx.db, p.orgId, request.params.id);
    if (!a) throw notFound('assessment', request.params.id);
    const scanId = ctx.runner.live(a.id)?.scanId ?? a.lastScanId;
    if (scanId === null) throw new TrawlError('TRAWL_E_NOT_FOUND', `assessment ${a.id} has not run yet`, { id: a.id });
    return read(scanId);
  });

  app.get<{ Params: { id: string } }>('/scans/:id/progress', {
    schema: { tags: ['scans'], summary: 'Per-stage progress of a scan', params: idParam, response: { 200: scanProgressSchema, ...errorResponses } },
  }, async (request) => {
    const scan = await getOrgScanRecord(ctx.db, principalOf(request).orgId, request.params.id);
    if (!scan) throw scanNotFound(request.params.id);
    return read(scan.id);
  });

  app.post<{ Params: { id: string } }>('/scans/:id/redrive', {
    config: { minRole: 'analyst', audit: 'scan.redrive' },
    schema: {
      tags: ['scans'], summary: 'Put a scan\'s dead-lettered jobs back on the queue with fresh attempts',
      params: idParam,
      response: { 200: { type: 'object', properties: { scanId: str, redriven: int } }, 409: problemResponse('The scan is not running, or its runs are not on a queue'), ...errorResponses },
    },
  }, async (request) => {
    const scan = await getOrgScanRecord(ctx.db, principalOf(request).orgId, request.params.id);
    if (!scan) throw scanNotFound(request.params.id);
    const queue = ctx.runner.queue;
    if (queue === undefined) throw new TrawlError('TRAWL_E_CONFLICT', 'this server runs scans in-process: there is no queue to redrive', { id: scan.id });
    if (scan.status !== 'running') throw new TrawlError('TRAWL_E_CONFLICT', `scan ${scan.id} is ${scan.status}, not running: its jobs are not needed any more`, { id: scan.id });
    request.auditTarget = scan.id;
    let redriven = 0;
    for (;;) {
      const dead = await queue.listDead({ group: scan.id, limit: 1000 });
      let n = 0;
      for (const d of dead) if (await queue.redrive(d.id)) n++;
      redriven += n;
      if (dead.length < 1000 || n === 0) break;
    }
    return { scanId: scan.id, redriven };
  });
};
