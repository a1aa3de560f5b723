import { TrawlError } from '../../../errors/index.js';
import type { DemoApiClient } from './demo-api-client.js';
import type { ProgressDocument } from './demo-progress.js';

export const DEMO_ASSESSMENT = 'loopback lab';

interface AssessmentDoc {
  readonly id: string;
  readonly name: string;
  readonly targets: string[];
  readonly ports: string;
  readonly state: 'idle' | 'running';
  readonly lastScanId: string | null;
  readonly lastScan?: { readonly id: string; readonly status: string; readonly error: string | null } | null;
}

export interface DemoRunOptions {
  readonly cidr: string;
  readonly ports: readonly number[];
  /** Each progress reading, with the time since the run started. */
  readonly onProgress: (p: ProgressDocument, elapsedMs: number) => void;
  /** Aborted: the run is cancelled through the API, waited for, and TRAWL_E_INTERRUPTED thrown. */
  readonly signal: AbortSignal;
  readonly pollMs?: number;
  /** How long a run may stay blocked (dead-lettered jobs) before it is cancelled (default 30 s). */
  readonly blockedLimitMs?: number;
}

export interface DemoRunResult {
  readonly assessmentId: string;
  readonly scanId: string;
  readonly status: string;
  readonly elapsedMs: number;
  /** How many runs of this assessment the store holds, this one included. */
  readonly runs: number;
}

/**
 * What a user of the API would do: declare the lab in the org's scope, create the assessment (or
 * point the one a previous demo made at this lab), start a run, and follow its progress until it
 * has finished and been folded into the inventory.
 */
export async function runDemoAssessment(api: DemoApiClient, o: DemoRunOptions): Promise<DemoRunResult> {
  const org = await api.get<{ scope: string[] }>('/org');
  if (!org.scope.includes(o.cidr)) await api.request('PUT', '/org/scope', { scope: [...org.scope, o.cidr] });

  const ports = o.ports.join(',');
  const existing = (await api.all<AssessmentDoc>('/assessments')).find((a) => a.name === DEMO_ASSESSMENT);
  let assessment: AssessmentDoc;
  if (existing === undefined) {
    assessment = await api.request<AssessmentDoc>('POST', '/assessments', {
      name: DEMO_ASSESSMENT, targets: [o.cidr], ports, tags: ['demo'],
      // What a run does by default, said out loud: identify services, then the safe checks.
      options: { identify: true, checks: 'safe' },
    });
  } else if (existing.ports !== ports || existing.targets.length !== 1 || existing.targets[0] !== o.cidr) {
    // The lab may have moved to another free subnet since the last demo.
    assessment = await api.request<AssessmentDoc>('PATCH', `/assessments/${existing.id}`, { targets: [o.cidr], ports });
  } else {
    assessment = existing;
  }

  const started = Date.now();
  const { scanId } = await api.request<{ scanId: string }>('POST', `/assessments/${assessment.id}/run`);
  const pollMs = o.pollMs ?? 300;
  const blockedLimitMs = o.blockedLimitMs ?? 30_000;
  let cancelled: 'interrupted' | 'blocked' | undefined;
  let blockedSince: number | undefined;
  let blockedWhy = '';
  for (;;) {
    const stuck = blockedSince !== undefined && Date.now() - blockedSince > blockedLimitMs;
    if ((o.signal.aborted || stuck) && cancelled === undefined) {
      cancelled = o.signal.aborted ? 'interrupted' : 'blocked';
      await api.request('POST', `/assessments/${assessment.id}/cancel`).catch(() => undefined);
    }
    const a = await api.get<AssessmentDoc>(`/assessments/${assessment.id}`);
    const progress = await api.get<ProgressDocument>(`/scans/${scanId}/progress`).catch(() => undefined);
    if (progress !== undefined) {
      o.onProgress(progress, Date.now() - started);
      // A run with dead-lettered jobs waits for a redrive that nobody here will do: give up on it.
      if (progress.blocked === null) blockedSince = undefined;
      else if (blockedSince === undefined) {
        blockedSince = Date.now();
        blockedWhy = progress.blocked;
      }
    }
    // Idle again with this run as its last: the scan is finished and folded into the inventory.
    if (a.state === 'idle' && a.lastScanId === scanId) {
      const status = a.lastScan?.status ?? 'unknown';
      if (cancelled === 'interrupted') throw new TrawlError('TRAWL_E_INTERRUPTED', `interrupted: run ${scanId} of assessment "${DEMO_ASSESSMENT}" ended ${status}`, { scanId });
      if (cancelled === 'blocked') throw new TrawlError('TRAWL_E_QUEUE', `run ${scanId} of assessment "${DEMO_ASSESSMENT}" was blocked for ${blockedLimitMs / 1000} s (${blockedWhy}) and was cancelled`, { scanId });
      if (status !== 'done') throw new TrawlError('TRAWL_E_INTERNAL', `run ${scanId} of assessment "${DEMO_ASSESSMENT}" ended ${status}${a.lastScan?.error ? `: ${a.lastScan.error}` : ''}`, { scanId, status });
      const runs = (await api.all<{ id: string }>(`/scans?assessmentId=${assessment.id}`)).length;
      return { assessmentId: assessment.id, scanId, status, elapsedMs: Date.now() - started, runs };
    }
    await sleep(pollMs, o.signal);
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const t = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}
