/** Assets: every address the scans have seen, filtered by state, zone, tag and owner. */
import { useCallback } from 'react';
import type { Asset } from '../api/types';
import { useList } from '../api/queries';
import { StateBadge } from '../components/bits';
import { FilterBar, SelectFilter, TextFilter } from '../components/filters';
import { VirtualTable, type Column } from '../components/virtual-table';
import { fmtShort } from '../format';
import { Link, navigate, useQueryState, useTitle } from '../router';

const columns: Column<Asset>[] = [
  { id: 'address', header: 'Address', width: '11rem', sortKey: 'address', render: (a) => <Link to={`/hosts/${encodeURIComponent(a.address)}`} tabIndex={-1}>{a.address}</Link> },
  { id: 'hostnames', header: 'Host names', render: (a) => a.hostnames.join(', ') || <span className="muted">—</span> },
  { id: 'zone', header: 'Zone', width: '8rem', render: (a) => a.zone },
  { id: 'tags', header: 'Tags', width: '12rem', render: (a) => a.tags.map((t) => <span key={t} className="tag">{t}</span>) },
  { id: 'owner', header: 'Owner', width: '10rem', render: (a) => a.owner ?? <span className="muted">—</span> },
  { id: 'state', header: 'State', width: '6rem', render: (a) => <StateBadge state={a.state} /> },
  { id: 'firstSeen', header: 'First seen', width: '11rem', render: (a) => fmtShort(a.firstSeen) },
  { id: 'lastSeen', header: 'Last seen', width: '11rem', sortKey: 'lastSeen', render: (a) => fmtShort(a.lastSeen) },
];

export default function AssetsPage() {
  useTitle('Assets');
  const [q, setQ] = useQueryState();
  const sort = q.get('sort') ?? 'address';
  const order = (q.get('order') ?? (sort === 'lastSeen' ? 'desc' : 'asc')) as 'asc' | 'desc';
  const filter = { state: q.get('state') ?? undefined, zone: q.get('zone') ?? undefined, tag: q.get('tag') ?? undefined, owner: q.get('owner') ?? undefined, sort, order };
  const list = useList<Asset>('/assets', filter);
  const rows = list.data?.pages.flatMap((p) => p.items) ?? [];
  const loadMore = useCallback(() => void list.fetchNextPage(), [list.fetchNextPage]);

  return (
    <>
      <h1>Assets</h1>
      <FilterBar label="Filter assets">
        <TextFilter label="Go to address" value="" placeholder="127.0.0.1" onChange={(v) => { if (v) navigate(`/hosts/${encodeURIComponent(v)}`); }} />
        <SelectFilter label="State" value={filter.state ?? ''} onChange={(v) => setQ({ state: v })} options={[['', 'Any'], ['up', 'Up'], ['gone', 'Gone']]} />
        <TextFilter label="Zone" value={filter.zone ?? ''} onChange={(v) => setQ({ zone: v })} placeholder="external" />
        <TextFilter label="Tag" value={filter.tag ?? ''} onChange={(v) => setQ({ tag: v })} />
        <TextFilter label="Owner" value={filter.owner ?? ''} onChange={(v) => setQ({ owner: v })} />
      </FilterBar>
      <VirtualTable label="Assets" testId="assets-table" columns={columns} rows={rows} rowKey={(a) => a.address}
        loading={list.isLoading} error={list.error} hasMore={list.hasNextPage} loadingMore={list.isFetchingNextPage} loadMore={loadMore}
        empty="No assets match these filters."
        onOpen={(a) => navigate(`/hosts/${encodeURIComponent(a.address)}`)}
        sort={{ key: sort, order, onSort: (k) => setQ({ sort: k, order: k === sort ? (order === 'asc' ? 'desc' : 'asc') : k === 'lastSeen' ? 'desc' : 'asc' }) }} />
    </>
  );
}
