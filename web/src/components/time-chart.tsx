/**
 * Daily series drawn with uPlot (canvas: thousands of points cost nothing), resized with its box and
 * redrawn in the theme's colours. The figure carries a text summary and the numbers as a table for
 * people who cannot see the canvas.
 */
import { useEffect, useId, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { useTheme } from '../theme';

export interface ChartSeries {
  readonly label: string;
  /** A CSS custom property name (`--sev-critical`) or a colour. */
  readonly color: string;
  readonly values: readonly (number | null)[];
}

export interface TimeChartProps {
  readonly title: string;
  readonly days: readonly string[];
  readonly series: readonly ChartSeries[];
  readonly summary: string;
  readonly height?: number;
  readonly yMax?: number;
}

function cssColor(c: string): string {
  return c.startsWith('--') ? getComputedStyle(document.documentElement).getPropertyValue(c).trim() || '#888' : c;
}

export function TimeChart({ title, days, series, summary, height = 200, yMax }: TimeChartProps) {
  const box = useRef<HTMLDivElement>(null);
  const id = useId();
  const { effective } = useTheme();

  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const xs = days.map((d) => Date.parse(`${d}T12:00:00Z`) / 1000);
    const axisColor = cssColor('--muted');
    const gridColor = cssColor('--grid');
    const axis = { stroke: axisColor, grid: { stroke: gridColor, width: 1 }, ticks: { stroke: gridColor, width: 1 } };
    const opts: uPlot.Options = {
      width: Math.max(200, el.clientWidth),
      height,
      legend: { show: true, live: true },
      cursor: { drag: { x: false, y: false } },
      scales: { x: { time: true }, y: { range: (_u, min, max) => [Math.min(0, min), yMax ?? Math.max(1, max * 1.1)] } },
      axes: [axis, { ...axis, size: 48 }],
      // Sparse history (a few days of scans in a long window) is drawn as points, or nothing would show.
      series: [{}, ...series.map((s) => ({ label: s.label, stroke: cssColor(s.color), width: 2, points: { show: s.values.filter((v) => v !== null).length <= 31, size: 6 } }))],
    };
    const data = [xs, ...series.map((s) => [...s.values])] as uPlot.AlignedData;
    const plot = new uPlot(opts, data, el);
    const ro = new ResizeObserver(() => plot.setSize({ width: Math.max(200, el.clientWidth), height }));
    ro.observe(el);
    return () => {
      ro.disconnect();
      plot.destroy();
    };
  }, [days, series, height, yMax, effective]);

  const recent = days.slice(-7);
  return (
    <figure className="chart" aria-labelledby={`${id}-t`} aria-describedby={`${id}-s`}>
      <figcaption id={`${id}-t`} className="chart-title">{title}</figcaption>
      <p id={`${id}-s`} className="sr-only">{summary}</p>
      <div ref={box} className="chart-box" aria-hidden="true" />
      <details className="chart-data">
        <summary>Last {recent.length} days as a table</summary>
        <table>
          <thead><tr><th scope="col">Day</th>{series.map((s) => <th scope="col" key={s.label} className="num">{s.label}</th>)}</tr></thead>
          <tbody>
            {recent.map((d, i) => {
              const j = days.length - recent.length + i;
              return <tr key={d}><th scope="row">{d}</th>{series.map((s) => <td key={s.label} className="num">{s.values[j] ?? '—'}</td>)}</tr>;
            })}
          </tbody>
        </table>
      </details>
    </figure>
  );
}
