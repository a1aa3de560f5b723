/**
 * Shared set-up of the dashboard suites and the load benchmark: the real API (buildApi) with the
 * session strategy and the dashboard plugin, listening on 127.0.0.1 over a temporary SQLite file;
 * the built web app (built here with Vite when missing); and Debian's Chromium driven by
 * playwright-core with a fresh profile. Nothing here talks to anything but loopback.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { chromium, type BrowserContext } from 'playwright-core';
import { apiKeyStrategy } from '../../src/api/auth/api-key-strategy.js';
import { buildApi, type BuildApiOptions } from '../../src/api/build-api.js';
import { openApiDatabase, type ApiDatabase } from '../../src/api/database/open-api-database.js';
import { createApiKey } from '../../src/api/queries/key-queries.js';
import { createOrg } from '../../src/api/queries/org-queries.js';
import { createUser } from '../../src/api/queries/user-queries.js';
import { sessionStrategy, setUserPassword } from '../../src/api/session-auth.js';
import { registerDashboard } from '../../src/api/web-plugin.js';

export const CHROMIUM = process.env['TRAWL_CHROMIUM'] ?? '/usr/bin/chromium';
export const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** Why browser tests cannot run here, or undefined. */
export function chromiumProblem(): string | undefined {
  return existsSync(CHROMIUM) ? undefined : `Chromium not found at ${CHROMIUM} (apt-get install chromium); browser tests skipped`;
}

/** Repository root, from dist/test/web/ (or .dist-x/test/web/). */
export const repoRoot = resolve(fileURLToPath(new URL('../../../', import.meta.url)));
/** The built app beside this build's server code: <outDir>/web. */
export const webRoot = process.env['TRAWL_WEB_ROOT'] ?? resolve(fileURLToPath(new URL('../../web/', import.meta.url)));

/** Builds the web app into webRoot when it is not there (a fresh checkout that ran only tsc). */
export async function ensureWebBuilt(): Promise<string> {
  if (existsSync(join(webRoot, 'index.html'))) return webRoot;
  const vite = await import('vite');
  process.env['TRAWL_WEB_OUT'] = webRoot;
  await vite.build({ configFile: join(repoRoot, 'web', 'vite.config.ts'), logLevel: 'warn' });
  if (!existsSync(join(webRoot, 'index.html'))) throw new Error(`vite build did not produce ${webRoot}/index.html`);
  return webRoot;
}

/** Screenshots and other files tests keep for people to look at: <repo>/test-artifacts/web (git-ignored). */
export const artifactsDir = join(repoRoot, 'test-artifacts', 'web');

export interface DashboardServer {
  readonly url: string;
  readonly app: FastifyInstance;
  readonly d: ApiDatabase;
  readonly orgId: string;
  readonly adminToken: string;
  readonly user: { readonly id: string; readonly email: string; readonly password: string };
  close(): Promise<void>;
}

export interface ServerOptions {
  readonly scope: readonly string[];
  /** SQLite path; default a file in a fresh temporary directory. */
  readonly dbPath?: string;
  /** Extra buildApi options, given the opened database. */
  readonly api?: (d: ApiDatabase) => Partial<BuildApiOptions>;
  /** Runs after migrations, before the server starts (seeding). */
  readonly seed?: (d: ApiDatabase, orgId: string) => Promise<void>;
}

export async function startDashboardServer(o: ServerOptions): Promise<DashboardServer> {
  const root = await ensureWebBuilt();
  const dir = o.dbPath === undefined ? mkdtempSync(join(tmpdir(), 'trawl-web-')) : undefined;
  const d = await openApiDatabase(o.dbPath ?? join(dir!, 'trawl.db'));
  await d.store.migrate();
  const org = await createOrg(d.db, { name: 'lab-org', scope: [...o.scope] });
  const { token: adminToken } = await createApiKey(d.db, { orgId: org.id, name: 'test admin', role: 'admin', createdBy: 'test' });
  const u = await createUser(d.db, org.id, { email: 'ada@example.test', displayName: 'Ada Analyst', role: 'admin' });
  const password = 'correct horse battery staple';
  // The session tables exist once the plugin registered; the password needs them first.
  const app = buildApi({
    db: d.db, store: d.store, rateLimit: false, progressIntervalMs: 100, sseHeartbeatMs: 5000,
    authStrategies: [apiKeyStrategy(d.db), sessionStrategy({ db: d.db })],
    ...o.api?.(d),
  });
  await registerDashboard(app, { db: d.db, root });
  await setUserPassword(d.db, org.id, u.id, password);
  if (o.seed) await o.seed(d, org.id);
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  return {
    url, app, d, orgId: org.id, adminToken, user: { id: u.id, email: u.email, password },
    close: async () => {
      await app.close();
      await d.close();
      if (dir) rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface Browser {
  readonly context: BrowserContext;
  close(): Promise<void>;
}

/** Chromium with a fresh profile directory, removed on close. */
export async function launchBrowser(opts: { colorScheme?: 'light' | 'dark'; viewport?: { width: number; height: number } } = {}): Promise<Browser> {
  const profile = mkdtempSync(join(tmpdir(), 'trawl-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: opts.viewport ?? { width: 1440, height: 900 },
    colorScheme: opts.colorScheme ?? 'light',
    acceptDownloads: true,
  });
  return {
    context,
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

export function ensureArtifacts(): string {
  mkdirSync(artifactsDir, { recursive: true });
  return artifactsDir;
}
