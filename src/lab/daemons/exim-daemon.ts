import { chmodSync, chownSync } from 'node:fs';
import { join } from 'node:path';
import type { DaemonSpec } from './daemon-spec.js';
import { makeDir, systemGroup, systemUser, writeText } from './host-tools.js';

/**
 * Exim (Debian's exim4-daemon-light) as a listening daemon, `exim4 -bdf -C <cfg>`: -bdf keeps it in
 * the foreground. Run as root with -C, Exim keeps its privilege for the listener (the
 * TRUSTED_CONFIG_LIST check only bites callers that are not root); queue runners would lose it, so
 * there are none (no -q). Receiving processes run as the Exim user, which therefore owns the spool
 * and log folders and can read the TLS key (group) — the lab folder must be traversable by it.
 * Nothing is ever relayed or delivered: there are no routers, and RCPT is denied.
 *
 * weak:     STARTTLS with the expired self-signed cert, TLS 1.0/1.1 allowed; VRFY/EXPN answered.
 * hardened: STARTTLS with a test-CA cert for the lab hostname, TLS 1.2+ only; VRFY/EXPN refused.
 */
export const eximDaemon: DaemonSpec = {
  name: 'exim',
  packages: ['exim4-daemon-light', 'exim4-daemon-heavy'],
  executable: 'exim4',
  helpers: () => ['openssl'],
  product: 'Exim smtpd',
  ports: [{ port: 25, name: 'smtp' }, { port: 587, name: 'smtp' }],
  prepare(ctx) {
    const d = ctx.dir;
    const userName = systemUser('Debian-exim') !== undefined ? 'Debian-exim' : 'exim';
    const user = systemUser(userName);
    const gid = systemGroup(userName) ?? user?.gid;
    const spool = makeDir(join(d, 'spool'), 0o750);
    const log = makeDir(join(d, 'log'), 0o750);
    const hardened = ctx.profile === 'hardened';
    const cert = hardened ? ctx.pki.issue(ctx.hostname, ctx.ip, join(d, 'tls')) : ctx.pki.expiredSelfSigned(join(d, 'tls'));
    if (user !== undefined && gid !== undefined) {
      chownSync(spool, user.uid, gid);
      chownSync(log, user.uid, gid);
      // The key is read by the receiving process, which runs as the Exim user.
      chownSync(cert.key, 0, gid);
      chmodSync(cert.key, 0o640);
    }
    const cfg = join(d, 'exim.conf');
    writeText(cfg, [
      `primary_hostname = ${ctx.hostname}`,
      `exim_user = ${userName}`,
      `exim_group = ${userName}`,
      'never_users = root',
      `spool_directory = ${spool}`,
      `log_file_path = ${join(log, '%slog')}`,
      `pid_file_path = ${join(d, 'exim.pid')}`,
      `local_interfaces = ${ctx.ip}`,
      `daemon_smtp_ports = ${this.ports.map((p) => p.port).join(' : ')}`,
      'keep_environment =',
      'host_lookup =',
      'rfc1413_hosts =',
      'tls_advertise_hosts = *',
      `tls_certificate = ${cert.cert}`,
      `tls_privatekey = ${cert.key}`,
      hardened ? 'tls_require_ciphers = NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2' : 'tls_require_ciphers = NORMAL:+VERS-TLS1.1:+VERS-TLS1.0',
      'acl_smtp_rcpt = acl_rcpt',
      ...(hardened ? [] : ['acl_smtp_vrfy = acl_open', 'acl_smtp_expn = acl_open']),
      'begin acl',
      'acl_rcpt:',
      '  deny message = relay not permitted',
      ...(hardened ? [] : ['acl_open:', '  accept']),
      'begin routers',
      'begin transports',
      '',
    ].join('\n'), 0o644);
    return { argv: [ctx.executable, '-bdf', '-C', cfg], logs: [join(log, 'mainlog'), join(log, 'paniclog'), join(log, 'rejectlog')] };
  },
};
