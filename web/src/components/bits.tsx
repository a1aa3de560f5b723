/** Small shared pieces: badges, fields with server-side errors, progress, cards, dialogs, notices. */
import { useEffect, useId, useRef, type ReactNode } from 'react';
import type { FindingStatus, Severity } from '../api/types';
import { statusLabels } from '../format';

export function SeverityBadge({ severity }: { severity: Severity }) {
  return <span className={`badge sev-${severity}`}>{severity}</span>;
}

export function StatusBadge({ status }: { status: FindingStatus | string }) {
  return <span className={`badge st-${status}`}>{statusLabels[status] ?? status}</span>;
}

export function StateBadge({ state }: { state: string }) {
  return <span className={`badge state-${state}`}>{state}</span>;
}

export interface FieldProps {
  readonly label: string;
  readonly hint?: ReactNode;
  /** The server's (or our own) complaint about this field. */
  readonly error?: string | undefined;
  readonly children: (ids: { id: string; describedBy: string | undefined; invalid: boolean }) => ReactNode;
  readonly required?: boolean;
  /** The control's id (default: generated). */
  readonly id?: string;
}

/** Label, control, hint and error wired together (for= / aria-describedby / aria-invalid). */
export function Field({ label, hint, error, children, required, id: given }: FieldProps) {
  const generated = useId();
  const id = given ?? generated;
  const hintId = hint ? `${id}-hint` : undefined;
  const errId = error ? `${id}-err` : undefined;
  const describedBy = [hintId, errId].filter(Boolean).join(' ') || undefined;
  return (
    <div className={`field${error ? ' has-error' : ''}`}>
      <label htmlFor={id}>{label}{required && <span aria-hidden="true" className="req"> *</span>}</label>
      {children({ id, describedBy, invalid: error !== undefined })}
      {hint && <p id={hintId} className="hint">{hint}</p>}
      {error && <p id={errId} className="field-error" role="alert">{error}</p>}
    </div>
  );
}

export function Progress({ value, max, label }: { value: number; max: number; label: string }) {
  const pct = max > 0 ? Math.min(100, (100 * value) / max) : 0;
  return (
    <div className="progress" role="progressbar" aria-label={label} aria-valuemin={0} aria-valuemax={100} aria-valuenow={Math.round(pct)} aria-valuetext={`${pct.toFixed(1)}%`}>
      <div className="progress-bar" style={{ width: `${pct}%` }} />
    </div>
  );
}

export function Card({ title, children, className, actions }: { title: ReactNode; children: ReactNode; className?: string; actions?: ReactNode }) {
  const id = useId();
  return (
    <section className={`card ${className ?? ''}`} aria-labelledby={id}>
      <header className="card-head"><h2 id={id}>{title}</h2>{actions}</header>
      {children}
    </section>
  );
}

export function Notice({ tone, children }: { tone: 'error' | 'info' | 'ok' | 'warn'; children: ReactNode }) {
  return <div className={`notice ${tone}`} role={tone === 'error' ? 'alert' : 'status'}>{children}</div>;
}

/**
 * A modal <dialog>: focus goes to its first field (not the close button the browser would pick),
 * Tab stays inside (showModal makes the rest of the page inert), Escape closes, and focus returns to
 * the control that opened it.
 */
export function Dialog({ open, title, onClose, children }: { open: boolean; title: string; onClose: () => void; children: ReactNode }) {
  const ref = useRef<HTMLDialogElement>(null);
  const opener = useRef<HTMLElement | null>(null);
  const id = useId();
  useEffect(() => {
    const d = ref.current;
    if (!d) return;
    if (open && !d.open) {
      opener.current = document.activeElement instanceof HTMLElement ? document.activeElement : null;
      d.showModal();
      d.querySelector<HTMLElement>('form textarea, form input:not([type=hidden]), form select, form button')?.focus();
    }
    if (!open && d.open) d.close();
    if (!open && opener.current) {
      if (opener.current.isConnected) opener.current.focus();
      opener.current = null;
    }
  }, [open]);
  return (
    <dialog ref={ref} aria-labelledby={id} onClose={onClose} onCancel={(e) => { e.preventDefault(); onClose(); }}>
      <header className="dialog-head">
        <h2 id={id}>{title}</h2>
        <button type="button" className="ghost" onClick={onClose} aria-label="Close">✕</button>
      </header>
      {open && children}
    </dialog>
  );
}

export function Empty({ children }: { children: ReactNode }) {
  return <p className="empty muted">{children}</p>;
}

/** Pretty JSON for evidence and change payloads, bounded so a huge blob cannot freeze the page. */
export function JsonView({ value, max = 20_000 }: { value: unknown; max?: number }) {
  let text = JSON.stringify(value, null, 2) ?? 'null';
  if (text.length > max) text = `${text.slice(0, max)}\n… (${text.length - max} more characters)`;
  return <pre className="json">{text}</pre>;
}
