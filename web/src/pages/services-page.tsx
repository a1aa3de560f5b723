/**
 * Services: every (address, port) with its identity, certificate, the asset's zone and tags and its
 * open findings — searched, filtered and sorted on the server (every sort is an index walk there),
 * paged by cursor and virtualised here. Filters live in the query string: every view is a URL.
 */
import { useCallback, useEffect } from 'react';
import type { Service, Severity } from '../api/types';
import { useList } from '../api/queries';
import { SeverityBadge, StateBadge } from '../components/bits';
import { FilterBar, SelectFilter, TextFilter } from '../components/filters';
import { VirtualTable, type Column } from '../components/virtual-table';
import { fmtDate, fmtShort } from '../format';
import { Link, navigate, useQueryState, useTitle } from '../router';

function certCell(s: Service) {
  if (!s.tls) return <span className="muted">—</span>;
  const days = s.tls.notAfter ? Math.floor((Date.parse(s.tls.notAfter) - Date.now()) / 86400_000) : null;
  return <span className={days !== null && days < 30 ? 'warn-text' : undefined} title={`SHA-256 ${s.tls.fingerprint}`}>{s.tls.notAfter ? `until ${fmtDate(s.tls.notAfter)}` : 'certificate'}{days !== null && days < 30 ? ` (${days} d)` : ''}</span>;
}

function productCell(s: Service) {
  const text = [s.identity?.product, s.identity?.version].filter(Boolean).join(' ');
  const banner = s.identity?.banner ?? undefined;
  if (text) return <span title={banner ? `Banner: ${banner}` : undefined}>{text}</span>;
  if (banner) return <span className="muted" title="Banner">{banner}</span>;
  return <span className="muted">—</span>;
}

function zoneCell(s: Service) {
  if (!s.zone && (s.tags ?? []).length === 0) return <span className="muted">—</span>;
  return <>{s.zone ? `${s.zone} ` : ''}{(s.tags ?? []).map((t) => <span key={t} className="tag">{t}</span>)}</>;
}

function findingsCell(s: Service) {
  const f = s.findings;
  if (!f || f.open === 0 || f.maxSeverity === null) return <span className="muted">—</span>;
  return (
    <Link to={`/findings?asset=${encodeURIComponent(s.address)}&port=${s.port}`} tabIndex={-1} className="findings-link"
      aria-label={`${f.open} open finding${f.open === 1 ? '' : 's'}, worst ${f.maxSeverity}`}>
      <SeverityBadge severity={f.maxSeverity} />{f.open > 1 ? <span className="small"> +{f.open - 1}</span> : null}
    </Link>
  );
}

const columns: Column<Service>[] = [
  { id: 'address', header: 'Address', width: '10.5rem', sortKey: 'address', render: (s) => <Link to={`/hosts/${encodeURIComponent(s.address)}`} tabIndex={-1}>{s.address}</Link> },
  { id: 'port', header: 'Port', width: '6rem', align: 'end', sortKey: 'port', render: (s) => `${s.port}/${s.proto}` },
  { id: 'service', header: 'Service', width: '7.5rem', sortKey: 'service', render: (s) => s.identity?.name ?? <span className="muted">?</span> },
  { id: 'product', header: 'Product', sortKey: 'product', render: productCell },
  { id: 'zone', header: 'Zone, tags', width: '10rem', render: zoneCell },
  { id: 'findings', header: 'Findings', width: '7rem', render: findingsCell },
  { id: 'tls', header: 'Certificate', width: '11rem', render: certCell },
  { id: 'state', header: 'State', width: '5.5rem', render: (s) => <StateBadge state={s.state} /> },
  { id: 'lastSeen', header: 'Last seen', width: '10.5rem', sortKey: 'lastSeen', render: (s) => fmtShort(s.lastSeen) },
];

/** The order a column sorts in when first clicked: newest first for times, ascending otherwise. */
const firstOrder = (key: string): 'asc' | 'desc' => (key === 'lastSeen' ? 'desc' : 'asc');
const SORTS = new Set(['address', 'port', 'service', 'product', 'lastSeen']);

/** The findings select: one control for "any open finding", "none" and "at least this severity". */
const FINDING_CHOICES: readonly (readonly [string, string])[] = [
  ['', 'Any'], ['any', 'With open findings'], ['none', 'Without open findings'],
  ['critical', 'Critical'], ['high', 'High or worse'], ['medium', 'Medium or worse'], ['low', 'Low or worse'],
];

function findingQuery(choice: string): { hasFinding?: boolean; minSeverity?: Severity } {
  if (choice === 'any') return { hasFinding: true };
  if (choice === 'none') return { hasFinding: false };
  if (choice === 'critical' || choice === 'high' || choice === 'medium' || choice === 'low') return { minSeverity: choice };
  return {};
}

let firstRowMarked = false;

export default function ServicesPage() {
  useTitle('Services');
  const [q, setQ] = useQueryState();
  const sortParam = q.get('sort') ?? 'address';
  const sort = SORTS.has(sortParam) ? sortParam : 'address';
  const order = (q.get('order') ?? firstOrder(sort)) as 'asc' | 'desc';
  const port = q.get('port') ?? '';
  const portBad = port !== '' && !(/^[0-9]{1,5}$/.test(port) && Number(port) <= 65535);
  const findings = q.get('findings') ?? '';
  const filter = {
    q: q.get('q') ?? undefined,
    port: portBad ? undefined : port || undefined,
    service: q.get('service') ?? undefined, product: q.get('product') ?? undefined,
    zone: q.get('zone') ?? undefined, tag: q.get('tag') ?? undefined, check: q.get('check') ?? undefined,
    state: q.get('state') ?? undefined, asset: q.get('asset') ?? undefined,
    ...findingQuery(findings),
    sort, order,
  };
  const list = useList<Service>('/services', filter);
  const rows = list.data?.pages.flatMap((p) => p.items) ?? [];
  const loadMore = useCallback(() => void list.fetchNextPage(), [list.fetchNextPage]);
  const filtered = ['q', 'port', 'service', 'product', 'zone', 'tag', 'check', 'state', 'asset', 'findings'].some((k) => q.has(k));

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
        <TextFilter label="Search" value={filter.q ?? ''} onChange={(v) => setQ({ q: v })} placeholder="address, host, product, banner…" width="15rem" />
        <TextFilter label="Port" value={port} onChange={(v) => setQ({ port: v })} inputMode="numeric" width="6rem" invalid={portBad} errorId="port-err" />
        <TextFilter label="Service" value={filter.service ?? ''} onChange={(v) => setQ({ service: v })} placeholder="ssh" width="8rem" />
        <TextFilter label="Product" value={filter.product ?? ''} onChange={(v) => setQ({ product: v })} placeholder="OpenSSH" width="9rem" />
        <TextFilter label="Zone" value={filter.zone ?? ''} onChange={(v) => setQ({ zone: v })} placeholder="external" width="8rem" />
        <TextFilter label="Tag" value={filter.tag ?? ''} onChange={(v) => setQ({ tag: v })} width="8rem" />
        <SelectFilter label="Findings" value={findings} onChange={(v) => setQ({ findings: v })} options={FINDING_CHOICES} />
        <TextFilter label="Check" value={filter.check ?? ''} onChange={(v) => setQ({ check: v })} placeholder="redis-no-auth" width="10rem" />
        <SelectFilter label="State" value={filter.state ?? ''} onChange={(v) => setQ({ state: v })} options={[['', 'Any'], ['open', 'Open'], ['unknown', 'Unconfirmed'], ['closed', 'Closed']]} />
        {filtered && (
          <button type="button" className="ghost" onClick={() => setQ(Object.fromEntries(['q', 'port', 'service', 'product', 'zone', 'tag', 'check', 'state', 'asset', 'findings'].map((k) => [k, undefined])))}>
            Clear filters
          </button>
        )}
      </FilterBar>
      {portBad && <p id="port-err" className="field-error" role="alert">Port must be a whole number from 0 to 65535.</p>}
      {filter.asset && <p className="hint">Only address <code>{filter.asset}</code>.</p>}
      <p className="hint">Search matches part of an address, host name, service, product, version or banner, in any case. Service, product, zone, tag and check match exactly; a check shows services where it is open.</p>
      <VirtualTable label="Services" testId="services-table" columns={columns} rows={rows} rowKey={(s) => `${s.address}|${s.port}|${s.proto}`}
        loading={list.isLoading} error={list.error} hasMore={list.hasNextPage} loadingMore={list.isFetchingNextPage} loadMore={loadMore}
        empty="No services match these filters."
        onOpen={(s) => navigate(`/hosts/${encodeURIComponent(s.address)}`)}
        sort={{ key: sort, order, onSort: (k) => setQ({ sort: k, order: k === sort ? (order === 'asc' ? 'desc' : 'asc') : firstOrder(k) }) }} />
    </>
  );
}
