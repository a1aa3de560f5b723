import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { DaemonSpec } from './daemon-spec.js';
import { runTool, writeText, upstreamVersion } from './host-tools.js';

/**
 * OpenSSH's sshd in the foreground (`sshd -D -e -f <cfg>`), with host keys made for this lab.
 *
 * weak:     password and root login allowed, legacy algorithms re-enabled on top of the defaults
 *           (diffie-hellman-group1/14-sha1, CBC ciphers, hmac-sha1/md5, ssh-rsa host key signatures).
 * hardened: keys only, no root, curve25519/sntrup KEX, AES-GCM/CTR, ETM MACs. chacha20-poly1305 and
 *           CBC (the ciphers Terrapin's prefix truncation needs) stay off, even though the Debian
 *           build has strict KEX.
 */
export const opensshDaemon: DaemonSpec = {
  name: 'openssh',
  packages: ['openssh-server'],
  executable: 'sshd',
  helpers: () => ['ssh-keygen'],
  product: 'OpenSSH',
  // Debian's sshd announces its package revision ("OpenSSH_9.2p1 Debian-2+deb12u10"), and nmap -sV
  // names the version "9.2p1 Debian 2+deb12u10".
  announcedVersion: (v) => {
    const revision = /-([^-]+)$/.exec(v)?.[1];
    return revision === undefined ? upstreamVersion(v) : `${upstreamVersion(v)} Debian ${revision}`;
  },
  ports: [{ port: 22, name: 'ssh' }, { port: 2222, name: 'ssh' }],
  prepare(ctx) {
    // sshd's privilege-separation chroot; the Debian package expects it, systemd normally makes it.
    mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
    const ed = join(ctx.dir, 'ssh_host_ed25519_key');
    const rsa = join(ctx.dir, 'ssh_host_rsa_key');
    runTool('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', ctx.hostname, '-f', ed]);
    runTool('ssh-keygen', ['-q', '-t', 'rsa', '-b', '3072', '-N', '', '-C', ctx.hostname, '-f', rsa]);
    const policy = ctx.profile === 'hardened'
      ? [
          'PermitRootLogin no',
          'PasswordAuthentication no',
          'KbdInteractiveAuthentication no',
          'MaxAuthTries 3',
          'KexAlgorithms sntrup761x25519-sha512@openssh.com,curve25519-sha256,curve25519-sha256@libssh.org',
          'Ciphers aes256-gcm@openssh.com,aes128-gcm@openssh.com,aes256-ctr,aes128-ctr',
          'MACs hmac-sha2-512-etm@openssh.com,hmac-sha2-256-etm@openssh.com,umac-128-etm@openssh.com',
          'HostKeyAlgorithms ssh-ed25519,rsa-sha2-512,rsa-sha2-256',
        ]
      : [
          'PermitRootLogin yes',
          'PasswordAuthentication yes',
          'KexAlgorithms +diffie-hellman-group1-sha1,diffie-hellman-group14-sha1',
          'Ciphers +3des-cbc,aes128-cbc,aes256-cbc',
          'MACs +hmac-sha1,hmac-sha1-96,hmac-md5',
          'HostKeyAlgorithms +ssh-rsa',
        ];
    const cfg = join(ctx.dir, 'sshd_config');
    writeText(cfg, [
      ...this.ports.map((p) => `ListenAddress ${ctx.ip}:${p.port}`),
      `HostKey ${ed}`,
      `HostKey ${rsa}`,
      `PidFile ${join(ctx.dir, 'sshd.pid')}`,
      // PAM would pull in the host's login configuration; the lab needs none of it.
      'UsePAM no',
      'UseDNS no',
      'AuthorizedKeysFile none',
      ...policy,
      '',
    ].join('\n'));
    // -e: logs to stderr, which the lab captures; sshd needs its absolute path to re-exec itself.
    return { argv: [ctx.executable, '-D', '-e', '-f', cfg], logs: [] };
  },
};
