/**
 * Live run progress over Server-Sent Events (`/assessments/{id}/events`). EventSource sends the
 * session cookie on same-origin requests, which is why the dashboard logs in with a cookie at all.
 */
import { useEffect, useState } from 'react';
import { queryClient } from './queries';
import type { AssessmentStatus, LiveProgress, ScanStatus } from './types';

export interface RunState {
  readonly connection: 'connecting' | 'open' | 'closed';
  readonly snapshot: AssessmentStatus | null;
  readonly scanId: string | null;
  readonly progress: LiveProgress | null;
  readonly running: boolean;
  readonly finished: { readonly status: ScanStatus; readonly error: string | null; readonly openFound: number; readonly scanId: string } | null;
}

const initial: RunState = { connection: 'connecting', snapshot: null, scanId: null, progress: null, running: false, finished: null };

function parse<T>(e: Event): T | undefined {
  try {
    return JSON.parse((e as MessageEvent<string>).data) as T;
  } catch {
    return undefined;
  }
}

export function useRunEvents(assessmentId: string | null): RunState {
  const [state, setState] = useState<RunState>(initial);
  useEffect(() => {
    if (assessmentId === null) return;
    setState(initial);
    const es = new EventSource(`/assessments/${encodeURIComponent(assessmentId)}/events`);
    es.onopen = () => setState((s) => ({ ...s, connection: 'open' }));
    es.onerror = () => setState((s) => ({ ...s, connection: es.readyState === EventSource.CLOSED ? 'closed' : 'connecting' }));
    es.addEventListener('snapshot', (e) => {
      const snap = parse<AssessmentStatus>(e);
      if (!snap) return;
      setState((s) => {
        // A reconnect whose snapshot says the run we were following is over: its run.finished was
        // sent while we were away, so the snapshot's last scan says how it ended.
        const missed = s.running && snap.state !== 'running' && snap.lastScan !== null && snap.lastScan.status !== 'running'
          ? { status: snap.lastScan.status, error: snap.lastScan.error, openFound: snap.lastScan.counters.openFound, scanId: snap.lastScan.id }
          : null;
        return {
          ...s, connection: 'open', snapshot: snap, running: snap.state === 'running',
          scanId: snap.live?.scanId ?? s.scanId, progress: snap.live?.progress ?? s.progress,
          ...(missed ? { finished: missed } : {}),
        };
      });

    });
    es.addEventListener('run.started', (e) => {
      const d = parse<{ scanId: string }>(e);
      if (!d) return;
      setState((s) => ({ ...s, running: true, scanId: d.scanId, progress: null, finished: null }));
      void queryClient.invalidateQueries({ queryKey: ['/assessments'] });
    });
    es.addEventListener('run.progress', (e) => {
      const d = parse<{ scanId: string; progress: LiveProgress }>(e);
      if (d) setState((s) => ({ ...s, running: true, scanId: d.scanId, progress: d.progress }));
    });
    es.addEventListener('run.finished', (e) => {
      const d = parse<{ scanId: string; status: ScanStatus; error: string | null; openFound: number }>(e);
      if (!d) return;
      setState((s) => ({ ...s, running: false, finished: { status: d.status, error: d.error, openFound: d.openFound, scanId: d.scanId } }));
      // Everything a finished scan changes: the assessment, its scans, and the inventory views.
      void queryClient.invalidateQueries();
    });
    return () => es.close();
  }, [assessmentId]);
  return state;
}
