/** Assessments: what is scanned for this organisation, and how each last ran. */
import { useCallback } from 'react';
import { useList, useSession } from '../api/queries';
import type { Assessment } from '../api/types';
import { StateBadge } from '../components/bits';
import { VirtualTable, type Column } from '../components/virtual-table';
import { fmtShort } from '../format';
import { Link, navigate, useTitle } from '../router';

const columns: Column<Assessment>[] = [
  { id: 'name', header: 'Name', render: (a) => <Link to={`/assessments/${a.id}`} tabIndex={-1}>{a.name}</Link> },
  { id: 'targets', header: 'Targets', width: '16rem', render: (a) => <span title={a.targets.join('\n')}>{a.targets.slice(0, 3).join(', ')}{a.targets.length > 3 ? ` +${a.targets.length - 3}` : ''}</span> },
  { id: 'ports', header: 'Ports', width: '10rem', render: (a) => <code>{a.ports.length > 24 ? `${a.ports.slice(0, 24)}…` : a.ports}</code> },
  { id: 'zone', header: 'Zone', width: '7rem', render: (a) => a.zone ?? <span className="muted">—</span> },
  { id: 'state', header: 'State', width: '7rem', render: (a) => <StateBadge state={a.state} /> },
  { id: 'updated', header: 'Updated', width: '11rem', render: (a) => fmtShort(a.updatedAt) },
];

export default function AssessmentsPage() {
  useTitle('Assessments');
  const session = useSession();
  const list = useList<Assessment>('/assessments', { sort: 'createdAt', order: 'desc' });
  const rows = list.data?.pages.flatMap((p) => p.items) ?? [];
  const loadMore = useCallback(() => void list.fetchNextPage(), [list.fetchNextPage]);
  const canCreate = session.data?.role === 'admin' || session.data?.role === 'analyst';
  return (
    <>
      <div className="page-head">
        <h1>Assessments</h1>
        {canCreate && <Link to="/assessments/new" className="button primary">New assessment</Link>}
      </div>
      <VirtualTable label="Assessments" testId="assessments-table" columns={columns} rows={rows} rowKey={(a) => a.id}
        loading={list.isLoading} error={list.error} hasMore={list.hasNextPage} loadingMore={list.isFetchingNextPage} loadMore={loadMore}
        empty={canCreate ? <>No assessments yet. <Link to="/assessments/new">Create the first one</Link>.</> : 'No assessments yet.'}
        onOpen={(a) => navigate(`/assessments/${a.id}`)} height="calc(100vh - 12rem)" />
    </>
  );
}
