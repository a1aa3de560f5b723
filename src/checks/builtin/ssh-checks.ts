/**
 * SSH checks, from the server's KEXINIT that identification recorded (no traffic).
 */
import type { ServiceIdentity } from '../../engines/identify/service-identity.js';
import type { Check, CheckMeta } from '../check.js';
import { makeFinding } from '../check.js';
import { maxSeverity, type JsonValue, type Severity } from '../finding.js';
import { factsOf, isRec, str, strings } from '../identity-facts.js';

export interface KexinitView {
  readonly kex: readonly string[];
  readonly hostKey: readonly string[];
  readonly ciphers: readonly string[];
  readonly macs: readonly string[];
  readonly strictKex: boolean;
  readonly banner?: string;
}

/** The server's algorithm lists (both directions merged), or undefined without a KEXINIT. */
export function kexinitView(identity: ServiceIdentity): KexinitView | undefined {
  const ssh = factsOf(identity, 'ssh');
  const k = ssh?.['kexinit'];
  if (ssh === undefined || !isRec(k)) return undefined;
  const both = (a: string, b: string): string[] => [...new Set([...strings(k[a], 200), ...strings(k[b], 200)])];
  const kex = strings(k['kex'], 200);
  const banner = str(ssh['banner'], 255);
  return {
    kex,
    hostKey: strings(k['hostKey'], 200),
    ciphers: both('ciphersC2S', 'ciphersS2C'),
    macs: both('macsC2S', 'macsS2C'),
    strictKex: kex.includes('kex-strict-s-v00@openssh.com'),
    ...(banner !== undefined ? { banner } : {}),
  };
}

// ---- ssh-weak-algorithms ------------------------------------------------------------------------

interface WeakRule {
  readonly test: (name: string) => boolean;
  readonly why: string;
  readonly severity: Severity;
}

const exact = (...names: string[]) => (n: string): boolean => names.includes(n);

/**
 * The weak-algorithm list, per KEXINIT field. Not flagged: NIST ECDH/ECDSA curves, diffie-hellman-
 * group-exchange-sha256, group14/16/18 with SHA-2, rsa-sha2-256/512 (key size is not in KEXINIT),
 * CTR/GCM/ChaCha20 ciphers, SHA-2 and UMAC-128 MACs, compression.
 */
export const SSH_WEAK_ALGORITHMS: Readonly<Record<'kex' | 'hostKey' | 'ciphers' | 'macs', readonly WeakRule[]>> = {
  kex: [
    { test: exact('diffie-hellman-group1-sha1'), why: '1024-bit Oakley group 2 with SHA-1 (Logjam-class precomputation)', severity: 'medium' },
    { test: exact('diffie-hellman-group14-sha1'), why: 'SHA-1 exchange hash', severity: 'low' },
    { test: exact('diffie-hellman-group-exchange-sha1'), why: 'SHA-1 exchange hash, group size chosen by the server', severity: 'low' },
    { test: (n) => /^gss-(gex|group1|group14)-sha1-/.test(n), why: 'GSSAPI key exchange with SHA-1', severity: 'low' },
    { test: exact('rsa1024-sha1'), why: '1024-bit RSA key exchange with SHA-1', severity: 'medium' },
  ],
  hostKey: [
    { test: exact('ssh-dss', 'ssh-dss-cert-v01@openssh.com'), why: 'DSA: 1024-bit keys, SHA-1 signatures (removed from OpenSSH 10)', severity: 'medium' },
    { test: exact('ssh-rsa', 'ssh-rsa-cert-v01@openssh.com'), why: 'RSA signatures with SHA-1 (disabled by default since OpenSSH 8.8)', severity: 'low' },
  ],
  ciphers: [
    { test: (n) => /^(arcfour|arcfour128|arcfour256)$/.test(n), why: 'RC4 stream cipher', severity: 'medium' },
    { test: exact('none'), why: 'no encryption', severity: 'high' },
    { test: (n) => /^(des-cbc|des-cbc@ssh\.com|3des-cbc|blowfish-cbc|cast128-cbc|idea-cbc)$/.test(n), why: '64-bit block cipher in CBC mode (SWEET32)', severity: 'medium' },
    { test: (n) => /-cbc(@[\w.-]+)?$/.test(n), why: 'CBC mode (plaintext-recovery attacks on SSH CBC, CVE-2008-5161)', severity: 'low' },
  ],
  macs: [
    { test: (n) => /^hmac-md5/.test(n), why: 'MD5-based MAC', severity: 'medium' },
    { test: (n) => /^hmac-sha1-96/.test(n), why: 'SHA-1 MAC truncated to 96 bits', severity: 'low' },
    { test: (n) => /^hmac-sha1(-etm@openssh\.com)?$/.test(n), why: 'SHA-1-based MAC', severity: 'low' },
    { test: (n) => /^umac-64(-etm)?@openssh\.com$/.test(n), why: '64-bit authentication tag', severity: 'low' },
    { test: exact('none'), why: 'no integrity protection', severity: 'high' },
  ],
};

function classify(names: readonly string[], rules: readonly WeakRule[]): { name: string; why: string; severity: Severity }[] {
  const out: { name: string; why: string; severity: Severity }[] = [];
  for (const n of names) {
    const r = rules.find((x) => x.test(n));
    if (r !== undefined) out.push({ name: n, why: r.why, severity: r.severity });
  }
  return out;
}

const weakMeta: CheckMeta = {
  id: 'ssh-weak-algorithms',
  title: 'SSH server offers weak algorithms',
  severity: 'medium',
  safe: true,
  traffic: 'facts',
  description:
    "Classifies every name in the server's KEXINIT: key exchange (diffie-hellman-group1-sha1, group14-sha1, group-exchange-sha1, GSSAPI SHA-1, rsa1024-sha1), host keys (ssh-dss, ssh-rsa i.e. SHA-1 signatures), ciphers (none, arcfour*, 3des/blowfish/cast128/des CBC, any other *-cbc) and MACs (none, hmac-md5*, hmac-sha1*, hmac-sha1-96*, umac-64*). One finding lists them all with the reason; its severity is the worst entry's.",
  remediation:
    'Restrict sshd_config to modern algorithms, e.g. `KexAlgorithms sntrup761x25519-sha512@openssh.com,curve25519-sha256`, `Ciphers aes256-gcm@openssh.com,aes128-gcm@openssh.com,aes256-ctr,aes128-ctr`, `MACs hmac-sha2-512-etm@openssh.com,hmac-sha2-256-etm@openssh.com`, `HostKeyAlgorithms ssh-ed25519,rsa-sha2-512,rsa-sha2-256`.',
  references: { cwe: ['CWE-327'], urls: ['https://www.openssh.com/legacy.html', 'https://datatracker.ietf.org/doc/html/rfc9142'] },
};

export const sshWeakAlgorithms: Check = {
  ...weakMeta,
  appliesTo: (identity) => kexinitView(identity) !== undefined,
  async run(target, identity, ctx) {
    const k = kexinitView(identity);
    if (k === undefined) return [];
    const found = {
      kex: classify(k.kex, SSH_WEAK_ALGORITHMS.kex),
      host_key: classify(k.hostKey, SSH_WEAK_ALGORITHMS.hostKey),
      ciphers: classify(k.ciphers, SSH_WEAK_ALGORITHMS.ciphers),
      macs: classify(k.macs, SSH_WEAK_ALGORITHMS.macs),
    };
    const all = [...found.kex, ...found.host_key, ...found.ciphers, ...found.macs];
    if (all.length === 0) return [];
    const severity = all.reduce<Severity>((s, x) => maxSeverity(s, x.severity), 'low');
    const evidence: Record<string, JsonValue> = {
      ...(k.banner !== undefined ? { banner: k.banner } : {}),
      kex: found.kex.map((x) => x.name),
      host_key: found.host_key.map((x) => x.name),
      ciphers: found.ciphers.map((x) => x.name),
      macs: found.macs.map((x) => x.name),
      reasons: Object.fromEntries(all.map((x) => [x.name, x.why])),
    };
    return [
      makeFinding(weakMeta, target, ctx.now(), {
        summary: `SSH offers ${all.length} weak algorithm(s): ${all.slice(0, 6).map((x) => x.name).join(', ')}${all.length > 6 ? ', …' : ''}`,
        confidence: 'certain',
        severity,
        evidence,
      }),
    ];
  },
};

// ---- ssh-terrapin -------------------------------------------------------------------------------

const terrapinMeta: CheckMeta = {
  id: 'ssh-terrapin',
  title: 'SSH prefix truncation (Terrapin, CVE-2023-48795)',
  severity: 'medium',
  safe: true,
  traffic: 'facts',
  description:
    "Fires when the server offers a mode Terrapin's prefix truncation works against — chacha20-poly1305@openssh.com, or a CBC cipher together with an encrypt-then-MAC (*-etm@openssh.com) MAC — and does not advertise strict key exchange (kex-strict-s-v00@openssh.com). This is the rule of the researchers' own scanner: EtM MACs with CTR/GCM ciphers only are not reported (the attack is not practical there). Both sides must support the mode for an attack, so this says the server allows it.",
  remediation: 'Update the SSH server to a release with strict key exchange (OpenSSH 9.6, or a distribution backport such as Debian 12 9.2p1-2+deb12u2), or disable chacha20-poly1305@openssh.com and the *-etm@openssh.com MACs with CBC ciphers.',
  references: { cve: ['CVE-2023-48795'], cwe: ['CWE-354'], urls: ['https://terrapin-attack.com/'] },
  cvssVector: 'CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:N/I:H/A:N',
};

export interface TerrapinExposure {
  readonly chacha20: boolean;
  readonly cbcCiphers: readonly string[];
  readonly etmMacs: readonly string[];
  readonly strictKex: boolean;
  readonly vulnerable: boolean;
}

export function terrapinExposure(k: KexinitView): TerrapinExposure {
  const chacha20 = k.ciphers.includes('chacha20-poly1305@openssh.com');
  const cbcCiphers = k.ciphers.filter((c) => /-cbc(@[\w.-]+)?$/.test(c));
  const etmMacs = k.macs.filter((m) => /-etm@openssh\.com$/.test(m));
  const mode = chacha20 || (cbcCiphers.length > 0 && etmMacs.length > 0);
  return { chacha20, cbcCiphers, etmMacs, strictKex: k.strictKex, vulnerable: mode && !k.strictKex };
}

export const sshTerrapin: Check = {
  ...terrapinMeta,
  appliesTo: (identity) => kexinitView(identity) !== undefined,
  async run(target, identity, ctx) {
    const k = kexinitView(identity);
    if (k === undefined) return [];
    const t = terrapinExposure(k);
    if (!t.vulnerable) return [];
    const modes = [...(t.chacha20 ? ['chacha20-poly1305@openssh.com'] : []), ...(t.cbcCiphers.length > 0 && t.etmMacs.length > 0 ? ['CBC with EtM MACs'] : [])];
    return [
      makeFinding(terrapinMeta, target, ctx.now(), {
        summary: `Offers ${modes.join(' and ')} without strict key exchange`,
        confidence: 'certain',
        evidence: {
          ...(k.banner !== undefined ? { banner: k.banner } : {}),
          chacha20_poly1305: t.chacha20,
          cbc_ciphers: [...t.cbcCiphers],
          etm_macs: [...t.etmMacs],
          strict_kex: false,
          kex: [...k.kex],
        },
      }),
    ];
  },
};

export const SSH_CHECKS: readonly Check[] = [sshWeakAlgorithms, sshTerrapin];
