/**
 * Just enough of MongoDB's wire protocol for a handshake: BSON (bsonspec.org 1.1) encoding of small
 * command documents, bounded BSON decoding of replies, and OP_MSG framing (opcode 2013, MongoDB 3.6+).
 * Replies come from untrusted servers: sizes, nesting and counts are capped, and anything malformed
 * throws a plain Error the caller treats as "not MongoDB".
 */

export type BsonValue =
  | string
  | number
  | boolean
  | null
  | BsonValue[]
  | { [key: string]: BsonValue };

export const OP_MSG = 2013;
/** A reply larger than this is not read (a hello reply is a few hundred bytes). */
export const MAX_MESSAGE = 64 * 1024;
const MAX_DEPTH = 16;
const MAX_KEYS = 1000;

function cstring(s: string): Buffer {
  if (s.includes('\0')) throw new Error('BSON key contains NUL');
  return Buffer.concat([Buffer.from(s, 'utf8'), Buffer.from([0])]);
}

function element(key: string, v: BsonValue): Buffer {
  const k = cstring(key);
  if (v === null) return Buffer.concat([Buffer.from([0x0a]), k]);
  if (typeof v === 'boolean') return Buffer.concat([Buffer.from([0x08]), k, Buffer.from([v ? 1 : 0])]);
  if (typeof v === 'number') {
    if (Number.isInteger(v) && v >= -0x8000_0000 && v <= 0x7fff_ffff) {
      const b = Buffer.alloc(4);
      b.writeInt32LE(v);
      return Buffer.concat([Buffer.from([0x10]), k, b]);
    }
    const b = Buffer.alloc(8);
    b.writeDoubleLE(v);
    return Buffer.concat([Buffer.from([0x01]), k, b]);
  }
  if (typeof v === 'string') {
    const s = Buffer.from(v, 'utf8');
    const len = Buffer.alloc(4);
    len.writeInt32LE(s.length + 1);
    return Buffer.concat([Buffer.from([0x02]), k, len, s, Buffer.from([0])]);
  }
  if (Array.isArray(v)) return Buffer.concat([Buffer.from([0x04]), k, encodeBson(Object.fromEntries(v.map((x, i) => [String(i), x])))]);
  return Buffer.concat([Buffer.from([0x03]), k, encodeBson(v)]);
}

/** Encodes a document; key order is kept (MongoDB reads the command name from the first key). */
export function encodeBson(doc: { readonly [key: string]: BsonValue }): Buffer {
  const body = Buffer.concat(Object.entries(doc).map(([k, v]) => element(k, v)));
  const len = Buffer.alloc(4);
  len.writeInt32LE(body.length + 5);
  return Buffer.concat([len, body, Buffer.from([0])]);
}

function readCString(b: Buffer, off: number, end: number): [string, number] {
  const z = b.indexOf(0, off);
  if (z < 0 || z >= end) throw new Error('unterminated BSON cstring');
  return [b.subarray(off, z).toString('utf8'), z + 1];
}

/** Decodes the document at `off`; returns it and the offset after it. */
export function decodeBson(b: Buffer, off = 0, depth = 0): [{ [key: string]: BsonValue }, number] {
  if (depth > MAX_DEPTH) throw new Error('BSON nested too deeply');
  if (off + 5 > b.length) throw new Error('BSON document truncated');
  const size = b.readInt32LE(off);
  const end = off + size;
  if (size < 5 || end > b.length || b[end - 1] !== 0) throw new Error(`BSON document size ${size} invalid`);
  const out: { [key: string]: BsonValue } = {};
  let p = off + 4;
  let keys = 0;
  while (p < end - 1) {
    if (++keys > MAX_KEYS) throw new Error('BSON document has too many keys');
    const type = b[p]!;
    const [key, q] = readCString(b, p + 1, end);
    p = q;
    const need = (n: number): void => {
      if (p + n > end - 1) throw new Error(`BSON element '${key}' truncated`);
    };
    let v: BsonValue;
    switch (type) {
      case 0x01:
        need(8);
        v = b.readDoubleLE(p);
        p += 8;
        break;
      case 0x02:
      case 0x0d:
      case 0x0e: {
        need(4);
        const n = b.readInt32LE(p);
        if (n < 1) throw new Error(`BSON string '${key}' has length ${n}`);
        need(4 + n);
        v = b.subarray(p + 4, p + 4 + n - 1).toString('utf8');
        p += 4 + n;
        break;
      }
      case 0x03:
      case 0x04: {
        const [d, q2] = decodeBson(b, p, depth + 1);
        v = type === 0x04 ? Object.values(d) : d;
        p = q2;
        break;
      }
      case 0x05: {
        need(5);
        const n = b.readInt32LE(p);
        if (n < 0) throw new Error(`BSON binary '${key}' has length ${n}`);
        need(5 + n);
        v = { $binary: { subType: b[p + 4]!, length: n } };
        p += 5 + n;
        break;
      }
      case 0x06:
      case 0x0a:
      case 0x7f:
      case 0xff:
        v = null;
        break;
      case 0x07:
        need(12);
        v = { $oid: b.subarray(p, p + 12).toString('hex') };
        p += 12;
        break;
      case 0x08:
        need(1);
        v = b[p] !== 0;
        p += 1;
        break;
      case 0x09: {
        need(8);
        const ms = Number(b.readBigInt64LE(p));
        const d = new Date(ms);
        v = { $date: Number.isNaN(d.getTime()) ? ms : d.toISOString() };
        p += 8;
        break;
      }
      case 0x0b: {
        const [pattern, q2] = readCString(b, p, end);
        const [flags, q3] = readCString(b, q2, end);
        v = { $regex: pattern, $options: flags };
        p = q3;
        break;
      }
      case 0x10:
        need(4);
        v = b.readInt32LE(p);
        p += 4;
        break;
      case 0x11:
        need(8);
        v = { $timestamp: { t: b.readUInt32LE(p + 4), i: b.readUInt32LE(p) } };
        p += 8;
        break;
      case 0x12: {
        need(8);
        const n = b.readBigInt64LE(p);
        v = n >= BigInt(Number.MIN_SAFE_INTEGER) && n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n.toString();
        p += 8;
        break;
      }
      case 0x13:
        need(16);
        v = { $numberDecimalBytes: b.subarray(p, p + 16).toString('hex') };
        p += 16;
        break;
      default:
        throw new Error(`BSON type 0x${type.toString(16)} of '${key}' not supported`);
    }
    out[key] = v;
  }
  return [out, end];
}

/** An OP_MSG carrying one body section (kind 0) with `doc`. */
export function opMsg(requestId: number, doc: { readonly [key: string]: BsonValue }): Buffer {
  const body = encodeBson(doc);
  const header = Buffer.alloc(16 + 4 + 1);
  header.writeInt32LE(header.length + body.length, 0);
  header.writeInt32LE(requestId, 4);
  header.writeInt32LE(0, 8);
  header.writeInt32LE(OP_MSG, 12);
  header.writeUInt32LE(0, 16);
  header[20] = 0;
  return Buffer.concat([header, body]);
}

/** Bytes of the first whole message in `buf`, -1 when incomplete, -2 when the length is implausible. */
export function messageLength(buf: Buffer): number {
  if (buf.length < 4) return -1;
  const n = buf.readInt32LE(0);
  if (n < 21 || n > MAX_MESSAGE) return -2;
  return buf.length >= n ? n : -1;
}

export interface OpMsgReply {
  readonly responseTo: number;
  readonly body: { [key: string]: BsonValue };
}

/** Parses an OP_MSG reply's body section; throws when it is not one. */
export function parseOpMsg(msg: Buffer): OpMsgReply {
  if (msg.length < 21) throw new Error('message too short');
  const opCode = msg.readInt32LE(12);
  if (opCode !== OP_MSG) throw new Error(`opcode ${opCode}, not OP_MSG`);
  const flags = msg.readUInt32LE(16);
  // Only checksumPresent (bit 0) and moreToCome (bit 1) are defined for replies.
  if ((flags & ~0x3) !== 0) throw new Error(`OP_MSG flags 0x${flags.toString(16)} not understood`);
  const end = flags & 1 ? msg.length - 4 : msg.length;
  let p = 20;
  while (p < end) {
    const kind = msg[p]!;
    if (kind === 0) {
      const [doc] = decodeBson(msg.subarray(0, end), p + 1);
      return { responseTo: msg.readInt32LE(8), body: doc };
    }
    if (kind !== 1 || p + 5 > end) throw new Error(`OP_MSG section kind ${kind}`);
    p += 1 + msg.readInt32LE(p + 1);
  }
  throw new Error('OP_MSG without a body section');
}
