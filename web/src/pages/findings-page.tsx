/** Findings: filter, select, triage in bulk, read the evidence, export. */
import { useCallback, useMemo, useState, type ReactNode } from 'react';
import { errorText } from '../api/client';
import { fetchAll, useDoc, useList, useSession } from '../api/queries';
import { findingStatuses, severities, type Finding, type FindingStatus, type Severity } from '../api/types';
import { JsonView, Notice, SeverityBadge, StatusBadge } from '../components/bits';
import { FilterBar, TextFilter } from '../components/filters';
import { TriageDialog, triageLabels, type TriageAction } from '../components/triage';
import { VirtualTable, type Column } from '../components/virtual-table';
import { downloadCsv, downloadJson } from '../export';
import { endpoint, fmtShort, fmtTime, statusLabels } from '../format';
import { Link, useQueryState, useTitle } from '../router';

const EXPORT_MAX = 50_000;

function CheckGroup<T extends string>({ legend, all, value, onChange, render }: { legend: string; all: readonly T[]; value: readonly T[]; onChange: (v: T[]) => void; render: (v: T) => ReactNode }) {
  return (
    <fieldset className="checks">
      <legend>{legend}</legend>
      {all.map((v) => (
        <label key={v}>
          <input type="checkbox" checked={value.includes(v)} onChange={(e) => onChange(e.target.checked ? [...value, v] : value.filter((x) => x !== v))} />
          {render(v)}
        </label>
      ))}
    </fieldset>
  );
}

function FindingPanel({ id, onClose, canTriage, onTriage, actor }: { id: string; onClose: () => void; canTriage: boolean; onTriage: (a: TriageAction) => void; actor: string | undefined }) {
  const f = useDoc<Finding>(`/findings/${encodeURIComponent(id)}`);
  return (
    <aside className="panel" aria-labelledby="finding-title" data-testid="finding-panel">
      <header className="panel-head">
        <h2 id="finding-title">{f.data ? (f.data.title ?? f.data.checkId) : 'Finding'}</h2>
        <button type="button" className="ghost" onClick={onClose} aria-label="Close finding details">✕</button>
      </header>
      {f.error && <Notice tone="error">{errorText(f.error)}</Notice>}
      {f.data && (
        <>
          <p><SeverityBadge severity={f.data.severity} /> <StatusBadge status={f.data.status} /></p>
          <dl className="facts">
            <dt>Check</dt><dd><code>{f.data.checkId}</code></dd>
            <dt>Target</dt><dd><Link to={`/hosts/${encodeURIComponent(f.data.address)}`}>{endpoint(f.data.address, f.data.port, f.data.proto)}</Link></dd>
            <dt>First seen</dt><dd>{fmtTime(f.data.firstSeen)}</dd>
            <dt>Last seen</dt><dd>{fmtTime(f.data.lastSeen)} (seen {f.data.timesSeen}×, reopened {f.data.reopenedCount}×)</dd>
            <dt>Open since</dt><dd>{fmtTime(f.data.openedAt)}</dd>
            {f.data.fixedAt && <><dt>Fixed</dt><dd>{fmtTime(f.data.fixedAt)}</dd></>}
            {f.data.triage && (
              <>
                <dt>Triage</dt>
                <dd data-testid="triage-info">{statusLabels[f.data.status]} by {f.data.triage.by === actor ? 'you' : f.data.triage.by} on {fmtTime(f.data.triage.at)}{f.data.triage.until ? `, until ${fmtTime(f.data.triage.until)}` : ''}: “{f.data.triage.reason}”</dd>
              </>
            )}
          </dl>
          {canTriage && f.data.status !== 'fixed' && (
            <div className="actions">
              {f.data.status === 'open' && <button type="button" onClick={() => onTriage('accepted_risk')}>{triageLabels.accepted_risk}</button>}
              {f.data.status === 'open' && <button type="button" onClick={() => onTriage('false_positive')}>{triageLabels.false_positive}</button>}
              {f.data.status !== 'open' && <button type="button" onClick={() => onTriage('open')}>{triageLabels.open}</button>}
            </div>
          )}
          <h3>Evidence</h3>
          {f.data.evidence === null ? <p className="muted">The check reported no evidence.</p> : <JsonView value={f.data.evidence} />}
        </>
      )}
    </aside>
  );
}

export default function FindingsPage() {
  useTitle('Findings');
  const session = useSession();
  const canTriage = session.data?.role === 'admin' || session.data?.role === 'analyst';
  const [q, setQ] = useQueryState();
  const severity = q.getAll('severity').filter((s): s is Severity => (severities as string[]).includes(s));
  const status = q.has('status') ? q.getAll('status').filter((s): s is FindingStatus => (findingStatuses as string[]).includes(s)) : ['open' as FindingStatus];
  const sort = q.get('sort') ?? 'severity';
  const order = (q.get('order') ?? (sort === 'address' ? 'asc' : 'desc')) as 'asc' | 'desc';
  const port = q.get('port') ?? '';
  const filter = useMemo(() => ({
    severity, status, check: q.get('check') ?? undefined, asset: q.get('asset') ?? undefined, port: /^[0-9]{1,5}$/.test(port) ? port : undefined, sort, order,
  }), [q.toString()]);
  const list = useList<Finding>('/findings', filter);
  const rows = list.data?.pages.flatMap((p) => p.items) ?? [];
  const loadMore = useCallback(() => void list.fetchNextPage(), [list.fetchNextPage]);
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [triage, setTriage] = useState<{ action: TriageAction; ids: string[] } | null>(null);
  const [exporting, setExporting] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const open = q.get('finding');

  const columns: Column<Finding>[] = [
    { id: 'severity', header: 'Severity', width: '7rem', sortKey: 'severity', render: (f) => <SeverityBadge severity={f.severity} /> },
    { id: 'title', header: 'Finding', render: (f) => <button type="button" className="linkish" tabIndex={-1} onClick={() => setQ({ finding: f.id })}>{f.title ?? f.checkId}</button> },
    { id: 'target', header: 'Target', width: '13rem', sortKey: 'address', render: (f) => <Link to={`/hosts/${encodeURIComponent(f.address)}`} tabIndex={-1}>{endpoint(f.address, f.port, f.proto)}</Link> },
    { id: 'check', header: 'Check', width: '12rem', render: (f) => <code>{f.checkId}</code> },
    { id: 'status', header: 'Status', width: '9rem', render: (f) => <StatusBadge status={f.status} /> },
    { id: 'firstSeen', header: 'First seen', width: '10.5rem', sortKey: 'firstSeen', render: (f) => fmtShort(f.firstSeen) },
    { id: 'lastSeen', header: 'Last seen', width: '10.5rem', sortKey: 'lastSeen', render: (f) => fmtShort(f.lastSeen) },
  ];

  const exportRows = async (kind: 'csv' | 'json'): Promise<void> => {
    setExporting('Exporting…');
    try {
      const { items, truncated } = await fetchAll<Finding>('/findings', filter, EXPORT_MAX, (n) => setExporting(`Exporting… ${n} findings`));
      const name = `trawl-findings-${new Date().toISOString().slice(0, 10)}.${kind}`;
      if (kind === 'json') downloadJson(name, items);
      else downloadCsv(name, items, [
        ['id', (f) => f.id], ['severity', (f) => f.severity], ['status', (f) => f.status], ['address', (f) => f.address], ['port', (f) => f.port], ['proto', (f) => f.proto],
        ['check', (f) => f.checkId], ['title', (f) => f.title], ['first_seen', (f) => f.firstSeen], ['last_seen', (f) => f.lastSeen], ['opened_at', (f) => f.openedAt],
        ['triage_by', (f) => f.triage?.by], ['triage_reason', (f) => f.triage?.reason], ['triage_until', (f) => f.triage?.until], ['evidence', (f) => f.evidence],
      ]);
      setNotice(`Exported ${items.length} findings${truncated ? ` (the first ${EXPORT_MAX}; narrow the filters for the rest)` : ''}.`);
    } catch (e) {
      setNotice(`Export failed: ${errorText(e)}`);
    } finally {
      setExporting(null);
    }
  };

  const sel = [...selected];
  return (
    <div className={open ? 'with-panel' : undefined}>
      <div>
        <h1>Findings</h1>
        <FilterBar label="Filter findings">
          <CheckGroup legend="Severity" all={severities} value={severity} onChange={(v) => setQ({ severity: v })} render={(s) => <SeverityBadge severity={s} />} />
          <CheckGroup legend="Status" all={findingStatuses} value={status} onChange={(v) => setQ({ status: v.length === 0 ? ['open', 'accepted_risk', 'false_positive', 'fixed'] : v })} render={(s) => statusLabels[s]} />
          <TextFilter label="Check" value={filter.check ?? ''} onChange={(v) => setQ({ check: v })} />
          <TextFilter label="Address" value={filter.asset ?? ''} onChange={(v) => setQ({ asset: v })} />
          <TextFilter label="Port" value={port} onChange={(v) => setQ({ port: v })} inputMode="numeric" width="6rem" />
        </FilterBar>
        <div className="toolbar" role="toolbar" aria-label="Actions on findings">
          <span className="muted" aria-live="polite">{sel.length > 0 ? `${sel.length} selected` : 'Select findings for bulk triage'}</span>
          {canTriage && (
            <>
              <button type="button" disabled={sel.length === 0} onClick={() => setTriage({ action: 'accepted_risk', ids: sel })}>{triageLabels.accepted_risk}</button>
              <button type="button" disabled={sel.length === 0} onClick={() => setTriage({ action: 'false_positive', ids: sel })}>{triageLabels.false_positive}</button>
              <button type="button" disabled={sel.length === 0} onClick={() => setTriage({ action: 'open', ids: sel })}>{triageLabels.open}</button>
            </>
          )}
          {sel.length > 0 && <button type="button" className="ghost" onClick={() => setSelected(new Set())}>Clear selection</button>}
          <span className="spacer" />
          <button type="button" disabled={exporting !== null} onClick={() => void exportRows('csv')}>Export CSV</button>
          <button type="button" disabled={exporting !== null} onClick={() => void exportRows('json')}>Export JSON</button>
        </div>
        {(exporting ?? notice) && <p role="status" className="small">{exporting ?? notice}</p>}
        <VirtualTable label="Findings" testId="findings-table" columns={columns} rows={rows} rowKey={(f) => f.id}
          loading={list.isLoading} error={list.error} hasMore={list.hasNextPage} loadingMore={list.isFetchingNextPage} loadMore={loadMore}
          empty="No findings match these filters."
          onOpen={(f) => setQ({ finding: f.id })}
          selection={canTriage ? {
            selected,
            toggle: (k) => setSelected((s) => { const n = new Set(s); if (n.has(k)) n.delete(k); else n.add(k); return n; }),
            setAll: (keys, on) => setSelected((s) => { const n = new Set(s); for (const k of keys) if (on) n.add(k); else n.delete(k); return n; }),
          } : undefined}
          sort={{ key: sort, order, onSort: (k) => setQ({ sort: k, order: k === sort ? (order === 'asc' ? 'desc' : 'asc') : k === 'address' ? 'asc' : 'desc' }) }} />
      </div>
      {open && <FindingPanel id={open} actor={session.data?.actor} onClose={() => setQ({ finding: undefined })} canTriage={canTriage} onTriage={(a) => setTriage({ action: a, ids: [open] })} />}
      <TriageDialog action={triage?.action ?? null} ids={triage?.ids ?? []} onClose={() => setTriage(null)}
        onDone={(ok) => { setSelected((s) => { const n = new Set(s); for (const k of ok) n.delete(k); return n; }); if (ok.length > 0) setNotice(`${ok.length} finding${ok.length === 1 ? '' : 's'} updated.`); }} />
    </div>
  );
}
