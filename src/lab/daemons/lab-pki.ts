import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { makeDir, runTool, writeText } from './host-tools.js';

/** A certificate and its private key, as PEM files. */
export interface CertFiles {
  readonly cert: string;
  readonly key: string;
}

/** The weak certificate's validity: long past, so every client sees it expired. */
const EXPIRED_FROM = '20200101000000Z';
const EXPIRED_UNTIL = '20210101000000Z';

/**
 * The daemon lab's certificates, made with the installed openssl CLI. `openssl ca` is used because
 * it takes explicit -startdate/-enddate, the one portable way (OpenSSL 3.0 has no
 * `x509 -not_before`) to make a certificate that is already expired without faking the clock.
 *
 *  - hardened daemons get a leaf for their own hostname, signed by a throwaway test CA whose
 *    certificate clients can pin (`caCert`);
 *  - weak daemons get a self-signed certificate for `localhost` that expired in 2021.
 */
export class LabPki {
  private readonly dir: string;
  private caReady = false;

  constructor(dir: string) {
    this.dir = makeDir(dir, 0o755);
  }

  /** The test CA's certificate (created on first use). */
  get caCert(): string {
    this.ensureCa();
    return join(this.dir, 'ca.crt');
  }

  /** A CA-signed leaf for `hostname` (and `ip`, as an IP SAN), valid from now for a year. */
  issue(hostname: string, ip: string | undefined, outDir: string): CertFiles {
    this.ensureCa();
    const out = this.files(outDir);
    const csr = join(outDir, 'tls.csr');
    runTool('openssl', ['req', '-new', '-newkey', 'rsa:2048', '-nodes', '-keyout', out.key, '-subj', `/O=Trawl daemon lab/CN=${hostname}`, '-out', csr]);
    const san = [`DNS:${hostname}`, ...(ip === undefined ? [] : [`IP:${ip}`])].join(',');
    const ext = this.extensions('leaf', ['basicConstraints = critical,CA:FALSE', 'keyUsage = critical,digitalSignature,keyEncipherment', 'extendedKeyUsage = serverAuth', `subjectAltName = ${san}`]);
    runTool('openssl', ['ca', '-batch', '-notext', '-config', this.caConfig(), '-cert', join(this.dir, 'ca.crt'), '-keyfile', join(this.dir, 'ca.key'), '-in', csr, '-days', '365', '-extfile', ext, '-extensions', 'leaf', '-out', out.cert]);
    return out;
  }

  /** A self-signed certificate for `localhost` that expired on 2021-01-01 (the weak profile's). */
  expiredSelfSigned(outDir: string): CertFiles {
    const out = this.files(outDir);
    const csr = join(outDir, 'tls.csr');
    runTool('openssl', ['req', '-new', '-newkey', 'rsa:2048', '-nodes', '-keyout', out.key, '-subj', '/O=Trawl daemon lab (weak)/CN=localhost', '-out', csr]);
    const ext = this.extensions('selfsigned', ['basicConstraints = CA:FALSE', 'subjectAltName = DNS:localhost']);
    runTool('openssl', ['ca', '-batch', '-notext', '-selfsign', '-config', this.caConfig(), '-keyfile', out.key, '-in', csr, '-startdate', EXPIRED_FROM, '-enddate', EXPIRED_UNTIL, '-extfile', ext, '-extensions', 'selfsigned', '-out', out.cert]);
    return out;
  }

  private files(outDir: string): CertFiles {
    makeDir(outDir, 0o755);
    return { cert: join(outDir, 'tls.crt'), key: join(outDir, 'tls.key') };
  }

  private ensureCa(): void {
    if (this.caReady && existsSync(join(this.dir, 'ca.crt'))) return;
    runTool('openssl', [
      'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '3650',
      '-keyout', join(this.dir, 'ca.key'), '-out', join(this.dir, 'ca.crt'),
      '-subj', '/O=Trawl daemon lab/CN=Trawl daemon lab test CA',
      '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
    ]);
    this.caReady = true;
  }

  /** `openssl ca` wants a database; a private one per lab, accepting any subject. */
  private caConfig(): string {
    const cfg = join(this.dir, 'ca.cnf');
    if (existsSync(cfg)) return cfg;
    writeText(join(this.dir, 'index.txt'), '');
    writeText(join(this.dir, 'serial'), '1000\n');
    makeDir(join(this.dir, 'issued'));
    writeText(cfg, [
      '[ ca ]', 'default_ca = lab',
      '[ lab ]', `database = ${join(this.dir, 'index.txt')}`, `new_certs_dir = ${join(this.dir, 'issued')}`, `serial = ${join(this.dir, 'serial')}`,
      'default_md = sha256', 'policy = anything', 'unique_subject = no', 'email_in_dn = no',
      '[ anything ]', 'organizationName = optional', 'commonName = supplied',
      '',
    ].join('\n'));
    return cfg;
  }

  private extensions(section: string, lines: readonly string[]): string {
    const path = join(this.dir, `${section}.ext`);
    writeText(path, [`[ ${section} ]`, ...lines, ''].join('\n'));
    return path;
  }
}
