import type { HandshakeConnection } from './handshake-connection.js';

/** An FTP/SMTP reply: a three-digit code and its lines' text (code and separator removed). */
export interface CodedReply {
  readonly code: number;
  readonly lines: readonly string[];
}

/** Lines of a reply are capped: a server may not make us keep thousands of them. */
const MAX_LINES = 200;
const MAX_LINE_CHARS = 1024;

/**
 * Byte length of the first complete coded reply in `buf`, or -1 when it is not complete yet.
 * RFC 959 §4.2 / RFC 5321 §4.2: "123-" opens a multi-line reply that ends at a line "123 ...".
 */
export function codedReplyLength(buf: Buffer): number {
  let start = 0;
  let code: string | undefined;
  for (;;) {
    const nl = buf.indexOf(0x0a, start);
    if (nl < 0) return -1;
    const line = buf.subarray(start, nl).toString('latin1').replace(/\r$/, '');
    if (code === undefined) {
      const m = /^(\d{3})([ -]|$)/.exec(line);
      // Not a coded reply at all: return the line, the parser will reject it.
      if (m === null) return nl + 1;
      if (m[2] !== '-') return nl + 1;
      code = m[1]!;
    } else if (line.startsWith(`${code} `) || line === code) {
      return nl + 1;
    }
    start = nl + 1;
  }
}

export function parseCodedReply(bytes: Buffer): CodedReply | undefined {
  const raw = bytes.toString('latin1').split('\n').map((l) => l.replace(/\r$/, ''));
  if (raw[raw.length - 1] === '') raw.pop();
  const first = raw[0];
  const m = first === undefined ? null : /^(\d{3})([ -]|$)/.exec(first);
  if (m === null) return undefined;
  const code = Number(m[1]);
  const lines = raw.slice(0, MAX_LINES).map((l) => (/^\d{3}[ -]?/.test(l) ? l.replace(/^\d{3}[ -]?/, '') : l.trimStart()).slice(0, MAX_LINE_CHARS));
  return { code, lines };
}

/** Reads one coded reply; undefined when the server sends none, or something else. */
export async function readCodedReply(conn: HandshakeConnection): Promise<CodedReply | undefined> {
  const end = await conn.fill((b) => codedReplyLength(b) >= 0);
  if (end !== 'until') return undefined;
  return parseCodedReply(conn.consume(codedReplyLength(conn.buffer)));
}

/** Reads one line (without its CRLF); undefined when none came within the limits. */
export async function readLine(conn: HandshakeConnection): Promise<string | undefined> {
  const end = await conn.fill((b) => b.includes(0x0a));
  if (end !== 'until') return undefined;
  const nl = conn.buffer.indexOf(0x0a);
  return conn.consume(nl + 1).toString('latin1').replace(/\r?\n$/, '').slice(0, MAX_LINE_CHARS);
}

/** Byte length of a block of lines ending with the line `terminator` (POP3's ".", IMAP's tagged line). */
export function linesUntil(buf: Buffer, isLast: (line: string) => boolean): number {
  let start = 0;
  for (;;) {
    const nl = buf.indexOf(0x0a, start);
    if (nl < 0) return -1;
    if (isLast(buf.subarray(start, nl).toString('latin1').replace(/\r$/, ''))) return nl + 1;
    start = nl + 1;
  }
}

/** Reads lines up to and including the one `isLast` accepts; undefined when it never came. */
export async function readLinesUntil(conn: HandshakeConnection, isLast: (line: string) => boolean): Promise<string[] | undefined> {
  const end = await conn.fill((b) => linesUntil(b, isLast) >= 0);
  if (end !== 'until') return undefined;
  const text = conn.consume(linesUntil(conn.buffer, isLast)).toString('latin1');
  const lines = text.split('\n').map((l) => l.replace(/\r$/, ''));
  if (lines[lines.length - 1] === '') lines.pop();
  return lines.slice(0, MAX_LINES).map((l) => l.slice(0, MAX_LINE_CHARS));
}
