import type { ApiContext } from '../api-context.js';
import type { AssessmentView } from '../queries/assessment-queries.js';
import { getScan } from '../queries/scan-queries.js';

/** The status document: the assessment, its live run counters (if running here) and its last scan. */
export async function statusOf(ctx: ApiContext, orgId: string, a: AssessmentView): Promise<Record<string, unknown>> {
  const live = ctx.runner.live(a.id);
  const lastScanId = live?.scanId ?? a.lastScanId;
  const lastScan = lastScanId !== null ? (await getScan(ctx.db, orgId, lastScanId)) ?? null : null;
  return { ...a, live: live ? { scanId: live.scanId, startedAt: live.startedAt, progress: live.progress } : null, lastScan };
}
