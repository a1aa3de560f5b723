import { randomBytes } from 'node:crypto';

/**
 * SMB2 NEGOTIATE and SMB1 NEGOTIATE packets ([MS-SMB2] 2.2.3-2.2.4, [MS-CIFS] 2.2.4.52), framed
 * for direct TCP (445) with the 4-byte NetBIOS session header.
 */

export const SMB2_DIALECTS: Readonly<Record<string, number>> = {
  '2.0.2': 0x0202,
  '2.1': 0x0210,
  '3.0': 0x0300,
  '3.0.2': 0x0302,
  '3.1.1': 0x0311,
};

export function dialectName(revision: number): string {
  for (const [name, rev] of Object.entries(SMB2_DIALECTS)) if (rev === revision) return name;
  return revision === 0x02ff ? '2.???' : `0x${revision.toString(16).padStart(4, '0')}`;
}

const CAPABILITY_NAMES: readonly [number, string][] = [
  [0x01, 'DFS'],
  [0x02, 'LEASING'],
  [0x04, 'LARGE_MTU'],
  [0x08, 'MULTI_CHANNEL'],
  [0x10, 'PERSISTENT_HANDLES'],
  [0x20, 'DIRECTORY_LEASING'],
  [0x40, 'ENCRYPTION'],
];

const CIPHERS: Readonly<Record<number, string>> = { 1: 'AES-128-CCM', 2: 'AES-128-GCM', 3: 'AES-256-CCM', 4: 'AES-256-GCM' };
const SIGNING: Readonly<Record<number, string>> = { 0: 'HMAC-SHA256', 1: 'AES-CMAC', 2: 'AES-GMAC' };
const HASHES: Readonly<Record<number, string>> = { 1: 'SHA-512' };

/** Mechanism OIDs that may appear in the SPNEGO token of the negotiate response, DER-encoded. */
const MECHANISMS: readonly [string, Buffer][] = [
  ['NTLMSSP', Buffer.from('060a2b06010401823702020a', 'hex')],
  ['Kerberos', Buffer.from('06092a864886f712010202', 'hex')],
  ['MS-Kerberos', Buffer.from('06092a864882f712010202', 'hex')],
  ['NegoEx', Buffer.from('060a2b06010401823702021e', 'hex')],
];

/** A NetBIOS name in first-level encoding (RFC 1001 §14.1): 16 bytes, each as two letters A-P. */
function netbiosName(name: string, suffix: number): Buffer {
  const raw = Buffer.alloc(16, 0x20);
  raw.write(name.slice(0, 15), 'ascii');
  raw[15] = suffix;
  const out = Buffer.alloc(34);
  out[0] = 32;
  for (let i = 0; i < 16; i++) {
    out[1 + i * 2] = 0x41 + (raw[i]! >> 4);
    out[2 + i * 2] = 0x41 + (raw[i]! & 0x0f);
  }
  return out;
}

/** NetBIOS SESSION REQUEST (RFC 1002 §4.3.2) to "*SMBSERVER", which port 139 wants before SMB. */
export function netbiosSessionRequest(): Buffer {
  const body = Buffer.concat([netbiosName('*SMBSERVER', 0x20), netbiosName('TRAWL', 0x00)]);
  return Buffer.concat([Buffer.from([0x81, 0, 0, body.length]), body]);
}

export function netbiosFrame(payload: Buffer): Buffer {
  const h = Buffer.alloc(4);
  h.writeUInt32BE(payload.length & 0xffffff, 0);
  return Buffer.concat([h, payload]);
}

/** Byte length of a complete NetBIOS session message at the start of `buf`, or -1. */
export function netbiosMessageLength(buf: Buffer): number {
  if (buf.length < 4) return -1;
  const n = buf.readUInt32BE(0) & 0xffffff; // type byte 0, then a 24-bit length (direct TCP)
  return buf.length >= 4 + n ? 4 + n : -1;
}

function align8(n: number): number {
  return (n + 7) & ~7;
}

/** An SMB2 NEGOTIATE request offering `dialects` (3.1.1 brings its negotiate contexts). */
export function smb2NegotiateRequest(dialects: readonly number[], clientGuid: Buffer = randomBytes(16)): Buffer {
  const header = Buffer.alloc(64);
  header.write('\xfeSMB', 0, 'latin1');
  header.writeUInt16LE(64, 4);
  header.writeUInt16LE(0, 12); // NEGOTIATE
  header.writeUInt16LE(31, 14); // credits requested
  header.writeUInt32LE(0xfeff, 32); // process id
  const body = Buffer.alloc(36 + dialects.length * 2);
  body.writeUInt16LE(36, 0);
  body.writeUInt16LE(dialects.length, 2);
  body.writeUInt16LE(0x01, 4); // signing enabled, not required
  body.writeUInt32LE(0x7f, 8);
  clientGuid.copy(body, 12, 0, 16);
  dialects.forEach((d, i) => body.writeUInt16LE(d, 36 + i * 2));
  if (!dialects.includes(0x0311)) return netbiosFrame(Buffer.concat([header, body]));

  const contexts = [
    negotiateContext(1, Buffer.concat([u16(1), u16(32), u16(1), randomBytes(32)])),
    negotiateContext(2, Buffer.concat([u16(4), u16(2), u16(1), u16(4), u16(3)])),
    negotiateContext(8, Buffer.concat([u16(3), u16(2), u16(1), u16(0)])),
  ];
  const start = align8(64 + body.length);
  body.writeUInt32LE(start, 28);
  body.writeUInt16LE(contexts.length, 32);
  const parts: Buffer[] = [header, body, Buffer.alloc(start - 64 - body.length)];
  let at = start;
  contexts.forEach((c, i) => {
    parts.push(c);
    at += c.length;
    if (i < contexts.length - 1) {
      parts.push(Buffer.alloc(align8(at) - at));
      at = align8(at);
    }
  });
  return netbiosFrame(Buffer.concat(parts));
}

function u16(v: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16LE(v);
  return b;
}

function negotiateContext(type: number, data: Buffer): Buffer {
  const h = Buffer.alloc(8);
  h.writeUInt16LE(type, 0);
  h.writeUInt16LE(data.length, 2);
  return Buffer.concat([h, data]);
}

/** An SMB1 NEGOTIATE offering only "NT LM 0.12", the last SMB1 dialect. */
export function smb1NegotiateRequest(): Buffer {
  const h = Buffer.alloc(32);
  h.write('\xffSMB', 0, 'latin1');
  h[4] = 0x72;
  h[9] = 0x18;
  h.writeUInt16LE(0xc801, 10); // unicode, NT status, extended security, long names
  h.writeUInt16LE(0xffff, 24); // TID
  h.writeUInt16LE(0xfeff, 26); // PID
  const dialects = Buffer.from('\x02NT LM 0.12\x00', 'latin1');
  const params = Buffer.alloc(3);
  params[0] = 0; // word count
  params.writeUInt16LE(dialects.length, 1);
  return netbiosFrame(Buffer.concat([h, params, dialects]));
}

export interface Smb2NegotiateResponse {
  /** NT status of the response (0 = success). */
  readonly status: number;
  readonly dialectRevision: number;
  readonly dialect: string;
  readonly signingEnabled: boolean;
  readonly signingRequired: boolean;
  readonly serverGuid: string;
  readonly capabilities: readonly string[];
  readonly maxTransactSize: number;
  readonly maxReadSize: number;
  readonly maxWriteSize: number;
  /** Server clock (FILETIME) as ISO 8601; undefined when the server sends 0. */
  readonly systemTime?: string;
  readonly serverStartTime?: string;
  readonly preauthHash?: string;
  readonly cipher?: string;
  readonly signingAlgorithm?: string;
  readonly securityMechanisms: readonly string[];
}

export function filetimeToIso(ft: bigint): string | undefined {
  if (ft === 0n) return undefined;
  const ms = Number(ft / 10_000n) - 11_644_473_600_000;
  const d = new Date(ms);
  return Number.isNaN(d.getTime()) ? undefined : d.toISOString();
}

export function formatGuid(b: Buffer): string {
  const hex = (buf: Buffer): string => buf.toString('hex');
  const le = (buf: Buffer): string => hex(Buffer.from(buf).reverse());
  return `${le(b.subarray(0, 4))}-${le(b.subarray(4, 6))}-${le(b.subarray(6, 8))}-${hex(b.subarray(8, 10))}-${hex(b.subarray(10, 16))}`;
}

/** The NT status of an SMB2 NEGOTIATE answer that is an error; undefined for success or non-SMB2. */
export function smb2ErrorStatus(frame: Buffer): number | undefined {
  const smb = frame.subarray(4);
  if (smb.length < 64 || smb.readUInt32BE(0) !== 0xfe534d42 || smb.readUInt16LE(12) !== 0) return undefined;
  const status = smb.readUInt32LE(8);
  return status === 0 ? undefined : status;
}

/** Parses a NetBIOS-framed SMB2 NEGOTIATE response; undefined when it is not one. */
export function parseSmb2NegotiateResponse(frame: Buffer): Smb2NegotiateResponse | undefined {
  const smb = frame.subarray(4);
  if (smb.length < 64 + 65 - 1 || smb.readUInt32BE(0) !== 0xfe534d42 || smb.readUInt16LE(12) !== 0) return undefined;
  const status = smb.readUInt32LE(8);
  const b = smb.subarray(64);
  if (b.readUInt16LE(0) !== 65) return undefined;
  const securityMode = b.readUInt16LE(2);
  const dialectRevision = b.readUInt16LE(4);
  const contextCount = b.readUInt16LE(6);
  const capabilities = b.readUInt32LE(24);
  const secOffset = b.readUInt16LE(56);
  const secLength = b.readUInt16LE(58);
  const contextOffset = b.readUInt32LE(60);
  const security = secOffset >= 64 && secOffset + secLength <= smb.length ? smb.subarray(secOffset, secOffset + secLength) : Buffer.alloc(0);
  let preauthHash: string | undefined;
  let cipher: string | undefined;
  let signingAlgorithm: string | undefined;
  if (dialectRevision === 0x0311 && contextOffset >= 64) {
    let off = contextOffset;
    for (let i = 0; i < Math.min(contextCount, 16) && off + 8 <= smb.length; i++) {
      const type = smb.readUInt16LE(off);
      const len = smb.readUInt16LE(off + 2);
      const data = smb.subarray(off + 8, Math.min(smb.length, off + 8 + len));
      if (type === 1 && data.length >= 6) preauthHash = HASHES[data.readUInt16LE(4)] ?? `0x${data.readUInt16LE(4).toString(16)}`;
      if (type === 2 && data.length >= 4) cipher = CIPHERS[data.readUInt16LE(2)] ?? `0x${data.readUInt16LE(2).toString(16)}`;
      if (type === 8 && data.length >= 4) signingAlgorithm = SIGNING[data.readUInt16LE(2)] ?? `0x${data.readUInt16LE(2).toString(16)}`;
      off = align8(off + 8 + len);
    }
  }
  const systemTime = filetimeToIso(b.readBigUInt64LE(40));
  const serverStartTime = filetimeToIso(b.readBigUInt64LE(48));
  return {
    status,
    dialectRevision,
    dialect: dialectName(dialectRevision),
    signingEnabled: (securityMode & 0x01) !== 0,
    signingRequired: (securityMode & 0x02) !== 0,
    serverGuid: formatGuid(b.subarray(8, 24)),
    capabilities: CAPABILITY_NAMES.filter(([bit]) => (capabilities & bit) !== 0).map(([, n]) => n),
    maxTransactSize: b.readUInt32LE(28),
    maxReadSize: b.readUInt32LE(32),
    maxWriteSize: b.readUInt32LE(36),
    ...(systemTime !== undefined ? { systemTime } : {}),
    ...(serverStartTime !== undefined ? { serverStartTime } : {}),
    ...(preauthHash !== undefined ? { preauthHash } : {}),
    ...(cipher !== undefined ? { cipher } : {}),
    ...(signingAlgorithm !== undefined ? { signingAlgorithm } : {}),
    securityMechanisms: MECHANISMS.filter(([, oid]) => security.includes(oid)).map(([n]) => n),
  };
}

export interface Smb1NegotiateResponse {
  readonly status: number;
  /** Index of the chosen dialect; 0xffff = none of ours. */
  readonly dialectIndex: number;
  readonly signingEnabled?: boolean;
  readonly signingRequired?: boolean;
}

export function parseSmb1NegotiateResponse(frame: Buffer): Smb1NegotiateResponse | undefined {
  const smb = frame.subarray(4);
  if (smb.length < 35 || smb.readUInt32BE(0) !== 0xff534d42 || smb[4] !== 0x72) return undefined;
  const status = smb.readUInt32LE(5);
  const wordCount = smb[32]!;
  if (wordCount === 0) return { status, dialectIndex: 0xffff };
  const dialectIndex = smb.readUInt16LE(33);
  if (wordCount < 17 || smb.length < 36) return { status, dialectIndex };
  const mode = smb[35]!;
  return { status, dialectIndex, signingEnabled: (mode & 0x04) !== 0, signingRequired: (mode & 0x08) !== 0 };
}
