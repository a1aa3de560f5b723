import { join } from 'node:path';
import type { DaemonContext, DaemonLaunch, DaemonSpec } from './daemon-spec.js';
import { makeDir, writeText } from './host-tools.js';

/**
 * nginx from Debian's nginx(-light) package, one master per lab daemon (`nginx-http`, `nginx-tls`),
 * started with `nginx -c <cfg> -g 'daemon off;'` so it stays in the foreground and in our process group.
 *
 * weak:     autoindex on a root without index page, dotfiles (.git/HEAD, .git/config, .env) served;
 *           TLS: expired self-signed cert for `localhost`, TLS 1.0-1.2, every cipher (SECLEVEL 0).
 * hardened: index page, no autoindex, dotfiles answer 404, security headers;
 *           TLS: test-CA cert for the lab hostname, TLS 1.2/1.3 with ECDHE AEAD ciphers only, HSTS.
 * Both keep `server_tokens on` so identification sees the same product/version in either profile.
 */

const PACKAGES = ['nginx-light', 'nginx-core', 'nginx-full', 'nginx-extras', 'nginx'];

function webRoot(ctx: DaemonContext): string {
  const root = makeDir(join(ctx.dir, 'www'));
  writeText(join(root, '.git', 'HEAD'), 'ref: refs/heads/main\n');
  writeText(join(root, '.git', 'config'), '[core]\n\trepositoryformatversion = 0\n\tbare = false\n[remote "origin"]\n\turl = https://git.dlab.trawl.test/acme/portal.git\n');
  writeText(join(root, '.env'), 'APP_ENV=production\nDB_PASSWORD=trawl-lab-not-a-secret\n');
  writeText(join(root, 'backup', 'db-2024-01-01.sql'), '-- trawl daemon lab dummy dump\n');
  writeText(join(root, 'backup', 'notes.txt'), 'nothing to see here\n');
  if (ctx.profile === 'hardened') {
    writeText(join(root, 'index.html'), `<!doctype html><html><head><title>Trawl daemon lab</title></head><body><h1>${ctx.hostname}</h1></body></html>\n`);
  }
  return root;
}

function config(ctx: DaemonContext, listen: string[], tls: string[]): string {
  const d = ctx.dir;
  const hardened = ctx.profile === 'hardened';
  const site = hardened
    ? [
        '    autoindex off;',
        '    index index.html;',
        '    location ~ /\\. { return 404; }',
        '    add_header X-Content-Type-Options nosniff always;',
        '    add_header X-Frame-Options DENY always;',
        "    add_header Content-Security-Policy \"default-src 'self'\" always;",
        '    add_header Referrer-Policy no-referrer always;',
        ...(tls.length > 0 ? ['    add_header Strict-Transport-Security "max-age=31536000; includeSubDomains" always;'] : []),
      ]
    : ['    autoindex on;'];
  return [
    'worker_processes 1;',
    // Workers as root: the lab folder may sit below a folder only root can traverse.
    'user root root;',
    `pid ${join(d, 'nginx.pid')};`,
    `error_log ${join(d, 'error.log')} notice;`,
    'events { worker_connections 512; }',
    'http {',
    `  access_log ${join(d, 'access.log')};`,
    ...['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((t) => `  ${t}_temp_path ${join(d, 'tmp', t)};`),
    '  types { text/html html; text/plain txt env; application/sql sql; }',
    '  default_type application/octet-stream;',
    '  server_tokens on;',
    '  server {',
    ...listen.map((l) => `    listen ${l};`),
    `    server_name ${ctx.hostname};`,
    `    root ${join(d, 'www')};`,
    ...tls.map((l) => `    ${l}`),
    ...site,
    '  }',
    '}',
    '',
  ].join('\n');
}

function launch(ctx: DaemonContext, cfg: string): DaemonLaunch {
  makeDir(join(ctx.dir, 'tmp'));
  webRoot(ctx);
  const path = join(ctx.dir, 'nginx.conf');
  writeText(path, cfg);
  return { argv: [ctx.executable, '-c', path, '-g', 'daemon off;'], logs: [join(ctx.dir, 'error.log')] };
}

export const nginxHttpDaemon: DaemonSpec = {
  name: 'nginx-http',
  packages: PACKAGES,
  executable: 'nginx',
  product: 'nginx',
  ports: [{ port: 80, name: 'http' }, { port: 9000, name: 'http' }],
  prepare(ctx) {
    return launch(ctx, config(ctx, this.ports.map((p) => `${ctx.ip}:${p.port}`), []));
  },
};

export const nginxTlsDaemon: DaemonSpec = {
  name: 'nginx-tls',
  packages: PACKAGES,
  executable: 'nginx',
  helpers: () => ['openssl'],
  product: 'nginx',
  ports: [{ port: 443, name: 'http', tunnel: 'ssl' }, { port: 8443, name: 'http', tunnel: 'ssl' }],
  prepare(ctx) {
    const hardened = ctx.profile === 'hardened';
    const cert = hardened ? ctx.pki.issue(ctx.hostname, ctx.ip, join(ctx.dir, 'tls')) : ctx.pki.expiredSelfSigned(join(ctx.dir, 'tls'));
    const tls = [
      `ssl_certificate ${cert.cert};`,
      `ssl_certificate_key ${cert.key};`,
      ...(hardened
        ? ['ssl_protocols TLSv1.2 TLSv1.3;', 'ssl_ciphers ECDHE+AESGCM:ECDHE+CHACHA20;', 'ssl_prefer_server_ciphers on;', 'ssl_session_tickets off;']
        : ['ssl_protocols TLSv1 TLSv1.1 TLSv1.2;', 'ssl_ciphers ALL:@SECLEVEL=0;', 'ssl_prefer_server_ciphers off;']),
    ];
    return launch(ctx, config(ctx, this.ports.map((p) => `${ctx.ip}:${p.port} ssl`), tls));
  },
};
