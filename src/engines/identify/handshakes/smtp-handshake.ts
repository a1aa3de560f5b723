import { type HandshakeConnection, oneConnectionHandshake, printable } from './handshake-connection.js';
import { handshakeIdentity, linuxHint } from './handshake-identity.js';
import type { HandshakeResult } from './handshake-types.js';
import { readCodedReply, type CodedReply } from './line-reply.js';

export interface SmtpFacts {
  readonly greetingCode: number;
  readonly banner: readonly string[];
  /** The name the server gives itself in the greeting. */
  readonly serverName?: string;
  /** True when EHLO was accepted; false when only HELO was. */
  readonly esmtp: boolean;
  /** EHLO keywords with their parameters, e.g. "SIZE 52428800", "AUTH PLAIN LOGIN". */
  readonly extensions: readonly string[];
  readonly startTls: boolean;
  readonly authMechanisms: readonly string[];
  /** AUTH advertised on a connection that is not encrypted: credentials could travel in clear. */
  readonly cleartextAuth: boolean;
  readonly sizeLimit?: number;
  readonly implicitTls: boolean;
}

export const SMTP_EHLO_NAME = 'trawl.invalid';

const smtpEntry = oneConnectionHandshake(smtpOverConnection);
export const smtpHandshake = smtpEntry.handshake;
export const smtpWithBudget = smtpEntry.withBudget;

/** SMTP on an open connection: greeting, EHLO (HELO as fallback), QUIT. No mail is sent. */
export async function smtpOverConnection(conn: HandshakeConnection): Promise<HandshakeResult<SmtpFacts> | undefined> {
  const greeting = await readCodedReply(conn);
  if (greeting === undefined || (greeting.code !== 220 && greeting.code !== 421 && greeting.code !== 554)) return undefined;
  let hello: CodedReply | undefined;
  let esmtp = false;
  if (greeting.code === 220) {
    conn.write(`EHLO ${SMTP_EHLO_NAME}\r\n`);
    hello = await readCodedReply(conn);
    if (hello?.code === 250) esmtp = true;
    else if (hello !== undefined && hello.code >= 500) {
      conn.write(`HELO ${SMTP_EHLO_NAME}\r\n`);
      hello = await readCodedReply(conn);
    }
    conn.write('QUIT\r\n');
    // Only an SMTP server answers 250 to EHLO/HELO; that is what tells it from FTP's "220".
    if (hello?.code !== 250) return undefined;
  } else if (!/smtp|mail/i.test(greeting.lines.join(' '))) {
    return undefined;
  }

  const extensions = esmtp && hello !== undefined ? hello.lines.slice(1).map((l) => l.trim()).filter((l) => l !== '').slice(0, 100) : [];
  const keyword = (e: string): string => e.split(/[\s=]/)[0]!.toUpperCase();
  const authMechanisms = [
    ...new Set(
      extensions
        .filter((e) => keyword(e) === 'AUTH')
        .flatMap((e) => e.slice(5).trim().split(/\s+/))
        .filter((s) => s !== '')
        .map((s) => s.toUpperCase()),
    ),
  ];
  const sizeText = extensions.find((e) => keyword(e) === 'SIZE')?.split(/\s+/)[1];
  const implicit = conn.tlsSocket !== undefined;
  const bannerText = greeting.lines.join(' ');
  const serverName = /^([A-Za-z0-9][A-Za-z0-9.-]*)\b/.exec(greeting.lines[0] ?? '')?.[1];
  const facts: SmtpFacts = {
    greetingCode: greeting.code,
    banner: greeting.lines.map((l) => printable(Buffer.from(l, 'latin1'), 256)),
    ...(serverName !== undefined ? { serverName } : {}),
    esmtp,
    extensions,
    startTls: extensions.some((e) => keyword(e) === 'STARTTLS'),
    authMechanisms,
    cleartextAuth: !implicit && authMechanisms.length > 0,
    ...(sizeText !== undefined && /^\d+$/.test(sizeText) ? { sizeLimit: Number(sizeText) } : {}),
    implicitTls: implicit,
  };
  const product = smtpProduct(bannerText);
  return {
    identity: handshakeIdentity({
      name: 'smtp',
      product: product?.product,
      version: product?.version,
      hostname: serverName,
      ostype: linuxHint(bannerText) ? 'Linux' : undefined,
      tunnel: implicit ? 'ssl' : undefined,
      facts: { smtp: facts },
    }),
    facts,
  };
}

export function smtpProduct(banner: string): { product: string; version?: string } | undefined {
  const rules: readonly [RegExp, string][] = [
    [/\bExim ([\d.]+)/, 'Exim smtpd'],
    [/\bPostfix\b/, 'Postfix smtpd'],
    [/\bSendmail ([\d.]+)/, 'Sendmail'],
    [/Microsoft ESMTP MAIL Service(?:, Version: ([\d.]+))?/, 'Microsoft ESMTP'],
    [/\bOpenSMTPD\b/, 'OpenSMTPD'],
    [/\bHaraka(?:\/([\d.]+))?/, 'Haraka smtpd'],
  ];
  for (const [re, product] of rules) {
    const m = re.exec(banner);
    if (m !== null) return m[1] !== undefined ? { product, version: m[1] } : { product };
  }
  return undefined;
}
