/**
 * cleartext-auth-service: a mail or file-transfer service that takes a login on a connection that is
 * not encrypted, read from identification's capability exchange (FEAT, EHLO, CAPA, CAPABILITY):
 *  - FTP: no AUTH TLS in FEAT, so USER/PASS can only travel in clear (with AUTH TLS offered, whether
 *    the server still takes a cleartext login is unknown without trying, and nothing is reported);
 *  - SMTP: AUTH mechanisms advertised before STARTTLS;
 *  - POP3: USER or SASL offered (or no CAPA at all, where RFC 1939 USER/PASS is all there is);
 *  - IMAP: LOGIN not disabled, or AUTH= mechanisms offered, before STARTTLS.
 */
import type { ServiceIdentity } from '../../engines/identify/service-identity.js';
import type { Check, CheckMeta } from '../check.js';
import { makeFinding } from '../check.js';
import type { JsonValue } from '../finding.js';
import { factsOf, strings, type Rec } from '../identity-facts.js';

const PROTOCOLS = ['ftp', 'smtp', 'pop3', 'imap'] as const;
type Proto = (typeof PROTOCOLS)[number];

const meta: CheckMeta = {
  id: 'cleartext-auth-service',
  title: 'Login accepted over an unencrypted connection',
  severity: 'medium',
  safe: true,
  traffic: 'facts',
  description:
    'FTP without AUTH TLS, SMTP advertising AUTH before STARTTLS, POP3 offering USER/SASL (or no CAPA), IMAP without LOGINDISABLED or with AUTH= before STARTTLS: credentials can cross the network in clear. From the capability lists identification read; no login is attempted.',
  remediation:
    'Offer logins only after TLS: FTPS (vsftpd `ssl_enable=YES`, `force_local_logins_ssl=YES`), SMTP `auth_advertise_hosts` limited to TLS sessions, Dovecot `disable_plaintext_auth = yes`; or use the implicit-TLS ports (465, 993, 995, 990).',
  references: { cwe: ['CWE-319', 'CWE-523'], urls: ['https://www.rfc-editor.org/rfc/rfc8314'] },
};

function found(identity: ServiceIdentity): { proto: Proto; facts: Rec } | undefined {
  for (const proto of PROTOCOLS) {
    const f = factsOf(identity, proto);
    if (f !== undefined) return { proto, facts: f };
  }
  return undefined;
}

function evidenceFor(proto: Proto, f: Rec): Record<string, JsonValue> {
  const startTls = f['startTls'] === true;
  switch (proto) {
    case 'ftp':
      return { protocol: 'ftp', auth_tls_offered: startTls, features: strings(f['features'], 40), login: 'USER/PASS' };
    case 'smtp':
      return { protocol: 'smtp', starttls_offered: startTls, auth_mechanisms: strings(f['authMechanisms'], 20), extensions: strings(f['extensions'], 40) };
    case 'pop3':
      return { protocol: 'pop3', stls_offered: startTls, user_pass: f['userPass'] === true, sasl_mechanisms: strings(f['saslMechanisms'], 20), capa_supported: f['capaSupported'] === true };
    case 'imap':
      return { protocol: 'imap', starttls_offered: startTls, login_disabled: f['loginDisabled'] === true, auth_mechanisms: strings(f['authMechanisms'], 20) };
  }
}

export const cleartextAuthService: Check = {
  ...meta,
  appliesTo: (identity) => found(identity) !== undefined,
  async run(target, identity, ctx) {
    const hit = found(identity);
    // Only a definite true: FTP's 'unknown' (AUTH TLS offered, cleartext login untested) is not reported.
    if (hit === undefined || hit.facts['cleartextAuth'] !== true || hit.facts['implicitTls'] === true) return [];
    const evidence = evidenceFor(hit.proto, hit.facts);
    const how =
      hit.proto === 'ftp'
        ? 'FTP offers no AUTH TLS: USER/PASS travel in clear'
        : `${hit.proto.toUpperCase()} offers a login before TLS${hit.facts['startTls'] === true ? ' (STARTTLS is available but optional)' : ' and has no STARTTLS'}`;
    return [makeFinding(meta, target, ctx.now(), { summary: how, confidence: 'certain', severity: hit.facts['startTls'] === true ? 'low' : 'medium', evidence })];
  },
};
