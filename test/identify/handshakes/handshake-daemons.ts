/**
 * The Debian daemons the handshake tests talk to, each with a config generated in a temp dir and
 * bound to the test namespace's 127.0.0.1 — on ports chosen to be unexpected where that matters
 * (HTTP on 25, SSH on 443, TLS on 995, SMB on 4455).
 */
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { chownTree, findBinary, makeCertificates, type DaemonNamespace, type DaemonSpec } from './daemon-fixtures.js';

export const PORTS = {
  http: 8080,
  httpOn25: 25,
  https: 8443,
  httpsChain: 995,
  httpsLegacy: 9443,
  ssh: 2222,
  sshOn443: 443,
  sshRestricted: 2223,
  ftp: 2121,
  ftpPlain: 2122,
  smtp: 2525,
  redis: 6390,
  redisAuth: 6391,
  memcached: 11299,
  memcachedAuth: 11298,
  mqtt: 1884,
  mqttAuth: 1885,
  smb: 4455,
  smbLegacy: 4456,
  mysql: 3307,
  postgresql: 5499,
} as const;

/** Bytes of the favicon nginx serves: long enough that its base64 wraps over several lines. */
export function faviconBytes(): Buffer {
  const b = Buffer.alloc(1150);
  for (let i = 0; i < b.length; i++) b[i] = (i * 37 + 11) & 0xff;
  b.write('\x00\x00\x01\x00', 0, 'latin1'); // ICO header
  return b;
}

export interface Certs {
  selfCert: string;
  selfKey: string;
  chainCert: string;
  chainKey: string;
  caCert: string;
}

export function daemonSpecs(certs: () => Certs): DaemonSpec[] {
  const sshKeys = (dir: string, ns: DaemonNamespace): void => {
    ns.exec(['ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'host_ed25519')]);
    ns.exec(['ssh-keygen', '-q', '-t', 'rsa', '-b', '2048', '-N', '', '-f', join(dir, 'host_rsa')]);
  };
  const smbConf = (dir: string, port: number, extra: string): string => {
    for (const d of ['private', 'lock', 'state', 'cache', 'pid', 'ncalrpc']) mkdirSync(join(dir, d), { recursive: true });
    const f = join(dir, 'smb.conf');
    writeFileSync(
      f,
      `[global]
  server role = standalone server
  smb ports = ${port}
  interfaces = lo
  bind interfaces only = yes
  disable netbios = yes
  private dir = ${dir}/private
  lock directory = ${dir}/lock
  state directory = ${dir}/state
  cache directory = ${dir}/cache
  pid directory = ${dir}/pid
  ncalrpc dir = ${dir}/ncalrpc
  log file = ${dir}/smbd.log
  load printers = no
  printing = bsd
  printcap name = /dev/null
  disable spoolss = yes
${extra}
[share]
  path = ${dir}
`,
    );
    return f;
  };
  return [
    {
      name: 'nginx',
      needs: ['nginx', 'openssl'],
      ports: [PORTS.http, PORTS.httpOn25, PORTS.https, PORTS.httpsChain, PORTS.httpsLegacy],
      prepare(dir) {
        const c = certs();
        writeFileSync(join(dir, 'favicon.ico'), faviconBytes());
        const page = `location = / { return 301 /start/; }
      location = /start/ { return 302 /home/; }
      location = /home/ { default_type text/html; return 200 "<html><head><title>Trawl lab &amp; home</title></head><body>hi</body></html>"; }
      location = /loop { return 302 /loop2; }
      location = /loop2 { return 302 /loop3; }
      location = /loop3 { return 302 /loop4; }
      location = /loop4 { return 302 /loop5; }
      location = /external { return 301 http://elsewhere.invalid/; }
      location = /host { default_type text/plain; return 200 "host=$http_host"; }
      location = /favicon.ico { alias ${dir}/favicon.ico; default_type image/x-icon; }`;
        writeFileSync(
          join(dir, 'nginx.conf'),
          `daemon off; master_process on; worker_processes 1; user root; pid ${dir}/nginx.pid; error_log ${dir}/error.log;
events { worker_connections 128; }
http {
  access_log off;
  client_body_temp_path ${dir}/cb; proxy_temp_path ${dir}/px; fastcgi_temp_path ${dir}/fc; uwsgi_temp_path ${dir}/uw; scgi_temp_path ${dir}/sc;
  server { listen 127.0.0.1:${PORTS.http}; listen 127.0.0.1:${PORTS.httpOn25}; ${page} }
  server { listen 127.0.0.1:${PORTS.https} ssl http2; ssl_certificate ${c.selfCert}; ssl_certificate_key ${c.selfKey}; ssl_protocols TLSv1.2 TLSv1.3; ${page} }
  server { listen 127.0.0.1:${PORTS.httpsChain} ssl; ssl_certificate ${c.chainCert}; ssl_certificate_key ${c.chainKey}; ssl_protocols TLSv1.2 TLSv1.3; ${page} }
  server { listen 127.0.0.1:${PORTS.httpsLegacy} ssl; ssl_certificate ${c.selfCert}; ssl_certificate_key ${c.selfKey}; ssl_protocols TLSv1 TLSv1.1 TLSv1.2; ssl_ciphers DEFAULT:@SECLEVEL=0; ${page} }
}
`,
        );
        return ['nginx', '-c', join(dir, 'nginx.conf'), '-e', join(dir, 'error.log')];
      },
    },
    {
      name: 'sshd',
      needs: ['/usr/sbin/sshd', 'ssh-keygen'],
      ports: [PORTS.ssh, PORTS.sshOn443],
      prepare(dir, ns) {
        sshKeys(dir, ns);
        ns.exec(['mkdir', '-p', '/run/sshd']);
        writeFileSync(
          join(dir, 'sshd_config'),
          `Port ${PORTS.ssh}\nPort ${PORTS.sshOn443}\nListenAddress 127.0.0.1\nListenAddress ::1\nHostKey ${dir}/host_ed25519\nHostKey ${dir}/host_rsa\nPidFile ${dir}/sshd.pid\nUsePAM no\nStrictModes no\n`,
        );
        return ['/usr/sbin/sshd', '-D', '-e', '-f', join(dir, 'sshd_config')];
      },
    },
    {
      name: 'sshd-restricted',
      needs: ['/usr/sbin/sshd', 'ssh-keygen'],
      ports: [PORTS.sshRestricted],
      prepare(dir, ns) {
        sshKeys(dir, ns);
        ns.exec(['mkdir', '-p', '/run/sshd']);
        writeFileSync(
          join(dir, 'sshd_config'),
          `Port ${PORTS.sshRestricted}\nListenAddress 127.0.0.1\nHostKey ${dir}/host_ed25519\nPidFile ${dir}/sshd.pid\nUsePAM no\nStrictModes no\n` +
            'KexAlgorithms curve25519-sha256\nCiphers aes256-gcm@openssh.com,aes128-ctr\nMACs hmac-sha2-256,hmac-sha2-512\nCompression no\n',
        );
        return ['/usr/sbin/sshd', '-D', '-e', '-f', join(dir, 'sshd_config')];
      },
    },
    {
      name: 'redis',
      needs: ['redis-server'],
      ports: [PORTS.redis],
      prepare: (dir) => ['redis-server', '--port', String(PORTS.redis), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, '--daemonize', 'no'],
    },
    {
      name: 'redis-auth',
      needs: ['redis-server'],
      ports: [PORTS.redisAuth],
      prepare: (dir) => ['redis-server', '--port', String(PORTS.redisAuth), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, '--daemonize', 'no', '--requirepass', 'trawl-test-secret'],
    },
    {
      name: 'memcached',
      needs: ['memcached'],
      ports: [PORTS.memcached],
      prepare: () => ['memcached', '-u', 'nobody', '-l', '127.0.0.1', '-p', String(PORTS.memcached), '-U', '0'],
    },
    {
      name: 'memcached-auth',
      needs: ['memcached'],
      ports: [PORTS.memcachedAuth],
      prepare(dir) {
        writeFileSync(join(dir, 'auth'), 'trawl:test-secret\n', { mode: 0o644 });
        return ['memcached', '-u', 'nobody', '-l', '127.0.0.1', '-p', String(PORTS.memcachedAuth), '-U', '0', '-Y', join(dir, 'auth')];
      },
    },
    {
      name: 'vsftpd',
      needs: ['vsftpd', 'openssl'],
      ports: [PORTS.ftp],
      prepare(dir, ns) {
        const c = certs();
        ns.exec(['mkdir', '-p', '/var/run/vsftpd/empty']);
        writeFileSync(
          join(dir, 'vsftpd.conf'),
          `listen=YES\nlisten_address=127.0.0.1\nlisten_port=${PORTS.ftp}\nbackground=NO\nanonymous_enable=NO\nlocal_enable=YES\nseccomp_sandbox=NO\nsecure_chroot_dir=/var/run/vsftpd/empty\nxferlog_enable=NO\nssl_enable=YES\nrsa_cert_file=${c.selfCert}\nrsa_private_key_file=${c.selfKey}\n`,
        );
        return ['vsftpd', join(dir, 'vsftpd.conf')];
      },
    },
    {
      name: 'vsftpd-plain',
      needs: ['vsftpd'],
      ports: [PORTS.ftpPlain],
      prepare(dir, ns) {
        ns.exec(['mkdir', '-p', '/var/run/vsftpd/empty']);
        writeFileSync(
          join(dir, 'vsftpd.conf'),
          `listen=YES\nlisten_address=127.0.0.1\nlisten_port=${PORTS.ftpPlain}\nbackground=NO\nanonymous_enable=NO\nlocal_enable=YES\nseccomp_sandbox=NO\nsecure_chroot_dir=/var/run/vsftpd/empty\nxferlog_enable=NO\nftpd_banner=Trawl lab FTP server ready\n`,
        );
        return ['vsftpd', join(dir, 'vsftpd.conf')];
      },
    },
    {
      name: 'exim',
      needs: ['exim4', 'openssl'],
      ports: [PORTS.smtp],
      prepare(dir) {
        const c = certs();
        // Exim wants its spool and key readable as Debian-exim, its config owned by root.
        mkdirSync(join(dir, 'spool'));
        copyFileSync(c.selfCert, join(dir, 'spool', 'cert.pem'));
        copyFileSync(c.selfKey, join(dir, 'spool', 'key.pem'));
        chownTree(join(dir, 'spool'), 'Debian-exim');
        writeFileSync(
          join(dir, 'exim.conf'),
          `primary_hostname = mail.trawl.test
spool_directory = ${dir}/spool
log_file_path = ${dir}/spool/%slog
daemon_smtp_ports = ${PORTS.smtp}
local_interfaces = 127.0.0.1
exim_user = Debian-exim
exim_group = Debian-exim
keep_environment =
tls_advertise_hosts = *
tls_certificate = ${dir}/spool/cert.pem
tls_privatekey = ${dir}/spool/key.pem
auth_advertise_hosts = *
acl_smtp_rcpt = acl_check_rcpt
begin acl
acl_check_rcpt:
  deny
begin authenticators
plain_server:
  driver = plaintext
  public_name = PLAIN
  server_condition = no
  server_advertise_condition = true
`,
        );
        return ['exim4', '-bdf', '-C', join(dir, 'exim.conf')];
      },
    },
    {
      name: 'mosquitto',
      needs: ['mosquitto'],
      ports: [PORTS.mqtt, PORTS.mqttAuth],
      prepare(dir) {
        writeFileSync(
          join(dir, 'mosquitto.conf'),
          `per_listener_settings true\npersistence false\nlog_dest stderr\nlistener ${PORTS.mqtt} 127.0.0.1\nallow_anonymous true\nlistener ${PORTS.mqttAuth} 127.0.0.1\nallow_anonymous false\n`,
        );
        return ['mosquitto', '-c', join(dir, 'mosquitto.conf')];
      },
    },
    {
      name: 'smbd',
      needs: ['smbd'],
      ports: [PORTS.smb],
      prepare: (dir) => ['smbd', '--foreground', '--no-process-group', `--configfile=${smbConf(dir, PORTS.smb, '  server signing = mandatory')}`],
    },
    {
      name: 'smbd-legacy',
      needs: ['smbd'],
      ports: [PORTS.smbLegacy],
      prepare: (dir) => ['smbd', '--foreground', '--no-process-group', `--configfile=${smbConf(dir, PORTS.smbLegacy, '  server min protocol = NT1\n  server signing = auto')}`],
    },
    {
      name: 'mariadb',
      needs: ['mariadbd', 'mariadb-install-db'],
      ports: [PORTS.mysql],
      prepare(dir, ns) {
        ns.exec(['mariadb-install-db', '--no-defaults', `--datadir=${dir}/data`, '--user=root', '--auth-root-authentication-method=normal', '--skip-test-db']);
        return ['mariadbd', '--no-defaults', `--datadir=${dir}/data`, '--user=root', '--bind-address=127.0.0.1', `--port=${PORTS.mysql}`, `--socket=${dir}/sock`, `--pid-file=${dir}/pid`, '--skip-log-bin'];
      },
    },
    {
      name: 'postgresql',
      needs: ['/usr/lib/postgresql/15/bin/postgres', '/usr/lib/postgresql/15/bin/initdb', 'runuser'],
      ports: [PORTS.postgresql],
      prepare(dir, ns) {
        const c = certs();
        copyFileSync(c.selfCert, join(dir, 'server.crt'));
        copyFileSync(c.selfKey, join(dir, 'server.key'));
        writeFileSync(join(dir, 'pw'), 'trawl-test-secret\n');
        chownTree(dir, 'postgres');
        ns.exec(['chmod', '600', join(dir, 'server.key')]);
        ns.exec(['runuser', '-u', 'postgres', '--', '/usr/lib/postgresql/15/bin/initdb', '-D', `${dir}/data`, '--auth-host=scram-sha-256', '--auth-local=trust', `--pwfile=${dir}/pw`, '-U', 'postgres']);
        return [
          'runuser', '-u', 'postgres', '--', '/usr/lib/postgresql/15/bin/postgres', '-D', `${dir}/data`,
          '-c', 'listen_addresses=127.0.0.1', '-c', `port=${PORTS.postgresql}`, '-c', `unix_socket_directories=${dir}`,
          '-c', 'ssl=on', '-c', `ssl_cert_file=${dir}/server.crt`, '-c', `ssl_key_file=${dir}/server.key`,
        ];
      },
    },
  ];
}

/** Certificates made once, on first use, in the namespace's folder. */
export function lazyCerts(ns: DaemonNamespace): () => Certs {
  let certs: Certs | undefined;
  return () => (certs ??= makeCertificates(ns.dir));
}

/** "1:9.2p1-2+deb12u10" → { upstream: "9.2p1", revision: "2+deb12u10" }, from dpkg's own record. */
export function debianVersion(pkg: string, run: (argv: string[]) => string): { upstream: string; revision: string } | undefined {
  if (findBinary('dpkg-query') === undefined) return undefined;
  try {
    const v = run(['dpkg-query', '-W', '-f=${Version}', pkg]).trim();
    const m = /^(?:\d+:)?([^-]+)-(.+)$/.exec(v);
    return m === null ? undefined : { upstream: m[1]!, revision: m[2]! };
  } catch {
    return undefined;
  }
}
