/** One host: its services, certificates, findings, and its whole history as a timeline of changes. */
import { useState, type FormEvent } from 'react';
import { useQueryClient } from '@tanstack/react-query';
import { api, errorText, ProblemError } from '../api/client';
import { useDoc, useList, useSession } from '../api/queries';
import type { Asset, Change, Finding, Service } from '../api/types';
import { Card, Empty, Field, Notice, SeverityBadge, StateBadge, StatusBadge } from '../components/bits';
import { changeLabels, changeSummary, changeTone, endpoint, fmtDate, fmtShort, fmtTime } from '../format';
import { Link, useTitle } from '../router';

function Annotate({ asset }: { asset: Asset }) {
  const qc = useQueryClient();
  const [zone, setZone] = useState(asset.zone);
  const [tags, setTags] = useState(asset.tags.join(', '));
  const [owner, setOwner] = useState(asset.owner ?? '');
  const [error, setError] = useState<ProblemError | Error | null>(null);
  const [saved, setSaved] = useState(false);
  const submit = async (e: FormEvent): Promise<void> => {
    e.preventDefault();
    setError(null);
    setSaved(false);
    try {
      const tagList = tags.split(/[,\s]+/).map((t) => t.trim()).filter(Boolean);
      await api(`/assets/${encodeURIComponent(asset.address)}`, { method: 'PATCH', body: { zone: zone.trim() || null, tags: tagList, owner: owner.trim() || null } });
      setSaved(true);
      await qc.invalidateQueries({ queryKey: [`/assets/${encodeURIComponent(asset.address)}`] });
      await qc.invalidateQueries({ queryKey: ['/assets'] });
    } catch (err) {
      setError(err as Error);
    }
  };
  const fe = (f: string): string | undefined => (error instanceof ProblemError && error.field?.startsWith(f) ? error.problem.detail : undefined);
  return (
    <form className="inline-form" onSubmit={(e) => void submit(e)} noValidate>
      <Field label="Zone" error={fe('body.zone')} hint="external, internal, or any name">
        {(f) => <input id={f.id} value={zone} onChange={(e) => setZone(e.target.value)} aria-describedby={f.describedBy} aria-invalid={f.invalid} />}
      </Field>
      <Field label="Tags" error={fe('body.tags')} hint="comma-separated">
        {(f) => <input id={f.id} value={tags} onChange={(e) => setTags(e.target.value)} aria-describedby={f.describedBy} aria-invalid={f.invalid} />}
      </Field>
      <Field label="Owner" error={fe('body.owner')}>
        {(f) => <input id={f.id} value={owner} onChange={(e) => setOwner(e.target.value)} aria-describedby={f.describedBy} aria-invalid={f.invalid} />}
      </Field>
      <div className="actions"><button type="submit">Save</button>{saved && <span role="status" className="ok-text">Saved</span>}</div>
      {error && !(error instanceof ProblemError && error.field?.startsWith('body.')) && <Notice tone="error">{errorText(error)}</Notice>}
    </form>
  );
}

export default function HostPage({ params }: { params: Record<string, string> }) {
  const address = params['address'] ?? '';
  useTitle(address);
  const session = useSession();
  const canEdit = session.data?.role === 'admin' || session.data?.role === 'analyst';
  const enc = encodeURIComponent(address);
  const asset = useDoc<Asset>(`/assets/${enc}`);
  const services = useList<Service>('/services', { asset: address, sort: 'address' }, 200);
  const findings = useList<Finding>('/findings', { asset: address, status: ['open', 'accepted_risk', 'false_positive', 'fixed'], sort: 'severity' }, 200);
  const changes = useList<Change>('/changes', { asset: address }, 50);
  const svc = services.data?.pages.flatMap((p) => p.items) ?? [];
  const fnd = findings.data?.pages.flatMap((p) => p.items) ?? [];
  const chg = changes.data?.pages.flatMap((p) => p.items) ?? [];
  const certs = svc.filter((s) => s.tls !== null);

  return (
    <>
      <p className="crumbs"><Link to="/assets">Assets</Link> › </p>
      <h1>{address}</h1>
      {asset.error && <Notice tone="error">{errorText(asset.error)}</Notice>}
      {asset.data && (
        <dl className="facts row" data-testid="host-facts">
          <dt>State</dt><dd><StateBadge state={asset.data.state} /></dd>
          <dt>Host names</dt><dd>{asset.data.hostnames.join(', ') || '—'}</dd>
          <dt>Zone</dt><dd>{asset.data.zone}</dd>
          <dt>Tags</dt><dd>{asset.data.tags.map((t) => <span key={t} className="tag">{t}</span>)}{asset.data.tags.length === 0 && '—'}</dd>
          <dt>Owner</dt><dd>{asset.data.owner ?? '—'}</dd>
          <dt>First seen</dt><dd>{fmtTime(asset.data.firstSeen)}</dd>
          <dt>Last seen</dt><dd>{fmtTime(asset.data.lastSeen)}</dd>
        </dl>
      )}
      <div className="grid-2">
        <Card title={`Services (${svc.length}${services.hasNextPage ? '+' : ''})`}>
          {services.isLoading && <p className="muted">Loading…</p>}
          {services.data && svc.length === 0 && <Empty>No services recorded on this host.</Empty>}
          {svc.length > 0 && (
            <table className="plain" data-testid="host-services">
              <thead><tr><th scope="col" className="num">Port</th><th scope="col">Service</th><th scope="col">Product</th><th scope="col">State</th><th scope="col">Last seen</th></tr></thead>
              <tbody>
                {svc.map((s) => (
                  <tr key={`${s.port}/${s.proto}`}>
                    <td className="num">{s.port}/{s.proto}</td>
                    <td>{s.identity?.name ?? <span className="muted">?</span>}</td>
                    <td>{[s.identity?.product, s.identity?.version].filter(Boolean).join(' ') || '—'}</td>
                    <td><StateBadge state={s.state} /></td>
                    <td>{fmtShort(s.lastSeen)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          {services.hasNextPage && <button type="button" onClick={() => void services.fetchNextPage()}>Load more services</button>}
        </Card>
        <Card title={`Findings (${fnd.length}${findings.hasNextPage ? '+' : ''})`}>
          {findings.data && fnd.length === 0 && <Empty>No findings on this host.</Empty>}
          {fnd.length > 0 && (
            <ul className="list" data-testid="host-findings">
              {fnd.map((f) => (
                <li key={f.id}>
                  <SeverityBadge severity={f.severity} /> <Link to={`/findings?finding=${encodeURIComponent(f.id)}&asset=${enc}&status=open&status=accepted_risk&status=false_positive&status=fixed`}>{f.title ?? f.checkId}</Link>{' '}
                  <span className="muted small">{endpoint(f.address, f.port, f.proto)}</span> <StatusBadge status={f.status} />
                </li>
              ))}
            </ul>
          )}
        </Card>
        <Card title={`Certificates (${certs.length})`}>
          {certs.length === 0 && <Empty>No TLS certificates seen on this host.</Empty>}
          {certs.length > 0 && (
            <table className="plain">
              <thead><tr><th scope="col" className="num">Port</th><th scope="col">SHA-256</th><th scope="col">Expires</th></tr></thead>
              <tbody>
                {certs.map((s) => {
                  const days = s.tls!.notAfter ? Math.floor((Date.parse(s.tls!.notAfter) - Date.now()) / 86400_000) : null;
                  return (
                    <tr key={s.port}>
                      <td className="num">{s.port}</td>
                      <td><code className="fp" title={s.tls!.fingerprint}>{s.tls!.fingerprint.slice(0, 16)}…</code></td>
                      <td className={days !== null && days < 30 ? 'warn-text' : undefined}>{fmtDate(s.tls!.notAfter)}{days !== null ? ` (${days} d)` : ''}</td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          )}
        </Card>
        {canEdit && asset.data && (
          <Card title="Owner, zone and tags">
            {/* Reset by a new sighting, not by its own save (which would take the "Saved" note with it). */}
            <Annotate key={asset.data.address + asset.data.lastSeen} asset={asset.data} />
          </Card>
        )}
      </div>
      <Card title="History">
        {changes.data && chg.length === 0 && <Empty>No change events for this host yet.</Empty>}
        <ol className="timeline" data-testid="host-timeline">
          {chg.map((c) => (
            <li key={c.id ?? `${c.scanId}-${c.kind}-${c.port}`} className={`tone-${changeTone(c.kind)}`}>
              <time dateTime={c.at}>{fmtTime(c.at)}</time>
              <span className="change-kind">{changeLabels[c.kind]}</span>
              <span>{changeSummary(c)}{c.evidence && <span className="muted small"> ({c.evidence})</span>}</span>
            </li>
          ))}
        </ol>
        {changes.hasNextPage && <button type="button" onClick={() => void changes.fetchNextPage()} disabled={changes.isFetchingNextPage}>Older events</button>}
      </Card>
    </>
  );
}
