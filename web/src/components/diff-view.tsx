/** The typed changes between two scans (GET /scans/{a}/diff/{b}). */
import { useMemo, useState } from 'react';
import { errorText } from '../api/client';
import { useDoc } from '../api/queries';
import type { Change, Diff } from '../api/types';
import { changeLabels, changeSummary, changeTone, fmtInt } from '../format';
import { Link } from '../router';
import { Notice } from './bits';
import { VirtualTable, type Column } from './virtual-table';

const columns: Column<Change>[] = [
  { id: 'kind', header: 'Change', width: '11rem', render: (c) => <span className={`change-kind tone-${changeTone(c.kind)}`}>{changeLabels[c.kind]}</span> },
  { id: 'target', header: 'What', render: (c) => <Link to={`/hosts/${encodeURIComponent(c.address)}`} tabIndex={-1}>{changeSummary(c)}</Link> },
  { id: 'evidence', header: 'Evidence', width: '10rem', render: (c) => <span className="muted">{c.evidence ?? ''}</span> },
];

export function DiffView({ base, head }: { base: string; head: string }) {
  const diff = useDoc<Diff>(`/scans/${encodeURIComponent(base)}/diff/${encodeURIComponent(head)}`);
  const [kind, setKind] = useState<string>('');
  const rows = useMemo(() => (diff.data?.changes ?? []).filter((c) => kind === '' || c.kind === kind), [diff.data, kind]);
  if (diff.error) return <Notice tone="error">{errorText(diff.error)}</Notice>;
  if (!diff.data) return <p className="muted" role="status">Comparing scans…</p>;
  const counts = Object.entries(diff.data.counts).sort((a, b) => b[1] - a[1]);
  return (
    <div data-testid="diff">
      <p>
        <strong data-testid="diff-total">{fmtInt(diff.data.total)}</strong> change{diff.data.total === 1 ? '' : 's'} from <code>{base}</code> to <code>{head}</code>
        {diff.data.truncated && ` (the first ${fmtInt(diff.data.changes.length)} are listed)`}.
      </p>
      {counts.length > 0 && (
        <div className="chips" role="group" aria-label="Filter changes by kind">
          <button type="button" aria-pressed={kind === ''} onClick={() => setKind('')}>All</button>
          {counts.map(([k, n]) => (
            <button type="button" key={k} aria-pressed={kind === k} className={`tone-${changeTone(k as Change['kind'])}`} onClick={() => setKind(k)} data-testid={`diff-count-${k}`}>
              {changeLabels[k as Change['kind']] ?? k}: {fmtInt(n)}
            </button>
          ))}
        </div>
      )}
      {diff.data.total > 0 && (
        <VirtualTable label="Changes between the scans" columns={columns} rows={rows} rowKey={(c) => `${c.kind}|${c.address}|${c.port}|${c.proto}|${c.checkId}`}
          loading={false} hasMore={false} loadingMore={false} loadMore={() => undefined} empty="No change of this kind." height="min(60vh, 30rem)" />
      )}
    </div>
  );
}
