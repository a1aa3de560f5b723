/**
 * The lab the dashboard's end-to-end test scans: the loopback lab (src/lab: nginx/Apache-like web
 * servers, HTTPS with a self-signed certificate, OpenSSH/Dropbear, Redis with and without a password,
 * vsftpd, SMTP, MySQL, PostgreSQL) on a random 127.x.y.0/24, plus a few real servers of its own:
 *
 *  - an nginx-style autoindex on <listing>:8000 — the `http-directory-listing` check's target, and
 *    one without security headers (`http-missing-security-headers`);
 *  - a legacy SSH service on <spare>:7001, stopped between two scans (the port closes);
 *  - nothing on <spare>:7002 until `openFreshPort()` starts a web server there (the port opens).
 *
 * Everything listens on loopback addresses of the lab's own subnet; nothing else is contacted.
 */
import { randomInt } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { startLoopbackLab, type LoopbackLab } from '../../src/lab/loopback-lab.js';
import { APACHE_DEFAULT, boundHttpServer, httpService } from '../../src/lab/services/http-service.js';
import { serve, type RunningService } from '../../src/lab/services/lab-service.js';
import { OPENSSH_DEBIAN12, sshService } from '../../src/lab/services/ssh-service.js';

export const LISTING_PORT = 8000;
export const LEGACY_PORT = 7001;
export const FRESH_PORT = 7002;

export interface DashboardLab {
  readonly subnet: string;
  readonly lab: LoopbackLab;
  /** The autoindex web server. */
  readonly listing: { readonly ip: string; readonly port: number };
  /** The address holding the legacy SSH service, and later the fresh web server. */
  readonly spare: string;
  /** Every port with something on it at some point: the assessment's port list. */
  readonly ports: readonly number[];
  /** Open services right now (lab + extras). */
  openCount(): number;
  /** Stops the legacy SSH service: its port answers RST from now on. */
  closeLegacyPort(): Promise<void>;
  /** Starts an Apache-like web server on <spare>:7002. */
  openFreshPort(): Promise<void>;
  stop(): Promise<void>;
}

/** nginx's autoindex page for `/` (same markup as `autoindex on;` in nginx 1.22). */
function autoindex(req: IncomingMessage, res: ServerResponse): void {
  req.resume();
  res.setHeader('Server', 'nginx/1.22.1');
  const path = (req.url ?? '/').split('?')[0];
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { 'content-type': 'text/html' }).end('<html><head><title>405 Not Allowed</title></head><body><center><h1>405 Not Allowed</h1></center></body></html>');
    return;
  }
  if (path !== '/') {
    res.writeHead(404, { 'content-type': 'text/html' }).end('<html><head><title>404 Not Found</title></head><body><center><h1>404 Not Found</h1></center><hr><center>nginx/1.22.1</center></body></html>');
    return;
  }
  const body = [
    '<html>', '<head><title>Index of /</title></head>', '<body>', '<h1>Index of /</h1><hr><pre><a href="../">../</a>',
    '<a href="backup/">backup/</a>                                            21-Nov-2025 08:00                   -',
    '<a href="db-dump-2025-11-20.sql.gz">db-dump-2025-11-20.sql.gz</a>                          20-Nov-2025 23:59             1048576',
    '<a href="notes.txt">notes.txt</a>                                          21-Nov-2025 08:00                 123',
    '</pre><hr></body>', '</html>', '',
  ].join('\r\n');
  res.writeHead(200, { 'content-type': 'text/html', 'content-length': Buffer.byteLength(body) });
  res.end(req.method === 'HEAD' ? undefined : body);
}

/** A random /24 of 127/8 away from 127.0.0.0/16 (the machine's own daemons) and the other suites' labs. */
function randomSubnet(): string {
  return `127.${randomInt(130, 250)}.${randomInt(0, 256)}.0/24`;
}

export async function startDashboardLab(): Promise<DashboardLab> {
  let lastError: unknown;
  for (let attempt = 0; attempt < 5; attempt++) {
    const subnet = randomSubnet();
    let lab: LoopbackLab | undefined;
    const running: RunningService[] = [];
    try {
      lab = await startLoopbackLab({ subnet, seed: randomInt(1, 1_000_000) });
      const used = new Set([...lab.services.map((s) => s.ip), ...lab.closed.map((c) => c.ip)]);
      const base = subnet.replace(/\.0\/24$/, '');
      const free = Array.from({ length: 250 }, (_, i) => `${base}.${i + 2}`).filter((ip) => !used.has(ip));
      const listing = { ip: free[0]!, port: LISTING_PORT };
      const spare = free[1]!;
      running.push(await serve(boundHttpServer(createServer({ maxHeaderSize: 8192 }, autoindex)), listing.ip, listing.port, `autoindex ${listing.ip}:${listing.port}`));
      let legacy: RunningService | undefined = await sshService(OPENSSH_DEBIAN12).start(spare, LEGACY_PORT);
      let fresh: RunningService | undefined;
      const theLab = lab;
      return {
        subnet, lab, listing, spare,
        ports: [...new Set([...lab.services.map((s) => s.port), LISTING_PORT, LEGACY_PORT, FRESH_PORT])].sort((a, b) => a - b),
        openCount: () => theLab.services.length + 1 + (legacy ? 1 : 0) + (fresh ? 1 : 0),
        closeLegacyPort: async () => {
          await legacy?.close();
          legacy = undefined;
        },
        openFreshPort: async () => {
          fresh ??= await httpService(APACHE_DEFAULT).start(spare, FRESH_PORT);
        },
        stop: async () => {
          await Promise.all([...running, ...(legacy ? [legacy] : []), ...(fresh ? [fresh] : [])].map((r) => r.close()));
          await theLab.stop();
        },
      };
    } catch (e) {
      lastError = e;
      await Promise.all(running.map((r) => r.close()));
      await lab?.stop();
    }
  }
  throw lastError;
}
