import { randomBytes } from 'node:crypto';
import { replyAndClose, reply, serveTcp, type ServiceSpec } from './lab-service.js';

/** MySQL packet framing: 3-byte little-endian length, 1-byte sequence id. */
function packet(seq: number, payload: Buffer): Buffer {
  const head = Buffer.alloc(4);
  head.writeUIntLE(payload.length, 0, 3);
  head.writeUInt8(seq & 0xff, 3);
  return Buffer.concat([head, payload]);
}

/** Scramble bytes: printable, never NUL, as the server's generator produces. */
function scramble(n: number): Buffer {
  const b = randomBytes(n);
  for (let i = 0; i < n; i++) b[i] = 0x21 + ((b[i] ?? 0) % 94);
  return b;
}

/** A protocol-10 initial handshake (the "greeting") as a MySQL 8.0 server without TLS sends it. */
export function mysqlGreeting(version: string, connectionId: number): Buffer {
  const salt = scramble(20);
  const caps = 0xdfff_f7ff; // MySQL 8.0 capabilities with CLIENT_SSL (0x800) cleared: no TLS here.
  const p = Buffer.concat([
    Buffer.from([10]),
    Buffer.from(`${version}\0`, 'latin1'),
    (() => { const b = Buffer.alloc(4); b.writeUInt32LE(connectionId); return b; })(),
    salt.subarray(0, 8),
    Buffer.from([0]),
    (() => { const b = Buffer.alloc(2); b.writeUInt16LE(caps & 0xffff); return b; })(),
    Buffer.from([0xff]), // utf8mb4_0900_ai_ci
    Buffer.from([0x02, 0x00]), // SERVER_STATUS_AUTOCOMMIT
    (() => { const b = Buffer.alloc(2); b.writeUInt16LE(caps >>> 16); return b; })(),
    Buffer.from([21]),
    Buffer.alloc(10),
    salt.subarray(8, 20),
    Buffer.from([0]),
    Buffer.from('caching_sha2_password\0', 'latin1'),
  ]);
  return packet(0, p);
}

function errPacket(seq: number, code: number, state: string, message: string): Buffer {
  const head = Buffer.alloc(3);
  head.writeUInt8(0xff, 0);
  head.writeUInt16LE(code, 1);
  return packet(seq, Buffer.concat([head, Buffer.from(`#${state}${message}`, 'utf8')]));
}

export function mysqlService(version: string): ServiceSpec {
  let nextId = 8;
  return {
    name: 'mysql',
    product: 'MySQL',
    version,
    start: (ip, port, limits) =>
      serveTcp(ip, port, `mysql ${ip}:${port}`, (socket) => {
        reply(socket, mysqlGreeting(version, nextId++));
        let buf: Buffer = Buffer.alloc(0);
        socket.on('data', (chunk: Buffer) => {
          buf = Buffer.concat([buf, chunk]);
          if (buf.length < 4) return;
          const len = buf.readUIntLE(0, 3);
          const seq = buf.readUInt8(3);
          // A HandshakeResponse41 is at least 32 bytes of fixed fields plus a NUL-terminated user.
          if (len < 33 || len > 4096 || seq !== 1) {
            replyAndClose(socket, errPacket(seq + 1, 1158, '08S01', 'Got an error reading communication packets'));
            return;
          }
          if (buf.length < 4 + len) return;
          const body = buf.subarray(4, 4 + len);
          const nul = body.indexOf(0, 32);
          const user = body.subarray(32, nul < 0 ? Math.min(body.length, 96) : Math.min(nul, 96)).toString('utf8');
          replyAndClose(socket, errPacket(2, 1045, '28000', `Access denied for user '${user}'@'${socket.remoteAddress ?? 'localhost'}' (using password: YES)`));
        });
      }, limits),
  };
}
