import type { LabPki } from './lab-pki.js';

/** The real Debian daemons the daemon lab can run. */
export type DaemonName = 'nginx-http' | 'nginx-tls' | 'openssh' | 'redis' | 'vsftpd' | 'samba' | 'memcached' | 'exim' | 'mosquitto';

export const DAEMON_NAMES: readonly DaemonName[] = ['nginx-http', 'nginx-tls', 'openssh', 'redis', 'vsftpd', 'samba', 'memcached', 'exim', 'mosquitto'];

/**
 * `weak` carries the misconfigurations the findings stage must report (expired self-signed
 * certificates, TLS 1.0, anonymous access, no SMB signing, ...); `hardened` is the same daemon set
 * up the way a careful administrator would, so the findings stage can be checked for false positives.
 */
export type DaemonProfile = 'weak' | 'hardened';

/** Ground truth for one listening port, in nmap's vocabulary (name/product/version, tunnel). */
export interface ServiceExpectation {
  /** nmap service name: http, ssh, ftp, smtp, redis, microsoft-ds, netbios-ssn, memcached, mqtt. */
  readonly name: string;
  readonly product?: string;
  /** Upstream version of the installed package (9.2p1, 1.22.1, 7.0.15, ...). */
  readonly version?: string;
  readonly tunnel?: 'ssl';
  /** The Debian package the daemon came from, with its full version (for CVE/backport matching). */
  readonly package?: { readonly name: string; readonly version: string };
}

/** One port a daemon listens on, before the lab fills in product and version. */
export interface DaemonPort {
  readonly port: number;
  readonly name: string;
  readonly tunnel?: 'ssl';
}

/** Secrets a hardened daemon demands; clients in tests and benchmarks need them to get in. */
export interface DaemonCredential {
  readonly user?: string;
  readonly password: string;
}

export interface DaemonContext {
  readonly profile: DaemonProfile;
  readonly ip: string;
  /** This daemon's own folder (exists, empty, 0755). Everything it writes goes here. */
  readonly dir: string;
  /** The daemon's lab hostname (certificates and banners use it). */
  readonly hostname: string;
  readonly pki: LabPki;
  /** Present in the hardened profile for daemons that authenticate. */
  readonly credential?: DaemonCredential;
  /** Absolute path of the daemon's executable, as found by the lab. */
  readonly executable: string;
}

/** How to run a prepared daemon inside the namespace. */
export interface DaemonLaunch {
  /** argv run with `ip netns exec <ns>`; the process must stay in the foreground. */
  readonly argv: readonly string[];
  /** Log files the daemon writes itself, tailed into the error when it fails to start. */
  readonly logs: readonly string[];
}

export interface DaemonSpec {
  readonly name: DaemonName;
  /** Candidate Debian packages, the first installed one supplies the version. */
  readonly packages: readonly string[];
  /** Executable name, searched on PATH and in the sbin folders. */
  readonly executable: string;
  /** Other executables the preparation needs (openssl, ssh-keygen, mosquitto_passwd...). */
  readonly helpers?: (profile: DaemonProfile) => readonly string[];
  /** nmap's product string for it. */
  readonly product: string;
  /** The version as the daemon announces it and nmap names it; default: the package's upstream part. */
  readonly announcedVersion?: (debianVersion: string) => string;
  readonly ports: readonly DaemonPort[];
  /** What the hardened profile demands: a password alone, or a user and a password (generated per lab). */
  readonly authenticates?: 'password' | 'user-password';
  /** Writes the config into ctx.dir and says how to start the daemon. Synchronous: all local files. */
  prepare(ctx: DaemonContext): DaemonLaunch;
}
