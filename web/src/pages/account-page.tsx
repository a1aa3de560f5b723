/** The logged-in user's own account: who they are, and changing the password. */
import { useState, type FormEvent } from 'react';
import { api, errorText, ProblemError } from '../api/client';
import { useSession } from '../api/queries';
import { Card, Field, Notice } from '../components/bits';
import { useTitle } from '../router';

export default function AccountPage() {
  useTitle('Account');
  const session = useSession();
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [again, setAgain] = useState('');
  const [error, setError] = useState<ProblemError | Error | null>(null);
  const [mismatch, setMismatch] = useState(false);
  const [ok, setOk] = useState(false);
  const s = session.data;
  const submit = async (e: FormEvent): Promise<void> => {
    e.preventDefault();
    setOk(false);
    setError(null);
    setMismatch(next !== again);
    if (next !== again) return;
    try {
      await api('/session/password', { method: 'PUT', body: { currentPassword: current, newPassword: next } });
      setOk(true);
      setCurrent('');
      setNext('');
      setAgain('');
    } catch (err) {
      setError(err as Error);
    }
  };
  const fe = (f: string): string | undefined => (error instanceof ProblemError && error.field === f ? error.problem.detail : undefined);
  return (
    <>
      <h1>Account</h1>
      {s && (
        <dl className="facts row">
          <dt>Organisation</dt><dd>{s.orgName}</dd>
          <dt>Signed in as</dt><dd>{s.user ? `${s.user.displayName ?? ''} <${s.user.email}>` : `API key ${s.keyId ?? ''}`}</dd>
          <dt>Role</dt><dd>{s.role}</dd>
        </dl>
      )}
      {s?.user && s.strategy === 'session' && (
        <Card title="Change password">
          <form className="stack narrow" onSubmit={(e) => void submit(e)} noValidate>
            <Field label="Current password" error={fe('body.currentPassword')}>
              {(f) => <input id={f.id} type="password" autoComplete="current-password" value={current} onChange={(e) => setCurrent(e.target.value)} aria-describedby={f.describedBy} aria-invalid={f.invalid} />}
            </Field>
            <Field label="New password" hint="At least 12 characters." error={fe('body.newPassword')}>
              {(f) => <input id={f.id} type="password" autoComplete="new-password" value={next} onChange={(e) => setNext(e.target.value)} aria-describedby={f.describedBy} aria-invalid={f.invalid} />}
            </Field>
            <Field label="New password again" error={mismatch ? 'The two new passwords differ.' : undefined}>
              {(f) => <input id={f.id} type="password" autoComplete="new-password" value={again} onChange={(e) => setAgain(e.target.value)} aria-describedby={f.describedBy} aria-invalid={f.invalid} />}
            </Field>
            {error && !fe('body.currentPassword') && !fe('body.newPassword') && <Notice tone="error">{errorText(error)}</Notice>}
            {ok && <Notice tone="ok">Password changed. Your other sessions were logged out.</Notice>}
            <div className="actions"><button type="submit" className="primary">Change password</button></div>
          </form>
        </Card>
      )}
    </>
  );
}
