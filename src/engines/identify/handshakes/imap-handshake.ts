import { type HandshakeConnection, oneConnectionHandshake, printable } from './handshake-connection.js';
import { handshakeIdentity, linuxHint } from './handshake-identity.js';
import type { HandshakeResult } from './handshake-types.js';
import { readLine, readLinesUntil } from './line-reply.js';

export interface ImapFacts {
  readonly banner: string;
  /** "OK", "PREAUTH" or "BYE". */
  readonly greeting: string;
  /** CAPABILITY atoms (RFC 3501 §7.2.1). */
  readonly capabilities: readonly string[];
  readonly startTls: boolean;
  /** AUTH=<mechanism> atoms. */
  readonly authMechanisms: readonly string[];
  /** LOGINDISABLED: the LOGIN command is refused (until STARTTLS). */
  readonly loginDisabled: boolean;
  /** LOGIN or an AUTH mechanism usable on a connection that is not encrypted. */
  readonly cleartextAuth: boolean;
  readonly implicitTls: boolean;
}

const imapEntry = oneConnectionHandshake(imapOverConnection);
export const imapHandshake = imapEntry.handshake;
export const imapWithBudget = imapEntry.withBudget;

/** IMAP on an open connection: greeting, CAPABILITY, LOGOUT. */
export async function imapOverConnection(conn: HandshakeConnection): Promise<HandshakeResult<ImapFacts> | undefined> {
  const banner = await readLine(conn);
  const g = banner === undefined ? null : /^\* (OK|PREAUTH|BYE)\b/i.exec(banner);
  if (banner === undefined || g === null) return undefined;
  const greeting = g[1]!.toUpperCase();
  let atoms: string[] = [];
  const inGreeting = /\[CAPABILITY ([^\]]*)\]/i.exec(banner);
  if (greeting !== 'BYE') {
    conn.write('t1 CAPABILITY\r\n');
    const lines = await readLinesUntil(conn, (l) => /^t1 /i.test(l));
    const capLine = lines?.find((l) => /^\* CAPABILITY /i.test(l));
    if (capLine !== undefined) atoms = capLine.slice('* CAPABILITY '.length).split(/\s+/);
    conn.write('t2 LOGOUT\r\n');
  }
  if (atoms.length === 0 && inGreeting !== null) atoms = inGreeting[1]!.split(/\s+/);
  const capabilities = atoms.filter((a) => a !== '').slice(0, 200);
  const upper = capabilities.map((c) => c.toUpperCase());
  const authMechanisms = upper.filter((c) => c.startsWith('AUTH=')).map((c) => c.slice(5));
  const loginDisabled = upper.includes('LOGINDISABLED');
  const implicit = conn.tlsSocket !== undefined;
  const facts: ImapFacts = {
    banner: printable(Buffer.from(banner, 'latin1'), 256),
    greeting,
    capabilities,
    startTls: upper.includes('STARTTLS'),
    authMechanisms,
    loginDisabled,
    cleartextAuth: !implicit && (!loginDisabled || authMechanisms.length > 0),
    implicitTls: implicit,
  };
  const product = /Dovecot/i.test(banner) ? 'Dovecot imapd' : /Cyrus/i.test(banner) ? 'Cyrus imapd' : /Courier/i.test(banner) ? 'Courier Imapd' : undefined;
  return {
    identity: handshakeIdentity({
      name: 'imap',
      product,
      ostype: linuxHint(banner) ? 'Linux' : undefined,
      tunnel: implicit ? 'ssl' : undefined,
      facts: { imap: facts },
    }),
    facts,
  };
}
