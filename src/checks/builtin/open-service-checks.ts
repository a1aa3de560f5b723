/**
 * Services that answer without authentication, judged from identification's own handshakes (no
 * traffic): Redis answering PING with +PONG, memcached answering `version`, an MQTT broker accepting
 * a CONNECT that carries no credentials. No data is read or written by any of them.
 */
import type { Check, CheckMeta } from '../check.js';
import { makeFinding } from '../check.js';
import type { JsonValue } from '../finding.js';
import { factsOf, str } from '../identity-facts.js';

const redisMeta: CheckMeta = {
  id: 'redis-no-auth',
  title: 'Redis accepts commands without authentication',
  severity: 'critical',
  safe: true,
  traffic: 'facts',
  description:
    'Fires when Redis answered PING with +PONG (identification sends PING, then INFO server): no password, no ACL user, no protected mode in the way. Anyone reaching the port can read, change or delete every key and, through CONFIG/MODULE, often run code on the host.',
  remediation: 'Set `requirepass` or ACL users, keep `protected-mode yes`, bind to internal interfaces only and firewall the port.',
  references: { cwe: ['CWE-306'], urls: ['https://redis.io/docs/latest/operate/oss_and_stack/management/security/'] },
  cvssVector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H',
};

export const redisNoAuth: Check = {
  ...redisMeta,
  appliesTo: (identity) => factsOf(identity, 'redis') !== undefined,
  async run(target, identity, ctx) {
    const r = factsOf(identity, 'redis');
    const ping = str(r?.['pingReply'], 256);
    if (r === undefined || ping === undefined || !ping.startsWith('+PONG') || r['authRequired'] === true || r['protectedMode'] === true) return [];
    const version = str(r['version'], 64);
    const mode = str(r['mode'], 32);
    const evidence: Record<string, JsonValue> = { command: 'PING', reply: ping, ...(version !== undefined ? { redis_version: version } : {}), ...(mode !== undefined ? { redis_mode: mode } : {}) };
    return [makeFinding(redisMeta, target, ctx.now(), { summary: `${version !== undefined ? `Redis ${version}` : 'Redis'} answered PING with ${ping} without authentication`, confidence: 'certain', evidence })];
  },
};

const memcachedMeta: CheckMeta = {
  id: 'memcached-exposed',
  title: 'Memcached reachable without authentication',
  severity: 'high',
  safe: true,
  traffic: 'facts',
  description:
    "Fires when memcached answered the text protocol's `version` (and `stats`) without SASL or ASCII authentication. Cached data can be read, replaced or flushed; over UDP the same server is a DDoS amplifier (UDP is not probed here).",
  remediation: 'Bind memcached to localhost or an internal interface (`-l`), firewall 11211, disable UDP (`-U 0`), and enable SASL (`-S`) or ASCII auth (`-Y`) where clients support it.',
  references: { cwe: ['CWE-306'], urls: ['https://github.com/memcached/memcached/wiki/SASLHowto'] },
  cvssVector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:L/A:L',
};

export const memcachedExposed: Check = {
  ...memcachedMeta,
  appliesTo: (identity) => factsOf(identity, 'memcached') !== undefined,
  async run(target, identity, ctx) {
    const m = factsOf(identity, 'memcached');
    const version = str(m?.['version'], 64);
    if (m === undefined || m['authRequired'] !== false || version === undefined) return [];
    const stats = m['stats'];
    return [
      makeFinding(memcachedMeta, target, ctx.now(), {
        summary: `Memcached ${version} answers without authentication`,
        confidence: 'certain',
        evidence: {
          command: 'version',
          reply: str(m['reply'], 256) ?? `VERSION ${version}`,
          protocol: str(m['protocol'], 16) ?? 'text',
          ...(typeof stats === 'object' && stats !== null ? { stats_answered: true } : {}),
        },
      }),
    ];
  },
};

const mqttMeta: CheckMeta = {
  id: 'mqtt-anonymous',
  title: 'MQTT broker accepts anonymous clients',
  severity: 'high',
  safe: true,
  traffic: 'facts',
  description:
    "Fires when the broker answered identification's MQTT 3.1.1 CONNECT without user name or password with CONNACK return code 0 (accepted); the client disconnects at once, subscribing and publishing nothing. Broker ACLs may still limit topics, hence 'firm'.",
  remediation: 'Disable anonymous access (Mosquitto `allow_anonymous false` with a `password_file` or auth plugin), add topic ACLs, and use TLS listeners.',
  references: { cwe: ['CWE-306'], urls: ['https://mosquitto.org/man/mosquitto-conf-5.html'] },
  cvssVector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:L/I:L/A:N',
};

export const mqttAnonymous: Check = {
  ...mqttMeta,
  appliesTo: (identity) => factsOf(identity, 'mqtt') !== undefined,
  async run(target, identity, ctx) {
    const m = factsOf(identity, 'mqtt');
    if (m === undefined || m['anonymousAllowed'] !== true || m['returnCode'] !== 0) return [];
    return [
      makeFinding(mqttMeta, target, ctx.now(), {
        summary: 'MQTT CONNECT without credentials accepted (CONNACK 0)',
        confidence: 'firm',
        evidence: { protocol_level: 4, credentials_sent: false, connack_return_code: 0, return_text: str(m['returnText'], 64) ?? 'accepted', tls: m['implicitTls'] === true },
      }),
    ];
  },
};

export const OPEN_SERVICE_CHECKS: readonly Check[] = [redisNoAuth, memcachedExposed, mqttAnonymous];
