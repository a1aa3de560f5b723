/**
 * The cipher suites `tls-weak-cipher` treats as weak, by IANA code (RFC 5246 appendix A.5, RFC 4492,
 * RFC 4346's export suites and the EXPORT1024 drafts everyone shipped), and the rules that classify a
 * suite by its standard name when identification reports one.
 *
 *  null    no encryption at all (…_WITH_NULL_…)
 *  anon    no server authentication (DH_anon, ECDH_anon): any man in the middle can read everything
 *  export  40/56-bit export-grade keys (FREAK, Logjam)
 *  rc4     RC4 stream cipher, broken biases (RFC 7465 forbids it)
 *  des     single DES, 56-bit key
 *  3des    3DES/64-bit block ciphers: SWEET32 birthday attack (CVE-2016-2183)
 *  cbc-sha1-tls1.0  a CBC suite with a SHA-1 MAC negotiated under TLS 1.0: BEAST/Lucky13-era
 *          construction; only seen from identification's version probes, never probed separately
 *  md5     an MD5 MAC (only ever with the classes above in practice)
 *
 * Not flagged: static RSA key exchange (no forward secrecy, but not broken), CBC with SHA-2 or under
 * TLS 1.1/1.2, CAMELLIA/ARIA/SEED (sound ciphers, merely unusual).
 */

export type WeakClass = 'null' | 'anon' | 'export' | 'rc4' | 'des' | '3des' | 'cbc-sha1-tls1.0' | 'md5';

export interface WeakSuite {
  readonly code: number;
  readonly name: string;
}

/** Every suite the probe offers; each one's classes are derived from its name. */
export const WEAK_SUITES: readonly WeakSuite[] = [
  { code: 0x0001, name: 'TLS_RSA_WITH_NULL_MD5' },
  { code: 0x0002, name: 'TLS_RSA_WITH_NULL_SHA' },
  { code: 0x003b, name: 'TLS_RSA_WITH_NULL_SHA256' },
  { code: 0xc001, name: 'TLS_ECDH_ECDSA_WITH_NULL_SHA' },
  { code: 0xc006, name: 'TLS_ECDHE_ECDSA_WITH_NULL_SHA' },
  { code: 0xc00b, name: 'TLS_ECDH_RSA_WITH_NULL_SHA' },
  { code: 0xc010, name: 'TLS_ECDHE_RSA_WITH_NULL_SHA' },
  { code: 0xc015, name: 'TLS_ECDH_anon_WITH_NULL_SHA' },
  { code: 0x0003, name: 'TLS_RSA_EXPORT_WITH_RC4_40_MD5' },
  { code: 0x0006, name: 'TLS_RSA_EXPORT_WITH_RC2_CBC_40_MD5' },
  { code: 0x0008, name: 'TLS_RSA_EXPORT_WITH_DES40_CBC_SHA' },
  { code: 0x000b, name: 'TLS_DH_DSS_EXPORT_WITH_DES40_CBC_SHA' },
  { code: 0x000e, name: 'TLS_DH_RSA_EXPORT_WITH_DES40_CBC_SHA' },
  { code: 0x0011, name: 'TLS_DHE_DSS_EXPORT_WITH_DES40_CBC_SHA' },
  { code: 0x0014, name: 'TLS_DHE_RSA_EXPORT_WITH_DES40_CBC_SHA' },
  { code: 0x0017, name: 'TLS_DH_anon_EXPORT_WITH_RC4_40_MD5' },
  { code: 0x0019, name: 'TLS_DH_anon_EXPORT_WITH_DES40_CBC_SHA' },
  { code: 0x0062, name: 'TLS_RSA_EXPORT1024_WITH_DES_CBC_SHA' },
  { code: 0x0063, name: 'TLS_DHE_DSS_EXPORT1024_WITH_DES_CBC_SHA' },
  { code: 0x0064, name: 'TLS_RSA_EXPORT1024_WITH_RC4_56_SHA' },
  { code: 0x0065, name: 'TLS_DHE_DSS_EXPORT1024_WITH_RC4_56_SHA' },
  { code: 0x0004, name: 'TLS_RSA_WITH_RC4_128_MD5' },
  { code: 0x0005, name: 'TLS_RSA_WITH_RC4_128_SHA' },
  { code: 0x0066, name: 'TLS_DHE_DSS_WITH_RC4_128_SHA' },
  { code: 0xc002, name: 'TLS_ECDH_ECDSA_WITH_RC4_128_SHA' },
  { code: 0xc007, name: 'TLS_ECDHE_ECDSA_WITH_RC4_128_SHA' },
  { code: 0xc00c, name: 'TLS_ECDH_RSA_WITH_RC4_128_SHA' },
  { code: 0xc011, name: 'TLS_ECDHE_RSA_WITH_RC4_128_SHA' },
  { code: 0x0018, name: 'TLS_DH_anon_WITH_RC4_128_MD5' },
  { code: 0xc016, name: 'TLS_ECDH_anon_WITH_RC4_128_SHA' },
  { code: 0x0009, name: 'TLS_RSA_WITH_DES_CBC_SHA' },
  { code: 0x000c, name: 'TLS_DH_DSS_WITH_DES_CBC_SHA' },
  { code: 0x000f, name: 'TLS_DH_RSA_WITH_DES_CBC_SHA' },
  { code: 0x0012, name: 'TLS_DHE_DSS_WITH_DES_CBC_SHA' },
  { code: 0x0015, name: 'TLS_DHE_RSA_WITH_DES_CBC_SHA' },
  { code: 0x001a, name: 'TLS_DH_anon_WITH_DES_CBC_SHA' },
  { code: 0x000a, name: 'TLS_RSA_WITH_3DES_EDE_CBC_SHA' },
  { code: 0x000d, name: 'TLS_DH_DSS_WITH_3DES_EDE_CBC_SHA' },
  { code: 0x0010, name: 'TLS_DH_RSA_WITH_3DES_EDE_CBC_SHA' },
  { code: 0x0013, name: 'TLS_DHE_DSS_WITH_3DES_EDE_CBC_SHA' },
  { code: 0x0016, name: 'TLS_DHE_RSA_WITH_3DES_EDE_CBC_SHA' },
  { code: 0x001b, name: 'TLS_DH_anon_WITH_3DES_EDE_CBC_SHA' },
  { code: 0xc003, name: 'TLS_ECDH_ECDSA_WITH_3DES_EDE_CBC_SHA' },
  { code: 0xc008, name: 'TLS_ECDHE_ECDSA_WITH_3DES_EDE_CBC_SHA' },
  { code: 0xc00d, name: 'TLS_ECDH_RSA_WITH_3DES_EDE_CBC_SHA' },
  { code: 0xc012, name: 'TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA' },
  { code: 0xc017, name: 'TLS_ECDH_anon_WITH_3DES_EDE_CBC_SHA' },
  { code: 0x0034, name: 'TLS_DH_anon_WITH_AES_128_CBC_SHA' },
  { code: 0x003a, name: 'TLS_DH_anon_WITH_AES_256_CBC_SHA' },
  { code: 0x0046, name: 'TLS_DH_anon_WITH_CAMELLIA_128_CBC_SHA' },
  { code: 0x006c, name: 'TLS_DH_anon_WITH_AES_128_CBC_SHA256' },
  { code: 0x006d, name: 'TLS_DH_anon_WITH_AES_256_CBC_SHA256' },
  { code: 0x0089, name: 'TLS_DH_anon_WITH_CAMELLIA_256_CBC_SHA' },
  { code: 0x00a6, name: 'TLS_DH_anon_WITH_AES_128_GCM_SHA256' },
  { code: 0x00a7, name: 'TLS_DH_anon_WITH_AES_256_GCM_SHA384' },
  { code: 0x00bf, name: 'TLS_DH_anon_WITH_CAMELLIA_128_CBC_SHA256' },
  { code: 0x00c5, name: 'TLS_DH_anon_WITH_CAMELLIA_256_CBC_SHA256' },
  { code: 0xc018, name: 'TLS_ECDH_anon_WITH_AES_128_CBC_SHA' },
  { code: 0xc019, name: 'TLS_ECDH_anon_WITH_AES_256_CBC_SHA' },
];

/** Suites an SSLv3 server would pick from (the SSLv3 probe of `tls-legacy-protocol`). */
export const SSL3_SUITES: readonly number[] = [0x002f, 0x0035, 0x000a, 0x0005, 0x0004, 0x0016, 0x0013, 0x0033, 0x0039, 0x0009, 0x0015];

const BY_CODE = new Map(WEAK_SUITES.map((s) => [s.code, s]));

export function weakSuiteByCode(code: number): WeakSuite | undefined {
  return BY_CODE.get(code);
}

/**
 * The weak classes of a suite, from its IANA/standard name (TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA) and
 * the protocol version it was negotiated under (for the TLS 1.0 CBC rule). OpenSSL-style names
 * (ECDHE-RSA-AES256-SHA) are not standard names and are not classified.
 */
export function weakClasses(standardName: string, version?: string): WeakClass[] {
  const n = standardName.toUpperCase();
  if (!n.startsWith('TLS_') && !n.startsWith('SSL_')) return [];
  const out: WeakClass[] = [];
  if (/_WITH_NULL_|^TLS_NULL_/.test(n)) out.push('null');
  if (/_ANON_/.test(n)) out.push('anon');
  if (/EXPORT/.test(n)) out.push('export');
  if (/_RC4_/.test(n)) out.push('rc4');
  if (/_DES_CBC_|_DES40_/.test(n) && !/3DES/.test(n)) out.push('des');
  if (/_3DES_|_IDEA_|_RC2_/.test(n)) out.push('3des');
  if (/_MD5$/.test(n)) out.push('md5');
  if (version === 'TLSv1' && /_CBC_SHA$/.test(n)) out.push('cbc-sha1-tls1.0');
  return [...new Set(out)];
}

/** How bad each class is on its own. */
export const CLASS_SEVERITY: Readonly<Record<WeakClass, 'low' | 'medium' | 'high'>> = {
  null: 'high',
  anon: 'high',
  export: 'high',
  rc4: 'medium',
  des: 'medium',
  '3des': 'medium',
  md5: 'medium',
  'cbc-sha1-tls1.0': 'low',
};
