/** Administration: organisation scope, API keys, users and roles, notification rules, audit log. */
import { useCallback, useState, type FormEvent, type ReactNode } from 'react';
import { useQueryClient } from '@tanstack/react-query';
import { api, errorText, ProblemError } from '../api/client';
import { useDoc, useList } from '../api/queries';
import { notificationEventTypes, severities, type ApiKey, type AuditEntry, type Channel, type Delivery, type Org, type Role, type Rule, type User } from '../api/types';
import { Card, Dialog, Field, Notice } from '../components/bits';
import { FilterBar, TextFilter } from '../components/filters';
import { VirtualTable, type Column } from '../components/virtual-table';
import { fmtShort } from '../format';
import { Link, useQueryState, useTitle } from '../router';

const tabs = [['org', 'Organisation'], ['keys', 'API keys'], ['users', 'Users'], ['rules', 'Notifications'], ['audit', 'Audit log']] as const;
type Tab = (typeof tabs)[number][0];

function fieldError(e: unknown, prefix: string): string | undefined {
  return e instanceof ProblemError && e.field?.startsWith(prefix) ? e.problem.detail : undefined;
}
function otherError(e: unknown, prefixes: string[]): ReactNode {
  if (!e) return null;
  if (e instanceof ProblemError && prefixes.some((p) => e.field?.startsWith(p))) return null;
  return <Notice tone="error">{errorText(e)}</Notice>;
}

function Secret({ label, value, onDone }: { label: string; value: string; onDone: () => void }) {
  const [copied, setCopied] = useState(false);
  return (
    <Notice tone="warn">
      <p><strong>{label}</strong> — shown once; store it now. It cannot be displayed again.</p>
      <p><code className="secret" data-testid="secret">{value}</code></p>
      <div className="actions">
        <button type="button" onClick={() => void navigator.clipboard?.writeText(value).then(() => setCopied(true), () => setCopied(false))}>{copied ? 'Copied' : 'Copy'}</button>
        <button type="button" className="ghost" onClick={onDone}>I have stored it</button>
      </div>
    </Notice>
  );
}

function OrgTab() {
  const qc = useQueryClient();
  const org = useDoc<Org>('/org');
  const [text, setText] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [ok, setOk] = useState(false);
  const value = text ?? org.data?.scope.join('\n') ?? '';
  const submit = async (e: FormEvent): Promise<void> => {
    e.preventDefault();
    setError(null);
    setOk(false);
    try {
      await api<Org>('/org/scope', { method: 'PUT', body: { scope: value.split('\n').map((l) => l.trim()).filter(Boolean) } });
      await qc.invalidateQueries({ queryKey: ['/org'] });
      setText(null);
      setOk(true);
    } catch (err) {
      setError(err);
    }
  };
  const fe = fieldError(error, 'body.scope');
  const line = error instanceof ProblemError ? /\[(\d+)\]/.exec(error.field ?? '') : null;
  return (
    <Card title={`Organisation ${org.data?.name ?? ''}`}>
      <form className="stack narrow" onSubmit={(e) => void submit(e)} noValidate>
        <Field label="Declared scope" hint="Addresses, CIDRs and ranges this organisation may scan, one per line. Assessments outside it are refused." error={fe ? `${line ? `Line ${Number(line[1]) + 1}: ` : ''}${fe}` : undefined}>
          {(f) => <textarea id={f.id} rows={8} value={value} onChange={(e) => setText(e.target.value)} aria-describedby={f.describedBy} aria-invalid={f.invalid} spellCheck={false} />}
        </Field>
        {otherError(error, ['body.scope'])}
        {ok && <Notice tone="ok">Scope saved.</Notice>}
        <div className="actions"><button type="submit" className="primary">Save scope</button></div>
      </form>
    </Card>
  );
}

function KeysTab() {
  const qc = useQueryClient();
  const [revoked, setRevoked] = useState(false);
  const list = useList<ApiKey>('/api-keys', { includeRevoked: revoked });
  const users = useList<User>('/users', {}, 200);
  const rows = list.data?.pages.flatMap((p) => p.items) ?? [];
  const [name, setName] = useState('');
  const [role, setRole] = useState<Role>('viewer');
  const [userId, setUserId] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [secret, setSecret] = useState<string | null>(null);
  const create = async (e: FormEvent): Promise<void> => {
    e.preventDefault();
    setError(null);
    if (name.trim() === '') {
      setError(new ProblemError({ status: 400, detail: 'Name the key after what will use it (a CI job, a person).', field: 'body.name' }));
      return;
    }
    try {
      const r = await api<{ key: ApiKey; token: string }>('/api-keys', { method: 'POST', body: { name: name.trim(), role, ...(userId ? { userId } : {}) } });
      setSecret(r.token);
      setName('');
      await qc.invalidateQueries({ queryKey: ['/api-keys'] });
    } catch (err) {
      setError(err);
    }
  };
  const revoke = async (k: ApiKey): Promise<void> => {
    if (!window.confirm(`Revoke key "${k.name}" (${k.id})? Anything using it stops working.`)) return;
    try {
      await api(`/api-keys/${k.id}`, { method: 'DELETE' });
      await qc.invalidateQueries({ queryKey: ['/api-keys'] });
    } catch (err) {
      setError(err);
    }
  };
  const columns: Column<ApiKey>[] = [
    { id: 'name', header: 'Name', render: (k) => k.name },
    { id: 'id', header: 'Id', width: '9rem', render: (k) => <code>{k.id}</code> },
    { id: 'role', header: 'Role', width: '6rem', render: (k) => <span className={`badge role-${k.role}`}>{k.role}</span> },
    { id: 'created', header: 'Created', width: '11rem', render: (k) => fmtShort(k.createdAt) },
    { id: 'used', header: 'Last used', width: '11rem', render: (k) => fmtShort(k.lastUsedAt) },
    { id: 'state', header: '', width: '7rem', render: (k) => (k.revokedAt ? <span className="muted">revoked</span> : <button type="button" className="danger small" tabIndex={-1} onClick={() => void revoke(k)}>Revoke</button>) },
  ];
  return (
    <>
      <Card title="Create an API key">
        <form className="inline-form" onSubmit={(e) => void create(e)} noValidate>
          <Field label="Name" error={fieldError(error, 'body.name')}>{(f) => <input id={f.id} value={name} onChange={(e) => setName(e.target.value)} aria-describedby={f.describedBy} aria-invalid={f.invalid} maxLength={100} />}</Field>
          <Field label="Role" error={fieldError(error, 'body.role')}>
            {(f) => <select id={f.id} value={role} onChange={(e) => setRole(e.target.value as Role)}><option value="viewer">viewer</option><option value="analyst">analyst</option><option value="admin">admin</option></select>}
          </Field>
          <Field label="Bound to user" error={fieldError(error, 'body.userId')} hint="Disabling the user disables the key.">
            {(f) => (
              <select id={f.id} value={userId} onChange={(e) => setUserId(e.target.value)} aria-describedby={f.describedBy}>
                <option value="">none</option>
                {users.data?.pages.flatMap((p) => p.items).map((u) => <option key={u.id} value={u.id}>{u.email}</option>)}
              </select>
            )}
          </Field>
          <div className="actions"><button type="submit" className="primary">Create key</button></div>
        </form>
        {otherError(error, ['body.name', 'body.role', 'body.userId'])}
        {secret && <Secret label="New API key" value={secret} onDone={() => setSecret(null)} />}
      </Card>
      <Card title="API keys" actions={<label className="check small"><input type="checkbox" checked={revoked} onChange={(e) => setRevoked(e.target.checked)} /> Show revoked</label>}>
        <VirtualTable label="API keys" testId="keys-table" columns={columns} rows={rows} rowKey={(k) => k.id} loading={list.isLoading} error={list.error}
          hasMore={list.hasNextPage} loadingMore={list.isFetchingNextPage} loadMore={() => void list.fetchNextPage()} empty="No keys." height="min(50vh, 26rem)" />
      </Card>
    </>
  );
}

function PasswordDialog({ user, onClose }: { user: User | null; onClose: () => void }) {
  const [pw, setPw] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [ok, setOk] = useState(false);
  const submit = async (e: FormEvent): Promise<void> => {
    e.preventDefault();
    if (!user) return;
    setError(null);
    try {
      await api(`/users/${user.id}/password`, { method: 'PUT', body: { password: pw } });
      setOk(true);
      setPw('');
    } catch (err) {
      setError(err);
    }
  };
  return (
    <Dialog open={user !== null} title={`Set password for ${user?.email ?? ''}`} onClose={() => { setOk(false); setError(null); onClose(); }}>
      <form className="stack" onSubmit={(e) => void submit(e)} noValidate>
        <Field label="New password" hint="At least 12 characters. The user's sessions end." error={fieldError(error, 'body.password')}>
          {(f) => <input id={f.id} type="password" autoComplete="new-password" value={pw} onChange={(e) => setPw(e.target.value)} aria-describedby={f.describedBy} aria-invalid={f.invalid} autoFocus />}
        </Field>
        {otherError(error, ['body.password'])}
        {ok && <Notice tone="ok">Password set.</Notice>}
        <div className="actions"><button type="submit" className="primary">Set password</button></div>
      </form>
    </Dialog>
  );
}

function UsersTab() {
  const qc = useQueryClient();
  const list = useList<User>('/users', {}, 200);
  const rows = list.data?.pages.flatMap((p) => p.items) ?? [];
  const [email, setEmail] = useState('');
  const [display, setDisplay] = useState('');
  const [role, setRole] = useState<Role>('analyst');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [note, setNote] = useState<string | null>(null);
  const [pwUser, setPwUser] = useState<User | null>(null);
  const refresh = (): Promise<void> => qc.invalidateQueries({ queryKey: ['/users'] });
  const create = async (e: FormEvent): Promise<void> => {
    e.preventDefault();
    setError(null);
    setNote(null);
    if (password !== '' && password.length < 12) {
      setError(new ProblemError({ status: 400, detail: 'A password needs at least 12 characters (or leave it empty and set it later).', field: 'body.password' }));
      return;
    }
    try {
      const u = await api<User>('/users', { method: 'POST', body: { email: email.trim(), role, ...(display.trim() ? { displayName: display.trim() } : {}) } });
      if (password !== '') await api(`/users/${u.id}/password`, { method: 'PUT', body: { password } });
      setNote(`User ${u.email} created${password !== '' ? ' with a password: they can log in now' : '; set a password so they can log in'}.`);
      setEmail('');
      setDisplay('');
      setPassword('');
      await refresh();
    } catch (err) {
      setError(err);
    }
  };
  const patch = async (u: User, body: Record<string, unknown>): Promise<void> => {
    try {
      await api(`/users/${u.id}`, { method: 'PATCH', body });
      await refresh();
    } catch (err) {
      setError(err);
    }
  };
  const columns: Column<User>[] = [
    { id: 'email', header: 'E-mail', render: (u) => u.email },
    { id: 'name', header: 'Name', width: '12rem', render: (u) => u.displayName ?? '—' },
    {
      id: 'role', header: 'Role', width: '9rem', render: (u) => (
        <select aria-label={`Role of ${u.email}`} value={u.role} tabIndex={-1} onChange={(e) => void patch(u, { role: e.target.value })}>
          <option value="viewer">viewer</option><option value="analyst">analyst</option><option value="admin">admin</option>
        </select>
      ),
    },
    { id: 'created', header: 'Created', width: '11rem', render: (u) => fmtShort(u.createdAt) },
    {
      id: 'actions', header: '', width: '16rem', render: (u) => (
        <span className="row-actions">
          <button type="button" className="small" tabIndex={-1} onClick={() => setPwUser(u)}>Set password</button>
          <button type="button" className="small" tabIndex={-1} onClick={() => void patch(u, { disabled: u.disabledAt === null })}>{u.disabledAt ? 'Enable' : 'Disable'}</button>
        </span>
      ),
    },
  ];
  return (
    <>
      <Card title="Add a user">
        <form className="inline-form" onSubmit={(e) => void create(e)} noValidate>
          <Field label="E-mail" error={fieldError(error, 'body.email')}>{(f) => <input id={f.id} type="email" value={email} onChange={(e) => setEmail(e.target.value)} aria-describedby={f.describedBy} aria-invalid={f.invalid} />}</Field>
          <Field label="Display name" error={fieldError(error, 'body.displayName')}>{(f) => <input id={f.id} value={display} onChange={(e) => setDisplay(e.target.value)} />}</Field>
          <Field label="Role">{(f) => <select id={f.id} value={role} onChange={(e) => setRole(e.target.value as Role)}><option value="viewer">viewer</option><option value="analyst">analyst</option><option value="admin">admin</option></select>}</Field>
          <Field label="Password" hint="optional, 12+ characters" error={fieldError(error, 'body.password')}>{(f) => <input id={f.id} type="password" autoComplete="new-password" value={password} onChange={(e) => setPassword(e.target.value)} aria-describedby={f.describedBy} aria-invalid={f.invalid} />}</Field>
          <div className="actions"><button type="submit" className="primary">Add user</button></div>
        </form>
        {otherError(error, ['body.email', 'body.displayName', 'body.password'])}
        {note && <Notice tone="ok">{note}</Notice>}
      </Card>
      <Card title="Users">
        <VirtualTable label="Users" testId="users-table" columns={columns} rows={rows} rowKey={(u) => u.id} loading={list.isLoading} error={list.error}
          hasMore={list.hasNextPage} loadingMore={list.isFetchingNextPage} loadMore={() => void list.fetchNextPage()} empty="No users yet: people log in with a user, machines with API keys." height="min(50vh, 26rem)" />
      </Card>
      <PasswordDialog user={pwUser} onClose={() => setPwUser(null)} />
    </>
  );
}

function RulesTab() {
  const qc = useQueryClient();
  const list = useList<Rule>('/notification-rules', {}, 100);
  const deliveries = useList<Delivery>('/notification-deliveries', {}, 100);
  const rows = list.data?.pages.flatMap((p) => p.items) ?? [];
  const [v, setV] = useState({ name: '', channel: 'webhook' as Channel, target: '', events: [] as string[], minSeverity: '', zones: '', tags: '' });
  const [error, setError] = useState<unknown>(null);
  const [secret, setSecret] = useState<string | null>(null);
  const [testResult, setTestResult] = useState<string | null>(null);
  const refresh = async (): Promise<void> => {
    await qc.invalidateQueries({ queryKey: ['/notification-rules'] });
    await qc.invalidateQueries({ queryKey: ['/notification-deliveries'] });
  };
  const create = async (e: FormEvent): Promise<void> => {
    e.preventDefault();
    setError(null);
    const split = (s: string): string[] => s.split(/[,\s]+/).filter(Boolean);
    try {
      const r = await api<{ rule: Rule; secret: string | null }>('/notification-rules', {
        method: 'POST',
        body: {
          name: v.name.trim(), channel: v.channel, target: v.target.trim(), eventTypes: v.events, minSeverity: v.minSeverity || null,
          ...(split(v.zones).length ? { zones: split(v.zones) } : {}), ...(split(v.tags).length ? { tags: split(v.tags) } : {}),
        },
      });
      setSecret(r.secret);
      setV((s) => ({ ...s, name: '', target: '' }));
      await refresh();
    } catch (err) {
      setError(err);
    }
  };
  const act = async (r: Rule, what: 'toggle' | 'test' | 'delete'): Promise<void> => {
    setError(null);
    try {
      if (what === 'toggle') await api(`/notification-rules/${r.id}`, { method: 'PATCH', body: { enabled: !r.enabled } });
      if (what === 'delete') {
        if (!window.confirm(`Delete rule "${r.name}"?`)) return;
        await api(`/notification-rules/${r.id}`, { method: 'DELETE' });
      }
      if (what === 'test') {
        setTestResult(`Testing "${r.name}"…`);
        const t = await api<{ ok: boolean; attempts: number; status: number | null; error: string | null }>(`/notification-rules/${r.id}/test`, { method: 'POST' });
        setTestResult(`Test of "${r.name}": ${t.ok ? 'delivered' : 'failed'} after ${t.attempts} attempt(s)${t.status !== null ? `, HTTP ${t.status}` : ''}${t.error ? ` — ${t.error}` : ''}.`);
      }
      await refresh();
    } catch (err) {
      setError(err);
      setTestResult(null);
    }
  };
  const columns: Column<Rule>[] = [
    { id: 'name', header: 'Name', width: '12rem', render: (r) => r.name },
    { id: 'channel', header: 'Channel', width: '6rem', render: (r) => r.channel },
    { id: 'target', header: 'Target', render: (r) => <code>{r.target}</code> },
    { id: 'events', header: 'Events', width: '12rem', render: (r) => (r.eventTypes.length ? r.eventTypes.join(', ') : 'all') },
    { id: 'sev', header: 'Min severity', width: '7rem', render: (r) => r.minSeverity ?? '—' },
    {
      id: 'actions', header: '', width: '15rem', render: (r) => (
        <span className="row-actions">
          <button type="button" className="small" tabIndex={-1} onClick={() => void act(r, 'toggle')}>{r.enabled ? 'Disable' : 'Enable'}</button>
          <button type="button" className="small" tabIndex={-1} onClick={() => void act(r, 'test')}>Test</button>
          <button type="button" className="small danger" tabIndex={-1} onClick={() => void act(r, 'delete')}>Delete</button>
        </span>
      ),
    },
  ];
  const dcols: Column<Delivery>[] = [
    { id: 'at', header: 'When', width: '11rem', render: (d) => fmtShort(d.createdAt) },
    { id: 'rule', header: 'Rule', width: '10rem', render: (d) => rows.find((r) => r.id === d.ruleId)?.name ?? d.ruleId },
    { id: 'type', header: 'Event', width: '10rem', render: (d) => d.eventType },
    { id: 'status', header: 'Status', width: '7rem', render: (d) => <span className={`badge ${d.status === 'delivered' ? 'state-up' : 'state-gone'}`}>{d.status}</span> },
    { id: 'detail', header: 'Detail', render: (d) => `${d.attempts} attempt(s)${d.responseStatus !== null ? `, HTTP ${d.responseStatus}` : ''}${d.error ? ` — ${d.error}` : ''}` },
  ];
  return (
    <>
      <Card title="New notification rule">
        <form className="form-grid" onSubmit={(e) => void create(e)} noValidate>
          <Field label="Name" error={fieldError(error, 'body.name')}>{(f) => <input id={f.id} value={v.name} onChange={(e) => setV({ ...v, name: e.target.value })} aria-describedby={f.describedBy} aria-invalid={f.invalid} />}</Field>
          <Field label="Channel">{(f) => <select id={f.id} value={v.channel} onChange={(e) => setV({ ...v, channel: e.target.value as Channel })}><option value="webhook">Webhook</option><option value="slack">Slack</option><option value="email">E-mail</option></select>}</Field>
          <Field label={v.channel === 'email' ? 'Addresses' : 'URL'} hint={v.channel === 'email' ? 'comma-separated' : 'https://…'} error={fieldError(error, 'body.target')}>
            {(f) => <input id={f.id} value={v.target} onChange={(e) => setV({ ...v, target: e.target.value })} aria-describedby={f.describedBy} aria-invalid={f.invalid} />}
          </Field>
          <Field label="Minimum severity" error={fieldError(error, 'body.minSeverity')}>
            {(f) => <select id={f.id} value={v.minSeverity} onChange={(e) => setV({ ...v, minSeverity: e.target.value })}><option value="">any</option>{severities.map((s) => <option key={s} value={s}>{s}</option>)}</select>}
          </Field>
          <Field label="Zones" hint="comma-separated; empty: all" error={fieldError(error, 'body.zones')}>{(f) => <input id={f.id} value={v.zones} onChange={(e) => setV({ ...v, zones: e.target.value })} aria-describedby={f.describedBy} aria-invalid={f.invalid} />}</Field>
          <Field label="Tags" hint="comma-separated; empty: all" error={fieldError(error, 'body.tags')}>{(f) => <input id={f.id} value={v.tags} onChange={(e) => setV({ ...v, tags: e.target.value })} aria-describedby={f.describedBy} aria-invalid={f.invalid} />}</Field>
          <fieldset className="span-2 checks">
            <legend>Events (none checked: all)</legend>
            {notificationEventTypes.filter((t) => t !== 'test').map((t) => (
              <label key={t}><input type="checkbox" checked={v.events.includes(t)} onChange={(e) => setV({ ...v, events: e.target.checked ? [...v.events, t] : v.events.filter((x) => x !== t) })} /> {t}</label>
            ))}
          </fieldset>
          <div className="span-2">{otherError(error, ['body.name', 'body.target', 'body.minSeverity', 'body.zones', 'body.tags'])}</div>
          <div className="actions span-2"><button type="submit" className="primary">Create rule</button></div>
        </form>
        {secret && <Secret label="Webhook signing secret" value={secret} onDone={() => setSecret(null)} />}
      </Card>
      {testResult && <Notice tone="info">{testResult}</Notice>}
      <Card title="Rules">
        <VirtualTable label="Notification rules" columns={columns} rows={rows} rowKey={(r) => r.id} loading={list.isLoading} error={list.error}
          hasMore={list.hasNextPage} loadingMore={list.isFetchingNextPage} loadMore={() => void list.fetchNextPage()} empty="No rules." height="min(40vh, 20rem)" />
      </Card>
      <Card title="Recent deliveries">
        <VirtualTable label="Notification deliveries" columns={dcols} rows={deliveries.data?.pages.flatMap((p) => p.items) ?? []} rowKey={(d) => d.id}
          loading={deliveries.isLoading} error={deliveries.error} hasMore={deliveries.hasNextPage} loadingMore={deliveries.isFetchingNextPage}
          loadMore={() => void deliveries.fetchNextPage()} empty="Nothing delivered yet." height="min(40vh, 20rem)" />
      </Card>
    </>
  );
}

function AuditTab() {
  const [q, setQ] = useQueryState();
  const filter = { action: q.get('action') ?? undefined, actor: q.get('actor') ?? undefined, target: q.get('target') ?? undefined };
  const list = useList<AuditEntry>('/audit-log', filter, 200);
  const rows = list.data?.pages.flatMap((p) => p.items) ?? [];
  const loadMore = useCallback(() => void list.fetchNextPage(), [list.fetchNextPage]);
  const columns: Column<AuditEntry>[] = [
    { id: 'ts', header: 'When', width: '11rem', render: (a) => fmtShort(a.ts) },
    { id: 'actor', header: 'Who', width: '13rem', render: (a) => <><code>{a.actor}</code> <span className="muted small">{a.actorRole}</span></> },
    { id: 'action', header: 'Action', width: '13rem', render: (a) => a.action },
    { id: 'target', header: 'Target', width: '13rem', render: (a) => (a.target ? <code>{a.target}</code> : '—') },
    { id: 'req', header: 'Request', render: (a) => <><code>{a.method} {a.path}</code> <span className={a.statusCode >= 400 ? 'bad-text' : 'muted'}>{a.statusCode}</span></> },
  ];
  return (
    <>
      <FilterBar label="Filter the audit log">
        <TextFilter label="Action" value={filter.action ?? ''} onChange={(v) => setQ({ action: v })} placeholder="finding.triage" />
        <TextFilter label="Actor" value={filter.actor ?? ''} onChange={(v) => setQ({ actor: v })} placeholder="user:…" />
        <TextFilter label="Target" value={filter.target ?? ''} onChange={(v) => setQ({ target: v })} />
      </FilterBar>
      <VirtualTable label="Audit log" testId="audit-table" columns={columns} rows={rows} rowKey={(a) => a.id} loading={list.isLoading} error={list.error}
        hasMore={list.hasNextPage} loadingMore={list.isFetchingNextPage} loadMore={loadMore} empty="Nothing recorded." />
    </>
  );
}

export default function AdminPage() {
  useTitle('Admin');
  const [q] = useQueryState();
  const tab = (tabs.find(([t]) => t === q.get('tab'))?.[0] ?? 'keys') as Tab;
  return (
    <>
      <h1>Admin</h1>
      <nav className="subnav" aria-label="Admin sections">
        <ul>{tabs.map(([t, label]) => <li key={t}><Link to={`/admin?tab=${t}`} aria-current={t === tab ? 'page' : undefined}>{label}</Link></li>)}</ul>
      </nav>
      {tab === 'org' && <OrgTab />}
      {tab === 'keys' && <KeysTab />}
      {tab === 'users' && <UsersTab />}
      {tab === 'rules' && <RulesTab />}
      {tab === 'audit' && <AuditTab />}
    </>
  );
}
