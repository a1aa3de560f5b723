/**
 * ftp-anonymous: the one built-in check that logs in. Anonymous FTP (RFC 1635) is a public-service
 * convention, not a guessed credential: the user name is `anonymous` and the password, by that
 * convention, an e-mail-like string. So the check counts as safe. It sends USER, PASS (only when the
 * server asks for one) and QUIT — no listing, no retrieval, no data connection.
 */
import { isDialError, type HandshakeConnection } from '../../engines/identify/handshakes/handshake-connection.js';
import { codedReplyLength, readCodedReply, type CodedReply } from '../../engines/identify/handshakes/line-reply.js';
import type { Check, CheckMeta } from '../check.js';
import { makeFinding } from '../check.js';
import { connect, tlsDialFor, withCheckBudget } from '../check-io.js';
import { factsOf } from '../identity-facts.js';

/** By RFC 1635 convention an e-mail-like string; `.invalid` (RFC 2606) so it names no real mailbox. */
export const ANONYMOUS_FTP_PASSWORD = 'trawl-scanner@example.invalid';

const meta: CheckMeta = {
  id: 'ftp-anonymous',
  title: 'Anonymous FTP login allowed',
  severity: 'medium',
  safe: true,
  traffic: 'requests',
  description:
    `Logs in as \`anonymous\` with the conventional e-mail-like password (${ANONYMOUS_FTP_PASSWORD}) and fires on 230 (logged in). The only built-in check that logs in: anonymous FTP is a published convention, not a guessed credential. Sends USER, PASS (only after 331) and QUIT; never lists or retrieves files.`,
  remediation: 'Disable anonymous login (vsftpd `anonymous_enable=NO`, ProFTPD: remove the <Anonymous> block) unless the server deliberately publishes files, and then keep it read-only and free of anything sensitive.',
  references: { cwe: ['CWE-284'], urls: ['https://www.rfc-editor.org/rfc/rfc1635'] },
  cvssVector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:L/I:N/A:N',
};

function replyText(r: CodedReply | undefined): string {
  return r === undefined ? '(no reply)' : `${r.code} ${r.lines.join(' ').trim()}`.slice(0, 200);
}

async function command(conn: HandshakeConnection, line: string): Promise<CodedReply | undefined> {
  conn.write(`${line}\r\n`);
  return readCodedReply(conn);
}

export const ftpAnonymous: Check = {
  ...meta,
  appliesTo: (identity) => identity.name === 'ftp' || factsOf(identity, 'ftp') !== undefined,
  async run(target, identity, ctx) {
    return withCheckBudget(ctx, async (budget) => {
      const conn = await connect(target, ctx, budget, tlsDialFor(identity));
      if (isDialError(conn)) return [];
      try {
        const greeting = await readCodedReply(conn);
        if (greeting?.code !== 220) return [];
        const user = await command(conn, 'USER anonymous');
        let pass: CodedReply | undefined;
        if (user?.code === 331) pass = await command(conn, `PASS ${ANONYMOUS_FTP_PASSWORD}`);
        // Wait briefly for 221, so QUIT reaches the server before the socket is destroyed.
        conn.write('QUIT\r\n');
        await conn.fill((b) => codedReplyLength(b) >= 0, 500);
        const loggedIn = user?.code === 230 || pass?.code === 230;
        if (!loggedIn) return [];
        return [
          makeFinding(meta, target, ctx.now(), {
            summary: `Anonymous login accepted: ${replyText(pass ?? user)}`,
            confidence: 'certain',
            evidence: {
              greeting: replyText(greeting),
              user_reply: replyText(user),
              ...(pass !== undefined ? { pass_reply: replyText(pass), password_sent: ANONYMOUS_FTP_PASSWORD } : { password_sent: null }),
              files_listed: false,
            },
          }),
        ];
      } finally {
        conn.close();
      }
    });
  },
};
