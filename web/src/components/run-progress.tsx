/** Live progress of one assessment's run, fed by its SSE stream. */
import { useRunEvents } from '../api/events';
import { fmtInt, progressText } from '../format';
import { Link } from '../router';
import { Progress } from './bits';

export function RunProgress({ assessmentId, name, compact }: { assessmentId: string; name?: string; compact?: boolean }) {
  const run = useRunEvents(assessmentId);
  const p = run.progress;
  const label = name ?? run.snapshot?.name ?? assessmentId;
  return (
    <div className="run" data-testid={`run-${assessmentId}`}>
      <div className="run-head">
        {compact ? <Link to={`/assessments/${assessmentId}`}>{label}</Link> : <strong>{label}</strong>}
        <span className={`badge ${run.running ? 'state-running' : run.finished ? `scan-${run.finished.status}` : 'state-idle'}`} data-testid="run-state">
          {run.running ? 'running' : run.finished ? run.finished.status : (run.snapshot?.state ?? '…')}
        </span>
        {run.connection !== 'open' && <span className="muted small">({run.connection === 'connecting' ? 'connecting to live updates…' : 'live updates closed'})</span>}
      </div>
      {run.running && (
        <>
          <Progress value={p?.done ?? 0} max={p?.planned ?? 0} label={`Progress of ${label}`} />
          <p className="small muted" aria-live="polite">
            {p ? progressText(p) : 'Starting…'}
          </p>
        </>
      )}
      {!run.running && run.finished && (
        <p className="small" role="status" data-testid="run-finished">
          Finished: {run.finished.status}{run.finished.error ? ` — ${run.finished.error}` : ''}, {fmtInt(run.finished.openFound)} open ports.
        </p>
      )}
    </div>
  );
}
