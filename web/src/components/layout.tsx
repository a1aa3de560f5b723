/** The frame around every page: skip link, top bar (org, user, theme, log out) and navigation. */
import { useEffect, useRef, type ReactNode } from 'react';
import { useQueryClient } from '@tanstack/react-query';
import { api } from '../api/client';
import type { Session } from '../api/types';
import { Link, useLocation } from '../router';
import { useTheme, type ThemeChoice } from '../theme';

const nav: { to: string; label: string; admin?: boolean }[] = [
  { to: '/', label: 'Overview' },
  { to: '/assets', label: 'Assets' },
  { to: '/services', label: 'Services' },
  { to: '/findings', label: 'Findings' },
  { to: '/assessments', label: 'Assessments' },
  { to: '/admin', label: 'Admin', admin: true },
];

function current(path: string, to: string): boolean {
  if (to === '/') return path === '/';
  if (to === '/assets') return path === '/assets' || path.startsWith('/hosts/');
  return path === to || path.startsWith(`${to}/`);
}

export function Layout({ session, children }: { session: Session | undefined; children: ReactNode }) {
  const { path } = useLocation();
  const { choice, setChoice } = useTheme();
  const qc = useQueryClient();
  const main = useRef<HTMLElement>(null);
  const first = useRef(true);

  // After in-app navigation, put keyboard and screen-reader focus at the new page's start.
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    main.current?.focus({ preventScroll: true });
  }, [path]);

  const logout = async (): Promise<void> => {
    await api('/session', { method: 'DELETE' }).catch(() => undefined);
    qc.setQueryData(['session'], null);
    qc.removeQueries({ predicate: (q) => q.queryKey[0] !== 'session' });
  };

  const who = session?.user ? (session.user.displayName ?? session.user.email) : session?.keyId ? `API key ${session.keyId}` : '';
  return (
    <>
      <a className="skip" href="#main">Skip to content</a>
      <div className="shell">
        <header className="top">
          <Link to="/" className="brand" aria-label="Trawl overview"><span aria-hidden="true" className="logo">◎</span> Trawl</Link>
          <span className="org" title="Organisation">{session?.orgName ?? ''}</span>
          <span className="spacer" />
          {session && <span className="who"><Link to="/account">{who}</Link> <span className={`badge role-${session.role}`}>{session.role}</span></span>}
          <label className="theme-pick">
            <span className="sr-only">Theme</span>
            <select value={choice} onChange={(e) => setChoice(e.target.value as ThemeChoice)} aria-label="Theme">
              <option value="system">System theme</option>
              <option value="light">Light</option>
              <option value="dark">Dark</option>
            </select>
          </label>
          {session && <button type="button" className="ghost" onClick={() => void logout()}>Log out</button>}
        </header>
        <nav className="side" aria-label="Main">
          <ul>
            {nav.filter((n) => !n.admin || session?.role === 'admin').map((n) => (
              <li key={n.to}><Link to={n.to} aria-current={current(path, n.to) ? 'page' : undefined}>{n.label}</Link></li>
            ))}
          </ul>
        </nav>
        <main id="main" ref={main} tabIndex={-1}>{children}</main>
      </div>
    </>
  );
}
