import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Server } from 'node:net';
import { serve, type ServiceSpec } from './lab-service.js';

/** What a lab web site looks like to a scanner: the Server header and front page. */
export interface HttpSite {
  /** Server header, e.g. `nginx/1.24.0`. */
  readonly server: string;
  readonly title: string;
  readonly body: string;
  readonly product: string;
  readonly version: string;
  /** Extra response headers, e.g. X-Powered-By. */
  readonly headers?: Readonly<Record<string, string>>;
}

export const NGINX_PORTAL: HttpSite = {
  server: 'nginx/1.24.0',
  product: 'nginx',
  version: '1.24.0',
  title: 'Trawl Lab - Intranet Portal',
  body: '<h1>Intranet Portal</h1><p>Staff sign-in: <a href="/login">/login</a></p>',
};

export const APACHE_DEFAULT: HttpSite = {
  server: 'Apache/2.4.57 (Debian)',
  product: 'Apache httpd',
  version: '2.4.57',
  title: 'Apache2 Debian Default Page: It works',
  body: '<h1>It works!</h1><p>This is the default welcome page used to test the correct operation of the Apache2 server.</p>',
  headers: { 'X-Powered-By': 'PHP/8.2.7' },
};

function page(title: string, body: string): string {
  return `<!DOCTYPE html>\n<html>\n<head>\n<meta charset="utf-8">\n<title>${title}</title>\n</head>\n<body>\n${body}\n</body>\n</html>\n`;
}

/** A request handler shared by the HTTP and HTTPS services. Bodies are never read, only discarded. */
export function siteHandler(site: HttpSite): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    req.on('error', () => undefined);
    req.resume();
    res.setHeader('Server', site.server);
    for (const [k, v] of Object.entries(site.headers ?? {})) res.setHeader(k, v);
    const path = (req.url ?? '/').split('?')[0];
    let status = 200;
    let type = 'text/html; charset=utf-8';
    let body: string;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      status = 405;
      res.setHeader('Allow', 'GET, HEAD');
      body = page('405 Not Allowed', '<center><h1>405 Not Allowed</h1></center>');
    } else if (path === '/' || path === '/index.html') {
      body = page(site.title, site.body);
    } else if (path === '/robots.txt') {
      type = 'text/plain';
      body = 'User-agent: *\nDisallow: /admin/\n';
    } else {
      status = 404;
      body = page('404 Not Found', `<center><h1>404 Not Found</h1></center><hr><center>${site.server}</center>`);
    }
    res.statusCode = status;
    res.setHeader('Content-Type', type);
    res.setHeader('Content-Length', Buffer.byteLength(body));
    res.end(req.method === 'HEAD' ? undefined : body);
  };
}

/** Bounds every HTTP server of the lab: small headers, short timeouts. */
export function boundHttpServer<S extends Server & { headersTimeout: number; requestTimeout: number; keepAliveTimeout: number }>(server: S): S {
  server.headersTimeout = 5_000;
  server.requestTimeout = 10_000;
  server.keepAliveTimeout = 2_000;
  return server;
}

export function httpService(site: HttpSite): ServiceSpec {
  return {
    name: 'http',
    product: site.product,
    version: site.version,
    title: site.title,
    start: (ip, port, limits) => {
      const server = boundHttpServer(createHttpServer({ maxHeaderSize: 8192 }, siteHandler(site)));
      return serve(server, ip, port, `http ${ip}:${port}`, limits);
    },
  };
}
