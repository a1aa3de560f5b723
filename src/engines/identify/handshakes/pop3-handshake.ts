import { type HandshakeConnection, oneConnectionHandshake, printable } from './handshake-connection.js';
import { handshakeIdentity, linuxHint } from './handshake-identity.js';
import type { HandshakeResult } from './handshake-types.js';
import { readLine, readLinesUntil } from './line-reply.js';

export interface Pop3Facts {
  readonly banner: string;
  /** CAPA lines (RFC 2449); empty when CAPA is refused. */
  readonly capabilities: readonly string[];
  readonly capaSupported: boolean;
  /** STLS offered (RFC 2595). */
  readonly startTls: boolean;
  /** SASL mechanisms from the "SASL" capability. */
  readonly saslMechanisms: readonly string[];
  /** USER/PASS offered. */
  readonly userPass: boolean;
  /** Some login (USER/PASS or SASL) offered on a connection that is not encrypted. */
  readonly cleartextAuth: boolean;
  readonly implicitTls: boolean;
}

const pop3Entry = oneConnectionHandshake(pop3OverConnection);
export const pop3Handshake = pop3Entry.handshake;
export const pop3WithBudget = pop3Entry.withBudget;

/** POP3 on an open connection: greeting, CAPA, QUIT. */
export async function pop3OverConnection(conn: HandshakeConnection): Promise<HandshakeResult<Pop3Facts> | undefined> {
  const banner = await readLine(conn);
  if (banner === undefined || !banner.startsWith('+OK')) return undefined;
  conn.write('CAPA\r\n');
  const first = await readLine(conn);
  let capabilities: string[] = [];
  const capaSupported = first?.startsWith('+OK') ?? false;
  if (capaSupported) capabilities = ((await readLinesUntil(conn, (l) => l === '.')) ?? []).slice(0, -1).map((l) => l.trim());
  conn.write('QUIT\r\n');
  const cap = (name: string): string | undefined => capabilities.find((c) => c.split(/\s+/)[0]!.toUpperCase() === name);
  const saslMechanisms = (cap('SASL') ?? '').split(/\s+/).slice(1).filter((s) => s !== '').map((s) => s.toUpperCase());
  const userPass = cap('USER') !== undefined;
  const implicit = conn.tlsSocket !== undefined;
  const facts: Pop3Facts = {
    banner: printable(Buffer.from(banner, 'latin1'), 256),
    capabilities: capabilities.slice(0, 100),
    capaSupported,
    startTls: cap('STLS') !== undefined,
    saslMechanisms,
    userPass,
    // Without CAPA the server still takes USER/PASS (RFC 1939 has nothing else).
    cleartextAuth: !implicit && (userPass || saslMechanisms.length > 0 || !capaSupported),
    implicitTls: implicit,
  };
  const product = /Dovecot/i.test(banner) ? 'Dovecot pop3d' : /Cyrus/i.test(banner) ? 'Cyrus pop3d' : /Courier/i.test(banner) ? 'Courier pop3d' : undefined;
  return {
    identity: handshakeIdentity({
      name: 'pop3',
      product,
      ostype: linuxHint(banner) ? 'Linux' : undefined,
      tunnel: implicit ? 'ssl' : undefined,
      facts: { pop3: facts },
    }),
    facts,
  };
}
