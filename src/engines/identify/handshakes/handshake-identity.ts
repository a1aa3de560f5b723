import type { ServiceIdentity } from '../service-identity.js';

/**
 * CPE vendor:product pairs for the products a handshake can name, spelled as nmap's
 * nmap-service-probes spells them so the same product gets the same CPE whichever stage found it.
 */
const CPE_PRODUCTS: Readonly<Record<string, string>> = {
  OpenSSH: 'openbsd:openssh',
  'Dropbear sshd': 'matt_johnston:dropbear_ssh_server',
  libssh: 'libssh:libssh',
  nginx: 'igor_sysoev:nginx',
  'Apache httpd': 'apache:http_server',
  lighttpd: 'lighttpd:lighttpd',
  'Microsoft IIS httpd': 'microsoft:internet_information_services',
  vsftpd: 'beasts:vsftpd',
  ProFTPD: 'proftpd:proftpd',
  'Pure-FTPd': 'pureftpd:pure-ftpd',
  'Exim smtpd': 'exim:exim',
  'Postfix smtpd': 'postfix:postfix',
  'Dovecot pop3d': 'dovecot:dovecot',
  'Dovecot imapd': 'dovecot:dovecot',
  'Redis key-value store': 'redislabs:redis',
  Memcached: 'memcached:memcached',
  MySQL: 'mysql:mysql',
  MariaDB: 'mariadb:mariadb',
  PostgreSQL: 'postgresql:postgresql',
};

export function cpeFor(product: string | undefined, version: string | undefined): string[] {
  if (product === undefined) return [];
  const p = CPE_PRODUCTS[product];
  if (p === undefined) return [];
  // CPE 2.2 URIs carry the version as-is, lower-cased like nmap prints them.
  return [`cpe:/a:${p}${version !== undefined && version !== '' ? `:${version.toLowerCase()}` : ''}`];
}

export interface IdentityFields {
  readonly name: string;
  readonly product?: string | undefined;
  readonly version?: string | undefined;
  readonly extrainfo?: string | undefined;
  readonly hostname?: string | undefined;
  readonly ostype?: string | undefined;
  readonly devicetype?: string | undefined;
  readonly tunnel?: 'ssl' | undefined;
  readonly cpe?: readonly string[];
  readonly confidence?: number;
  readonly facts?: Readonly<Record<string, unknown>>;
}

/** A handshake identity: method 'handshake', confidence 10 unless said otherwise, no undefined fields. */
export function handshakeIdentity(f: IdentityFields): ServiceIdentity {
  const cpe = [...(f.cpe ?? cpeFor(f.product, f.version))];
  if (f.ostype === 'Linux' && !cpe.includes('cpe:/o:linux:linux_kernel')) cpe.push('cpe:/o:linux:linux_kernel');
  return {
    name: f.name,
    ...(f.product !== undefined ? { product: f.product } : {}),
    ...(f.version !== undefined ? { version: f.version } : {}),
    ...(f.extrainfo !== undefined ? { extrainfo: f.extrainfo } : {}),
    ...(f.hostname !== undefined ? { hostname: f.hostname } : {}),
    ...(f.ostype !== undefined ? { ostype: f.ostype } : {}),
    ...(f.devicetype !== undefined ? { devicetype: f.devicetype } : {}),
    ...(f.tunnel !== undefined ? { tunnel: f.tunnel } : {}),
    cpe,
    method: 'handshake',
    confidence: f.confidence ?? 10,
    ...(f.facts !== undefined ? { facts: f.facts } : {}),
  };
}

/** Distribution hints in banners ("Debian-2+deb12u3", "(Ubuntu)") that imply a Linux host. */
export function linuxHint(text: string): boolean {
  return /\b(debian|ubuntu|raspbian|red ?hat|centos|fedora|suse|alpine|linux)\b/i.test(text);
}
