/** Log in with an e-mail and password, or by pasting an API key; either way the server sets a cookie. */
import { useState, type FormEvent } from 'react';
import { useQueryClient } from '@tanstack/react-query';
import { api, ProblemError, errorText } from '../api/client';
import type { Session } from '../api/types';
import { Field, Notice } from '../components/bits';
import { useTitle } from '../router';

type Mode = 'password' | 'key';

export function LoginPage() {
  useTitle('Log in');
  const qc = useQueryClient();
  const [mode, setMode] = useState<Mode>('password');
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [org, setOrg] = useState('');
  const [apiKey, setApiKey] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ProblemError | Error | null>(null);

  const submit = async (e: FormEvent): Promise<void> => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const body = mode === 'key' ? { apiKey: apiKey.trim() } : { email, password, ...(org.trim() ? { org: org.trim() } : {}) };
      const s = await api<Session>('/session', { method: 'POST', body });
      qc.removeQueries({ predicate: (q) => q.queryKey[0] !== 'session' });
      qc.setQueryData(['session'], s);
    } catch (err) {
      setError(err as Error);
    } finally {
      setBusy(false);
    }
  };

  const fieldError = (f: string): string | undefined => (error instanceof ProblemError && error.field === f ? error.problem.detail : undefined);
  const general = error && !(error instanceof ProblemError && error.field && ['body.email', 'body.password', 'body.org', 'body.apiKey'].includes(error.field)) ? errorText(error) : undefined;

  return (
    <main id="main" className="login">
      <form className="login-card" onSubmit={(e) => void submit(e)} aria-labelledby="login-title" noValidate>
        <h1 id="login-title"><span aria-hidden="true" className="logo">◎</span> Trawl</h1>
        <div role="tablist" aria-label="How to log in" className="tabs">
          <button type="button" role="tab" aria-selected={mode === 'password'} onClick={() => setMode('password')}>E-mail and password</button>
          <button type="button" role="tab" aria-selected={mode === 'key'} onClick={() => setMode('key')}>API key</button>
        </div>
        {mode === 'password' ? (
          <>
            <Field label="E-mail" error={fieldError('body.email')} required>
              {(f) => <input id={f.id} type="email" autoComplete="username" value={email} onChange={(e) => setEmail(e.target.value)} aria-describedby={f.describedBy} aria-invalid={f.invalid} required autoFocus />}
            </Field>
            <Field label="Password" error={fieldError('body.password')} required>
              {(f) => <input id={f.id} type="password" autoComplete="current-password" value={password} onChange={(e) => setPassword(e.target.value)} aria-describedby={f.describedBy} aria-invalid={f.invalid} required />}
            </Field>
            <Field label="Organisation" hint="Only needed when your e-mail belongs to several organisations." error={fieldError('body.org')}>
              {(f) => <input id={f.id} type="text" value={org} onChange={(e) => setOrg(e.target.value)} aria-describedby={f.describedBy} aria-invalid={f.invalid} />}
            </Field>
          </>
        ) : (
          <Field label="API key" hint="trawl_… — it is exchanged for a browser session and not stored by the page." error={fieldError('body.apiKey')} required>
            {(f) => <input id={f.id} type="password" autoComplete="off" spellCheck={false} value={apiKey} onChange={(e) => setApiKey(e.target.value)} aria-describedby={f.describedBy} aria-invalid={f.invalid} required autoFocus />}
          </Field>
        )}
        {general && <Notice tone="error">{general}</Notice>}
        <button type="submit" className="primary" disabled={busy}>{busy ? 'Logging in…' : 'Log in'}</button>
      </form>
    </main>
  );
}
