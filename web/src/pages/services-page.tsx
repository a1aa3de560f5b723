/** Services: every (address, port) with its identity and certificate; filtered and paged on the server. */
import { useCallback, useEffect } from 'react';
import type { Service } from '../api/types';
import { useList } from '../api/queries';
import { StateBadge } from '../components/bits';
import { FilterBar, SelectFilter, TextFilter } from '../components/filters';
import { VirtualTable, type Column } from '../components/virtual-table';
import { fmtDate, fmtShort } from '../format';
import { Link, navigate, useQueryState, useTitle } from '../router';

function certCell(s: Service) {
  if (!s.tls) return <span className="muted">—</span>;
  const days = s.tls.notAfter ? Math.floor((Date.parse(s.tls.notAfter) - Date.now()) / 86400_000) : null;
  return <span className={days !== null && days < 30 ? 'warn-text' : undefined} title={`SHA-256 ${s.tls.fingerprint}`}>{s.tls.notAfter ? `until ${fmtDate(s.tls.notAfter)}` : 'certificate'}{days !== null && days < 30 ? ` (${days} d)` : ''}</span>;
}

const columns: Column<Service>[] = [
  { id: 'address', header: 'Address', width: '11rem', sortKey: 'address', render: (s) => <Link to={`/hosts/${encodeURIComponent(s.address)}`} tabIndex={-1}>{s.address}</Link> },
  { id: 'port', header: 'Port', width: '6rem', align: 'end', render: (s) => `${s.port}/${s.proto}` },
  { id: 'service', header: 'Service', width: '8rem', render: (s) => s.identity?.name ?? <span className="muted">?</span> },
  { id: 'product', header: 'Product', render: (s) => [s.identity?.product, s.identity?.version].filter(Boolean).join(' ') || <span className="muted">—</span> },
  { id: 'tls', header: 'Certificate', width: '12rem', render: certCell },
  { id: 'state', header: 'State', width: '6rem', render: (s) => <StateBadge state={s.state} /> },
  { id: 'lastSeen', header: 'Last seen', width: '11rem', render: (s) => fmtShort(s.lastSeen) },
];

let firstRowMarked = false;

export default function ServicesPage() {
  useTitle('Services');
  const [q, setQ] = useQueryState();
  const order = (q.get('order') ?? 'asc') as 'asc' | 'desc';
  const port = q.get('port') ?? '';
  const portBad = port !== '' && !/^[0-9]{1,5}$/.test(port);
  const filter = {
    port: portBad ? undefined : port || undefined, service: q.get('service') ?? undefined, product: q.get('product') ?? undefined,
    state: q.get('state') ?? undefined, asset: q.get('asset') ?? undefined, sort: 'address', order,
  };
  const list = useList<Service>('/services', filter);
  const rows = list.data?.pages.flatMap((p) => p.items) ?? [];
  const loadMore = useCallback(() => void list.fetchNextPage(), [list.fetchNextPage]);

  // A mark the load benchmark reads: when the first rows are on screen.
  useEffect(() => {
    if (rows.length > 0 && !firstRowMarked) {
      firstRowMarked = true;
      performance.mark('trawl:services-first-row');
    }
  }, [rows.length]);

  return (
    <>
      <h1>Services</h1>
      <FilterBar label="Filter services">
        <TextFilter label="Port" value={port} onChange={(v) => setQ({ port: v })} inputMode="numeric" width="6rem" />
        <TextFilter label="Service" value={filter.service ?? ''} onChange={(v) => setQ({ service: v })} placeholder="ssh" />
        <TextFilter label="Product" value={filter.product ?? ''} onChange={(v) => setQ({ product: v })} placeholder="OpenSSH" />
        <TextFilter label="Address" value={filter.asset ?? ''} onChange={(v) => setQ({ asset: v })} />
        <SelectFilter label="State" value={filter.state ?? ''} onChange={(v) => setQ({ state: v })} options={[['', 'Any'], ['open', 'Open'], ['unknown', 'Unconfirmed'], ['closed', 'Closed']]} />
      </FilterBar>
      {portBad && <p className="field-error" role="alert">Port must be a number from 0 to 65535.</p>}
      <p className="hint">Exact matches; service and product names as identification reported them. Zone and tag filters are on the Assets page.</p>
      <VirtualTable label="Services" testId="services-table" columns={columns} rows={rows} rowKey={(s) => `${s.address}|${s.port}|${s.proto}`}
        loading={list.isLoading} error={list.error} hasMore={list.hasNextPage} loadingMore={list.isFetchingNextPage} loadMore={loadMore}
        empty="No services match these filters."
        onOpen={(s) => navigate(`/hosts/${encodeURIComponent(s.address)}`)}
        sort={{ key: 'address', order, onSort: () => setQ({ order: order === 'asc' ? 'desc' : 'asc' }) }} />
    </>
  );
}
