/**
 * HTTP checks. Security headers are read from the response identification already fetched. The
 * exposure checks make a few GETs of their own (listed per check) and judge the content's shape, not
 * the status: many servers answer 200 with an HTML page for any path (soft 404), and such a page must
 * never pass for a Git HEAD file or a dotenv file.
 */
import type { ServiceIdentity } from '../../engines/identify/service-identity.js';
import type { Check, CheckMeta } from '../check.js';
import { makeFinding } from '../check.js';
import { httpGet, requestUrl } from '../check-io.js';
import type { JsonValue } from '../finding.js';
import { headerValue, headerValues, httpView, type HttpView } from '../identity-facts.js';

function isHttp(identity: ServiceIdentity): boolean {
  return identity.name === 'http' || identity.name === 'https' || identity.name.startsWith('http-') || httpView(identity) !== undefined;
}

// ---- http-missing-security-headers --------------------------------------------------------------

const headersMeta: CheckMeta = {
  id: 'http-missing-security-headers',
  title: 'HTTP security headers missing',
  severity: 'low',
  safe: true,
  traffic: 'facts',
  description:
    "Reads the headers of the page identification fetched (after same-host redirects), when it is HTML (or untyped): Strict-Transport-Security with a max-age > 0 (HTTPS only), Content-Security-Policy (enforced, not Report-Only), X-Content-Type-Options: nosniff, and framing control by X-Frame-Options DENY/SAMEORIGIN or a CSP frame-ancestors directive. One finding lists every one missing or invalid.",
  remediation:
    "Send the headers on every HTML response, e.g. nginx: `add_header Strict-Transport-Security \"max-age=31536000\" always; add_header Content-Security-Policy \"default-src 'self'; frame-ancestors 'none'\" always; add_header X-Content-Type-Options nosniff always; add_header X-Frame-Options DENY always;`",
  references: {
    cwe: ['CWE-693', 'CWE-1021'],
    urls: ['https://owasp.org/www-project-secure-headers/', 'https://developer.mozilla.org/en-US/docs/Web/HTTP/Headers/Strict-Transport-Security'],
  },
};

export interface HeaderAudit {
  readonly missing: readonly string[];
  readonly present: Readonly<Record<string, string>>;
}

/** Which protections a response lacks; `tls` decides whether HSTS is expected. */
export function auditSecurityHeaders(headers: readonly (readonly [string, string])[], tls: boolean): HeaderAudit {
  const missing: string[] = [];
  const present: Record<string, string> = {};
  const note = (name: string): string | undefined => {
    const v = headerValue(headers, name);
    if (v !== undefined) present[name.toLowerCase()] = v.slice(0, 300);
    return v;
  };
  if (tls) {
    const hsts = note('Strict-Transport-Security');
    const age = hsts === undefined ? undefined : /(?:^|;)\s*max-age\s*=\s*"?(\d+)"?/i.exec(hsts)?.[1];
    if (age === undefined || Number(age) <= 0) missing.push('Strict-Transport-Security');
  }
  note('Content-Security-Policy');
  const csp = headerValues(headers, 'Content-Security-Policy').join(', ');
  if (csp.trim() === '') missing.push('Content-Security-Policy');
  const xcto = note('X-Content-Type-Options');
  if (xcto?.trim().toLowerCase() !== 'nosniff') missing.push('X-Content-Type-Options');
  const xfo = note('X-Frame-Options')?.trim().toUpperCase();
  const frameAncestors = /(?:^|[;,])\s*frame-ancestors\s+[^;,]+/i.test(csp);
  if (xfo !== 'DENY' && xfo !== 'SAMEORIGIN' && !frameAncestors) missing.push('X-Frame-Options / CSP frame-ancestors');
  return { missing, present };
}

function htmlLike(h: HttpView): boolean {
  const ct = h.contentType ?? headerValue(h.headers, 'content-type');
  return ct === undefined || /html/i.test(ct);
}

export const httpMissingSecurityHeaders: Check = {
  ...headersMeta,
  appliesTo: (identity) => httpView(identity) !== undefined,
  async run(target, identity, ctx) {
    const h = httpView(identity);
    if (h === undefined || !htmlLike(h)) return [];
    const audit = auditSecurityHeaders(h.headers, h.tls);
    if (audit.missing.length === 0) return [];
    return [
      makeFinding(headersMeta, target, ctx.now(), {
        summary: `${h.url} lacks ${audit.missing.join(', ')}`,
        confidence: 'certain',
        evidence: { url: h.url, status: h.status, missing: [...audit.missing], present: audit.present },
      }),
    ];
  },
};

// ---- http-directory-listing ---------------------------------------------------------------------

const listingMeta: CheckMeta = {
  id: 'http-directory-listing',
  title: 'HTTP directory listing enabled',
  severity: 'medium',
  safe: true,
  traffic: 'requests',
  description:
    'Looks for an auto-generated index (nginx/Apache/lighttpd "Index of <path>", Python "Directory listing for", Tomcat "Directory Listing For", IIS "[To Parent Directory]", Jetty "Directory: ") naming the requested path and carrying links. Reads "/" from identification (GETs it when identification has no body for "/"), then GETs /backup/ and /uploads/, stopping at the first listing.',
  remediation: 'Turn automatic indexes off (nginx `autoindex off;`, Apache `Options -Indexes`) and put an index page or a 403 where a folder must not be browsed.',
  references: { cwe: ['CWE-548'], urls: ['https://cwe.mitre.org/data/definitions/548.html'] },
};

const LISTING_DIRS = ['/backup/', '/uploads/'];

/** The generator of a directory listing for `path`, or undefined when `body` is not one. */
export function directoryListing(body: string, path: string): string | undefined {
  const esc = path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const head = body.slice(0, 16 * 1024);
  // A listing links its entries (or at least its parent); a page that merely says "Index of" does not.
  if (links(head).length === 0 && !/<a\s[^>]*href\s*=\s*"\.\.\/"/i.test(head)) return undefined;
  const rules: readonly [RegExp, string][] = [
    [new RegExp(`<title>\\s*Index of ${esc}\\s*</title>`, 'i'), 'autoindex (nginx/Apache/lighttpd)'],
    [new RegExp(`<h1>\\s*Index of ${esc}\\s*</h1>`, 'i'), 'autoindex (nginx/Apache/lighttpd)'],
    [new RegExp(`<title>\\s*Directory listing for ${esc}\\s*</title>`, 'i'), 'Python http.server'],
    [new RegExp(`<title>\\s*Directory Listing For \\[${esc}\\]\\s*</title>`, 'i'), 'Apache Tomcat'],
    [new RegExp(`<title>\\s*Directory: ${esc}\\s*</title>`, 'i'), 'Jetty'],
    [/\[To Parent Directory\]/i, 'Microsoft IIS'],
  ];
  for (const [re, generator] of rules) if (re.test(head)) return generator;
  return undefined;
}

function links(body: string, max = 20): string[] {
  const out: string[] = [];
  for (const m of body.matchAll(/<a\s[^>]*href\s*=\s*"([^"]{1,300})"/gi)) {
    if (m[1] !== '../' && m[1] !== '/' && !m[1]!.startsWith('?')) out.push(m[1]!);
    if (out.length >= max) break;
  }
  return out;
}

export const httpDirectoryListing: Check = {
  ...listingMeta,
  appliesTo: isHttp,
  async run(target, identity, ctx) {
    const h = httpView(identity);
    const candidates: { path: string; status: number; body: string; fetched: boolean }[] = [];
    let rootSeen = false;
    if (h !== undefined) {
      let path = '/';
      try {
        path = new URL(h.url).pathname;
      } catch {
        // keep '/'
      }
      if (path === '/') {
        rootSeen = true;
        candidates.push({ path, status: h.status, body: h.body, fetched: false });
      }
    }
    const paths = [...(rootSeen ? [] : ['/']), ...LISTING_DIRS];
    const check = (c: (typeof candidates)[number]): string | undefined => (c.status === 200 ? directoryListing(c.body, c.path) : undefined);
    let hit = candidates.find((c) => check(c) !== undefined);
    for (const path of paths) {
      if (hit !== undefined || ctx.signal.aborted) break;
      const r = await httpGet(target, identity, ctx, path);
      if (r === undefined) continue;
      const c = { path, status: r.status, body: r.body.toString('utf8'), fetched: true };
      if (check(c) !== undefined) hit = c;
    }
    if (hit === undefined) return [];
    const generator = check(hit)!;
    return [
      makeFinding(listingMeta, target, ctx.now(), {
        summary: `${requestUrl(target, identity, hit.path)} is a directory listing (${generator})`,
        confidence: 'certain',
        evidence: { url: requestUrl(target, identity, hit.path), status: hit.status, generator, entries: links(hit.body), from_identify: !hit.fetched },
      }),
    ];
  },
};

// ---- http-exposed-git ---------------------------------------------------------------------------

const gitMeta: CheckMeta = {
  id: 'http-exposed-git',
  title: 'Git repository exposed over HTTP',
  severity: 'high',
  safe: true,
  traffic: 'requests',
  description:
    'GETs /.git/HEAD and fires only when the body is a Git HEAD file: "ref: refs/…" or a bare 40/64-hex object id, alone on its line. With HEAD readable, the whole repository (history, often credentials) can usually be rebuilt from /.git/.',
  remediation: 'Deny every path below /.git (nginx `location ~ /\\.git { deny all; }`), and deploy build output instead of a working copy.',
  references: { cwe: ['CWE-527', 'CWE-538'], urls: ['https://cwe.mitre.org/data/definitions/527.html'] },
  cvssVector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N',
};

/** A Git HEAD file: a symbolic ref or a detached object id (SHA-1 or SHA-256), nothing else. */
export function gitHeadContent(body: string): string | undefined {
  if (body.length > 1024) return undefined;
  const t = body.replace(/\r?\n$/, '');
  if (t.includes('\n')) return undefined;
  if (/^ref: refs\/[\x21-\x7e]{1,200}$/.test(t)) return t;
  if (/^[0-9a-f]{40}$|^[0-9a-f]{64}$/.test(t)) return t;
  return undefined;
}

export const httpExposedGit: Check = {
  ...gitMeta,
  appliesTo: isHttp,
  async run(target, identity, ctx) {
    const r = await httpGet(target, identity, ctx, '/.git/HEAD');
    if (r === undefined || r.status !== 200) return [];
    const head = gitHeadContent(r.body.toString('latin1'));
    if (head === undefined) return [];
    return [
      makeFinding(gitMeta, target, ctx.now(), {
        summary: `${requestUrl(target, identity, '/.git/HEAD')} serves a Git HEAD (${head})`,
        confidence: 'certain',
        evidence: { url: requestUrl(target, identity, '/.git/HEAD'), status: r.status, head, content_type: headerValue(r.headers, 'content-type') ?? null },
      }),
    ];
  },
};

// ---- http-exposed-env ---------------------------------------------------------------------------

const envMeta: CheckMeta = {
  id: 'http-exposed-env',
  title: 'Environment file (.env) exposed over HTTP',
  severity: 'high',
  safe: true,
  traffic: 'requests',
  description:
    'GETs /.env and fires only when the body has the dotenv shape: not HTML, and at least 80% of its non-blank, non-comment lines (and at least one) are KEY=VALUE assignments. Evidence lists variable names only; values are never recorded. Severity rises to critical when a name looks like a secret (PASSWORD, SECRET, TOKEN, *_KEY...).',
  remediation: 'Keep .env files outside the web root, deny dotfiles (nginx `location ~ /\\. { deny all; }`), and rotate every secret the file held.',
  references: { cwe: ['CWE-538', 'CWE-200'], urls: ['https://cwe.mitre.org/data/definitions/538.html'] },
  cvssVector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N',
};

const SECRET_NAME = /pass(word)?|secret|token|api_?key|private|credential|_key$|dsn|database_url/i;

export interface DotenvShape {
  readonly names: readonly string[];
  readonly secretNames: readonly string[];
}

/** Variable names when `body` is a dotenv file, else undefined. */
export function dotenvShape(body: string): DotenvShape | undefined {
  if (body.length === 0 || /<(!doctype|html|head|body|script)\b/i.test(body.slice(0, 4096))) return undefined;
  // Binary content is not a dotenv file.
  if (/[\x00-\x08\x0e-\x1f]/.test(body.slice(0, 4096))) return undefined;
  const lines = body.split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'));
  if (lines.length === 0) return undefined;
  const names: string[] = [];
  for (const l of lines) {
    const m = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_.]{0,127})\s*=/.exec(l);
    if (m !== null) names.push(m[1]!);
  }
  if (names.length === 0 || names.length < lines.length * 0.8) return undefined;
  return { names: [...new Set(names)], secretNames: [...new Set(names.filter((n) => SECRET_NAME.test(n)))] };
}

export const httpExposedEnv: Check = {
  ...envMeta,
  appliesTo: isHttp,
  async run(target, identity, ctx) {
    const r = await httpGet(target, identity, ctx, '/.env');
    if (r === undefined || r.status !== 200) return [];
    const shape = dotenvShape(r.body.toString('utf8'));
    if (shape === undefined) return [];
    const evidence: Record<string, JsonValue> = {
      url: requestUrl(target, identity, '/.env'),
      status: r.status,
      content_type: headerValue(r.headers, 'content-type') ?? null,
      variables: shape.names.slice(0, 50),
      secret_like_variables: shape.secretNames.slice(0, 50),
      values: 'not recorded',
    };
    return [
      makeFinding(envMeta, target, ctx.now(), {
        summary: `${requestUrl(target, identity, '/.env')} serves ${shape.names.length} environment variable(s)${shape.secretNames.length > 0 ? `, including ${shape.secretNames.slice(0, 3).join(', ')}` : ''}`,
        confidence: 'certain',
        severity: shape.secretNames.length > 0 ? 'critical' : 'high',
        evidence,
      }),
    ];
  },
};

export const HTTP_CHECKS: readonly Check[] = [httpMissingSecurityHeaders, httpDirectoryListing, httpExposedGit, httpExposedEnv];
