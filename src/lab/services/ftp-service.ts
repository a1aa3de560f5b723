import { readLines, reply, replyAndClose, serveTcp, type ServiceSpec } from './lab-service.js';

/** vsftpd with anonymous login off: answers the pre-login command set the way vsftpd 3.0.3 does. */
export function ftpService(): ServiceSpec {
  const banner = '220 (vsFTPd 3.0.3)';
  return {
    name: 'ftp',
    product: 'vsftpd',
    version: '3.0.3',
    banner,
    start: (ip, port, limits) =>
      serveTcp(ip, port, `ftp ${ip}:${port}`, (socket) => {
        reply(socket, `${banner}\r\n`);
        let user = false;
        let commands = 0;
        readLines(socket, (line) => {
          // vsftpd drops a session after repeated failures; a bound also stops a flood.
          if (++commands > 50) return replyAndClose(socket, '421 Too many commands.\r\n');
          const [verb = '', ...rest] = line.trim().split(' ');
          switch (verb.toUpperCase()) {
            case 'USER':
              user = rest.length > 0;
              return reply(socket, user ? '331 Please specify the password.\r\n' : '530 Permission denied.\r\n');
            case 'PASS':
              if (!user) return reply(socket, '503 Login with USER first.\r\n');
              user = false;
              return reply(socket, '530 Login incorrect.\r\n');
            case 'SYST':
              return reply(socket, '215 UNIX Type: L8\r\n');
            case 'FEAT':
              return reply(socket, '211-Features:\r\n EPRT\r\n EPSV\r\n MDTM\r\n PASV\r\n REST STREAM\r\n SIZE\r\n TVFS\r\n UTF8\r\n211 End\r\n');
            case 'NOOP':
              return reply(socket, '200 NOOP ok.\r\n');
            case 'QUIT':
              return replyAndClose(socket, '221 Goodbye.\r\n');
            case '':
              return;
            default:
              return reply(socket, '530 Please login with USER and PASS.\r\n');
          }
        });
      }, limits),
  };
}
