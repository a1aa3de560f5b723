import { X509Certificate } from 'node:crypto';
import type { DetailedPeerCertificate, SecureVersion, TLSSocket } from 'node:tls';
import { isTrawlError } from '../../../errors/index.js';
import type { IdentifyTarget } from '../service-identity.js';
import { withBudget, type HandshakeBudget } from './handshake-budget.js';
import { HandshakeConnection, isDialError, sniName, type TlsDial } from './handshake-connection.js';
import { handshakeIdentity } from './handshake-identity.js';
import type { HandshakeOptions, HandshakeResult } from './handshake-types.js';
import { certificateFacts, type CertificateFacts } from './x509-facts.js';

export const TLS_VERSIONS: readonly SecureVersion[] = ['TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'];
export const ALPN_OFFER: readonly string[] = ['h2', 'http/1.1'];
/** OpenSSL's default security level refuses TLS 1.0/1.1 and weak keys locally; level 0 lets us ask. */
export const LEGACY_CIPHERS = 'DEFAULT:@SECLEVEL=0';
const MAX_CHAIN = 10;

/**
 * Result of offering one protocol version alone: accepted, refused by the server, or not probed
 * (`accepted: null`) because this host could not even send the offer, or the probe ran out of time.
 */
export interface TlsVersionProbe {
  readonly accepted: boolean | null;
  readonly cipher?: string;
  readonly reason?: string;
}

export interface TlsFacts {
  readonly protocol: string | null;
  readonly cipher: { readonly name: string; readonly standardName: string; readonly version: string };
  /** The ALPN protocol the server chose from h2, http/1.1; null when it chose none. */
  readonly alpn: string | null;
  readonly sni?: string;
  readonly ephemeralKey?: { readonly type: string; readonly name?: string; readonly size?: number };
  /** Certificates as the server sent them, leaf first. */
  readonly chain: readonly CertificateFacts[];
  readonly selfSigned: boolean;
  readonly expired: boolean;
  /** Leaf matches the SNI name (only when a hostname was given). */
  readonly hostnameMatches?: boolean;
  /** The handshake only succeeded with SECLEVEL=0 and TLS 1.0 allowed. */
  readonly legacyOnly: boolean;
  readonly versions?: Readonly<Record<string, TlsVersionProbe>>;
}

export interface TlsHandshakeExtras {
  /** Offer each of TLS 1.0-1.3 alone (4 more connections). Default true. */
  readonly probeVersions?: boolean;
}

export async function tlsHandshake(target: IdentifyTarget, opts: HandshakeOptions & TlsHandshakeExtras): Promise<HandshakeResult<TlsFacts> | undefined> {
  return withBudget(opts, (b) => tlsWithBudget(target, b, opts));
}

export async function tlsWithBudget(target: IdentifyTarget, budget: HandshakeBudget, extras: TlsHandshakeExtras = {}): Promise<HandshakeResult<TlsFacts> | undefined> {
  let legacyOnly = false;
  let conn = await HandshakeConnection.open(target, budget, { alpn: ALPN_OFFER });
  if (isDialError(conn) && conn.failure === 'tls-failed' && !budget.exhausted) {
    conn = await HandshakeConnection.open(target, budget, { alpn: ALPN_OFFER, minVersion: 'TLSv1', ciphers: LEGACY_CIPHERS });
    legacyOnly = !isDialError(conn);
  }
  if (isDialError(conn)) return undefined;
  let base: Omit<TlsFacts, 'versions' | 'legacyOnly'>;
  try {
    base = describeSession(conn.tlsSocket!, target);
  } finally {
    conn.close();
  }
  let versions: Record<string, TlsVersionProbe> | undefined;
  if (extras.probeVersions !== false) {
    const probes = await Promise.all(TLS_VERSIONS.map((v) => probeVersion(target, budget, v)));
    versions = Object.fromEntries(TLS_VERSIONS.map((v, i) => [v, probes[i]!]));
  }
  const facts: TlsFacts = { ...base, legacyOnly, ...(versions !== undefined ? { versions } : {}) };
  const alpnHttp = facts.alpn === 'h2' || facts.alpn === 'http/1.1';
  const leaf = facts.chain[0];
  const cn = leaf?.subject['CN'];
  return {
    identity: handshakeIdentity({
      // ALPN proves HTTP inside; otherwise all we know is that it is TLS.
      name: alpnHttp ? 'http' : 'ssl',
      tunnel: alpnHttp ? 'ssl' : undefined,
      hostname: typeof cn === 'string' && /^[A-Za-z0-9*][A-Za-z0-9.*-]*$/.test(cn) ? cn : undefined,
      confidence: alpnHttp ? 8 : 10,
      facts: { tls: facts },
    }),
    facts,
  };
}

/** Everything the finished handshake shows: version, cipher, ALPN, key exchange and chain. */
export function describeSession(sock: TLSSocket, target: IdentifyTarget): Omit<TlsFacts, 'versions' | 'legacyOnly'> {
  const cipher = sock.getCipher();
  const eph = sock.getEphemeralKeyInfo();
  const chain = peerChain(sock);
  const sni = sniName(target);
  const leafX509 = sock.getPeerX509Certificate();
  const leaf = chain[0];
  return {
    protocol: sock.getProtocol(),
    cipher: { name: cipher.name, standardName: cipher.standardName, version: cipher.version },
    alpn: typeof sock.alpnProtocol === 'string' ? sock.alpnProtocol : null,
    ...(sni !== undefined ? { sni } : {}),
    ...(eph !== null && typeof eph === 'object' && 'type' in eph && typeof eph.type === 'string'
      ? { ephemeralKey: { type: eph.type, ...(eph.name !== undefined ? { name: eph.name } : {}), ...(eph.size !== undefined ? { size: eph.size } : {}) } }
      : {}),
    chain,
    selfSigned: leaf?.selfSigned ?? false,
    expired: leaf?.expired ?? false,
    ...(sni !== undefined && leafX509 !== undefined ? { hostnameMatches: leafX509.checkHost(sni) !== undefined } : {}),
  };
}

/** The chain as sent (getPeerCertificate(true) follows issuerCertificate links; a root links to itself). */
function peerChain(sock: TLSSocket): CertificateFacts[] {
  const out: CertificateFacts[] = [];
  const seen = new Set<string>();
  let cur: DetailedPeerCertificate | undefined = sock.getPeerCertificate(true);
  while (cur !== undefined && cur.raw !== undefined && out.length < MAX_CHAIN) {
    let x: X509Certificate;
    try {
      x = new X509Certificate(cur.raw);
    } catch {
      break; // a certificate OpenSSL took but Node cannot represent: keep what came before it
    }
    if (seen.has(x.fingerprint256)) break;
    seen.add(x.fingerprint256);
    out.push(certificateFacts(x));
    cur = cur.issuerCertificate;
  }
  return out;
}

async function probeVersion(target: IdentifyTarget, budget: HandshakeBudget, version: SecureVersion): Promise<TlsVersionProbe> {
  const legacy = version === 'TLSv1' || version === 'TLSv1.1';
  const dial: TlsDial = { minVersion: version, maxVersion: version, ...(legacy ? { ciphers: LEGACY_CIPHERS } : {}) };
  let conn: HandshakeConnection | Awaited<ReturnType<typeof HandshakeConnection.open>>;
  try {
    conn = await HandshakeConnection.open(target, budget, dial);
  } catch (e) {
    if (isTrawlError(e)) throw e; // the egress guard's refusal is not a probe result
    // OpenSSL may refuse to build the ClientHello at all (no protocols available): a local limit.
    return { accepted: null, reason: `could not be probed: ${(e as Error).message}` };
  }
  if (!isDialError(conn)) {
    const got = conn.tlsSocket?.getProtocol() ?? null;
    const cipher = conn.tlsSocket?.getCipher().standardName;
    conn.close();
    return got === version ? { accepted: true, ...(cipher !== undefined ? { cipher } : {}) } : { accepted: false, reason: `server answered with ${got ?? 'nothing'}` };
  }
  // OpenSSL's messages carry source paths; its error code says the same in one word.
  const why = conn.code ?? `${conn.failure}: ${conn.message.slice(0, 160)}`;
  if (conn.failure === 'tls-failed') {
    return conn.bytesWritten === 0 ? { accepted: null, reason: `could not be probed: this host's TLS library refused to offer ${version} (${why})` } : { accepted: false, reason: why };
  }
  return { accepted: null, reason: `could not be probed: ${why}` };
}
