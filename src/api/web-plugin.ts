/**
 * The dashboard in the API process: the built single-page app (Vite output, `npm run build:web`)
 * under `/ui/`, with a fallback to index.html for the app's own routes. The app itself only talks to
 * the REST API (same origin, session cookie).
 *
 * The app lives under a prefix because its paths (`/assets/…`, `/findings`) would otherwise collide
 * with the API's. Files are listed once at start-up and only those are served: no path from a
 * request ever reaches the file system unchecked.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyPluginAsync, FastifyReply } from 'fastify';
import type { Kysely } from 'kysely';
import type { Database } from '../store/schema.js';
import { sessionRoutes, type SessionOptions } from './session-auth.js';
import './http/fastify-augment.js';

export interface WebPluginOptions extends Record<string, unknown> {
  /** Directory of the built app (index.html, assets/). Default: `<dist>/web` beside this module's build. */
  readonly root?: string;
  /** URL prefix of the app. Default `/ui`. */
  readonly prefix?: string;
  /** Redirect `/` to the app. Default true. */
  readonly redirectRoot?: boolean;
}

/** `<outDir>/src/api/web-plugin.js` → `<outDir>/web`: the Vite build sits beside the compiled server. */
export function defaultWebRoot(): string {
  return process.env['TRAWL_WEB_ROOT'] ?? fileURLToPath(new URL('../../web/', import.meta.url));
}

const MAX_FILES = 5000;
/** Requests that name a file (not an app route such as /ui/hosts/127.0.0.5): a miss is a 404. */
const ASSET_FILE = /\.(?:js|mjs|css|map|html|json|txt|ico|png|svg|jpe?g|gif|webp|woff2?|ttf|webmanifest)$/i;

function listFiles(root: string): Set<string> {
  const out = new Set<string>();
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      if (out.size >= MAX_FILES || name.startsWith('.')) continue;
      const full = join(dir, name);
      const st = statSync(full);
      if (st.isDirectory()) walk(full);
      else if (st.isFile() && !name.endsWith('.gz') && !name.endsWith('.br')) out.add(relative(root, full).split(sep).join('/'));
    }
  };
  walk(root);
  return out;
}

/**
 * Scripts, styles and data only from this origin; no framing. uPlot and React set styles through the
 * CSSOM, which style-src does not govern, so no 'unsafe-inline' is needed.
 */
const CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'";

function securityHeaders(reply: FastifyReply): FastifyReply {
  return reply
    .header('content-security-policy', CSP)
    .header('x-content-type-options', 'nosniff')
    .header('referrer-policy', 'same-origin')
    .header('x-frame-options', 'DENY');
}

export const webPlugin: FastifyPluginAsync<WebPluginOptions> = async (app, opts) => {
  const prefix = (opts.prefix ?? '/ui').replace(/\/+$/, '');
  const root = opts.root ?? defaultWebRoot();
  const built = existsSync(join(root, 'index.html'));
  const files = built ? listFiles(root) : new Set<string>();

  await app.register(fastifyStatic, { root, serve: false, preCompressed: true });

  const serve = (path: string, reply: FastifyReply): FastifyReply => {
    securityHeaders(reply);
    if (!built) {
      return reply.code(503).type('text/plain; charset=utf-8').send(`Trawl dashboard is not built: run "npm run build:web" (looked in ${root}).\n`);
    }
    if (files.has(path) && path !== 'index.html') {
      // Vite names built assets by content hash: cache them for good.
      const hashed = path.startsWith('assets/');
      return reply.sendFile(path, { maxAge: hashed ? 365 * 86400_000 : 3600_000, immutable: hashed, cacheControl: true });
    }
    if (path.startsWith('assets/') || ASSET_FILE.test(path)) {
      return reply.code(404).type('text/plain; charset=utf-8').send('not found\n');
    }
    // Any other path is one of the app's own routes: the app decides what it shows.
    reply.header('cache-control', 'no-cache');
    return reply.sendFile('index.html', { cacheControl: false });
  };

  const staticConfig = { public: true, rateLimit: false } as const;
  app.get(prefix, { config: staticConfig, schema: { hide: true } }, async (_request, reply) => reply.redirect(`${prefix}/`, 302));
  app.get<{ Params: { '*': string } }>(`${prefix}/*`, { config: staticConfig, schema: { hide: true } }, async (request, reply) => serve(request.params['*'] ?? '', reply));
  if (opts.redirectRoot !== false && !app.hasRoute({ method: 'GET', url: '/' })) {
    app.get('/', { config: staticConfig, schema: { hide: true } }, async (_request, reply) => reply.redirect(`${prefix}/`, 302));
  }
};

export interface DashboardOptions extends Omit<SessionOptions, 'db'> {
  readonly db: Kysely<Database>;
  readonly root?: string;
  readonly prefix?: string;
}

/**
 * Everything the dashboard adds to an app from buildApi: the session routes and the app itself. The
 * session *strategy* must be in buildApi's `authStrategies` too:
 * `[apiKeyStrategy(db), sessionStrategy({ db })]`.
 */
export async function registerDashboard(app: FastifyInstance, opts: DashboardOptions): Promise<void> {
  const { root, prefix, ...session } = opts;
  await app.register(sessionRoutes, session);
  await app.register(webPlugin, { ...(root !== undefined ? { root } : {}), ...(prefix !== undefined ? { prefix } : {}) });
}
