import type { KeyObject, X509Certificate } from 'node:crypto';

/** What a certificate says, in plain JSON. */
export interface CertificateFacts {
  readonly subject: Readonly<Record<string, string | string[]>>;
  readonly subjectText: string;
  readonly issuer: Readonly<Record<string, string | string[]>>;
  readonly issuerText: string;
  /** subjectAltName entries as "DNS:name", "IP Address:1.2.3.4"... */
  readonly sans: readonly string[];
  readonly serialNumber: string;
  readonly notBefore: string;
  readonly notAfter: string;
  /** rsa, rsa-pss, ec, ed25519, ed448, dsa... */
  readonly keyType?: string;
  readonly keyBits?: number;
  readonly curve?: string;
  /** Outer signatureAlgorithm, e.g. sha256WithRSAEncryption, ecdsa-with-SHA256, ED25519. */
  readonly signatureAlgorithm?: string;
  readonly fingerprintSha256: string;
  readonly selfSigned: boolean;
  readonly expired: boolean;
  readonly notYetValid: boolean;
  readonly isCa: boolean;
}

const SIGNATURE_OIDS: Readonly<Record<string, string>> = {
  '1.2.840.113549.1.1.4': 'md5WithRSAEncryption',
  '1.2.840.113549.1.1.5': 'sha1WithRSAEncryption',
  '1.2.840.113549.1.1.10': 'rsassaPss',
  '1.2.840.113549.1.1.11': 'sha256WithRSAEncryption',
  '1.2.840.113549.1.1.12': 'sha384WithRSAEncryption',
  '1.2.840.113549.1.1.13': 'sha512WithRSAEncryption',
  '1.2.840.113549.1.1.14': 'sha224WithRSAEncryption',
  '1.2.840.10045.4.1': 'ecdsa-with-SHA1',
  '1.2.840.10045.4.3.1': 'ecdsa-with-SHA224',
  '1.2.840.10045.4.3.2': 'ecdsa-with-SHA256',
  '1.2.840.10045.4.3.3': 'ecdsa-with-SHA384',
  '1.2.840.10045.4.3.4': 'ecdsa-with-SHA512',
  '1.2.840.10040.4.3': 'dsa-with-sha1',
  '2.16.840.1.101.3.4.3.2': 'dsa-with-sha256',
  '1.3.101.112': 'ED25519',
  '1.3.101.113': 'ED448',
};

const CURVE_BITS: Readonly<Record<string, number>> = {
  prime256v1: 256,
  'P-256': 256,
  secp256k1: 256,
  secp384r1: 384,
  'P-384': 384,
  secp521r1: 521,
  'P-521': 521,
  secp224r1: 224,
  prime192v1: 192,
};

/** One DER element header: tag, content start and content length; undefined when malformed. */
function derElement(b: Buffer, off: number): { tag: number; start: number; len: number } | undefined {
  if (off + 2 > b.length) return undefined;
  const tag = b[off]!;
  let len = b[off + 1]!;
  let start = off + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4 || start + n > b.length) return undefined;
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + b[start + i]!;
    start += n;
  }
  return start + len <= b.length ? { tag, start, len } : undefined;
}

export function decodeOid(b: Buffer): string {
  if (b.length === 0) return '';
  const first = b[0]!;
  const parts: number[] = [Math.min(2, Math.floor(first / 40)), first - Math.min(2, Math.floor(first / 40)) * 40];
  let v = 0;
  for (let i = 1; i < b.length; i++) {
    v = v * 128 + (b[i]! & 0x7f);
    if ((b[i]! & 0x80) === 0) {
      parts.push(v);
      v = 0;
    }
  }
  return parts.join('.');
}

/** The certificate's outer signatureAlgorithm OID (Certificate ::= SEQUENCE { tbs, sigAlg, sig }). */
export function signatureAlgorithmOid(der: Buffer): string | undefined {
  const cert = derElement(der, 0);
  if (cert === undefined || cert.tag !== 0x30) return undefined;
  const tbs = derElement(der, cert.start);
  if (tbs === undefined || tbs.tag !== 0x30) return undefined;
  const alg = derElement(der, tbs.start + tbs.len);
  if (alg === undefined || alg.tag !== 0x30) return undefined;
  const oid = derElement(der, alg.start);
  if (oid === undefined || oid.tag !== 0x06 || oid.len > 32) return undefined;
  return decodeOid(der.subarray(oid.start, oid.start + oid.len));
}

/** "CN=a\nO=b" (Node's form) as an object; repeated attributes become arrays. */
export function parseDistinguishedName(text: string): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const line of text.split('\n')) {
    const i = line.indexOf('=');
    if (i <= 0) continue;
    const k = line.slice(0, i);
    const v = line.slice(i + 1);
    const prev = out[k];
    out[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
  }
  return out;
}

/** Splits Node's subjectAltName string ("DNS:a, DNS:b, IP Address:1.2.3.4"); quoted values keep commas. */
export function parseSubjectAltName(text: string | undefined): string[] {
  if (text === undefined || text === '') return [];
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '"') quoted = !quoted;
    if (!quoted && c === ',' && text[i + 1] === ' ') {
      out.push(cur);
      cur = '';
      i++;
      continue;
    }
    cur += c;
  }
  if (cur !== '') out.push(cur);
  return out.slice(0, 500);
}

export function certificateFacts(cert: X509Certificate, now = new Date()): CertificateFacts {
  let key: KeyObject | undefined;
  try {
    key = cert.publicKey;
  } catch {
    key = undefined; // a key type this OpenSSL build cannot load (GOST...): no key facts
  }
  const details = key?.asymmetricKeyDetails;
  const keyType = key?.asymmetricKeyType;
  let keyBits: number | undefined = details?.modulusLength;
  const curve = details?.namedCurve;
  if (keyBits === undefined && curve !== undefined) keyBits = CURVE_BITS[curve];
  if (keyBits === undefined && keyType === 'ed25519') keyBits = 256;
  if (keyBits === undefined && keyType === 'ed448') keyBits = 456;
  const oid = signatureAlgorithmOid(cert.raw);
  // Issuer equals subject and its own key verifies the signature. (OpenSSL's checkIssued also
  // demands keyCertSign, which many self-signed server certificates lack.)
  let selfSigned = false;
  try {
    selfSigned = key !== undefined && cert.issuer === cert.subject && cert.verify(key);
  } catch {
    selfSigned = false;
  }
  const notBefore = new Date(cert.validFrom);
  const notAfter = new Date(cert.validTo);
  return {
    subject: parseDistinguishedName(cert.subject),
    subjectText: cert.subject.replace(/\n/g, ', '),
    issuer: parseDistinguishedName(cert.issuer),
    issuerText: cert.issuer.replace(/\n/g, ', '),
    sans: parseSubjectAltName(cert.subjectAltName),
    serialNumber: cert.serialNumber,
    notBefore: Number.isNaN(notBefore.getTime()) ? cert.validFrom : notBefore.toISOString(),
    notAfter: Number.isNaN(notAfter.getTime()) ? cert.validTo : notAfter.toISOString(),
    ...(keyType !== undefined ? { keyType } : {}),
    ...(keyBits !== undefined ? { keyBits } : {}),
    ...(curve !== undefined ? { curve } : {}),
    ...(oid !== undefined ? { signatureAlgorithm: SIGNATURE_OIDS[oid] ?? oid } : {}),
    fingerprintSha256: cert.fingerprint256,
    selfSigned,
    expired: now.getTime() > notAfter.getTime(),
    notYetValid: now.getTime() < notBefore.getTime(),
    isCa: cert.ca,
  };
}
