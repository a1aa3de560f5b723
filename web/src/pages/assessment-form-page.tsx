/**
 * New assessment. The browser checks what it can (required fields, numbers); the API checks the rest
 * (target and port syntax, the organisation's scope, cron) and its problem detail is shown next to
 * the field it names — `body.targets[3]` becomes "line 4" of the targets box.
 */
import { useState, type FormEvent } from 'react';
import { useQueryClient } from '@tanstack/react-query';
import { api, errorText, ProblemError } from '../api/client';
import { useDoc, useSession } from '../api/queries';
import type { Assessment, Org, Schedule } from '../api/types';
import { Field, Notice } from '../components/bits';
import { cronProblem, tagsProblem, timeZoneProblem, zoneProblem } from '../form-checks';
import { Link, navigate, useTitle } from '../router';

type FieldName = 'name' | 'targets' | 'excludes' | 'ports' | 'discovery' | 'identify' | 'checks' | 'rate' | 'retries' | 'zone' | 'tags' | 'cron' | 'timezone';

/** Where the API's `field` belongs in this form, and a friendlier prefix for list entries. */
export function fieldOf(p: ProblemError): { field: FieldName; prefix: string } | undefined {
  const f = p.field ?? '';
  const line = /\[(\d+)\]/.exec(f);
  const prefix = line ? `Line ${Number(line[1]) + 1}: ` : '';
  if (f.startsWith('body.targets')) return { field: 'targets', prefix };
  if (f.startsWith('body.excludes')) return { field: 'excludes', prefix };
  if (f.startsWith('body.ports')) return { field: 'ports', prefix: '' };
  if (f.startsWith('body.name')) return { field: 'name', prefix: '' };
  if (f.startsWith('body.zone')) return { field: 'zone', prefix: '' };
  if (f.startsWith('body.tags')) return { field: 'tags', prefix };
  if (f.startsWith('body.options.rate')) return { field: 'rate', prefix: '' };
  if (f.startsWith('body.options.retries')) return { field: 'retries', prefix: '' };
  if (f.startsWith('body.options.discovery')) return { field: 'discovery', prefix: '' };
  if (f.startsWith('body.options.identify')) return { field: 'identify', prefix: '' };
  if (f.startsWith('body.options.checks')) return { field: 'checks', prefix: '' };
  if (f.startsWith('body.schedule.timezone') || f === 'body.timezone') return { field: 'timezone', prefix: '' };
  if (f.startsWith('body.schedule')) return { field: 'cron', prefix: '' };
  if (p.problem.code === 'TRAWL_E_OUT_OF_SCOPE') return { field: 'targets', prefix: '' };
  return undefined;
}

/**
 * The API's detail without the request path it starts with (`body.schedule.cron "…" fires…`): next
 * to the field, the field's own label already says where.
 */
export function fieldMessage(detail: string): string {
  const text = detail.replace(/^body(?:\.[A-Za-z]+|\[\d+\])+:?\s+/, '');
  return text === '' ? detail : text.charAt(0).toUpperCase() + text.slice(1);
}

const lines = (s: string): string[] => s.split('\n').map((l) => l.trim()).filter(Boolean);
const tagList = (s: string): string[] => s.split(/[,\s]+/).filter(Boolean);

export default function AssessmentFormPage() {
  useTitle('New assessment');
  const qc = useQueryClient();
  const session = useSession();
  const org = useDoc<Org>('/org');
  const isAdmin = session.data?.role === 'admin';
  const [v, setV] = useState({
    name: '', targets: '', excludes: '', ports: '22,80,443', discovery: 'auto', applyBlocklist: true, identify: true, checks: 'safe', rate: '', retries: '',
    zone: '', tags: '', scheduled: false, cron: '0 3 * * *', timezone: 'UTC', runNow: true,
  });
  const [errors, setErrors] = useState<Partial<Record<FieldName, string>>>({});
  const [general, setGeneral] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const set = <K extends keyof typeof v>(k: K, value: (typeof v)[K]): void => setV((s) => ({ ...s, [k]: value }));

  const localCheck = (): Partial<Record<FieldName, string>> => {
    const e: Partial<Record<FieldName, string>> = {};
    if (v.name.trim() === '') e.name = 'Give the assessment a name.';
    if (lines(v.targets).length === 0) e.targets = 'List at least one target: an address, a CIDR, a range or a host name, one per line.';
    if (v.ports.trim() === '') e.ports = 'Which ports? For example 22,80,443 or 1-1024.';
    if (v.rate !== '' && !(/^\d+$/.test(v.rate) && Number(v.rate) <= 1_000_000)) e.rate = 'A whole number of probes per second, 0 (unpaced) to 1,000,000.';
    if (v.retries !== '' && !(/^\d$/.test(v.retries) && Number(v.retries) <= 5)) e.retries = 'A whole number from 0 to 5.';
    if (!v.identify && v.checks !== 'none') e.checks = 'Checks need to know what each service is: turn "Identify services" on, or choose no checks.';
    const zone = zoneProblem(v.zone);
    if (zone) e.zone = zone;
    const tags = tagsProblem(tagList(v.tags));
    if (tags) e.tags = tags;
    if (v.scheduled) {
      const cron = cronProblem(v.cron);
      if (cron) e.cron = cron;
      const tz = timeZoneProblem(v.timezone);
      if (tz) e.timezone = tz;
    }
    return e;
  };

  const submit = async (e: FormEvent): Promise<void> => {
    e.preventDefault();
    setGeneral(null);
    const local = localCheck();
    setErrors(local);
    if (Object.keys(local).length > 0) {
      document.getElementById(`f-${Object.keys(local)[0]}`)?.focus();
      return;
    }
    setBusy(true);
    const body = {
      name: v.name.trim(),
      targets: lines(v.targets),
      ...(lines(v.excludes).length > 0 ? { excludes: lines(v.excludes) } : {}),
      ports: v.ports.trim(),
      options: {
        discovery: v.discovery, applyBlocklist: v.applyBlocklist, identify: v.identify, checks: v.checks,
        ...(v.rate !== '' ? { rate: Number(v.rate) } : {}), ...(v.retries !== '' ? { retries: Number(v.retries) } : {}),
      },
      ...(v.zone.trim() !== '' ? { zone: v.zone.trim() } : {}),
      ...(v.tags.trim() !== '' ? { tags: tagList(v.tags) } : {}),
      ...(v.scheduled ? { schedule: { cron: v.cron.trim(), timezone: v.timezone.trim() || 'UTC' } } : {}),
    };
    try {
      const created = await api<Assessment & { schedule: Schedule | null }>('/assessments', { method: 'POST', body });
      await qc.invalidateQueries({ queryKey: ['/assessments'] });
      if (v.runNow) {
        try {
          await api(`/assessments/${created.id}/run`, { method: 'POST' });
        } catch (err) {
          navigate(`/assessments/${created.id}?runError=${encodeURIComponent(errorText(err))}`);
          return;
        }
      }
      navigate(`/assessments/${created.id}`);
    } catch (err) {
      if (err instanceof ProblemError) {
        const where = fieldOf(err);
        if (where) {
          setErrors({ [where.field]: `${where.prefix}${fieldMessage(err.problem.detail)}` });
          document.getElementById(`f-${where.field}`)?.focus();
        } else setGeneral(err.problem.detail);
      } else setGeneral(errorText(err));
    } finally {
      setBusy(false);
    }
  };

  const input = (name: FieldName, props: Record<string, unknown> = {}) => (f: { id: string; describedBy: string | undefined; invalid: boolean }) => (
    <input id={f.id} value={String(v[name as keyof typeof v] ?? '')} onChange={(e) => set(name as keyof typeof v, e.target.value as never)}
      aria-describedby={f.describedBy} aria-invalid={f.invalid} {...props} />
  );

  return (
    <>
      <p className="crumbs"><Link to="/assessments">Assessments</Link> › </p>
      <h1>New assessment</h1>
      <form className="form-grid" onSubmit={(e) => void submit(e)} noValidate aria-describedby="form-note">
        <p id="form-note" className="hint span-2">
          Targets must lie inside the organisation's declared scope{org.data ? <>: <code>{org.data.scope.join(', ') || 'nothing declared yet'}</code></> : ''}.
          {org.data && org.data.scope.length === 0 && isAdmin && <> <Link to="/admin?tab=org">Declare it</Link> first.</>}
        </p>
        <Field label="Name" required id="f-name" error={errors.name}>{input('name', { autoFocus: true, maxLength: 200 })}</Field>
        <Field label="Ports" required id="f-ports" error={errors.ports} hint="nmap syntax: 22,80,443,8000-8100">{input('ports', { spellCheck: false })}</Field>
        <Field label="Targets" required id="f-targets" error={errors.targets} hint="One per line: 198.51.100.7, 203.0.113.0/24, 192.0.2.10-192.0.2.20 or a host name.">
          {(f) => <textarea id={f.id} rows={6} value={v.targets} onChange={(e) => set('targets', e.target.value)} aria-describedby={f.describedBy} aria-invalid={f.invalid} spellCheck={false} />}
        </Field>
        <Field label="Exclusions" id="f-excludes" error={errors.excludes} hint="Addresses or ranges never to probe, one per line.">
          {(f) => <textarea id={f.id} rows={6} value={v.excludes} onChange={(e) => set('excludes', e.target.value)} aria-describedby={f.describedBy} aria-invalid={f.invalid} spellCheck={false} />}
        </Field>
        <fieldset className="span-2 stages">
          <legend>Stages</legend>
          <Field label="Host discovery" id="f-discovery" error={errors.discovery} hint="auto: probe liveness first on large ranges; on: always; off: treat every address as up.">
            {(f) => (
              <select id={f.id} value={v.discovery} onChange={(e) => set('discovery', e.target.value)} aria-describedby={f.describedBy} aria-invalid={f.invalid}>
                <option value="auto">Auto</option><option value="on">On</option><option value="off">Off</option>
              </select>
            )}
          </Field>
          <div className="field">
            <span className="label-like">Port scan</span>
            <p className="hint">Always runs: TCP connect to every (address, port) in a permuted order.</p>
          </div>
          <div className={`field${errors.identify ? ' has-error' : ''}`}>
            <label className="check" htmlFor="f-identify">
              <input id="f-identify" type="checkbox" checked={v.identify} onChange={(e) => set('identify', e.target.checked)}
                aria-describedby={`f-identify-hint${errors.identify ? ' f-identify-err' : ''}`} aria-invalid={errors.identify !== undefined} />
              Identify services
            </label>
            <p id="f-identify-hint" className="hint">Names what answers on each open port (nmap probes and protocol handshakes): product, version, certificate.</p>
            {errors.identify && <p id="f-identify-err" className="field-error" role="alert">{errors.identify}</p>}
          </div>
          <Field label="Checks" id="f-checks" error={errors.checks} hint="Safe checks never log in with guessed credentials; all adds the checks that do.">
            {(f) => (
              <select id={f.id} value={v.checks} onChange={(e) => set('checks', e.target.value)} aria-describedby={f.describedBy} aria-invalid={f.invalid}>
                <option value="none">None</option><option value="safe">Safe</option><option value="all">All</option>
              </select>
            )}
          </Field>
          <label className="check"><input type="checkbox" checked={v.applyBlocklist} onChange={(e) => set('applyBlocklist', e.target.checked)} /> Cut reserved ranges (IANA special-purpose) out of broad targets</label>
        </fieldset>
        <Field label="Rate (probes per second)" id="f-rate" error={errors.rate} hint="Empty: the engine's default; 0: unpaced.">{input('rate', { inputMode: 'numeric' })}</Field>
        <Field label="Retries" id="f-retries" error={errors.retries} hint="0 to 5">{input('retries', { inputMode: 'numeric' })}</Field>
        <Field label="Zone" id="f-zone" error={errors.zone} hint="Where these assets sit: external, internal… (weights the risk score)">{input('zone')}</Field>
        <Field label="Tags" id="f-tags" error={errors.tags} hint="comma-separated">{input('tags')}</Field>
        <fieldset className="span-2">
          <legend>Schedule</legend>
          <label className="check">
            <input type="checkbox" checked={v.scheduled} onChange={(e) => set('scheduled', e.target.checked)} disabled={!isAdmin} /> Run on a schedule
            {!isAdmin && <span className="muted small"> (needs the admin role)</span>}
          </label>
          {v.scheduled && (
            <div className="form-grid inner">
              <Field label="Cron expression" required id="f-cron" error={errors.cron} hint={'minute hour day month weekday, e.g. "0 3 * * *" or @daily; at most once a minute'}>{input('cron', { spellCheck: false })}</Field>
              <Field label="Time zone" id="f-timezone" error={errors.timezone} hint="IANA name, e.g. Europe/Paris">{input('timezone')}</Field>
            </div>
          )}
        </fieldset>
        <label className="check span-2"><input type="checkbox" checked={v.runNow} onChange={(e) => set('runNow', e.target.checked)} /> Start a run as soon as it is created</label>
        {general && <div className="span-2"><Notice tone="error">{general}</Notice></div>}
        <div className="actions span-2">
          <button type="submit" className="primary" disabled={busy}>{busy ? 'Creating…' : 'Create assessment'}</button>
          <Link to="/assessments" className="button">Cancel</Link>
        </div>
      </form>
    </>
  );
}
