import type { Kysely } from 'kysely';
import { TrawlError } from '../../errors/trawl-error.js';
import { scopeOf, type ScanRequest } from '../../scan/scan-runner.js';
import { parsePorts } from '../../scope/port-parser.js';
import type { Database } from '../../store/schema.js';
import { notFound } from '../http/problem-plugin.js';
import { claimAssessment, getAssessment } from '../queries/assessment-queries.js';
import { getOrg } from '../queries/org-queries.js';
import { assertWithinScope, parseOrgScope } from '../queries/org-scope.js';
import type { AssessmentRunner } from './assessment-runner.js';

export interface LaunchDeps {
  readonly db: Kysely<Database>;
  readonly runner: AssessmentRunner;
  readonly resolve?: (name: string) => Promise<string[]>;
}

/**
 * Starts one run of an assessment (the run route and the scheduler both come here): builds the exact
 * address set — host names resolved once, here — refuses it unless every address is inside the org's
 * declared scope, claims the assessment, and hands the run to the runner with that very scope, so
 * what was checked is what gets scanned.
 */
export async function launchAssessment(deps: LaunchDeps, orgId: string, assessmentId: string, origin: 'manual' | 'schedule'): Promise<{ scanId: string }> {
  const a = await getAssessment(deps.db, orgId, assessmentId);
  if (!a) throw notFound('assessment', assessmentId);
  const org = await getOrg(deps.db, orgId);
  if (!org) throw notFound('organisation', orgId);
  if (a.state === 'running') throw new TrawlError('TRAWL_E_CONFLICT', `assessment ${a.id} is already running (scan ${a.lastScanId ?? 'starting'})`, { id: a.id });

  const request: ScanRequest = {
    targets: a.targets, targetFiles: [], excludes: a.excludes, excludeFiles: [], ports: parsePorts(a.ports),
    shard: { index: 1, count: 1 }, applyBlocklist: a.options.applyBlocklist, discovery: a.options.discovery,
  };
  const scope = await scopeOf(request, deps.resolve ? { resolve: deps.resolve } : {});
  assertWithinScope(scope.targets, parseOrgScope(org.scope, 'org.scope'), `assessment ${a.id}`);

  if (!(await claimAssessment(deps.db, orgId, a.id))) throw new TrawlError('TRAWL_E_CONFLICT', `assessment ${a.id} is already running`, { id: a.id });
  return deps.runner.start({
    orgId, assessmentId: a.id, origin, request, scope, zone: a.zone, tags: a.tags,
    tuning: { ...(a.options.rate !== undefined ? { globalRate: a.options.rate } : {}), ...(a.options.retries !== undefined ? { retries: a.options.retries } : {}) },
    // Only what the assessment says; what it leaves unset stays the runner's default (identify + safe checks).
    ...(a.options.identify !== undefined || a.options.checks !== undefined
      ? { stages: { identify: a.options.identify ?? true, checks: a.options.checks ?? (a.options.identify === false ? 'none' : 'safe') } }
      : {}),
  });
}
