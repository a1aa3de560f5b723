import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { mqttHandshake, mqttPackets, mqttSubscribePacket } from '../../../src/engines/identify/handshakes/mqtt-handshake.js';

/** A broker that accepts anonymous clients and answers a $SYS subscription with a retained PUBLISH. */
function fakeBroker(version: string | undefined): Promise<{ port: number; close(): void; subscribed: () => string[] }> {
  const topics: string[] = [];
  const server = createServer((s) => {
    s.on('error', () => {});
    let buf = Buffer.alloc(0);
    s.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      const { packets, used } = mqttPackets(buf);
      buf = buf.subarray(used);
      for (const p of packets) {
        if (p.type === 1) s.write(Buffer.from([0x20, 0x02, 0x00, 0x00]));
        if (p.type === 8) {
          const tlen = p.body.readUInt16BE(2);
          const topic = p.body.subarray(4, 4 + tlen).toString();
          topics.push(topic);
          s.write(Buffer.from([0x90, 0x03, 0x00, 0x01, 0x00]));
          if (version !== undefined) {
            const t = Buffer.from(topic);
            const body = Buffer.concat([Buffer.from([t.length >> 8, t.length & 0xff]), t, Buffer.from(version)]);
            s.write(Buffer.concat([Buffer.from([0x31, body.length]), body]));
          }
        }
      }
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({
    port: (server.address() as { port: number }).port, close: () => server.close(), subscribed: () => topics,
  })));
}

describe('MQTT broker version through $SYS', () => {
  it('packets: subscribe encodes, the splitter keeps partial packets for later', () => {
    const sub = mqttSubscribePacket('$SYS/broker/version');
    const { packets, used } = mqttPackets(Buffer.concat([sub, sub.subarray(0, 5)]));
    assert.equal(packets.length, 1);
    assert.equal(packets[0]!.type, 8);
    assert.equal(used, sub.length);
  });

  it('names the product and version an anonymous broker publishes', async () => {
    const b = await fakeBroker('mosquitto version 2.0.18');
    try {
      const r = await mqttHandshake({ ip: '127.0.0.1', port: b.port, family: 4 }, { guard: () => {} });
      assert.equal(r?.identity.product, 'Mosquitto');
      assert.equal(r?.identity.version, '2.0.18');
      assert.equal(r?.facts.brokerVersion, 'mosquitto version 2.0.18');
      assert.deepEqual(b.subscribed(), ['$SYS/broker/version']);
    } finally {
      b.close();
    }
  });

  it('a broker that publishes nothing still gives an anonymous mqtt identity, promptly', async () => {
    const b = await fakeBroker(undefined);
    try {
      const started = performance.now();
      const r = await mqttHandshake({ ip: '127.0.0.1', port: b.port, family: 4 }, { guard: () => {} });
      assert.equal(r?.identity.name, 'mqtt');
      assert.equal(r?.identity.product, undefined);
      assert.equal(r?.facts.anonymousAllowed, true);
      assert.ok(performance.now() - started < 3000);
    } finally {
      b.close();
    }
  });
});
