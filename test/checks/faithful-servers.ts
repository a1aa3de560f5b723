/**
 * Local stand-ins for services the daemon lab cannot run (MongoDB and Elasticsearch are not in
 * Debian 12; Telnet daemons are not installed), written to answer the way the real ones do on the
 * wire, so identification and the checks meet the same bytes they would in the field:
 *
 *  - mongod: MongoDB's transport behaviour (a "GET " instead of a message header gets the canned
 *    HTTP/1.0 page, an implausible length closes the connection), OP_MSG with real BSON types
 *    (ok as a double, int64 counters, ObjectId, dates), the hello/isMaster reply fields of 7.0 (or
 *    4.2, which predates `hello`), and access control: with `auth`, every command outside the
 *    pre-authentication set answers code 13 Unauthorized "command X requires authentication".
 *  - Elasticsearch: the root document of 7.17 (security off) and 8.x's 401 with
 *    `WWW-Authenticate: Basic realm="security"` (security on), with the `X-elastic-product` header.
 *  - a netkit-style telnetd's opening negotiation (IAC DO TERMINAL-TYPE, ...).
 */
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { decodeBson } from '../../src/checks/builtin/mongodb-wire.js';

// ---- BSON writer with explicit types (independent of the scanner's encoder) ----------------------

export type Typed =
  | { t: 'double'; v: number }
  | { t: 'int32'; v: number }
  | { t: 'int64'; v: bigint }
  | { t: 'string'; v: string }
  | { t: 'bool'; v: boolean }
  | { t: 'date'; v: Date }
  | { t: 'oid'; v: string }
  | { t: 'doc'; v: [string, Typed][] };

const d = (v: number): Typed => ({ t: 'double', v });
const i32 = (v: number): Typed => ({ t: 'int32', v });
const s = (v: string): Typed => ({ t: 'string', v });
const b = (v: boolean): Typed => ({ t: 'bool', v });
const doc = (...v: [string, Typed][]): Typed => ({ t: 'doc', v });

export function writeBson(fields: [string, Typed][]): Buffer {
  const parts: Buffer[] = [];
  for (const [k, f] of fields) {
    const key = Buffer.concat([Buffer.from(k, 'utf8'), Buffer.from([0])]);
    let type: number;
    let body: Buffer;
    switch (f.t) {
      case 'double':
        type = 0x01;
        body = Buffer.alloc(8);
        body.writeDoubleLE(f.v);
        break;
      case 'int32':
        type = 0x10;
        body = Buffer.alloc(4);
        body.writeInt32LE(f.v);
        break;
      case 'int64':
        type = 0x12;
        body = Buffer.alloc(8);
        body.writeBigInt64LE(f.v);
        break;
      case 'string': {
        type = 0x02;
        const str = Buffer.from(f.v, 'utf8');
        body = Buffer.alloc(4 + str.length + 1);
        body.writeInt32LE(str.length + 1);
        str.copy(body, 4);
        break;
      }
      case 'bool':
        type = 0x08;
        body = Buffer.from([f.v ? 1 : 0]);
        break;
      case 'date':
        type = 0x09;
        body = Buffer.alloc(8);
        body.writeBigInt64LE(BigInt(f.v.getTime()));
        break;
      case 'oid':
        type = 0x07;
        body = Buffer.from(f.v, 'hex');
        break;
      case 'doc':
        type = 0x03;
        body = writeBson(f.v);
        break;
    }
    parts.push(Buffer.from([type]), key, body);
  }
  const content = Buffer.concat(parts);
  const len = Buffer.alloc(4);
  len.writeInt32LE(content.length + 5);
  return Buffer.concat([len, content, Buffer.from([0])]);
}

export interface MongodOptions {
  /** Access control on (`security.authorization: enabled`). */
  readonly auth: boolean;
  /** Behave like 4.2: no `hello` command, only isMaster. */
  readonly before442?: boolean;
}

export interface FakeServer {
  readonly port: number;
  /** Command names received, in order (mongod), or request paths (HTTP). */
  readonly received: string[];
  close(): Promise<void>;
}

const MONGO_HTTP_TEXT = 'It looks like you are trying to access MongoDB over HTTP on the native driver port.\r\n';
/** mongod's maxMessageSizeBytes. */
const MAX_MESSAGE = 48_000_000;
/** Commands mongod runs for a client that has not authenticated. */
const PRE_AUTH = new Set(['hello', 'ismaster', 'buildinfo', 'ping', 'saslstart', 'saslcontinue', 'authenticate', 'getnonce', 'logout', 'endsessions']);

export async function mongodServer(opts: MongodOptions): Promise<FakeServer> {
  const received: string[] = [];
  const sockets = new Set<net.Socket>();
  const processId = 'a1b2c3d4e5f60718293a4b5c';
  let connectionId = 0;
  const server = net.createServer((sock) => {
    sockets.add(sock);
    const connId = ++connectionId;
    sock.on('close', () => sockets.delete(sock));
    sock.on('error', () => undefined);
    let buf = Buffer.alloc(0);
    sock.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      while (buf.length >= 4) {
        if (buf.subarray(0, 4).toString('latin1') === 'GET ') {
          const body = Buffer.from(MONGO_HTTP_TEXT, 'latin1');
          sock.end(Buffer.concat([Buffer.from(`HTTP/1.0 200 OK\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${body.length}\r\n\r\n`, 'latin1'), body]));
          return;
        }
        const len = buf.readInt32LE(0);
        if (len < 16 || len > MAX_MESSAGE) return void sock.destroy();
        if (buf.length < len) return;
        const msg = buf.subarray(0, len);
        buf = buf.subarray(len);
        const requestId = msg.readInt32LE(4);
        const opCode = msg.readInt32LE(12);
        if (opCode !== 2013 || msg[20] !== 0) return void sock.destroy();
        const [cmd] = decodeBson(msg, 21);
        const name = Object.keys(cmd)[0] ?? '';
        received.push(name);
        sock.write(reply(requestId, answer(name, connId)));
      }
    });
  });

  function answer(name: string, connId: number): [string, Typed][] {
    const lower = name.toLowerCase();
    const helloLike = lower === 'ismaster' || (lower === 'hello' && !opts.before442);
    if (helloLike) {
      return [
        [lower === 'hello' ? 'isWritablePrimary' : 'ismaster', b(true)],
        ['topologyVersion', doc(['processId', { t: 'oid', v: processId }], ['counter', { t: 'int64', v: 0n }])],
        ['maxBsonObjectSize', i32(16_777_216)],
        ['maxMessageSizeBytes', i32(48_000_000)],
        ['maxWriteBatchSize', i32(100_000)],
        ['localTime', { t: 'date', v: new Date() }],
        ['logicalSessionTimeoutMinutes', i32(30)],
        ['connectionId', i32(connId)],
        ['minWireVersion', i32(0)],
        ['maxWireVersion', i32(opts.before442 ? 8 : 21)],
        ['readOnly', b(false)],
        ['ok', d(1)],
      ];
    }
    const known = new Set([...(opts.before442 ? [] : ['hello']), 'ismaster', 'getparameter', 'buildinfo', 'ping', 'listdatabases', 'serverstatus']);
    if (!known.has(lower)) return [['ok', d(0)], ['errmsg', s(`no such command: '${name}'`)], ['code', i32(59)], ['codeName', s('CommandNotFound')]];
    if (opts.auth && !PRE_AUTH.has(lower)) return [['ok', d(0)], ['errmsg', s(`command ${name} requires authentication`)], ['code', i32(13)], ['codeName', s('Unauthorized')]];
    if (lower === 'getparameter') return [['featureCompatibilityVersion', doc(['version', s(opts.before442 ? '4.2' : '7.0')])], ['ok', d(1)]];
    return [['ok', d(1)]];
  }

  let replyId = 1000;
  function reply(responseTo: number, body: [string, Typed][]): Buffer {
    const bson = writeBson(body);
    const header = Buffer.alloc(21);
    header.writeInt32LE(21 + bson.length, 0);
    header.writeInt32LE(++replyId, 4);
    header.writeInt32LE(responseTo, 8);
    header.writeInt32LE(2013, 12);
    header.writeUInt32LE(0, 16);
    return Buffer.concat([header, bson]);
  }

  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as AddressInfo).port,
    received,
    close: () => new Promise<void>((r) => { for (const x of sockets) x.destroy(); server.close(() => r()); }),
  };
}

// ---- Elasticsearch ------------------------------------------------------------------------------

const ES_717_ROOT = `{
  "name" : "es-node-1",
  "cluster_name" : "logs-prod",
  "cluster_uuid" : "x5V0mHb7RcOQm1q6wyR1bA",
  "version" : {
    "number" : "7.17.9",
    "build_flavor" : "default",
    "build_type" : "deb",
    "build_hash" : "ef48222227ee6b9e70e502f0f0daa52435ee634d",
    "build_date" : "2023-01-31T05:34:43.305517834Z",
    "build_snapshot" : false,
    "lucene_version" : "8.11.1",
    "minimum_wire_compatibility_version" : "6.8.0",
    "minimum_index_compatibility_version" : "6.0.0-beta1"
  },
  "tagline" : "You Know, for Search"
}
`;

function es8Unauthorized(path: string): string {
  const header = { 'WWW-Authenticate': ['Basic realm="security" charset="UTF-8"', 'ApiKey'] };
  const cause = { type: 'security_exception', reason: `missing authentication credentials for REST request [${path}]`, header };
  return JSON.stringify({ error: { root_cause: [cause], ...cause }, status: 401 });
}

/** `security`: 8.x defaults (401 for everything); otherwise 7.17 with security off. */
export async function elasticsearchServer(security: boolean): Promise<FakeServer> {
  const received: string[] = [];
  const server = http.createServer((req, res) => {
    const path = req.url ?? '/';
    received.push(path);
    if (security) {
      res.writeHead(401, { 'WWW-Authenticate': ['Basic realm="security" charset="UTF-8"', 'ApiKey'], 'content-type': 'application/json', 'X-elastic-product': 'Elasticsearch' });
      return void res.end(es8Unauthorized(path));
    }
    res.setHeader('X-elastic-product', 'Elasticsearch');
    if (path === '/') return void res.writeHead(200, { 'content-type': 'application/json; charset=UTF-8' }).end(ES_717_ROOT);
    const err = { type: 'index_not_found_exception', reason: `no such index [${path.slice(1)}]` };
    res.writeHead(404, { 'content-type': 'application/json; charset=UTF-8' }).end(JSON.stringify({ error: { root_cause: [err], ...err }, status: 404 }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as AddressInfo).port,
    received,
    close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}

// ---- Telnet -------------------------------------------------------------------------------------

/** netkit telnetd's first flight: DO TERMINAL-TYPE, DO TERMINAL-SPEED, DO X-DISPLAY-LOCATION, DO NEW-ENVIRON. */
export const NETKIT_TELNETD_OPENING = Buffer.from([0xff, 0xfd, 0x18, 0xff, 0xfd, 0x20, 0xff, 0xfd, 0x23, 0xff, 0xfd, 0x27]);
/** busybox telnetd's: WILL ECHO, WILL SUPPRESS-GO-AHEAD, DO NAWS, then a login prompt. */
export const BUSYBOX_TELNETD_OPENING = Buffer.concat([Buffer.from([0xff, 0xfb, 0x01, 0xff, 0xfb, 0x03, 0xff, 0xfd, 0x1f]), Buffer.from('\r\nrouter login: ', 'latin1')]);

/** Sends `opening` on connect and then only records what the client sends. */
export async function telnetServer(opening: Buffer): Promise<FakeServer> {
  const received: string[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((sock) => {
    sockets.add(sock);
    sock.on('close', () => sockets.delete(sock));
    sock.on('error', () => undefined);
    sock.on('data', (x: Buffer) => received.push(x.toString('hex')));
    sock.write(opening);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as AddressInfo).port,
    received,
    close: () => new Promise<void>((r) => { for (const x of sockets) x.destroy(); server.close(() => r()); }),
  };
}
