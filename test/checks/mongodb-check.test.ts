/**
 * mongodb-no-auth. mongod is not packaged in Debian 12, so the integration half runs against the
 * local stand-in in faithful-servers.ts (MongoDB's wire behaviour, reply fields and access control),
 * reached exactly as a scan would: the any-port cascade first, then the check.
 */
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { mongodbNoAuth } from '../../src/checks/builtin/mongodb-check.js';
import { decodeBson, encodeBson, messageLength, opMsg, parseOpMsg } from '../../src/checks/builtin/mongodb-wire.js';
import { runChecks } from '../../src/checks/check-runner.js';
import type { Finding } from '../../src/checks/finding.js';
import { identifyByHandshake } from '../../src/engines/identify/cascade/index.js';
import { identity, loopbackGuard, runCheck, target } from './check-test-support.js';
import { mongodServer, writeBson, type FakeServer, type Typed } from './faithful-servers.js';

describe('BSON and OP_MSG', () => {
  it('encodes the bsonspec.org examples byte for byte', () => {
    assert.deepEqual(encodeBson({ hello: 'world' }), Buffer.from('\x16\x00\x00\x00\x02hello\x00\x06\x00\x00\x00world\x00\x00', 'latin1'));
    const awesome = Buffer.from('1\x00\x00\x00\x04BSON\x00&\x00\x00\x00\x020\x00\x08\x00\x00\x00awesome\x00\x011\x00333333\x14@\x102\x00\xc2\x07\x00\x00\x00\x00', 'latin1');
    assert.deepEqual(encodeBson({ BSON: ['awesome', 5.05, 1986] }), awesome);
    assert.deepEqual(decodeBson(awesome)[0], { BSON: ['awesome', 5.05, 1986] });
  });

  it('decodes the typed values mongod sends and refuses malformed documents', () => {
    const bytes = writeBson([
      ['ok', { t: 'double', v: 1 }],
      ['n', { t: 'int64', v: 42n }],
      ['big', { t: 'int64', v: 2n ** 60n }],
      ['id', { t: 'oid', v: '0123456789abcdef01234567' }],
      ['at', { t: 'date', v: new Date('2024-05-01T00:00:00Z') }],
      ['sub', { t: 'doc', v: [['x', { t: 'bool', v: true }]] }],
    ]);
    assert.deepEqual(decodeBson(bytes)[0], { ok: 1, n: 42, big: (2n ** 60n).toString(), id: { $oid: '0123456789abcdef01234567' }, at: { $date: '2024-05-01T00:00:00.000Z' }, sub: { x: true } });
    assert.throws(() => decodeBson(bytes.subarray(0, bytes.length - 3)), /truncated|invalid/);
    const huge = Buffer.from(bytes);
    huge.writeInt32LE(0x7fff_ffff, 0);
    assert.throws(() => decodeBson(huge), /invalid/);
    let nested: [string, Typed][] = [];
    for (let i = 0; i < 20; i++) nested = [['a', { t: 'doc', v: nested }]];
    assert.throws(() => decodeBson(writeBson(nested)), /deeply/);
  });

  it('frames OP_MSG requests and bounds replies', () => {
    const m = opMsg(7, { hello: 1, $db: 'admin' });
    assert.equal(m.readInt32LE(0), m.length);
    assert.equal(m.readInt32LE(12), 2013);
    assert.equal(messageLength(m), m.length);
    assert.equal(messageLength(m.subarray(0, 10)), -1);
    assert.equal(messageLength(Buffer.from([0xff, 0xff, 0xff, 0x7f])), -2);
    // A request parses as an OP_MSG too (same framing), which proves the layout.
    assert.deepEqual(parseOpMsg(m).body, { hello: 1, $db: 'admin' });
  });
});

describe('mongodb-no-auth against a MongoDB stand-in', () => {
  const servers: FakeServer[] = [];
  after(async () => {
    for (const s of servers) await s.close();
  });

  async function scan(server: FakeServer): Promise<{ findings: Finding[]; name: string | undefined }> {
    const t = { ip: '127.0.0.1', port: server.port, family: 4 as const };
    const id = await identifyByHandshake(t, { guard: loopbackGuard });
    const findings: Finding[] = [];
    for await (const f of runChecks([{ target: target(server.port), identity: id }], { selection: 'safe', guard: loopbackGuard })) findings.push(f);
    return { findings: findings.filter((f) => f.checkId === 'mongodb-no-auth'), name: id?.name };
  }

  it('access control off: identified through its HTTP page, then hello + getParameter succeed', async () => {
    const s = await mongodServer({ auth: false });
    servers.push(s);
    const { findings, name } = await scan(s);
    assert.equal(name, 'http', 'the cascade sees mongod\'s "trying to access MongoDB over HTTP" page');
    assert.equal(findings.length, 1);
    const f = findings[0]!;
    assert.equal(f.evidence['handshake'], 'hello');
    assert.equal(f.evidence['max_wire_version'], 21);
    assert.equal(f.evidence['feature_compatibility_version'], '7.0');
    assert.equal(f.severity, 'critical');
    assert.deepEqual(s.received, ['hello', 'getParameter'], 'no database listed, nothing read');
  });

  it('access control on: Unauthorized, no finding', async () => {
    const s = await mongodServer({ auth: true });
    servers.push(s);
    const { findings } = await scan(s);
    assert.deepEqual(findings, []);
    assert.deepEqual(s.received, ['hello', 'getParameter']);
  });

  it('a 4.2 server without `hello` is asked isMaster instead', async () => {
    const s = await mongodServer({ auth: false, before442: true });
    servers.push(s);
    const [f] = await runCheck(mongodbNoAuth, target(s.port), identity('mongodb', {}));
    assert.equal(f?.evidence['handshake'], 'isMaster');
    assert.equal(f?.evidence['max_wire_version'], 8);
    assert.deepEqual(s.received, ['hello', 'isMaster', 'getParameter']);
  });

  it('applies to MongoDB identities, its HTTP page and unidentified 27017; not to other services', () => {
    assert.equal(mongodbNoAuth.appliesTo(identity('mongodb', {}), target(1234)), true);
    assert.equal(mongodbNoAuth.appliesTo({ name: 'unknown', cpe: [], method: 'table', confidence: 0 }, target(27017)), true);
    assert.equal(mongodbNoAuth.appliesTo(identity('redis', {}), target(6379)), false);
    assert.equal(mongodbNoAuth.appliesTo(identity('http', { http: { url: 'http://x/', status: 200, headers: [], body: '<html></html>' } }), target(8080)), false);
  });
});
