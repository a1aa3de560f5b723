/**
 * TLS checks. The certificate checks read the chain identification recorded (no traffic). The
 * protocol and cipher checks read identification's per-version probes, then ask the server a few
 * questions of their own with hand-written ClientHellos (tls-suite-probe.ts): SSLv3, and the weak
 * suite classes Node's OpenSSL can no longer offer. All of it is the first flight of a handshake, the
 * same a browser sends: read-only.
 *
 * They apply where identification reached TLS from the first byte (https, ftps, smtps, TLS on odd
 * ports). STARTTLS services are not covered: identification records no TLS facts for them.
 */
import type { ServiceIdentity } from '../../engines/identify/service-identity.js';
import type { Check, CheckMeta } from '../check.js';
import { makeFinding } from '../check.js';
import { withCheckBudget } from '../check-io.js';
import { maxSeverity, type JsonValue, type Severity } from '../finding.js';
import { factsOf, tlsView, type CertView, type TlsView } from '../identity-facts.js';
import { certificateNameMatch } from './hostname-match.js';
import { probeSuites, SSL3, TLS12, versionName, type SuiteProbeResult } from './tls-suite-probe.js';
import { CLASS_SEVERITY, SSL3_SUITES, WEAK_SUITES, weakClasses, weakSuiteByCode, type WeakClass } from './tls-weak-suites.js';

const DAY_MS = 86_400_000;

function certEvidence(c: CertView): Record<string, JsonValue> {
  return {
    subject: c.subjectText,
    issuer: c.issuerText,
    ...(c.notBefore !== undefined ? { not_before: c.notBefore } : {}),
    ...(c.notAfter !== undefined ? { not_after: c.notAfter } : {}),
    ...(c.fingerprintSha256 !== undefined ? { fingerprint_sha256: c.fingerprintSha256 } : {}),
    sans: [...c.sans.slice(0, 50)],
  };
}

function withChain(identity: ServiceIdentity): TlsView | undefined {
  const t = tlsView(identity);
  return t !== undefined && t.chain.length > 0 ? t : undefined;
}

// ---- tls-expired-cert ---------------------------------------------------------------------------

const expiredMeta: CheckMeta = {
  id: 'tls-expired-cert',
  title: 'TLS certificate expired',
  severity: 'medium',
  safe: true,
  traffic: 'facts',
  description:
    "The leaf certificate (or an intermediate the server sends) is past its notAfter date, judged against the check's clock. Clients refuse it or teach users to click through warnings.",
  remediation: 'Renew the certificate and install the new one with its current intermediates; automate renewal (ACME) so it cannot lapse again.',
  references: { cwe: ['CWE-324'], urls: ['https://www.rfc-editor.org/rfc/rfc5280#section-4.1.2.5'] },
};

export const tlsExpiredCert: Check = {
  ...expiredMeta,
  appliesTo: (identity) => withChain(identity) !== undefined,
  async run(target, identity, ctx) {
    const tls = withChain(identity);
    if (tls === undefined) return [];
    const now = ctx.now();
    // Self-signed roots a server appends are not what clients validate against; the leaf always counts.
    const expired = tls.chain
      .map((c, i) => ({ c, i, t: c.notAfter !== undefined ? Date.parse(c.notAfter) : Number.NaN }))
      .filter((x) => Number.isFinite(x.t) && x.t < now.getTime() && (x.i === 0 || !x.c.selfSigned));
    if (expired.length === 0) return [];
    const leafExpired = expired.some((x) => x.i === 0);
    const first = expired[0]!;
    const days = Math.floor((now.getTime() - first.t) / DAY_MS);
    return [
      makeFinding(expiredMeta, target, now, {
        summary: `${leafExpired ? 'Leaf' : 'Intermediate'} certificate for ${first.c.subjectCn ?? first.c.subjectText} expired on ${first.c.notAfter ?? '?'} (${days} days ago)`,
        confidence: 'certain',
        evidence: {
          checked_at: now.toISOString(),
          expired: expired.map((x) => ({ position: x.i === 0 ? 'leaf' : `chain[${x.i}]`, days_expired: Math.floor((now.getTime() - x.t) / DAY_MS), ...certEvidence(x.c) })),
        },
      }),
    ];
  },
};

// ---- tls-self-signed-cert -----------------------------------------------------------------------

const selfSignedMeta: CheckMeta = {
  id: 'tls-self-signed-cert',
  title: 'TLS certificate is self-signed',
  severity: 'medium',
  safe: true,
  traffic: 'facts',
  description:
    "The leaf certificate's issuer is its own subject and its own key verifies its signature (checked by identification with the certificate's key). No public CA vouches for it, so clients cannot tell it from an attacker's.",
  remediation: 'Replace it with a certificate from a CA the clients trust (a public CA, or an internal CA distributed to every client).',
  references: { cwe: ['CWE-295'], urls: ['https://cwe.mitre.org/data/definitions/295.html'] },
};

export const tlsSelfSignedCert: Check = {
  ...selfSignedMeta,
  appliesTo: (identity) => withChain(identity) !== undefined,
  async run(target, identity, ctx) {
    const leaf = withChain(identity)?.chain[0];
    if (leaf === undefined || !leaf.selfSigned) return [];
    return [
      makeFinding(selfSignedMeta, target, ctx.now(), {
        summary: `Self-signed certificate for ${leaf.subjectCn ?? leaf.subjectText}`,
        confidence: 'certain',
        evidence: { ...certEvidence(leaf), ca_flag: leaf.isCa },
      }),
    ];
  },
};

// ---- tls-hostname-mismatch ----------------------------------------------------------------------

const mismatchMeta: CheckMeta = {
  id: 'tls-hostname-mismatch',
  title: 'TLS certificate does not match the host name',
  severity: 'medium',
  safe: true,
  traffic: 'facts',
  description:
    'The name we connected to (the target hostname, or the IP address when the target was an address) is compared with the leaf certificate: DNS subjectAltNames with RFC 6125 wildcard rules, the CN only when there is no DNS SAN, IP-address SANs for addresses.',
  remediation: 'Issue the certificate for every name (and address, if clients use one) the service is reached by, as subjectAltName entries.',
  references: { cwe: ['CWE-297'], urls: ['https://www.rfc-editor.org/rfc/rfc9525'] },
};

export const tlsHostnameMismatch: Check = {
  ...mismatchMeta,
  appliesTo: (identity) => withChain(identity) !== undefined,
  async run(target, identity, ctx) {
    const tls = withChain(identity);
    const leaf = tls?.chain[0];
    if (tls === undefined || leaf === undefined) return [];
    const name = target.hostname ?? target.ip;
    const m = certificateNameMatch(name, leaf.sans, leaf.subjectCn);
    // Node's own verdict for the SNI name, when identification recorded one, wins over ours.
    if (m.matches || (tls.hostnameMatches === true && tls.sni === name)) return [];
    return [
      makeFinding(mismatchMeta, target, ctx.now(), {
        summary: `Certificate names ${m.compared.length > 0 ? m.compared.slice(0, 5).join(', ') : 'no usable name'}, not ${name}`,
        confidence: 'certain',
        evidence: { connected_to: name, compared: m.via, certificate_names: [...m.compared.slice(0, 50)], ...certEvidence(leaf) },
      }),
    ];
  },
};

// ---- tls-legacy-protocol ------------------------------------------------------------------------

const legacyMeta: CheckMeta = {
  id: 'tls-legacy-protocol',
  title: 'Legacy SSL/TLS protocol version accepted',
  severity: 'medium',
  safe: true,
  traffic: 'requests',
  description:
    "TLS 1.0 and 1.1 (deprecated by RFC 8996) are read from identification's per-version handshakes. SSLv3 is asked with one hand-written SSLv3 ClientHello (the local TLS library cannot offer it), sent when the server takes TLS 1.0/1.1 or identification's own handshake failed; SSLv3 raises the finding to high (POODLE). SSLv2 is not probed.",
  remediation: 'Allow only TLS 1.2 and 1.3 (e.g. nginx `ssl_protocols TLSv1.2 TLSv1.3;`, Apache `SSLProtocol -all +TLSv1.2 +TLSv1.3`).',
  references: { cwe: ['CWE-327'], urls: ['https://www.rfc-editor.org/rfc/rfc8996'] },
};

export const tlsLegacyProtocol: Check = {
  ...legacyMeta,
  appliesTo: (identity) => factsOf(identity, 'tls') !== undefined,
  async run(target, identity, ctx) {
    const tls = tlsView(identity);
    const failed = factsOf(identity, 'tls')?.['handshakeFailed'] === true;
    const accepted: string[] = [];
    const ciphers: Record<string, JsonValue> = {};
    for (const v of ['TLSv1', 'TLSv1.1']) {
      const p = tls?.versions[v];
      if (p?.accepted === true) {
        accepted.push(v);
        if (p.cipher !== undefined) ciphers[v] = p.cipher;
      }
    }
    // Without per-version probes, a session that only worked at TLS 1.0/1.1 still shows it.
    if (tls !== undefined && Object.keys(tls.versions).length === 0 && (tls.protocol === 'TLSv1' || tls.protocol === 'TLSv1.1')) {
      accepted.push(tls.protocol);
      if (tls.cipher !== undefined) ciphers[tls.protocol] = tls.cipher;
    }
    let ssl3: SuiteProbeResult | undefined;
    if (accepted.length > 0 || failed || tls === undefined || Object.keys(tls.versions).length === 0) {
      ssl3 = await withCheckBudget(ctx, (b) => probeSuites(target, ctx, b, { version: SSL3, suites: SSL3_SUITES }));
      if (ssl3.accepted) {
        accepted.unshift('SSLv3');
        ciphers['SSLv3'] = weakSuiteByCode(ssl3.suite!)?.name ?? `0x${ssl3.suite!.toString(16).padStart(4, '0')}`;
      }
    }
    if (accepted.length === 0) return [];
    const sslv3 = accepted.includes('SSLv3');
    return [
      makeFinding(legacyMeta, target, ctx.now(), {
        summary: `Server accepts ${accepted.join(', ')}`,
        confidence: 'certain',
        severity: sslv3 ? 'high' : 'medium',
        evidence: {
          accepted,
          ciphers,
          ...(ssl3 !== undefined ? { sslv3_probe: probeEvidence(ssl3) } : {}),
        },
        ...(sslv3 ? { references: { cve: ['CVE-2014-3566'] } } : {}),
      }),
    ];
  },
};

function probeEvidence(r: SuiteProbeResult): Record<string, JsonValue> {
  return {
    accepted: r.accepted,
    ...(r.version !== undefined ? { version: versionName(r.version) } : {}),
    ...(r.suite !== undefined ? { suite: weakSuiteByCode(r.suite)?.name ?? `0x${r.suite.toString(16).padStart(4, '0')}` } : {}),
    ...(r.alert !== undefined ? { alert: r.alert } : {}),
    ...(r.error !== undefined ? { error: r.error } : {}),
  };
}

// ---- tls-weak-cipher ----------------------------------------------------------------------------

const weakCipherMeta: CheckMeta = {
  id: 'tls-weak-cipher',
  title: 'Weak TLS cipher suites accepted',
  severity: 'high',
  safe: true,
  traffic: 'requests',
  description:
    'Weak classes (see src/checks/builtin/tls-weak-suites.ts): NULL encryption, anonymous (DH_anon/ECDH_anon) key exchange, EXPORT grade, RC4, single DES, 3DES and other 64-bit block ciphers (SWEET32), MD5 MACs, and CBC+SHA-1 negotiated under TLS 1.0. ' +
    "Suites identification negotiated are classified by name; then hand-written ClientHellos offer only weak suites (TLS 1.2 and below), repeatedly dropping each class the server picks, until it refuses (at most 8 hellos). Skipped when identification saw only TLS 1.3 accepted.",
  remediation:
    'Offer only AEAD suites with forward secrecy (ECDHE/DHE with AES-GCM or ChaCha20-Poly1305) for TLS 1.2, e.g. nginx `ssl_ciphers ECDHE+AESGCM:ECDHE+CHACHA20;`, and disable TLS 1.0/1.1.',
  references: { cwe: ['CWE-327'], urls: ['https://www.rfc-editor.org/rfc/rfc7465', 'https://sweet32.info/', 'https://ssl-config.mozilla.org/'] },
};

const MAX_SUITE_PROBES = 8;

interface WeakUse {
  readonly suite: string;
  readonly version: string;
  readonly classes: readonly WeakClass[];
  readonly source: 'identify' | 'probe';
}

/** Whether any version at or below TLS 1.2 might be accepted (unknown counts as maybe). */
function mayTakePre13(tls: TlsView | undefined): boolean {
  if (tls === undefined || Object.keys(tls.versions).length === 0) return true;
  return ['TLSv1', 'TLSv1.1', 'TLSv1.2'].some((v) => tls.versions[v]?.accepted !== false);
}

export const tlsWeakCipher: Check = {
  ...weakCipherMeta,
  appliesTo: (identity) => factsOf(identity, 'tls') !== undefined,
  async run(target, identity, ctx) {
    const tls = tlsView(identity);
    const uses: WeakUse[] = [];
    const seen = new Set<string>();
    const add = (u: WeakUse): void => {
      const k = `${u.suite}@${u.version}`;
      if (u.classes.length === 0 || seen.has(k)) return;
      seen.add(k);
      uses.push(u);
    };
    if (tls?.cipher !== undefined && tls.protocol !== undefined) add({ suite: tls.cipher, version: tls.protocol, classes: weakClasses(tls.cipher, tls.protocol), source: 'identify' });
    for (const [v, p] of Object.entries(tls?.versions ?? {})) {
      if (p.accepted === true && p.cipher !== undefined) add({ suite: p.cipher, version: v, classes: weakClasses(p.cipher, v), source: 'identify' });
    }

    const probes: JsonValue[] = [];
    if (mayTakePre13(tls)) {
      await withCheckBudget(ctx, async (budget) => {
        let remaining = WEAK_SUITES.map((s) => s.code);
        for (let i = 0; i < MAX_SUITE_PROBES && remaining.length > 0 && !budget.exhausted; i++) {
          const r = await probeSuites(target, ctx, budget, { version: TLS12, suites: remaining, ...(target.hostname !== undefined ? { serverName: target.hostname } : {}) });
          probes.push(probeEvidence(r));
          if (!r.accepted || r.suite === undefined || r.version === undefined) break;
          const suite = weakSuiteByCode(r.suite);
          const classes = suite !== undefined ? weakClasses(suite.name, versionName(r.version)) : [];
          add({ suite: suite?.name ?? `0x${r.suite.toString(16)}`, version: versionName(r.version), classes, source: 'probe' });
          // Drop every suite sharing a class with the one picked, so the next hello asks about the rest.
          remaining = remaining.filter((code) => {
            const s = weakSuiteByCode(code);
            return code !== r.suite && (s === undefined || !weakClasses(s.name).some((c) => classes.includes(c)));
          });
        }
      });
    }
    if (uses.length === 0) return [];
    const classes = [...new Set(uses.flatMap((u) => u.classes))];
    const severity = classes.reduce<Severity>((s, c) => maxSeverity(s, CLASS_SEVERITY[c]), 'low');
    return [
      makeFinding(weakCipherMeta, target, ctx.now(), {
        summary: `Weak suites accepted (${classes.join(', ')}): ${uses.slice(0, 4).map((u) => `${u.suite} at ${u.version}`).join('; ')}`,
        confidence: 'certain',
        severity,
        evidence: {
          classes,
          accepted: uses.map((u) => ({ suite: u.suite, version: u.version, classes: [...u.classes], source: u.source })),
          probes,
        },
        ...(classes.includes('3des') ? { references: { cve: ['CVE-2016-2183'] } } : {}),
      }),
    ];
  },
};

export const TLS_CHECKS: readonly Check[] = [tlsExpiredCert, tlsSelfSignedCert, tlsHostnameMismatch, tlsLegacyProtocol, tlsWeakCipher];
