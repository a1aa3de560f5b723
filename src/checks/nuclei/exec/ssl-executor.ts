/**
 * Runs ssl blocks: one TLS handshake (within min/max version), then the fields nuclei's ssl protocol
 * exposes (tlsx names): tls_version (tls10…tls13), cipher (IANA name), not_before/not_after
 * (RFC 3339), subject_dn/cn/org/an, issuer_dn/cn/org, serial, fingerprint_hash, expired,
 * self_signed, mismatched, wildcard_certificate, untrusted, domains… as DSL variables; the default
 * part `response` is their JSON. A failed handshake is no response (so "deprecated version accepted"
 * templates do not match).
 */
import { createHash } from 'node:crypto';
import { isIP } from 'node:net';
import { checkServerIdentity, type PeerCertificate, type SecureVersion, type TLSSocket } from 'node:tls';
import { certificateFacts } from '../../../engines/identify/handshakes/x509-facts.js';
import type { DslValue } from '../dsl/dsl-value.js';
import { connectWire, ConnectFailure, CUT_OFF } from '../net/wire-connect.js';
import { runOperators, type PartValue } from '../operators/operator-engine.js';
import type { SslRequestSpec, TlsVersionName } from '../template-types.js';
import type { ExecContext } from './exec-context.js';
import { absorbDynamic, flowPassed, recordMatch } from './result-builder.js';

const NODE_VERSION: Readonly<Record<Exclude<TlsVersionName, 'sslv3'>, SecureVersion>> = { tls10: 'TLSv1', tls11: 'TLSv1.1', tls12: 'TLSv1.2', tls13: 'TLSv1.3' };
const NUCLEI_VERSION: Readonly<Record<string, string>> = { TLSv1: 'tls10', 'TLSv1.1': 'tls11', 'TLSv1.2': 'tls12', 'TLSv1.3': 'tls13' };

function rfc3339(iso: string): string {
  return iso.replace(/\.\d{3}Z$/, 'Z');
}

/** Go's pkix.Name.String(): most specific attribute first, comma-joined. */
function goDn(nodeText: string): string {
  return nodeText.split('\n').filter(Boolean).reverse().join(',');
}

function attr(dn: Readonly<Record<string, string | string[]>>, k: string): string[] {
  const v = dn[k];
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
}

function colonHex(hex: string): string {
  const h = hex.length % 2 === 1 ? `0${hex}` : hex;
  return (h.toUpperCase().match(/../g) ?? []).join(':');
}

/** Runs one ssl block; true when it succeeded as a flow step (see flowPassed). */
export async function runSslBlock(ctx: ExecContext, spec: SslRequestSpec): Promise<boolean> {
  if (spec.minVersion === 'sslv3' || spec.maxVersion === 'sslv3') {
    ctx.note('SSLv3 handshake not possible with this OpenSSL: request not sent');
    if (spec.maxVersion === 'sslv3' || spec.maxVersion === undefined) return false;
  }
  const lookup0 = ctx.lookup();
  const address = ctx.fill(spec.address, lookup0, 'address');
  if (address === undefined) return false;
  const m = /:(\d{1,5})$/.exec(address);
  const port = m ? Number(m[1]) : ctx.target.port;
  const x = await ctx.begin(ctx.target.ip, port);
  if (!x) return false;
  let sock: TLSSocket | undefined;
  const vars = new Map<string, DslValue>();
  const shown = `${ctx.url.host.includes(':') ? `[${ctx.url.host}]` : ctx.url.host}:${port}`;
  try {
    const nodeVersion = (v: TlsVersionName | undefined): SecureVersion | undefined => (v === undefined || v === 'sslv3' ? undefined : NODE_VERSION[v]);
    const minV = nodeVersion(spec.minVersion);
    const maxV = nodeVersion(spec.maxVersion);
    sock = (await connectWire({
      ip: ctx.target.ip,
      port,
      tls: true,
      servername: ctx.target.host,
      guard: ctx.env.guard,
      timeoutMs: x.connectTimeoutMs,
      ...(minV ? { minVersion: minV } : {}),
      ...(maxV ? { maxVersion: maxV } : {}),
      signal: x.signal,
    })) as TLSSocket;
    x.end('answered');
    const protocol = sock.getProtocol() ?? '';
    const cipher = sock.getCipher();
    const peer = sock.getPeerX509Certificate();
    vars.set('tls_version', NUCLEI_VERSION[protocol] ?? protocol.toLowerCase());
    vars.set('cipher', cipher.standardName ?? cipher.name);
    vars.set('host', ctx.target.host);
    vars.set('ip', ctx.target.ip);
    vars.set('port', String(port));
    vars.set('probe_status', true);
    if (peer) {
      const f = certificateFacts(peer);
      const sans = f.sans.filter((s) => s.startsWith('DNS:')).map((s) => s.slice(4));
      const cn = attr(f.subject, 'CN');
      const domains = [...new Set([...cn, ...sans])];
      const hostForCheck = ctx.target.host;
      let mismatched: boolean;
      try {
        const legacy = { subject: f.subject, subjectaltname: peer.subjectAltName ?? '' } as unknown as PeerCertificate;
        mismatched = checkServerIdentity(isIP(hostForCheck) ? hostForCheck : hostForCheck.toLowerCase(), legacy) !== undefined;
      } catch {
        mismatched = true;
      }
      const der = peer.raw;
      vars.set('not_before', rfc3339(f.notBefore));
      vars.set('not_after', rfc3339(f.notAfter));
      vars.set('subject_dn', goDn(peer.subject));
      vars.set('subject_cn', cn[0] ?? '');
      vars.set('subject_org', attr(f.subject, 'O'));
      vars.set('subject_an', sans);
      vars.set('issuer_dn', goDn(peer.issuer));
      vars.set('issuer_cn', attr(f.issuer, 'CN')[0] ?? '');
      vars.set('issuer_org', attr(f.issuer, 'O'));
      vars.set('serial', colonHex(f.serialNumber));
      vars.set('fingerprint_hash', JSON.stringify({ md5: createHash('md5').update(der).digest('hex'), sha1: createHash('sha1').update(der).digest('hex'), sha256: createHash('sha256').update(der).digest('hex') }));
      vars.set('expired', f.expired);
      vars.set('self_signed', f.selfSigned);
      vars.set('mismatched', mismatched);
      vars.set('wildcard_certificate', domains.some((d) => d.startsWith('*.')));
      vars.set('untrusted', !sock.authorized && !f.selfSigned);
      vars.set('revoked', false);
      vars.set('domains', domains);
    }
  } catch (e) {
    if (e instanceof ConnectFailure) {
      // A handshake the server refused (an alert: no such version, no common cipher, not TLS at
      // all) is its answer, and what "deprecated version accepted" templates test; silence and
      // refused connections are not.
      x.end(e.kind === 'protocol' ? 'answered' : e);
      ctx.note(`${shown}: TLS handshake failed (${e.message})`);
      return false;
    }
    throw e;
  } finally {
    sock?.destroy();
    x.end(CUT_OFF);
  }
  const json: Record<string, unknown> = {};
  for (const [k, v] of vars) json[k] = k === 'fingerprint_hash' ? (JSON.parse(v as string) as unknown) : v;
  const response = JSON.stringify(json);
  vars.set('response', response);
  vars.set('matched', shown);
  const parts = new Map<string, PartValue>([['response', { text: response }], ['raw', { text: response }], ['body', { text: response }], ['all', { text: response }]]);
  const lk = ctx.lookup(vars);
  const op = runOperators(spec.operators, {
    lookup: lk,
    part: (name) => {
      const p = parts.get(name);
      if (p) return p;
      const v = lk(name);
      return v === undefined || v === null ? undefined : { text: typeof v === 'string' ? v : Array.isArray(v) ? v.join(' ') : String(v) };
    },
  });
  absorbDynamic(ctx, op);
  if (op.matched) {
    recordMatch(ctx, op, shown, { response }, spec.operators);
    if (ctx.template.stopAtFirstMatch) ctx.stopped = true;
  }
  return flowPassed(spec.operators, op);
}
