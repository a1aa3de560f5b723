/** Session gate and routes. Pages load on demand, so the first screen only pays for itself. */
import { lazy, Suspense, useEffect, type ComponentType, type LazyExoticComponent } from 'react';
import { useQueryClient } from '@tanstack/react-query';
import { onUnauthenticated, ProblemError } from './api/client';
import { useSession } from './api/queries';
import { Layout } from './components/layout';
import { LoginPage } from './pages/login-page';
import { match, useLocation } from './router';

type Page = LazyExoticComponent<ComponentType<{ params: Record<string, string> }>>;
const page = (load: () => Promise<{ default: ComponentType<{ params: Record<string, string> }> }>): Page => lazy(load);

const routes: [string, Page][] = [
  ['/', page(() => import('./pages/overview-page'))],
  ['/assets', page(() => import('./pages/assets-page'))],
  ['/services', page(() => import('./pages/services-page'))],
  ['/hosts/:address', page(() => import('./pages/host-page'))],
  ['/findings', page(() => import('./pages/findings-page'))],
  ['/assessments', page(() => import('./pages/assessments-page'))],
  ['/assessments/new', page(() => import('./pages/assessment-form-page'))],
  ['/assessments/:id', page(() => import('./pages/assessment-page'))],
  ['/diff', page(() => import('./pages/diff-page'))],
  ['/admin', page(() => import('./pages/admin-page'))],
  ['/account', page(() => import('./pages/account-page'))],
];

function NotFound() {
  return <><h1>Not found</h1><p>There is no page at this address.</p></>;
}

export function App() {
  const session = useSession();
  const qc = useQueryClient();
  const { path } = useLocation();

  useEffect(() => onUnauthenticated(() => {
    void qc.invalidateQueries({ queryKey: ['session'] });
  }), [qc]);

  const unauthenticated = (session.error instanceof ProblemError && session.error.status === 401) || (session.isSuccess && session.data === null);
  if (unauthenticated) return <LoginPage />;

  let Found: Page | undefined;
  let params: Record<string, string> = {};
  for (const [pattern, p] of routes) {
    const m = match(pattern, path);
    if (m) {
      Found = p;
      params = m;
      break;
    }
  }
  return (
    <Layout session={session.data ?? undefined}>
      {session.error && !(session.error instanceof ProblemError && session.error.status === 401) && (
        <p className="notice error" role="alert">Cannot reach the server: {session.error.message}</p>
      )}
      <Suspense fallback={<p className="muted" role="status">Loading…</p>}>
        {Found ? <Found key={path} params={params} /> : <NotFound />}
      </Suspense>
    </Layout>
  );
}
