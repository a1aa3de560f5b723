/** One assessment: run and cancel, live progress, coverage of the last run, its scans, and the diff. */
import { useCallback, useEffect, useState } from 'react';
import { useQueryClient } from '@tanstack/react-query';
import { api, errorText } from '../api/client';
import { useRunEvents } from '../api/events';
import { useDoc, useList, useSession } from '../api/queries';
import type { AssessmentStatus, Counters, Page, Scan, Schedule } from '../api/types';
import { Card, Notice, Progress, StateBadge } from '../components/bits';
import { DiffView } from '../components/diff-view';
import { VirtualTable, type Column } from '../components/virtual-table';
import { fmtDuration, fmtInt, fmtSeconds, fmtShort, fmtTime, progressText } from '../format';
import { Link, navigate, useQueryState, useTitle } from '../router';

function Coverage({ c, title }: { c: Counters; title: string }) {
  const skipped = c.probesSkippedBlocklist + c.probesSkippedDown;
  const rows: [string, number, string][] = [
    ['Planned', c.probesPlanned, '(address, port) pairs in the plan'],
    ['Sent', c.probesSent, 'probes put on the wire'],
    ['Answered', c.probesAnswered, 'a SYN-ACK or a reset came back'],
    ['Timed out', c.probesTimedOut, 'no answer after the retries: filtered or silent'],
    ['Retried', c.probesRetried, 'probes sent again'],
    ['Skipped', skipped, `${fmtInt(c.probesSkippedBlocklist)} reserved ranges, ${fmtInt(c.probesSkippedDown)} hosts found down`],
    ['Open', c.openFound, 'open ports found'],
  ];
  return (
    <table className="plain coverage" data-testid="coverage" aria-label={title}>
      <tbody>
        {rows.map(([k, n, why]) => (
          <tr key={k}><th scope="row">{k}</th><td className="num" data-testid={`cov-${k.toLowerCase().replace(' ', '-')}`}>{fmtInt(n)}</td><td className="muted small">{why}</td></tr>
        ))}
      </tbody>
    </table>
  );
}

const scanColumns: Column<Scan>[] = [
  { id: 'id', header: 'Scan', width: '14rem', render: (s) => <code>{s.id}</code> },
  { id: 'status', header: 'Status', width: '7.5rem', render: (s) => <span className={`badge scan-${s.status}`}>{s.status}</span> },
  { id: 'origin', header: 'Origin', width: '6rem', render: (s) => s.origin },
  { id: 'started', header: 'Started', width: '11rem', render: (s) => fmtShort(s.createdAt) },
  { id: 'took', header: 'Took', width: '6rem', align: 'end', render: (s) => (s.finishedAt ? fmtDuration(Date.parse(s.finishedAt) - Date.parse(s.createdAt)) : '—') },
  { id: 'sent', header: 'Sent / planned', width: '10rem', align: 'end', render: (s) => `${fmtInt(s.counters.probesSent)} / ${fmtInt(s.counters.probesPlanned)}` },
  { id: 'open', header: 'Open', width: '5rem', align: 'end', render: (s) => fmtInt(s.counters.openFound) },
  {
    id: 'export', header: 'Export', render: (s) => (
      <span className="exports">
        {(['jsonl', 'csv', 'xml', 'sarif'] as const).map((f) => <a key={f} href={`/scans/${s.id}/export?format=${f}`} download tabIndex={-1}>{f.toUpperCase()}</a>)}
      </span>
    ),
  },
];

export default function AssessmentPage({ params }: { params: Record<string, string> }) {
  const id = params['id'] ?? '';
  const qc = useQueryClient();
  const session = useSession();
  const canRun = session.data?.role === 'admin' || session.data?.role === 'analyst';
  const [q, setQ] = useQueryState();
  const status = useDoc<AssessmentStatus>(`/assessments/${id}`);
  const run = useRunEvents(id);
  const scans = useList<Scan>('/scans', { assessmentId: id, sort: 'createdAt', order: 'desc' }, 50);
  const schedules = useDoc<Page<Schedule>>('/schedules', { assessmentId: id });
  const [actionError, setActionError] = useState<string | null>(q.get('runError'));
  const [pending, setPending] = useState(false);
  useTitle(status.data?.name ?? 'Assessment');

  // A finished run changes the status document and the scan list.
  useEffect(() => {
    if (run.finished) {
      void qc.invalidateQueries({ queryKey: [`/assessments/${id}`] });
      void qc.invalidateQueries({ queryKey: ['/scans'] });
    }
  }, [run.finished, id, qc]);

  const act = async (what: 'run' | 'cancel'): Promise<void> => {
    setActionError(null);
    setQ({ runError: undefined });
    setPending(true);
    try {
      await api(`/assessments/${id}/${what}`, { method: 'POST' });
      await qc.invalidateQueries({ queryKey: [`/assessments/${id}`] });
      await qc.invalidateQueries({ queryKey: ['/scans'] });
    } catch (e) {
      setActionError(errorText(e));
    } finally {
      setPending(false);
    }
  };
  const remove = async (): Promise<void> => {
    if (!window.confirm('Delete this assessment? Its scans and the inventory stay.')) return;
    try {
      await api(`/assessments/${id}`, { method: 'DELETE' });
      await qc.invalidateQueries({ queryKey: ['/assessments'] });
      navigate('/assessments');
    } catch (e) {
      setActionError(errorText(e));
    }
  };

  const a = status.data;
  const running = run.running || a?.state === 'running';
  const scanRows = scans.data?.pages.flatMap((p) => p.items) ?? [];
  const done = scanRows.filter((s) => s.status === 'done');
  const head = q.get('head') ?? done[0]?.id;
  const base = q.get('base') ?? done.find((s) => s.id !== head && (head === undefined || s.createdAt < (done.find((x) => x.id === head)?.createdAt ?? '')))?.id;
  const loadMore = useCallback(() => void scans.fetchNextPage(), [scans.fetchNextPage]);
  // Runs numbered oldest first among those loaded, so two runs in the same minute stay apart.
  const runLabel = (s: Scan): string => `Run ${scanRows.length - scanRows.indexOf(s)} · ${fmtSeconds(s.createdAt)}`;
  const lastScan = a?.lastScan ?? null;
  const p = run.progress;

  return (
    <>
      <p className="crumbs"><Link to="/assessments">Assessments</Link> › </p>
      <div className="page-head">
        <h1>{a?.name ?? 'Assessment'}</h1>
        {a && <StateBadge state={running ? 'running' : 'idle'} />}
        <span className="spacer" />
        {canRun && a && !running && <button type="button" className="primary" onClick={() => void act('run')} disabled={pending}>Start run</button>}
        {canRun && a && running && <button type="button" className="danger" onClick={() => void act('cancel')} disabled={pending}>Cancel run</button>}
        {canRun && a && !running && <button type="button" className="ghost" onClick={() => void remove()}>Delete</button>}
      </div>
      {status.error && <Notice tone="error">{errorText(status.error)}</Notice>}
      {actionError && <Notice tone="error"><span data-testid="action-error">{actionError}</span></Notice>}
      {a && (
        <dl className="facts row">
          <dt>Targets</dt><dd>{a.targets.join(', ')}</dd>
          {a.excludes.length > 0 && <><dt>Excluded</dt><dd>{a.excludes.join(', ')}</dd></>}
          <dt>Ports</dt><dd><code>{a.ports}</code></dd>
          <dt>Discovery</dt><dd>{a.options.discovery}</dd>
          <dt>Identify</dt><dd>{a.options.identify === false ? 'off' : 'on'}</dd>
          <dt>Checks</dt><dd>{a.options.checks ?? (a.options.identify === false ? 'none' : 'safe')}</dd>
          {a.options.rate !== undefined && <><dt>Rate</dt><dd>{a.options.rate === 0 ? 'unpaced' : `${fmtInt(a.options.rate)} probes/s`}</dd></>}
          <dt>Zone</dt><dd>{a.zone ?? '—'}</dd>
          {a.tags.length > 0 && <><dt>Tags</dt><dd>{a.tags.map((t) => <span className="tag" key={t}>{t}</span>)}</dd></>}
          {schedules.data && schedules.data.items.length > 0 && (
            <><dt>Schedule</dt><dd>{schedules.data.items.map((s) => <span key={s.id}><code>{s.cron}</code> {s.timezone}{s.enabled ? `, next ${fmtTime(s.nextRunAt)}` : ' (disabled)'}</span>)}</dd></>
          )}
        </dl>
      )}
      <div className="grid-2">
        <Card title={running ? 'Running now' : 'Last run'}>
          <div data-testid="live">
            {running && (
              <>
                <Progress value={p?.done ?? 0} max={p?.planned ?? 0} label="Run progress" />
                <p aria-live="polite" className="small">
                  {p ? progressText(p) : 'Starting…'}
                </p>
              </>
            )}
            {!running && run.finished && (
              <p role="status" data-testid="run-finished">Run finished: <span className={`badge scan-${run.finished.status}`}>{run.finished.status}</span>{run.finished.error ? ` — ${run.finished.error}` : ''}</p>
            )}
          </div>
          {lastScan ? (
            <>
              <p className="small muted">
                Scan <code>{lastScan.id}</code>: <span className={`badge scan-${lastScan.status}`} data-testid="last-scan-status">{lastScan.status}</span>,
                started {fmtTime(lastScan.createdAt)}{lastScan.finishedAt ? `, took ${fmtDuration(Date.parse(lastScan.finishedAt) - Date.parse(lastScan.createdAt))}` : ''}.
                {lastScan.error && <> Error: {lastScan.error}</>}
              </p>
              {running && <p className="hint">Coverage as the scan last saved it; the live figures above move ahead of it.</p>}
              <Coverage c={lastScan.counters} title="Coverage of the last run" />
            </>
          ) : !running && <p className="muted">Never run.</p>}
        </Card>
        <Card title="What changed">
          {done.length < 2 && <p className="muted">The diff appears after two finished runs.</p>}
          {done.length >= 2 && (
            <>
              <div className="inline-form">
                <label className="filter"><span>From</span>
                  <select value={base ?? ''} onChange={(e) => setQ({ base: e.target.value })}>
                    {done.map((s) => <option key={s.id} value={s.id}>{runLabel(s)}</option>)}
                  </select>
                </label>
                <label className="filter"><span>To</span>
                  <select value={head ?? ''} onChange={(e) => setQ({ head: e.target.value })}>
                    {done.map((s) => <option key={s.id} value={s.id}>{runLabel(s)}</option>)}
                  </select>
                </label>
              </div>
              {base && head && base !== head ? <DiffView base={base} head={head} /> : <p className="muted">Pick two different scans.</p>}
            </>
          )}
        </Card>
      </div>
      <Card title="Runs">
        <VirtualTable label="Runs of this assessment" testId="scans-table" columns={scanColumns} rows={scanRows} rowKey={(s) => s.id}
          loading={scans.isLoading} error={scans.error} hasMore={scans.hasNextPage} loadingMore={scans.isFetchingNextPage} loadMore={loadMore}
          empty="No runs yet." height="min(40vh, 24rem)" />
      </Card>
    </>
  );
}
