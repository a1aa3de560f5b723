import { reply, replyAndClose, serveTcp, type ServiceSpec } from './lab-service.js';

const SSL_REQUEST = 80877103;
const GSSENC_REQUEST = 80877104;
const PROTOCOL_3_0 = 196608;

function message(type: string, body: Buffer): Buffer {
  const head = Buffer.alloc(5);
  head.write(type, 0, 'latin1');
  head.writeUInt32BE(body.length + 4, 1);
  return Buffer.concat([head, body]);
}

/** A FATAL ErrorResponse with the fields psql and nmap read: severity, SQLSTATE, message. */
function fatal(code: string, text: string): Buffer {
  const fields = ['SFATAL', 'VFATAL', `C${code}`, `M${text}`, 'Fauth.c', 'L335', 'Rauth_failed'];
  return message('E', Buffer.from(`${fields.join('\0')}\0\0`, 'utf8'));
}

/**
 * PostgreSQL up to authentication: declines SSL and GSS encryption, asks for SCRAM-SHA-256 like a
 * default 14+ install, and rejects whatever the client answers.
 */
export function postgresService(): ServiceSpec {
  return {
    name: 'postgresql',
    product: 'PostgreSQL DB',
    start: (ip, port, limits) =>
      serveTcp(ip, port, `postgresql ${ip}:${port}`, (socket) => {
        let buf: Buffer = Buffer.alloc(0);
        let user = '';
        let started = false;
        socket.on('data', (chunk: Buffer) => {
          buf = Buffer.concat([buf, chunk]);
          while (!socket.destroyed) {
            if (started) {
              // After startup, anything (SASLInitialResponse or garbage) ends in a refusal.
              replyAndClose(socket, fatal('28P01', `password authentication failed for user "${user}"`));
              return;
            }
            if (buf.length < 8) return;
            const len = buf.readUInt32BE(0);
            const code = buf.readUInt32BE(4);
            if (len < 8 || len > 10_000) {
              replyAndClose(socket, fatal('08P01', 'invalid length of startup packet'));
              return;
            }
            if (buf.length < len) return;
            const body = buf.subarray(8, len);
            buf = buf.subarray(len);
            if (code === SSL_REQUEST || code === GSSENC_REQUEST) {
              reply(socket, 'N');
              continue;
            }
            if (code !== PROTOCOL_3_0) {
              replyAndClose(socket, fatal('0A000', `unsupported frontend protocol ${code >>> 16}.${code & 0xffff}: server supports 3.0 to 3.0`));
              return;
            }
            const kv = body.toString('utf8').split('\0');
            const i = kv.indexOf('user');
            user = (i >= 0 ? kv[i + 1] ?? '' : '').slice(0, 63);
            started = true;
            const sasl = Buffer.concat([Buffer.from([0, 0, 0, 10]), Buffer.from('SCRAM-SHA-256\0\0', 'latin1')]);
            reply(socket, message('R', sasl));
            if (buf.length === 0) return;
          }
        });
      }, limits),
  };
}
