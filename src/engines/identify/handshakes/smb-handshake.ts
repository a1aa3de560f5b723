import type { IdentifyTarget } from '../service-identity.js';
import { withBudget, type HandshakeBudget } from './handshake-budget.js';
import { withConnection, type HandshakeConnection } from './handshake-connection.js';
import { handshakeIdentity } from './handshake-identity.js';
import type { HandshakeOptions, HandshakeResult } from './handshake-types.js';
import {
  netbiosMessageLength,
  netbiosSessionRequest,
  parseSmb1NegotiateResponse,
  parseSmb2NegotiateResponse,
  smb2ErrorStatus,
  SMB2_DIALECTS,
  smb1NegotiateRequest,
  smb2NegotiateRequest,
  type Smb2NegotiateResponse,
} from './smb-packets.js';

export interface SmbFacts {
  /** What the server picked from every dialect we offer (2.0.2 … 3.1.1). */
  readonly negotiate: Smb2NegotiateResponse;
  readonly dialect: string;
  /** Per-dialect result of offering that dialect alone: true accepted, false refused, null no answer. */
  readonly dialects: Readonly<Record<string, boolean | null>>;
  readonly dialectsAccepted: readonly string[];
  readonly signingEnabled: boolean;
  readonly signingRequired: boolean;
  readonly serverGuid: string;
  readonly systemTime?: string;
  /** SMB1 ("NT LM 0.12") accepted; null when the server gave no answer at all in time. */
  readonly smb1: { readonly accepted: boolean | null; readonly signingEnabled?: boolean; readonly signingRequired?: boolean; readonly detail: string };
}

export interface SmbHandshakeExtras {
  /** Offer each dialect alone as well (5 more connections). Default true. */
  readonly enumerateDialects?: boolean;
}

export async function smbHandshake(target: IdentifyTarget, opts: HandshakeOptions & SmbHandshakeExtras): Promise<HandshakeResult<SmbFacts> | undefined> {
  return withBudget(opts, (b) => smbWithBudget(target, b, opts));
}

/**
 * Port 139 is the NetBIOS session service: Windows wants a session request before any SMB there
 * (Samba takes one anywhere). Everywhere else SMB runs directly over TCP (445).
 */
const NETBIOS_SSN_PORT = 139;

export async function smbWithBudget(target: IdentifyTarget, budget: HandshakeBudget, extras: SmbHandshakeExtras = {}): Promise<HandshakeResult<SmbFacts> | undefined> {
  const all = Object.values(SMB2_DIALECTS);
  const session = target.port === NETBIOS_SSN_PORT;
  const smbConnection = <T>(fn: (c: HandshakeConnection) => Promise<T | undefined>): Promise<T | undefined> =>
    withConnection(target, budget, undefined, async (c) => (!session || (await openSession(c)) ? fn(c) : undefined));
  const first = await smbConnection((c) => negotiate2(c, all));
  if (first === undefined || first === 'refused' || first.status !== 0) return undefined;
  const main = first;

  const names = extras.enumerateDialects === false ? [] : Object.keys(SMB2_DIALECTS);
  const [smb1, ...single] = await Promise.all([
    smbConnection((c) => negotiate1(c)).then((r) => r ?? { accepted: null, detail: 'no connection' }),
    ...names.map((n) => smbConnection((c) => negotiate2(c, [SMB2_DIALECTS[n]!]))),
  ]);
  const dialects: Record<string, boolean | null> = {};
  names.forEach((n, i) => {
    const r = single[i];
    dialects[n] = r === undefined ? null : r !== 'refused' && r.status === 0 && r.dialect === n;
  });
  // The main negotiate proves its own dialect even when enumeration is off.
  dialects[main.dialect] = true;
  const facts: SmbFacts = {
    negotiate: main,
    dialect: main.dialect,
    dialects,
    dialectsAccepted: Object.keys(SMB2_DIALECTS).filter((n) => dialects[n] === true),
    signingEnabled: main.signingEnabled,
    signingRequired: main.signingRequired,
    serverGuid: main.serverGuid,
    ...(main.systemTime !== undefined ? { systemTime: main.systemTime } : {}),
    smb1: smb1!,
  };
  const extra = [`SMB ${main.dialect}`, main.signingRequired ? 'signing required' : 'signing enabled, not required', facts.smb1.accepted === true ? 'SMBv1 accepted' : undefined];
  return {
    identity: handshakeIdentity({ name: session ? 'netbios-ssn' : 'microsoft-ds', extrainfo: extra.filter((s) => s !== undefined).join('; '), facts: { smb: facts } }),
    facts,
  };
}

/** Session request, then the positive response (0x82); false on anything else. */
async function openSession(conn: HandshakeConnection): Promise<boolean> {
  conn.write(netbiosSessionRequest());
  if ((await conn.fill((b) => b.length >= 4)) !== 'until' || conn.buffer[0] !== 0x82) return false;
  conn.consume(4);
  return true;
}

async function readFrame(conn: HandshakeConnection): Promise<Buffer | undefined> {
  if ((await conn.fill((b) => netbiosMessageLength(b) >= 0)) !== 'until') return undefined;
  return conn.consume(netbiosMessageLength(conn.buffer));
}

/**
 * One NEGOTIATE. 'refused' when the server answers with an SMB2 error status or hangs up on the
 * offer; undefined when it says nothing in time or is not SMB2.
 */
async function negotiate2(conn: HandshakeConnection, dialects: readonly number[]): Promise<Smb2NegotiateResponse | 'refused' | undefined> {
  conn.write(smb2NegotiateRequest(dialects));
  const frame = await readFrame(conn);
  if (frame === undefined) return conn.peerClosed ? 'refused' : undefined;
  const status = smb2ErrorStatus(frame);
  if (status !== undefined) return 'refused';
  return parseSmb2NegotiateResponse(frame);
}

async function negotiate1(conn: HandshakeConnection): Promise<SmbFacts['smb1']> {
  conn.write(smb1NegotiateRequest());
  const frame = await readFrame(conn);
  if (frame === undefined) {
    // Samba and Windows with SMB1 off usually just drop the connection.
    return conn.peerClosed ? { accepted: false, detail: 'connection closed' } : { accepted: null, detail: 'no answer' };
  }
  const r = parseSmb1NegotiateResponse(frame);
  if (r === undefined) return { accepted: false, detail: 'answer is not an SMB1 negotiate response' };
  if (r.status !== 0) return { accepted: false, detail: `status 0x${r.status.toString(16).padStart(8, '0')}` };
  if (r.dialectIndex !== 0) return { accepted: false, detail: 'no dialect chosen' };
  return {
    accepted: true,
    ...(r.signingEnabled !== undefined ? { signingEnabled: r.signingEnabled } : {}),
    ...(r.signingRequired !== undefined ? { signingRequired: r.signingRequired } : {}),
    detail: 'NT LM 0.12 chosen',
  };
}
