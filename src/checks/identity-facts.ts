/**
 * Typed, defensive reads of `ServiceIdentity.facts`. Facts are JSON that may come from the store or
 * another machine, so nothing is trusted to have the shape the handshakes write: a field of the wrong
 * type reads as absent, and a check that lacks what it needs simply does not fire.
 */
import type { ServiceIdentity } from '../engines/identify/service-identity.js';

export type Rec = Readonly<Record<string, unknown>>;

export function isRec(v: unknown): v is Rec {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function str(v: unknown, max = 4096): string | undefined {
  return typeof v === 'string' ? v.slice(0, max) : undefined;
}

export function num(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

export function bool(v: unknown): boolean | undefined {
  return typeof v === 'boolean' ? v : undefined;
}

/** The strings of an array (others dropped), at most `max`. */
export function strings(v: unknown, max = 500): string[] {
  return Array.isArray(v) ? v.slice(0, max).filter((x): x is string => typeof x === 'string') : [];
}

/** facts[key] when it is an object. */
export function factsOf(identity: ServiceIdentity, key: string): Rec | undefined {
  const f = identity.facts?.[key];
  return isRec(f) ? f : undefined;
}

/** A certificate as the TLS facts list it (src/engines/identify/handshakes/x509-facts.ts). */
export interface CertView {
  readonly subjectText: string;
  readonly issuerText: string;
  readonly subjectCn?: string;
  readonly sans: readonly string[];
  readonly notBefore?: string;
  readonly notAfter?: string;
  readonly fingerprintSha256?: string;
  readonly selfSigned: boolean;
  readonly isCa: boolean;
}

export interface TlsView {
  readonly protocol?: string;
  readonly cipher?: string;
  readonly sni?: string;
  readonly chain: readonly CertView[];
  readonly hostnameMatches?: boolean;
  readonly legacyOnly: boolean;
  /** Per version: accepted true/false, null not probed; with the cipher the server picked. */
  readonly versions: Readonly<Record<string, { readonly accepted: boolean | null; readonly cipher?: string }>>;
}

function certView(v: unknown): CertView | undefined {
  if (!isRec(v)) return undefined;
  const subject = isRec(v['subject']) ? v['subject'] : {};
  const cn = subject['CN'];
  const subjectCn = Array.isArray(cn) ? str(cn[0], 256) : str(cn, 256);
  const notBefore = str(v['notBefore'], 64);
  const notAfter = str(v['notAfter'], 64);
  const fp = str(v['fingerprintSha256'], 128);
  return {
    subjectText: str(v['subjectText'], 1024) ?? '',
    issuerText: str(v['issuerText'], 1024) ?? '',
    ...(subjectCn !== undefined ? { subjectCn } : {}),
    sans: strings(v['sans'], 500).map((s) => s.slice(0, 300)),
    ...(notBefore !== undefined ? { notBefore } : {}),
    ...(notAfter !== undefined ? { notAfter } : {}),
    ...(fp !== undefined ? { fingerprintSha256: fp } : {}),
    selfSigned: v['selfSigned'] === true,
    isCa: v['isCa'] === true,
  };
}

export function tlsView(identity: ServiceIdentity): TlsView | undefined {
  const t = factsOf(identity, 'tls');
  if (t === undefined || !Array.isArray(t['chain'])) return undefined;
  const chain = t['chain'].slice(0, 10).map(certView).filter((c): c is CertView => c !== undefined);
  const versions: Record<string, { accepted: boolean | null; cipher?: string }> = {};
  if (isRec(t['versions'])) {
    for (const [k, v] of Object.entries(t['versions']).slice(0, 8)) {
      if (!isRec(v)) continue;
      const accepted = v['accepted'] === true ? true : v['accepted'] === false ? false : null;
      const cipher = str(v['cipher'], 128);
      versions[k] = { accepted, ...(cipher !== undefined ? { cipher } : {}) };
    }
  }
  const protocol = str(t['protocol'], 32);
  const cipher = isRec(t['cipher']) ? str(t['cipher']['standardName'], 128) ?? str(t['cipher']['name'], 128) : undefined;
  const sni = str(t['sni'], 256);
  const hm = bool(t['hostnameMatches']);
  return {
    ...(protocol !== undefined ? { protocol } : {}),
    ...(cipher !== undefined ? { cipher } : {}),
    ...(sni !== undefined ? { sni } : {}),
    chain,
    ...(hm !== undefined ? { hostnameMatches: hm } : {}),
    legacyOnly: t['legacyOnly'] === true,
    versions,
  };
}

export interface HttpView {
  readonly url: string;
  readonly status: number;
  readonly headers: readonly (readonly [string, string])[];
  readonly contentType?: string;
  readonly body: string;
  readonly bodyTruncated: boolean;
  readonly tls: boolean;
}

export function httpView(identity: ServiceIdentity): HttpView | undefined {
  const h = factsOf(identity, 'http');
  if (h === undefined) return undefined;
  const status = num(h['status']);
  const url = str(h['url'], 2048);
  if (status === undefined || url === undefined) return undefined;
  const headers: [string, string][] = [];
  if (Array.isArray(h['headers'])) {
    for (const pair of h['headers'].slice(0, 200)) {
      if (Array.isArray(pair) && typeof pair[0] === 'string' && typeof pair[1] === 'string') headers.push([pair[0].slice(0, 256), pair[1].slice(0, 8192)]);
    }
  }
  const contentType = str(h['contentType'], 256);
  return {
    url,
    status,
    headers,
    ...(contentType !== undefined ? { contentType } : {}),
    body: str(h['body'], 64 * 1024) ?? '',
    bodyTruncated: h['bodyTruncated'] === true,
    tls: h['tls'] === true,
  };
}

export function headerValue(headers: readonly (readonly [string, string])[], name: string): string | undefined {
  const lower = name.toLowerCase();
  return headers.find(([k]) => k.toLowerCase() === lower)?.[1];
}

/** All values of a header that may repeat (CSP may come as several fields). */
export function headerValues(headers: readonly (readonly [string, string])[], name: string): string[] {
  const lower = name.toLowerCase();
  return headers.filter(([k]) => k.toLowerCase() === lower).map(([, v]) => v);
}

/** The service runs inside TLS (https, ftps...): identification reached it through TLS. */
export function overTls(identity: ServiceIdentity): boolean {
  return identity.tunnel === 'ssl' || factsOf(identity, 'tls') !== undefined || factsOf(identity, 'http')?.['tls'] === true;
}
