import { readLines, reply, replyAndClose, serveTcp, type ServiceSpec } from './lab-service.js';

/** A Postfix that refuses to relay: enough dialogue for banner grabbing and EHLO capability checks. */
export function smtpService(hostname: string): ServiceSpec {
  const banner = `220 ${hostname} ESMTP Postfix (Debian/GNU)`;
  const ehlo = [
    hostname,
    'PIPELINING',
    'SIZE 10240000',
    'VRFY',
    'ETRN',
    'ENHANCEDSTATUSCODES',
    '8BITMIME',
    'DSN',
    'SMTPUTF8',
    'CHUNKING',
  ];
  return {
    name: 'smtp',
    product: 'Postfix smtpd',
    banner,
    start: (ip, port, limits) =>
      serveTcp(ip, port, `smtp ${ip}:${port}`, (socket) => {
        reply(socket, `${banner}\r\n`);
        let helo = false;
        let mail = false;
        let commands = 0;
        readLines(socket, (line) => {
          if (++commands > 50) return replyAndClose(socket, '421 4.7.0 Error: too many errors\r\n');
          const verb = (line.trim().split(/\s+/)[0] ?? '').toUpperCase();
          switch (verb) {
            case 'EHLO':
              helo = true;
              return reply(socket, ehlo.map((cap, i) => `250${i === ehlo.length - 1 ? ' ' : '-'}${cap}\r\n`).join(''));
            case 'HELO':
              helo = true;
              return reply(socket, `250 ${hostname}\r\n`);
            case 'MAIL':
              if (!helo) return reply(socket, '503 5.5.1 Error: send HELO/EHLO first\r\n');
              mail = true;
              return reply(socket, '250 2.1.0 Ok\r\n');
            case 'RCPT':
              if (!mail) return reply(socket, '503 5.5.1 Error: need MAIL command\r\n');
              return reply(socket, '554 5.7.1 Relay access denied\r\n');
            case 'DATA':
              return reply(socket, mail ? '554 5.5.1 Error: no valid recipients\r\n' : '503 5.5.1 Error: need RCPT command\r\n');
            case 'RSET':
              mail = false;
              return reply(socket, '250 2.0.0 Ok\r\n');
            case 'NOOP':
              return reply(socket, '250 2.0.0 Ok\r\n');
            case 'VRFY':
              return reply(socket, '252 2.0.0 Send some mail, I\'ll try my best\r\n');
            case 'STARTTLS':
              return reply(socket, '502 5.5.1 Error: command not implemented\r\n');
            case 'QUIT':
              return replyAndClose(socket, '221 2.0.0 Bye\r\n');
            case '':
              return reply(socket, '500 5.5.2 Error: bad syntax\r\n');
            default:
              return reply(socket, '502 5.5.2 Error: command not recognized\r\n');
          }
        });
      }, limits),
  };
}
