import { randomBytes } from 'node:crypto';

/**
 * A self-contained TLS ClientHello, written on a raw socket so the cascade sees the server's first
 * bytes whatever they are: a ServerHello or alert means TLS, anything else is a clue to what the
 * service is. It offers TLS 1.3 (supported_versions, an x25519 key share) and 1.0-1.2 suites, so any
 * TLS server of the last twenty years answers with a ServerHello.
 */

const SUITES = [0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9, 0xcca8, 0xc009, 0xc013, 0xc00a, 0xc014, 0x009c, 0x009d, 0x002f, 0x0035, 0x000a];
const SIG_ALGS = [0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601, 0x0201, 0x0203];

function u16(v: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(v);
  return b;
}

function u16list(values: readonly number[]): Buffer {
  return Buffer.concat([u16(values.length * 2), ...values.map(u16)]);
}

function ext(type: number, data: Buffer): Buffer {
  return Buffer.concat([u16(type), u16(data.length), data]);
}

export function clientHello(serverName?: string): Buffer {
  const exts: Buffer[] = [];
  if (serverName !== undefined && serverName !== '') {
    const name = Buffer.from(serverName, 'ascii');
    const entry = Buffer.concat([Buffer.from([0]), u16(name.length), name]);
    exts.push(ext(0x0000, Buffer.concat([u16(entry.length), entry])));
  }
  exts.push(ext(0x000a, u16list([0x001d, 0x0017, 0x0018])));
  exts.push(ext(0x000b, Buffer.from([1, 0])));
  exts.push(ext(0x000d, u16list(SIG_ALGS)));
  exts.push(ext(0x002b, Buffer.from([8, 0x03, 0x04, 0x03, 0x03, 0x03, 0x02, 0x03, 0x01])));
  const share = Buffer.concat([u16(0x001d), u16(32), randomBytes(32)]);
  exts.push(ext(0x0033, Buffer.concat([u16(share.length), share])));
  exts.push(ext(0x002d, Buffer.from([1, 1])));
  const alpn = Buffer.concat([Buffer.from([2]), Buffer.from('h2'), Buffer.from([8]), Buffer.from('http/1.1')]);
  exts.push(ext(0x0010, Buffer.concat([u16(alpn.length), alpn])));
  const extensions = Buffer.concat(exts);

  const body = Buffer.concat([
    Buffer.from([0x03, 0x03]),
    randomBytes(32),
    Buffer.from([32]),
    randomBytes(32),
    u16list(SUITES),
    Buffer.from([1, 0]),
    u16(extensions.length),
    extensions,
  ]);
  const handshake = Buffer.concat([Buffer.from([0x01, body.length >> 16, (body.length >> 8) & 0xff, body.length & 0xff]), body]);
  return Buffer.concat([Buffer.from([0x16, 0x03, 0x01]), u16(handshake.length), handshake]);
}

/** A TLS record header: handshake (ServerHello) or alert, version 3.x. */
export function isTlsRecord(buf: Buffer): boolean {
  return buf.length >= 5 && (buf[0] === 0x16 || buf[0] === 0x15) && buf[1] === 0x03 && buf[2]! <= 0x04;
}
