import { mysqlPacketLength } from '../handshakes/mysql-handshake.js';

/** What a server's first bytes (a banner, or its answer to our first probe) suggest it speaks. */
export type FirstPacketClass =
  | 'ssh'
  | 'ftp'
  | 'smtp'
  | 'ftp-or-smtp'
  | 'pop3'
  | 'imap'
  | 'mysql'
  | 'redis'
  | 'memcached'
  | 'http'
  | 'vnc'
  | 'unknown';

/** Enough bytes to classify: a full line, a whole MySQL packet, or 256 bytes of anything. */
export function firstPacketReady(buf: Buffer): boolean {
  return buf.length > 0 && (buf.includes(0x0a) || mysqlPacketLength(buf) >= 0 || buf.length >= 256);
}

export function classifyFirstPacket(buf: Buffer): FirstPacketClass {
  if (buf.length === 0) return 'unknown';
  if (buf.length >= 5 && buf[3] === 0) {
    const len = buf.readUIntLE(0, 3);
    if ((buf[4] === 10 && len >= 20 && len <= 1024) || (buf[4] === 0xff && len >= 3 && len <= 1024)) return 'mysql';
  }
  const text = buf.subarray(0, 512).toString('latin1');
  if (/^SSH-\d+\.\d+-/.test(text)) return 'ssh';
  if (/^HTTP\/\d(\.\d)? \d{3}/.test(text)) return 'http';
  if (/^RFB \d{3}\.\d{3}\n/.test(text)) return 'vnc';
  if (/^\+OK\b/.test(text)) return 'pop3';
  if (/^\* (OK|PREAUTH|BYE)\b/i.test(text)) return 'imap';
  if (/^-(DENIED|NOAUTH|ERR|WRONGTYPE|WRONGPASS)\b/.test(text)) return 'redis';
  if (/^(ERROR|CLIENT_ERROR|SERVER_ERROR)\b/.test(text)) return 'memcached';
  if (/^\d{3}[ -]/.test(text)) {
    const ftp = /\bftp\b|ftpd|vsftpd|filezilla/i.test(text);
    const smtp = /smtp|\bmail\b|postfix|exim|sendmail/i.test(text);
    if (ftp && !smtp) return 'ftp';
    if (smtp && !ftp) return 'smtp';
    return 'ftp-or-smtp';
  }
  return 'unknown';
}
