/** Display helpers: one place decides how times, counts and changes read. */
import type { Change, Json, LiveProgress } from './api/types';

const dateTime = new Intl.DateTimeFormat(undefined, { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });
const dateOnly = new Intl.DateTimeFormat(undefined, { year: 'numeric', month: 'short', day: 'numeric' });
const integer = new Intl.NumberFormat();

export function fmtTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  const t = Date.parse(iso);
  return Number.isNaN(t) ? iso : dateTime.format(t);
}

const monthDayTime = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });

/** Compact, for table cells: "Nov 18, 07:12" this year, "Nov 18, 2025" before. */
export function fmtShort(iso: string | null | undefined): string {
  if (!iso) return '—';
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return iso;
  return new Date(t).getFullYear() === new Date().getFullYear() ? monthDayTime.format(t) : dateOnly.format(t);
}

const withSeconds = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit' });

export function fmtSeconds(iso: string | null | undefined): string {
  if (!iso) return '—';
  const t = Date.parse(iso);
  return Number.isNaN(t) ? iso : withSeconds.format(t);
}

export function fmtDate(iso: string | null | undefined): string {
  if (!iso) return '—';
  const t = Date.parse(iso);
  return Number.isNaN(t) ? iso : dateOnly.format(t);
}

export function fmtInt(n: number | null | undefined): string {
  return n === null || n === undefined ? '—' : integer.format(n);
}

export function fmtAgo(iso: string | null | undefined, now = Date.now()): string {
  if (!iso) return '—';
  const s = Math.round((now - Date.parse(iso)) / 1000);
  if (Number.isNaN(s)) return iso;
  if (s < 60) return `${Math.max(0, s)} s ago`;
  if (s < 3600) return `${Math.round(s / 60)} min ago`;
  if (s < 86400) return `${Math.round(s / 3600)} h ago`;
  return `${Math.round(s / 86400)} d ago`;
}

export function fmtDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)} s`;
  return `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`;
}

export const changeLabels: Record<Change['kind'], string> = {
  asset_appeared: 'Asset appeared',
  port_opened: 'Port opened',
  service_changed: 'Service changed',
  version_changed: 'Version changed',
  cert_rotated: 'Certificate rotated',
  cert_expiring: 'Certificate expiring',
  port_closed: 'Port closed',
  finding_opened: 'Finding opened',
  finding_reopened: 'Finding reopened',
  finding_fixed: 'Finding fixed',
  asset_disappeared: 'Asset disappeared',
};

/** Whether a change makes the surface bigger (for colour): opened/appeared/expiring. */
export function changeTone(kind: Change['kind']): 'bad' | 'good' | 'neutral' {
  if (kind === 'port_opened' || kind === 'asset_appeared' || kind === 'finding_opened' || kind === 'finding_reopened' || kind === 'cert_expiring') return 'bad';
  if (kind === 'port_closed' || kind === 'asset_disappeared' || kind === 'finding_fixed') return 'good';
  return 'neutral';
}

function short(v: Json): string {
  if (v === null || v === undefined) return '';
  if (typeof v !== 'object') return String(v);
  if (Array.isArray(v)) return v.map(short).join(', ');
  const o = v;
  if (typeof o['state'] === 'string') {
    const id = o['identity'] !== undefined && o['identity'] !== null ? short(o['identity']) : '';
    return id ? `${o['state']} (${id})` : o['state'];
  }
  if (Array.isArray(o['hostnames'])) return o['hostnames'].length > 0 ? o['hostnames'].map(short).join(', ') : '';
  if (typeof o['lastSeen'] === 'string') return `last seen ${fmtDate(o['lastSeen'])}`;
  if (typeof o['name'] === 'string') return [o['name'], o['product'], o['version']].filter((x) => typeof x === 'string' && x !== '').join(' ');
  if (typeof o['fingerprint'] === 'string') return `cert ${o['fingerprint'].slice(0, 12)}…${typeof o['notAfter'] === 'string' ? ` until ${fmtDate(o['notAfter'])}` : ''}`;
  if (typeof o['severity'] === 'string') return `${o['severity']}${typeof o['title'] === 'string' ? ` — ${o['title']}` : ''}`;
  return JSON.stringify(o).slice(0, 120);
}

/** One line describing what changed: `ssh OpenSSH 9.2 → ssh OpenSSH 9.6`. */
export function changeSummary(c: Change): string {
  const target = `${c.address}${c.port !== null && c.port !== 0 ? `:${c.port}${c.proto && c.proto !== 'tcp' ? `/${c.proto}` : ''}` : ''}`;
  const before = short(c.before);
  const after = short(c.after);
  const what = before && after && before !== after ? `${before} → ${after}` : after || before;
  return [target, c.checkId, what].filter(Boolean).join(' · ');
}

export function endpoint(address: string, port: number, proto = 'tcp'): string {
  const a = address.includes(':') ? `[${address}]` : address;
  return port === 0 ? address : `${a}:${port}${proto !== 'tcp' ? `/${proto}` : ''}`;
}

export const statusLabels: Record<string, string> = {
  open: 'Open', fixed: 'Fixed', accepted_risk: 'Accepted risk', false_positive: 'False positive',
};

/** Live run progress in words. `sent` counts host-discovery probes, so it is only shown in that phase. */
export function progressText(p: LiveProgress): string {
  const pct = p.planned > 0 ? ` (${((100 * p.done) / p.planned).toFixed(p.done === p.planned ? 0 : 1)}%)` : '';
  const discovery = /discover|liveness|host/i.test(p.phase) && p.sent > 0 ? ` · ${fmtInt(p.sent)} discovery probes sent` : '';
  return `${p.phase}: ${fmtInt(p.done)} of ${fmtInt(p.planned)} probes done${pct}${discovery} · ${fmtInt(p.openFound)} open so far`;
}
