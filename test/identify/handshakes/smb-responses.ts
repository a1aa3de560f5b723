/**
 * SMB negotiate responses built from [MS-SMB2] 2.2.4 and [MS-CIFS] 2.2.4.52.2, field by field, for a
 * faithful local SMB server (written independently of the module's parser).
 */

export interface Smb2ResponseSpec {
  readonly dialect: number;
  readonly securityMode: number;
  readonly guid: Buffer;
  readonly capabilities: number;
  readonly systemTime: Date;
  readonly status?: number;
  /** For 3.1.1: the selected preauth hash, cipher and signing algorithm ids. */
  readonly contexts?: { readonly hash: number; readonly cipher: number; readonly signing: number };
  readonly securityBlob?: Buffer;
}

function filetime(d: Date): bigint {
  return (BigInt(d.getTime()) + 11_644_473_600_000n) * 10_000n;
}

function nb(payload: Buffer): Buffer {
  const h = Buffer.alloc(4);
  h.writeUInt32BE(payload.length);
  return Buffer.concat([h, payload]);
}

function smb2Header(status: number): Buffer {
  const h = Buffer.alloc(64);
  h.writeUInt32BE(0xfe534d42, 0);
  h.writeUInt16LE(64, 4);
  h.writeUInt32LE(status, 8);
  h.writeUInt16LE(0, 12); // NEGOTIATE
  h.writeUInt16LE(1, 14);
  h.writeUInt32LE(0x1, 16); // SERVER_TO_REDIR
  return h;
}

export function smb2NegotiateResponse(s: Smb2ResponseSpec): Buffer {
  const status = s.status ?? 0;
  if (status !== 0) {
    // Error response: StructureSize 9, ErrorContextCount 0, Reserved, ByteCount 0, one byte.
    const body = Buffer.from([9, 0, 0, 0, 0, 0, 0, 0, 0]);
    return nb(Buffer.concat([smb2Header(status), body]));
  }
  const blob = s.securityBlob ?? Buffer.alloc(0);
  const body = Buffer.alloc(64);
  body.writeUInt16LE(65, 0);
  body.writeUInt16LE(s.securityMode, 2);
  body.writeUInt16LE(s.dialect, 4);
  s.guid.copy(body, 8);
  body.writeUInt32LE(s.capabilities, 24);
  body.writeUInt32LE(8 * 1024 * 1024, 28);
  body.writeUInt32LE(8 * 1024 * 1024, 32);
  body.writeUInt32LE(8 * 1024 * 1024, 36);
  body.writeBigUInt64LE(filetime(s.systemTime), 40);
  body.writeBigUInt64LE(0n, 48);
  body.writeUInt16LE(blob.length > 0 ? 128 : 0, 56);
  body.writeUInt16LE(blob.length, 58);
  const parts = [smb2Header(0), body, blob];
  if (s.dialect === 0x0311 && s.contexts !== undefined) {
    let at = 128 + blob.length;
    const pad = (8 - (at % 8)) % 8;
    parts.push(Buffer.alloc(pad));
    at += pad;
    body.writeUInt16LE(3, 6);
    body.writeUInt32LE(at, 60);
    const ctx = (type: number, data: Buffer): Buffer => {
      const h = Buffer.alloc(8);
      h.writeUInt16LE(type, 0);
      h.writeUInt16LE(data.length, 2);
      const whole = Buffer.concat([h, data]);
      return Buffer.concat([whole, Buffer.alloc((8 - (whole.length % 8)) % 8)]);
    };
    const le16 = (...v: number[]): Buffer => {
      const b = Buffer.alloc(v.length * 2);
      v.forEach((x, i) => b.writeUInt16LE(x, i * 2));
      return b;
    };
    parts.push(ctx(1, Buffer.concat([le16(1, 32, s.contexts.hash), Buffer.alloc(32, 7)])));
    parts.push(ctx(2, le16(1, s.contexts.cipher)));
    parts.push(ctx(8, le16(1, s.contexts.signing)));
  }
  return nb(Buffer.concat(parts));
}

/** An SMB1 NEGOTIATE response choosing dialect `index` (NT LM 0.12 form, 17 words), or refusing. */
export function smb1NegotiateResponse(index: number, securityMode: number): Buffer {
  const h = Buffer.alloc(32);
  h.writeUInt32BE(0xff534d42, 0);
  h[4] = 0x72;
  h[9] = 0x98;
  h.writeUInt16LE(0xc801, 10);
  if (index === 0xffff) return nb(Buffer.concat([h, Buffer.from([1, 0xff, 0xff, 0, 0])]));
  const words = Buffer.alloc(1 + 34 + 2);
  words[0] = 17;
  words.writeUInt16LE(index, 1);
  words[3] = securityMode;
  words.writeUInt16LE(50, 4); // max mpx
  return nb(Buffer.concat([h, words]));
}

/** The dialects an SMB2 NEGOTIATE request offers, read straight from its bytes. */
export function offeredDialects(frame: Buffer): number[] {
  const smb = frame.subarray(4);
  const count = smb.readUInt16LE(64 + 2);
  const out: number[] = [];
  for (let i = 0; i < count; i++) out.push(smb.readUInt16LE(64 + 36 + i * 2));
  return out;
}
