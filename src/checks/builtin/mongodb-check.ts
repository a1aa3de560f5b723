/**
 * mongodb-no-auth. Identification does not speak MongoDB (mongod is silent on connect and answers the
 * cascade's HTTP GET with a canned "You are trying to access MongoDB over HTTP" page), so the check
 * makes its own OP_MSG handshake on one connection:
 *  1. `{hello: 1}` (falling back to `{isMaster: 1}` on servers older than 4.4.2) — allowed without
 *     authentication everywhere; confirms MongoDB and gives its wire version and role;
 *  2. `{getParameter: 1, featureCompatibilityVersion: 1}` — a read-only, data-free command that needs
 *     the clusterMonitor-level `getParameter` privilege: with access control on, an unauthenticated
 *     client gets code 13 Unauthorized; with it off, the answer.
 * No database is listed, no collection read. Servers older than 3.6 (no OP_MSG) are not covered.
 */
import { isDialError, type HandshakeConnection } from '../../engines/identify/handshakes/handshake-connection.js';
import type { ServiceIdentity } from '../../engines/identify/service-identity.js';
import type { Check, CheckMeta, CheckTarget } from '../check.js';
import { makeFinding } from '../check.js';
import { connect, tlsDialFor, withCheckBudget } from '../check-io.js';
import type { JsonValue } from '../finding.js';
import { httpView } from '../identity-facts.js';
import { messageLength, opMsg, parseOpMsg, type BsonValue } from './mongodb-wire.js';

const MONGO_PORTS = new Set([27017, 27018, 27019]);
const HTTP_ON_NATIVE_PORT = /trying to access MongoDB over HTTP on the native driver port/i;

type Doc = { [key: string]: BsonValue };

async function command(conn: HandshakeConnection, requestId: number, doc: Doc): Promise<Doc | undefined> {
  conn.write(opMsg(requestId, doc));
  const end = await conn.fill((b) => messageLength(b) !== -1);
  const n = messageLength(conn.buffer);
  if (n < 0 || (end !== 'until' && end !== 'max-bytes')) return undefined;
  try {
    const reply = parseOpMsg(conn.consume(n));
    return reply.responseTo === requestId ? reply.body : undefined;
  } catch {
    return undefined;
  }
}

function isHelloReply(d: Doc | undefined): d is Doc {
  return d !== undefined && typeof d['maxWireVersion'] === 'number' && (typeof d['isWritablePrimary'] === 'boolean' || typeof d['ismaster'] === 'boolean');
}

function unauthorized(d: Doc): boolean {
  const msg = typeof d['errmsg'] === 'string' ? d['errmsg'] : '';
  return d['code'] === 13 || d['code'] === 18 || d['codeName'] === 'Unauthorized' || /requires authentication|not authorized|unauthorized/i.test(msg);
}

const meta: CheckMeta = {
  id: 'mongodb-no-auth',
  title: 'MongoDB accepts commands without authentication',
  severity: 'critical',
  safe: true,
  traffic: 'requests',
  description:
    "OP_MSG handshake: `hello` (or `isMaster`) to confirm MongoDB, then `getParameter featureCompatibilityVersion`, a read-only command that fails with Unauthorized (code 13) whenever access control is on. Fires when it succeeds without credentials. Never lists databases or reads data. Applies to services identified as MongoDB, to MongoDB's HTTP-on-native-port page, and to unidentified ports 27017-27019.",
  remediation: 'Enable access control (`security.authorization: enabled`), create users with least privilege, bind to internal interfaces (`net.bindIp`) and firewall 27017.',
  references: { cwe: ['CWE-306'], urls: ['https://www.mongodb.com/docs/manual/administration/security-checklist/'] },
  cvssVector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H',
};

export const mongodbNoAuth: Check = {
  ...meta,
  appliesTo(identity: ServiceIdentity, target: CheckTarget) {
    if (/^mongo/i.test(identity.name) || /mongodb/i.test(identity.product ?? '')) return true;
    const h = httpView(identity);
    if (h !== undefined && HTTP_ON_NATIVE_PORT.test(h.body)) return true;
    return MONGO_PORTS.has(target.port) && ['unknown', 'tcpwrapped', 'http'].includes(identity.name);
  },
  async run(target, identity, ctx) {
    const dial = tlsDialFor(identity);
    return withCheckBudget(ctx, async (budget) => {
      const conn = await connect(target, ctx, budget, dial);
      if (isDialError(conn)) return [];
      try {
        let hello = await command(conn, 1, { hello: 1, $db: 'admin' });
        let helloCommand = 'hello';
        if (hello !== undefined && hello['ok'] !== 1 && hello['code'] === 59) {
          hello = await command(conn, 2, { isMaster: 1, $db: 'admin' });
          helloCommand = 'isMaster';
        }
        if (!isHelloReply(hello)) return [];
        const probe = await command(conn, 3, { getParameter: 1, featureCompatibilityVersion: 1, $db: 'admin' });
        if (probe === undefined || unauthorized(probe) || probe['ok'] !== 1) return [];
        const fcv = probe['featureCompatibilityVersion'];
        const fcvText = typeof fcv === 'object' && fcv !== null && !Array.isArray(fcv) && typeof fcv['version'] === 'string' ? fcv['version'] : undefined;
        const evidence: Record<string, JsonValue> = {
          handshake: helloCommand,
          max_wire_version: hello['maxWireVersion'] as number,
          is_writable_primary: (hello['isWritablePrimary'] ?? hello['ismaster']) === true,
          ...(typeof hello['setName'] === 'string' ? { replica_set: hello['setName'] } : {}),
          ...(hello['msg'] === 'isdbgrid' ? { router: 'mongos' } : {}),
          command: 'getParameter featureCompatibilityVersion',
          command_ok: 1,
          ...(fcvText !== undefined ? { feature_compatibility_version: fcvText } : {}),
          credentials_sent: false,
        };
        return [
          makeFinding(meta, target, ctx.now(), {
            summary: `MongoDB (wire version ${String(hello['maxWireVersion'])}) ran getParameter without authentication`,
            confidence: 'certain',
            evidence,
          }),
        ];
      } finally {
        conn.close();
      }
    });
  },
};
