import { join } from 'node:path';
import type { DaemonSpec } from './daemon-spec.js';
import { existsSync } from 'node:fs';
import { TrawlError } from '../../errors/index.js';
import { makeDir, systemUser, writeText } from './host-tools.js';

/**
 * vsftpd in standalone mode (listen=YES, background=NO).
 *
 * weak:     anonymous login with a readable tree, plaintext only.
 * hardened: no anonymous login, local users only and only over TLS (FTPS via AUTH TLS, forced for
 *           login and data) with a test-CA certificate and TLS 1.2-only AEAD ciphers, so TLS 1.0/1.1
 *           clients are refused.
 */
export const vsftpdDaemon: DaemonSpec = {
  name: 'vsftpd',
  packages: ['vsftpd'],
  executable: 'vsftpd',
  helpers: (profile) => (profile === 'hardened' ? ['openssl'] : []),
  product: 'vsftpd',
  ports: [{ port: 21, name: 'ftp' }],
  prepare(ctx) {
    // Anonymous sessions run as this account and vsftpd enters its home before anon_root, so the
    // home must exist: Debian's package makes `ftp` with /srv/ftp (`nobody`'s /nonexistent fails).
    const ftpUser = systemUser('ftp');
    if (ctx.profile === 'weak' && (ftpUser === undefined || !existsSync(ftpUser.home))) {
      throw new TrawlError('TRAWL_E_LAB', "daemon lab: vsftpd's anonymous login needs the 'ftp' account with an existing home (made by Debian's vsftpd package)");
    }
    // Both must be root-owned and not writable by the FTP users: vsftpd checks before it chroots.
    const empty = makeDir(join(ctx.dir, 'empty'), 0o755);
    const anon = makeDir(join(ctx.dir, 'anon'), 0o555);
    writeText(join(anon, 'pub', 'README'), 'Trawl daemon lab anonymous FTP\n');
    writeText(join(anon, 'pub', 'backup.tar.gz'), 'not really a tarball\n');
    const common = [
      'listen=YES',
      'listen_ipv6=NO',
      `listen_address=${ctx.ip}`,
      `listen_port=${this.ports[0]!.port}`,
      'background=NO',
      'write_enable=NO',
      `secure_chroot_dir=${empty}`,
      'nopriv_user=nobody',
      'ftp_username=ftp',
      'pam_service_name=vsftpd',
      'xferlog_enable=NO',
      `vsftpd_log_file=${join(ctx.dir, 'vsftpd.log')}`,
      'dual_log_enable=NO',
      // The seccomp sandbox breaks on some kernels/containers; the lab is isolated by the namespace.
      'seccomp_sandbox=NO',
    ];
    let profile: string[];
    if (ctx.profile === 'hardened') {
      const cert = ctx.pki.issue(ctx.hostname, ctx.ip, join(ctx.dir, 'tls'));
      profile = [
        'anonymous_enable=NO',
        'local_enable=YES',
        'chroot_local_user=YES',
        'ssl_enable=YES',
        `rsa_cert_file=${cert.cert}`,
        `rsa_private_key_file=${cert.key}`,
        'ssl_sslv2=NO',
        'ssl_sslv3=NO',
        'ssl_tlsv1=YES',
        // TLS 1.2-only suites: vsftpd 3.0.3 has no protocol-version switch finer than ssl_tlsv1.
        'ssl_ciphers=ECDHE+AESGCM:ECDHE+CHACHA20',
        'allow_anon_ssl=NO',
        'force_local_logins_ssl=YES',
        'force_local_data_ssl=YES',
        'require_ssl_reuse=NO',
      ];
    } else {
      profile = ['anonymous_enable=YES', `anon_root=${anon}`, 'no_anon_password=YES', 'anon_world_readable_only=YES', 'local_enable=NO'];
    }
    const cfg = join(ctx.dir, 'vsftpd.conf');
    writeText(cfg, [...common, ...profile, ''].join('\n'), 0o600);
    return { argv: [ctx.executable, cfg], logs: [join(ctx.dir, 'vsftpd.log')] };
  },
};
