/**
 * Asks a TLS server whether it would use a given set of cipher suites, or an old protocol version,
 * without relying on this host's TLS library (Node's OpenSSL 3 can no longer offer RC4, DES, 3DES,
 * EXPORT or SSLv3, so it cannot ask about them). A hand-written ClientHello offers exactly the suites
 * in question; the ServerHello's version and suite, or the alert, is the answer. The handshake is
 * never completed: the connection is closed after the first record. Read-only, like any client hello.
 */
import { randomBytes } from 'node:crypto';
import { isDialError } from '../../engines/identify/handshakes/handshake-connection.js';
import type { HandshakeBudget } from '../../engines/identify/handshakes/handshake-budget.js';
import type { CheckContext, CheckTarget } from '../check.js';
import { connect } from '../check-io.js';

export const SSL3 = 0x0300;
export const TLS10 = 0x0301;
export const TLS11 = 0x0302;
export const TLS12 = 0x0303;

export function versionName(v: number): string {
  return ({ 0x0300: 'SSLv3', 0x0301: 'TLSv1', 0x0302: 'TLSv1.1', 0x0303: 'TLSv1.2', 0x0304: 'TLSv1.3' } as Record<number, string>)[v] ?? `0x${v.toString(16).padStart(4, '0')}`;
}

export interface ClientHelloSpec {
  /** client_version: the highest version offered (SSLv3 … TLS 1.2). */
  readonly version: number;
  readonly suites: readonly number[];
  readonly serverName?: string;
}

function u16(v: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(v);
  return b;
}

function ext(type: number, data: Buffer): Buffer {
  return Buffer.concat([u16(type), u16(data.length), data]);
}

/** Signature algorithms a TLS 1.2 server may need to sign with; SHA-1 ones included for old servers. */
const SIG_ALGS = [0x0403, 0x0503, 0x0603, 0x0804, 0x0805, 0x0806, 0x0401, 0x0501, 0x0601, 0x0203, 0x0201, 0x0202];
/** x25519, secp256r1, secp384r1, secp521r1: so ECDHE and ECDH_anon suites can be chosen. */
const GROUPS = [0x001d, 0x0017, 0x0018, 0x0019];

/**
 * A ClientHello offering exactly `suites` at `version` (record version TLS 1.0, or SSLv3 for an SSLv3
 * hello). SSLv3 hellos carry no extensions, as SSLv3 clients sent none.
 */
export function buildClientHello(spec: ClientHelloSpec): Buffer {
  const exts: Buffer[] = [];
  if (spec.version > SSL3) {
    if (spec.serverName !== undefined && /^[A-Za-z0-9.-]{1,253}$/.test(spec.serverName)) {
      const name = Buffer.from(spec.serverName, 'ascii');
      const entry = Buffer.concat([Buffer.from([0]), u16(name.length), name]);
      exts.push(ext(0x0000, Buffer.concat([u16(entry.length), entry])));
    }
    exts.push(ext(0x000a, Buffer.concat([u16(GROUPS.length * 2), ...GROUPS.map(u16)])));
    exts.push(ext(0x000b, Buffer.from([1, 0])));
    if (spec.version >= TLS12) exts.push(ext(0x000d, Buffer.concat([u16(SIG_ALGS.length * 2), ...SIG_ALGS.map(u16)])));
    exts.push(ext(0xff01, Buffer.from([0])));
  }
  const extensions = Buffer.concat(exts);
  const body = Buffer.concat([
    u16(spec.version),
    randomBytes(32),
    Buffer.from([0]),
    u16(spec.suites.length * 2),
    ...spec.suites.map(u16),
    Buffer.from([1, 0]),
    ...(exts.length > 0 ? [u16(extensions.length), extensions] : []),
  ]);
  const handshake = Buffer.concat([Buffer.from([0x01, body.length >> 16, (body.length >> 8) & 0xff, body.length & 0xff]), body]);
  return Buffer.concat([Buffer.from([0x16]), u16(spec.version === SSL3 ? SSL3 : TLS10), u16(handshake.length), handshake]);
}

export type ServerAnswer =
  | { readonly kind: 'hello'; readonly version: number; readonly suite: number }
  | { readonly kind: 'alert'; readonly level: number; readonly description: number }
  /** More bytes are needed. */
  | { readonly kind: 'incomplete' }
  /** Not a TLS answer to a ClientHello. */
  | { readonly kind: 'other'; readonly why: string };

const MAX_HELLO = 64 * 1024;

/**
 * Reads the server's first answer: a ServerHello (possibly spread over several handshake records) or
 * an alert. Bounded: a ServerHello larger than 64 KiB is 'other'.
 */
export function parseServerAnswer(buf: Buffer): ServerAnswer {
  const handshake: Buffer[] = [];
  let size = 0;
  let off = 0;
  for (;;) {
    if (buf.length < off + 5) return { kind: 'incomplete' };
    const type = buf[off]!;
    const major = buf[off + 1]!;
    const len = buf.readUInt16BE(off + 3);
    if (major !== 3 || len === 0 || len > 18_432) return { kind: 'other', why: `not a TLS record (bytes ${buf.subarray(off, off + 5).toString('hex')})` };
    if (buf.length < off + 5 + len) return { kind: 'incomplete' };
    const payload = buf.subarray(off + 5, off + 5 + len);
    if (type === 0x15) {
      if (handshake.length > 0 || len < 2) return { kind: 'other', why: 'alert inside a handshake' };
      return { kind: 'alert', level: payload[0]!, description: payload[1]! };
    }
    if (type !== 0x16) return { kind: 'other', why: `record type ${type} before the ServerHello` };
    handshake.push(payload);
    size += len;
    const hs = Buffer.concat(handshake);
    if (hs.length >= 4) {
      if (hs[0] !== 0x02) return { kind: 'other', why: `handshake message ${hs[0]!} instead of ServerHello` };
      const msgLen = hs.readUIntBE(1, 3);
      if (msgLen > MAX_HELLO || msgLen < 38) return { kind: 'other', why: `implausible ServerHello length ${msgLen}` };
      if (hs.length >= 4 + msgLen) {
        const body = hs.subarray(4, 4 + msgLen);
        const sidLen = body[34]!;
        if (35 + sidLen + 2 > body.length) return { kind: 'other', why: 'ServerHello too short for its session id' };
        return { kind: 'hello', version: body.readUInt16BE(0), suite: body.readUInt16BE(35 + sidLen) };
      }
    }
    if (size > MAX_HELLO) return { kind: 'other', why: 'ServerHello larger than 64 KiB' };
    off += 5 + len;
  }
}

export interface SuiteProbeResult {
  /** The server chose one of the offered suites at an offered version. */
  readonly accepted: boolean;
  readonly version?: number;
  readonly suite?: number;
  /** TLS alert description when refused with one (40 handshake_failure, 70 protocol_version...). */
  readonly alert?: number;
  /** Why the answer is no answer: connection failed, closed, timed out, not TLS. */
  readonly error?: string;
}

/** Sends one ClientHello and reads the answer on a new connection (rate-limited, guarded, bounded). */
export async function probeSuites(target: CheckTarget, ctx: CheckContext, budget: HandshakeBudget, spec: ClientHelloSpec): Promise<SuiteProbeResult> {
  const conn = await connect(target, ctx, budget);
  if (isDialError(conn)) return { accepted: false, error: `${conn.failure}${conn.code !== undefined ? ` ${conn.code}` : ''}` };
  try {
    conn.write(buildClientHello(spec));
    let answer: ServerAnswer = { kind: 'incomplete' };
    await conn.fill((b) => (answer = parseServerAnswer(b)).kind !== 'incomplete');
    answer = parseServerAnswer(conn.buffer);
    switch (answer.kind) {
      case 'hello': {
        const offered = spec.suites.includes(answer.suite) && answer.version <= spec.version && answer.version >= SSL3;
        return offered
          ? { accepted: true, version: answer.version, suite: answer.suite }
          : { accepted: false, version: answer.version, suite: answer.suite, error: 'the server chose a version or suite that was not offered' };
      }
      case 'alert':
        return { accepted: false, alert: answer.description };
      case 'other':
        return { accepted: false, error: answer.why };
      case 'incomplete':
        return { accepted: false, error: conn.peerClosed ? 'connection closed without an answer' : 'no answer in time' };
    }
  } finally {
    conn.close();
  }
}
