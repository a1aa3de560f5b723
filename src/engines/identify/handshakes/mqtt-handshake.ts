import { randomBytes } from 'node:crypto';
import { type HandshakeConnection, oneConnectionHandshake } from './handshake-connection.js';
import { handshakeIdentity } from './handshake-identity.js';
import type { HandshakeResult } from './handshake-types.js';

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
  /** `$SYS/broker/version` as an anonymous broker publishes it (what nmap's mqtt-subscribe reads). */
  readonly brokerVersion?: string;
}

/** CONNECT, protocol "MQTT" level 4, clean session, keep-alive 30 s, no will, no credentials. */
export function mqttConnectPacket(clientId: string): Buffer {
  const id = Buffer.from(clientId, 'utf8');
  const variable = Buffer.from([0x00, 0x04, 0x4d, 0x51, 0x54, 0x54, 0x04, 0x02, 0x00, 0x1e]);
  const payload = Buffer.concat([Buffer.from([id.length >> 8, id.length & 0xff]), id]);
  const remaining = variable.length + payload.length; // < 128: one length byte
  return Buffer.concat([Buffer.from([0x10, remaining]), variable, payload]);
}

const mqttEntry = oneConnectionHandshake(mqttOverConnection);
export const mqttHandshake = mqttEntry.handshake;
export const mqttWithBudget = mqttEntry.withBudget;

export async function mqttOverConnection(conn: HandshakeConnection): Promise<HandshakeResult<MqttFacts> | undefined> {
  const clientId = `trawl-${randomBytes(6).toString('hex')}`;
  conn.write(mqttConnectPacket(clientId));
  if ((await conn.fill((b) => b.length >= 4)) !== 'until') return undefined;
  const b = conn.buffer;
  // CONNACK: type 2, flags 0, remaining length 2, ack flags (bit 0 only), return code 0-5.
  if (b[0] !== 0x20 || b[1] !== 0x02 || (b[2]! & 0xfe) !== 0 || b[3]! > 5) return undefined;
  const returnCode = b[3]!;
  conn.consume(4);
  // An anonymous broker usually publishes its name and version under $SYS: one read-only
  // subscription, as nmap's version scan does, names the product.
  const brokerVersion = returnCode === 0 ? await readSysVersion(conn) : undefined;
  // DISCONNECT, so an accepting broker does not log an abrupt close.
  if (returnCode === 0) conn.write(Buffer.from([0xe0, 0x00]));
  const product = brokerVersion === undefined ? undefined : /^(\S+)\s+version\s+(\S+)/i.exec(brokerVersion);
  const facts: MqttFacts = {
    protocolLevel: 4,
    clientId,
    returnCode,
    returnText: CONNACK_CODES[returnCode] ?? 'unknown',
    sessionPresent: (b[2]! & 1) === 1,
    anonymousAllowed: returnCode === 0,
    authRequired: returnCode === 4 || returnCode === 5,
    implicitTls: conn.tlsSocket !== undefined,
    ...(brokerVersion !== undefined ? { brokerVersion } : {}),
  };
  return {
    identity: handshakeIdentity({
      name: 'mqtt',
      ...(product ? { product: productName(product[1]!), version: product[2]! } : {}),
      extrainfo: facts.anonymousAllowed ? 'anonymous access allowed' : facts.authRequired ? 'authentication required' : facts.returnText,
      tunnel: facts.implicitTls ? 'ssl' : undefined,
      facts: { mqtt: facts },
    }),
    facts,
  };
}

const SYS_VERSION_TOPIC = '$SYS/broker/version';

/** SUBSCRIBE (packet id 1, QoS 0) to one topic. */
export function mqttSubscribePacket(topic: string): Buffer {
  const t = Buffer.from(topic, 'utf8');
  const body = Buffer.concat([Buffer.from([0x00, 0x01, t.length >> 8, t.length & 0xff]), t, Buffer.from([0x00])]);
  return Buffer.concat([Buffer.from([0x82, body.length]), body]);
}

/** Splits complete MQTT packets off the front of `buf`: [type nibble, payload] pairs and bytes used. */
export function mqttPackets(buf: Buffer): { packets: { type: number; flags: number; body: Buffer }[]; used: number } {
  const packets: { type: number; flags: number; body: Buffer }[] = [];
  let off = 0;
  for (;;) {
    if (off + 2 > buf.length) break;
    let len = 0;
    let mult = 1;
    let i = off + 1;
    let complete = false;
    for (let n = 0; n < 4 && i < buf.length; n++, i++) {
      len += (buf[i]! & 0x7f) * mult;
      mult *= 128;
      if ((buf[i]! & 0x80) === 0) { complete = true; i++; break; }
    }
    if (!complete || i + len > buf.length) break;
    packets.push({ type: buf[off]! >> 4, flags: buf[off]! & 0x0f, body: buf.subarray(i, i + len) });
    off = i + len;
  }
  return { packets, used: off };
}

async function readSysVersion(conn: HandshakeConnection): Promise<string | undefined> {
  conn.write(mqttSubscribePacket(SYS_VERSION_TOPIC));
  let version: string | undefined;
  const scan = (buf: Buffer): boolean => {
    for (const p of mqttPackets(buf).packets) {
      if (p.type !== 3 || p.body.length < 2) continue;
      const tlen = p.body.readUInt16BE(0);
      const topic = p.body.subarray(2, 2 + tlen).toString('utf8');
      const qos = (p.flags >> 1) & 3;
      const payload = p.body.subarray(2 + tlen + (qos > 0 ? 2 : 0));
      if (topic === SYS_VERSION_TOPIC) {
        version = payload.subarray(0, 200).toString('utf8').replace(/[^\x20-\x7e]/g, '');
        return true;
      }
    }
    return false;
  };
  // $SYS topics are retained, so the answer follows the SUBACK at once; do not wait long otherwise.
  await conn.fill(scan, 1000);
  return version;
}

function productName(raw: string): string {
  return raw.toLowerCase() === 'mosquitto' ? 'Mosquitto' : raw;
}
