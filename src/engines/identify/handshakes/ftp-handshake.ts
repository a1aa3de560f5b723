import { type HandshakeConnection, oneConnectionHandshake, printable } from './handshake-connection.js';
import { handshakeIdentity, linuxHint } from './handshake-identity.js';
import type { HandshakeResult } from './handshake-types.js';
import { readCodedReply, type CodedReply } from './line-reply.js';

export interface FtpFacts {
  readonly bannerCode: number;
  readonly banner: readonly string[];
  /** FEAT lines (RFC 2389), trimmed; empty when FEAT is refused. */
  readonly features: readonly string[];
  readonly featCode?: number;
  /** SYST reply text ("UNIX Type: L8"), when the server answers it before login. */
  readonly system?: string;
  readonly systCode?: number;
  /** AUTH arguments from FEAT (RFC 4217): "TLS", "SSL". */
  readonly authMechanisms: readonly string[];
  /** AUTH TLS offered: the control channel can be upgraded. */
  readonly startTls: boolean;
  /**
   * Whether USER/PASS may travel in cleartext. No login is attempted here, so this is only known
   * when the server offers no AUTH TLS (then cleartext is the only way in); otherwise 'unknown'.
   */
  readonly cleartextAuth: boolean | 'unknown';
  /** Spoken inside TLS from the first byte (FTPS on 990). */
  readonly implicitTls: boolean;
}

const ftpEntry = oneConnectionHandshake(ftpOverConnection);
export const ftpHandshake = ftpEntry.handshake;
export const ftpWithBudget = ftpEntry.withBudget;

/** FTP on an open connection (the greeting may already be buffered). Anonymous login is never tried. */
export async function ftpOverConnection(conn: HandshakeConnection): Promise<HandshakeResult<FtpFacts> | undefined> {
  const greeting = await readCodedReply(conn);
  // 220 ready, 120 ready soon, 421 too many users: all are FTP greetings.
  if (greeting === undefined || ![220, 120, 421].includes(greeting.code)) return undefined;
  let feat: CodedReply | undefined;
  let syst: CodedReply | undefined;
  if (greeting.code !== 421) {
    conn.write('FEAT\r\n');
    feat = await readCodedReply(conn);
    conn.write('SYST\r\n');
    syst = await readCodedReply(conn);
    conn.write('QUIT\r\n');
  }
  const bannerText = greeting.lines.join(' ');
  const looksFtp =
    /ftp/i.test(bannerText) ||
    feat?.code === 211 ||
    syst?.code === 215 ||
    // "530 Please login": FTP's refusal before USER; SMTP refusals carry enhanced codes (5.7.0).
    (syst?.code === 530 && !/^\d\.\d{1,3}\.\d{1,3}/.test(syst.lines[0] ?? ''));
  if (!looksFtp) return undefined;

  const features = feat?.code === 211 ? feat.lines.slice(1, -1).map((l) => l.trim()).filter((l) => l !== '') : [];
  const authMechanisms = features
    .filter((f) => /^AUTH\b/i.test(f))
    .flatMap((f) => f.replace(/^AUTH\s*/i, '').split(/[\s;]+/))
    .filter((s) => s !== '')
    .map((s) => s.toUpperCase());
  const startTls = authMechanisms.some((m) => m === 'TLS' || m === 'TLS-C' || m === 'SSL');
  const implicit = conn.tlsSocket !== undefined;
  const facts: FtpFacts = {
    bannerCode: greeting.code,
    banner: greeting.lines.map((l) => printable(Buffer.from(l, 'latin1'), 256)),
    features: features.slice(0, 100),
    ...(feat !== undefined ? { featCode: feat.code } : {}),
    ...(syst?.code === 215 ? { system: syst.lines.join(' ').slice(0, 256) } : {}),
    ...(syst !== undefined ? { systCode: syst.code } : {}),
    authMechanisms,
    startTls,
    cleartextAuth: implicit ? false : startTls ? 'unknown' : true,
    implicitTls: implicit,
  };
  const product = ftpProduct(bannerText);
  return {
    identity: handshakeIdentity({
      name: 'ftp',
      product: product?.product,
      version: product?.version,
      ostype: linuxHint(bannerText) || /^UNIX/i.test(facts.system ?? '') ? 'Unix' : undefined,
      tunnel: implicit ? 'ssl' : undefined,
      facts: { ftp: facts },
    }),
    facts,
  };
}

export function ftpProduct(banner: string): { product: string; version?: string } | undefined {
  const rules: readonly [RegExp, string][] = [
    [/vsFTPd ([\d.]+)/i, 'vsftpd'],
    [/ProFTPD ([\d.]+\w*)/, 'ProFTPD'],
    [/Pure-FTPd/, 'Pure-FTPd'],
    [/FileZilla Server (?:version )?([\d.]+\w*)/i, 'FileZilla ftpd'],
    [/Microsoft FTP Service/, 'Microsoft ftpd'],
  ];
  for (const [re, product] of rules) {
    const m = re.exec(banner);
    if (m !== null) return m[1] !== undefined ? { product, version: m[1] } : { product };
  }
  return undefined;
}
