import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { ANONYMOUS_FTP_PASSWORD, ftpAnonymous } from '../../src/checks/builtin/ftp-anonymous-check.js';
import { onLines, tcpServer, type LocalServer } from '../identify/handshakes/local-server.js';
import { identity, runCheck, target, testContext } from './check-test-support.js';

type Mode = 'password' | 'no-password' | 'refused-at-pass' | 'refused-at-user';

/** A line-by-line FTP control channel with vsftpd's replies for each way anonymous login can go. */
async function ftpServer(mode: Mode): Promise<LocalServer & { commands: string[] }> {
  const commands: string[] = [];
  const server = await tcpServer((sock) => {
    sock.write('220 (vsFTPd 3.0.3)\r\n');
    onLines(sock, (line) => {
      commands.push(line);
      const [verb] = line.split(' ');
      if (verb === 'USER') {
        if (mode === 'no-password') sock.write('230 Login successful.\r\n');
        else if (mode === 'refused-at-user') sock.write('530 This FTP server does not allow anonymous logins.\r\n');
        else sock.write('331 Please specify the password.\r\n');
      } else if (verb === 'PASS') {
        sock.write(mode === 'password' ? '230 Login successful.\r\n' : '530 Login incorrect.\r\n');
      } else if (verb === 'QUIT') {
        sock.end('221 Goodbye.\r\n');
      } else {
        sock.write('530 Please login with USER and PASS.\r\n');
      }
    });
  });
  return Object.assign(server, { commands });
}

const ftpIdentity = identity('ftp', { ftp: { bannerCode: 220, banner: ['(vsFTPd 3.0.3)'], features: [], authMechanisms: [], startTls: false, cleartextAuth: true, implicitTls: false } });

describe('ftp-anonymous', () => {
  const servers: LocalServer[] = [];
  after(async () => {
    for (const s of servers) await s.close();
  });

  it('logs in with USER anonymous and the conventional password, then QUITs — nothing else', async () => {
    const s = await ftpServer('password');
    servers.push(s);
    const ctx = testContext();
    const [f] = await runCheck(ftpAnonymous, target(s.port), ftpIdentity, ctx);
    assert.ok(f);
    assert.equal(f.evidence['pass_reply'], '230 Login successful.');
    assert.equal(f.evidence['password_sent'], ANONYMOUS_FTP_PASSWORD);
    assert.equal(f.intrusive, false);
    assert.deepEqual(s.commands, ['USER anonymous', `PASS ${ANONYMOUS_FTP_PASSWORD}`, 'QUIT']);
    assert.match(ANONYMOUS_FTP_PASSWORD, /^[^@\s]+@[^@\s]+\.invalid$/);
    assert.equal(ctx.connects.length, 1);
  });

  it('a server that lets anonymous in without a password (vsftpd no_anon_password) fires without PASS', async () => {
    const s = await ftpServer('no-password');
    servers.push(s);
    const [f] = await runCheck(ftpAnonymous, target(s.port), ftpIdentity);
    assert.equal(f?.evidence['user_reply'], '230 Login successful.');
    assert.equal(f?.evidence['password_sent'], null);
    assert.deepEqual(s.commands, ['USER anonymous', 'QUIT']);
  });

  it('refusals at USER or PASS are silent', async () => {
    for (const mode of ['refused-at-pass', 'refused-at-user'] as const) {
      const s = await ftpServer(mode);
      servers.push(s);
      assert.deepEqual(await runCheck(ftpAnonymous, target(s.port), ftpIdentity), [], mode);
      assert.equal(s.commands[s.commands.length - 1], 'QUIT');
    }
  });
});
