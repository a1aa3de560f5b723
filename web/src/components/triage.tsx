/**
 * The triage dialog: accept a risk (optionally until a date), mark a false positive, or reopen — for
 * one finding or many. Each finding is one PATCH /findings/{id}; failures are listed per finding with
 * the API's own explanation rather than aborting the batch.
 */
import { useState, type FormEvent } from 'react';
import { useQueryClient } from '@tanstack/react-query';
import { api, errorText, ProblemError } from '../api/client';
import type { Finding } from '../api/types';
import { Dialog, Field, Notice } from './bits';

export type TriageAction = 'accepted_risk' | 'false_positive' | 'open';

export const triageLabels: Record<TriageAction, string> = { accepted_risk: 'Accept risk', false_positive: 'Mark false positive', open: 'Reopen' };

export function TriageDialog({ action, ids, onClose, onDone }: { action: TriageAction | null; ids: readonly string[]; onClose: () => void; onDone?: (ok: string[]) => void }) {
  const qc = useQueryClient();
  const [reason, setReason] = useState('');
  const [until, setUntil] = useState('');
  const [busy, setBusy] = useState(false);
  const [done, setDone] = useState(0);
  const [failures, setFailures] = useState<{ id: string; error: string }[]>([]);
  const [formError, setFormError] = useState<{ field: string; text: string } | null>(null);

  const close = (): void => {
    setReason('');
    setUntil('');
    setDone(0);
    setFailures([]);
    setFormError(null);
    onClose();
  };

  const submit = async (e: FormEvent): Promise<void> => {
    e.preventDefault();
    if (!action) return;
    if (reason.trim() === '') {
      setFormError({ field: 'reason', text: 'Give a reason: it is kept in the finding\'s history and the audit log.' });
      return;
    }
    let untilIso: string | null | undefined;
    if (action === 'accepted_risk' && until !== '') {
      const t = Date.parse(until);
      if (Number.isNaN(t) || t <= Date.now()) {
        setFormError({ field: 'until', text: 'The review date must be in the future.' });
        return;
      }
      untilIso = new Date(t).toISOString();
    }
    setFormError(null);
    setBusy(true);
    setDone(0);
    const fails: { id: string; error: string }[] = [];
    const ok: string[] = [];
    for (const id of ids) {
      try {
        await api<Finding>(`/findings/${encodeURIComponent(id)}`, { method: 'PATCH', body: { status: action, reason: reason.trim(), ...(untilIso !== undefined ? { until: untilIso } : {}) } });
        ok.push(id);
      } catch (err) {
        if (ids.length === 1 && err instanceof ProblemError && err.field === 'body.until') {
          setFormError({ field: 'until', text: err.problem.detail });
        }
        fails.push({ id, error: errorText(err) });
      }
      setDone((n) => n + 1);
    }
    setBusy(false);
    setFailures(fails);
    await qc.invalidateQueries({ queryKey: ['/findings'] });
    await qc.invalidateQueries({ predicate: (q) => typeof q.queryKey[0] === 'string' && q.queryKey[0].startsWith('/findings/') });
    onDone?.(ok);
    if (fails.length === 0) close();
  };

  return (
    <Dialog open={action !== null} title={action ? `${triageLabels[action]}: ${ids.length} finding${ids.length === 1 ? '' : 's'}` : ''} onClose={close}>
      <form onSubmit={(e) => void submit(e)} className="stack" noValidate>
        <Field label="Reason" required error={formError?.field === 'reason' ? formError.text : undefined} hint="Why: a ticket, a compensating control, how it was verified.">
          {(f) => <textarea id={f.id} rows={3} value={reason} onChange={(e) => setReason(e.target.value)} aria-describedby={f.describedBy} aria-invalid={f.invalid} maxLength={4000} autoFocus />}
        </Field>
        {action === 'accepted_risk' && (
          <Field label="Review by (optional)" error={formError?.field === 'until' ? formError.text : undefined} hint="After this date the finding counts as open again.">
            {(f) => <input id={f.id} type="datetime-local" value={until} onChange={(e) => setUntil(e.target.value)} aria-describedby={f.describedBy} aria-invalid={f.invalid} />}
          </Field>
        )}
        {busy && <p role="status">Updating {done} of {ids.length}…</p>}
        {failures.length > 0 && (
          <Notice tone="error">
            {failures.length} of {ids.length} could not be changed:
            <ul>{failures.slice(0, 20).map((f) => <li key={f.id}><code>{f.id}</code>: {f.error}</li>)}</ul>
          </Notice>
        )}
        <div className="actions">
          <button type="submit" className="primary" disabled={busy}>{action ? triageLabels[action] : ''}</button>
          <button type="button" onClick={close}>Cancel</button>
        </div>
      </form>
    </Dialog>
  );
}
