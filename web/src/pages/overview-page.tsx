/** Overview: risk and its trend, open findings by severity over time, inventory size, changes, runs. */
import { useMemo } from 'react';
import type { Assessment, Change, Page, RiskReport, Severity, TrendPoint } from '../api/types';
import { severities } from '../api/types';
import { useDoc } from '../api/queries';
import { Card, Empty, Notice, SeverityBadge } from '../components/bits';
import { RunProgress } from '../components/run-progress';
import { TimeChart } from '../components/time-chart';
import { changeLabels, changeSummary, changeTone, fmtAgo, fmtInt } from '../format';
import { Link, useQueryState, useTitle } from '../router';
import { errorText } from '../api/client';

const RANGES = [30, 90, 365] as const;

function delta(points: readonly TrendPoint[], pick: (p: TrendPoint) => number, back = 7): number | null {
  const last = points[points.length - 1];
  const then = points[points.length - 1 - back];
  if (!last || !then || then.source === 'none') return null;
  return pick(last) - pick(then);
}

function Delta({ value, betterDown = true, digits = 0 }: { value: number | null; betterDown?: boolean; digits?: number }) {
  if (value === null || value === 0) return <span className="delta muted">no change in 7 days</span>;
  const good = betterDown ? value < 0 : value > 0;
  return <span className={`delta ${good ? 'good' : 'bad'}`}>{value > 0 ? '▲' : '▼'} {Math.abs(value).toFixed(digits)} in 7 days</span>;
}

export default function OverviewPage() {
  useTitle('Overview');
  const [q, setQ] = useQueryState();
  const DAYS = RANGES.find((r) => String(r) === q.get('days')) ?? 90;
  const trends = useDoc<{ points: TrendPoint[] }>('/trends', { days: DAYS });
  // The risk report reads the whole inventory: ask for it once the cheap figures are on screen.
  const risk = useDoc<RiskReport>(trends.isSuccess ? '/risk' : null, { limit: 8 });
  const changes = useDoc<Page<Change>>('/changes', { limit: 12 });
  const running = useDoc<Page<Assessment>>('/assessments', { state: 'running', limit: 5 }, { refetchMs: 5000, staleMs: 0 });

  const points = trends.data?.points ?? [];
  const last = points[points.length - 1];
  const series = useMemo(() => {
    const days = points.map((p) => p.day);
    return {
      days,
      risk: [{ label: 'Risk score', color: '--accent', values: points.map((p) => (p.source === 'none' ? null : p.risk)) }],
      open: severities.filter((s) => s !== 'none').map((s) => ({ label: s, color: `--sev-${s}-line`, values: points.map((p) => (p.source === 'none' ? null : p.open[s])) })),
      inv: [
        { label: 'Assets', color: '--accent', values: points.map((p) => (p.source === 'none' ? null : p.assets)) },
        { label: 'Services', color: '--series-2', values: points.map((p) => (p.source === 'none' ? null : p.services)) },
      ],
    };
  }, [points]);

  const riskNow = risk.data?.score ?? last?.risk;
  return (
    <>
      <div className="page-head">
        <h1>Overview</h1>
        <span className="spacer" />
        <label className="filter inline"><span>History</span>
          <select value={DAYS} onChange={(e) => setQ({ days: e.target.value })}>
            {RANGES.map((r) => <option key={r} value={r}>last {r} days</option>)}
          </select>
        </label>
      </div>
      {trends.error && <Notice tone="error">Trends unavailable: {errorText(trends.error)}</Notice>}
      <div className="kpis" data-testid="kpis">
        <section className="kpi" aria-label="Risk score">
          <h2>Risk score</h2>
          <p className="kpi-value" data-testid="risk-score">{riskNow === undefined ? '…' : riskNow.toFixed(1)}<span className="kpi-unit">/100</span></p>
          <Delta value={delta(points, (p) => p.risk)} digits={1} />
        </section>
        <section className="kpi" aria-label="Open findings">
          <h2>Open findings</h2>
          <p className="kpi-value">{last ? fmtInt(last.openTotal) : '…'}</p>
          <ul className="sev-chips" aria-label="Open findings by severity">
            {last && (['critical', 'high', 'medium', 'low'] as Severity[]).map((s) => (
              <li key={s}><Link to={`/findings?severity=${s}&status=open`}><SeverityBadge severity={s} /> {fmtInt(last.open[s])}</Link></li>
            ))}
          </ul>
        </section>
        <section className="kpi" aria-label="Assets">
          <h2>Assets up</h2>
          <p className="kpi-value"><Link to="/assets?state=up">{last ? fmtInt(last.assets) : '…'}</Link></p>
          <Delta value={delta(points, (p) => p.assets)} />
        </section>
        <section className="kpi" aria-label="Services">
          <h2>Exposed services</h2>
          <p className="kpi-value"><Link to="/services">{last ? fmtInt(last.services) : '…'}</Link></p>
          <Delta value={delta(points, (p) => p.services)} />
        </section>
      </div>

      {running.data && running.data.items.length > 0 && (
        <Card title="Running assessments">
          <div className="runs">
            {running.data.items.map((a) => <RunProgress key={a.id} assessmentId={a.id} name={a.name} compact />)}
          </div>
        </Card>
      )}

      <div className="grid-2">
        {points.length > 0 && (
          <Card title={`Risk score, last ${DAYS} days`}>
            <TimeChart title="Risk score (0-100)" days={series.days} series={series.risk} yMax={100}
              summary={`Risk score is ${last?.risk.toFixed(1) ?? 'unknown'} today.`} />
          </Card>
        )}
        {points.length > 0 && (
          <Card title="Open findings by severity">
            <TimeChart title="Open findings per day" days={series.days} series={series.open}
              summary={last ? `Today: ${severities.map((s) => `${last.open[s]} ${s}`).join(', ')}.` : ''} />
          </Card>
        )}
        {points.length > 0 && (
          <Card title="Assets and services">
            <TimeChart title="Assets up and exposed services per day" days={series.days} series={series.inv}
              summary={last ? `Today: ${last.assets} assets, ${last.services} services.` : ''} />
          </Card>
        )}
        <Card title="Latest changes" actions={<Link to="/assessments" className="small">All assessments</Link>}>
          {changes.isLoading && <p className="muted">Loading…</p>}
          {changes.data && changes.data.items.length === 0 && <Empty>No changes recorded yet: run an assessment twice to see what moves.</Empty>}
          <ol className="changes" data-testid="latest-changes">
            {changes.data?.items.map((c) => (
              <li key={c.id ?? `${c.scanId}-${c.kind}-${c.address}-${c.port}`} className={`tone-${changeTone(c.kind)}`}>
                <span className="change-kind">{changeLabels[c.kind]}</span>{' '}
                <Link to={`/hosts/${encodeURIComponent(c.address)}`}>{changeSummary(c)}</Link>{' '}
                <time className="muted small" dateTime={c.at}>{fmtAgo(c.at)}</time>
              </li>
            ))}
          </ol>
        </Card>
        <Card title="Riskiest assets">
          {!risk.data && <p className="muted">{risk.error ? errorText(risk.error) : 'Loading…'}</p>}
          {risk.data && risk.data.assets.length === 0 && <Empty>No asset carries risk.</Empty>}
          {risk.data && risk.data.assets.length > 0 && (
            <table className="plain">
              <thead><tr><th scope="col">Asset</th><th scope="col">Zone</th><th scope="col" className="num">Score</th><th scope="col" className="num">Open findings</th><th scope="col" className="num">Services</th></tr></thead>
              <tbody>
                {risk.data.assets.map((a) => (
                  <tr key={a.address}>
                    <td><Link to={`/hosts/${encodeURIComponent(a.address)}`}>{a.address}</Link></td>
                    <td>{a.zone}</td><td className="num">{a.score.toFixed(1)}</td><td className="num">{a.openFindings}</td><td className="num">{a.exposedServices}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </Card>
      </div>
    </>
  );
}
