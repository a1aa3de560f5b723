import { randomBytes } from 'node:crypto';
import type { IdentifyTarget } from '../service-identity.js';
import { withBudget, type HandshakeBudget } from './handshake-budget.js';
import { implicitTls, withConnection, type HandshakeConnection } from './handshake-connection.js';
import { handshakeIdentity } from './handshake-identity.js';
import type { HandshakeOptions, HandshakeResult } from './handshake-types.js';

/** MQTT 3.1.1 CONNACK return codes (§3.2.2.3). */
export const CONNACK_CODES: Readonly<Record<number, string>> = {
  0: 'accepted',
  1: 'unacceptable protocol version',
  2: 'identifier rejected',
  3: 'server unavailable',
  4: 'bad user name or password',
  5: 'not authorized',
};

export interface MqttFacts {
  readonly protocolLevel: 4;
  readonly clientId: string;
  readonly returnCode: number;
  readonly returnText: string;
  readonly sessionPresent: boolean;
  /** CONNACK 0 to a CONNECT without credentials. */
  readonly anonymousAllowed: boolean;
  /** 4 or 5: the broker wants credentials. */
  readonly authRequired: boolean;
  readonly implicitTls: boolean;
}

/** CONNECT, protocol "MQTT" level 4, clean session, keep-alive 30 s, no will, no credentials. */
export function mqttConnectPacket(clientId: string): Buffer {
  const id = Buffer.from(clientId, 'utf8');
  const variable = Buffer.from([0x00, 0x04, 0x4d, 0x51, 0x54, 0x54, 0x04, 0x02, 0x00, 0x1e]);
  const payload = Buffer.concat([Buffer.from([id.length >> 8, id.length & 0xff]), id]);
  const remaining = variable.length + payload.length; // < 128: one length byte
  return Buffer.concat([Buffer.from([0x10, remaining]), variable, payload]);
}

export async function mqttHandshake(target: IdentifyTarget, opts: HandshakeOptions): Promise<HandshakeResult<MqttFacts> | undefined> {
  return withBudget(opts, (b) => mqttWithBudget(target, b));
}

export function mqttWithBudget(target: IdentifyTarget, budget: HandshakeBudget): Promise<HandshakeResult<MqttFacts> | undefined> {
  return withConnection(target, budget, implicitTls(budget), (c) => mqttOverConnection(c));
}

export async function mqttOverConnection(conn: HandshakeConnection): Promise<HandshakeResult<MqttFacts> | undefined> {
  const clientId = `trawl-${randomBytes(6).toString('hex')}`;
  conn.write(mqttConnectPacket(clientId));
  if ((await conn.fill((b) => b.length >= 4)) !== 'until') return undefined;
  const b = conn.buffer;
  // CONNACK: type 2, flags 0, remaining length 2, ack flags (bit 0 only), return code 0-5.
  if (b[0] !== 0x20 || b[1] !== 0x02 || (b[2]! & 0xfe) !== 0 || b[3]! > 5) return undefined;
  const returnCode = b[3]!;
  // DISCONNECT, so an accepting broker does not log an abrupt close.
  if (returnCode === 0) conn.write(Buffer.from([0xe0, 0x00]));
  const facts: MqttFacts = {
    protocolLevel: 4,
    clientId,
    returnCode,
    returnText: CONNACK_CODES[returnCode] ?? 'unknown',
    sessionPresent: (b[2]! & 1) === 1,
    anonymousAllowed: returnCode === 0,
    authRequired: returnCode === 4 || returnCode === 5,
    implicitTls: conn.tlsSocket !== undefined,
  };
  return {
    identity: handshakeIdentity({
      name: 'mqtt',
      extrainfo: facts.anonymousAllowed ? 'anonymous access allowed' : facts.authRequired ? 'authentication required' : facts.returnText,
      tunnel: facts.implicitTls ? 'ssl' : undefined,
      facts: { mqtt: facts },
    }),
    facts,
  };
}
