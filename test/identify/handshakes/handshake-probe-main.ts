/**
 * Runs handshakes inside a test namespace and prints their results as one JSON object. The tests
 * spawn it with `ip netns exec`, so every probe it sends stays on the namespace's loopback.
 * argv[2]: JSON array of { key, kind, port, ip?, hostname?, opts? }.
 */
import { identifyByHandshake } from '../../../src/engines/identify/cascade/index.js';
import {
  ftpHandshake,
  httpHandshake,
  imapHandshake,
  memcachedHandshake,
  mqttHandshake,
  mysqlHandshake,
  pop3Handshake,
  postgresqlHandshake,
  redisHandshake,
  smbHandshake,
  smtpHandshake,
  sshHandshake,
  tlsHandshake,
} from '../../../src/engines/identify/handshakes/index.js';
import type { IdentifyTarget } from '../../../src/engines/identify/service-identity.js';

interface PlanItem {
  readonly key: string;
  readonly kind: string;
  readonly port: number;
  readonly ip?: string;
  readonly hostname?: string;
  readonly opts?: Record<string, unknown>;
}

const kinds: Record<string, (t: IdentifyTarget, o: Record<string, unknown>) => Promise<unknown>> = {
  tls: tlsHandshake,
  http: httpHandshake,
  ssh: sshHandshake,
  smb: smbHandshake,
  redis: redisHandshake,
  memcached: memcachedHandshake,
  ftp: ftpHandshake,
  smtp: smtpHandshake,
  pop3: pop3Handshake,
  imap: imapHandshake,
  mqtt: mqttHandshake,
  mysql: mysqlHandshake,
  postgresql: postgresqlHandshake,
  cascade: identifyByHandshake,
};

// Only loopback: this script runs inside a namespace whose only interface is lo.
const loopback = (ip: string): void => {
  if (!(ip.startsWith('127.') || ip === '::1')) throw new Error(`refusing ${ip}: not loopback`);
};

const plan = JSON.parse(process.argv[2] ?? '[]') as PlanItem[];
const out: Record<string, unknown> = {};
await Promise.all(
  plan.map(async (p) => {
    const ip = p.ip ?? '127.0.0.1';
    const target: IdentifyTarget = { ip, port: p.port, family: ip.includes(':') ? 6 : 4, ...(p.hostname !== undefined ? { hostname: p.hostname } : {}) };
    const fn = kinds[p.kind];
    const started = performance.now();
    try {
      if (fn === undefined) throw new Error(`unknown kind ${p.kind}`);
      const r = await fn(target, { guard: loopback, ...(p.opts ?? {}) });
      out[p.key] = { result: r ?? null, ms: Math.round(performance.now() - started) };
    } catch (e) {
      out[p.key] = { error: (e as Error).message, ms: Math.round(performance.now() - started) };
    }
  }),
);
process.stdout.write(`${JSON.stringify(out)}\n`);
