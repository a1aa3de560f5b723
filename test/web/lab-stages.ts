/**
 * The identify and check stages for the dashboard's end-to-end test. The API's in-process runner only
 * runs the discover stage today, so a scan of the lab would show ports without names and no findings;
 * this `afterRun` hook fills the gap with real work before the inventory fold: the identify cascade
 * (src/engines/identify) on every open port, and two small checks against the live services —
 * Redis answering PING without authentication, and an HTTP server naming its version. Everything it
 * connects to is an open port the scan itself found on loopback.
 */
import { connect } from 'node:net';
import type { Kysely } from 'kysely';
import type { FinishedRun } from '../../src/api/runner/in-process-runner.js';
import { inventoryAfterRun } from '../../src/api/runner/inventory-hook.js';
import { identifyByHandshake } from '../../src/engines/identify/cascade/index.js';
import type { ServiceIdentity } from '../../src/engines/identify/service-identity.js';
import type { FindingSighting } from '../../src/inventory/observation-data.js';
import { recordFindingObservations, recordServiceObservations } from '../../src/inventory/observation-writer.js';
import type { Notifier } from '../../src/notify/notifier.js';
import type { Database } from '../../src/store/schema.js';

const LOOPBACK = /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/;

/** The first line a server answers to `PING`, or undefined after `timeoutMs`. */
function redisPing(ip: string, port: number, timeoutMs = 2000): Promise<string | undefined> {
  if (!LOOPBACK.test(ip)) return Promise.reject(new Error(`refusing to connect to ${ip}: loopback only`));
  return new Promise((resolve) => {
    const s = connect({ host: ip, port });
    let buf = '';
    const done = (v: string | undefined): void => {
      clearTimeout(timer);
      s.destroy();
      resolve(v);
    };
    const timer = setTimeout(() => done(undefined), timeoutMs);
    s.on('connect', () => s.write('PING\r\n'));
    s.on('data', (d) => {
      buf += d.toString('latin1');
      const nl = buf.indexOf('\r\n');
      if (nl >= 0 || buf.length > 512) done(buf.slice(0, nl >= 0 ? nl : 512));
    });
    s.on('error', () => done(undefined));
  });
}

export function labStagesAfterRun(db: Kysely<Database>, notifier: Notifier): (run: FinishedRun) => Promise<void> {
  const fold = inventoryAfterRun(db, notifier);
  return async (run) => {
    if (run.status === 'done') {
      const open = await db.selectFrom('observations').select(['ip', 'port', 'proto', 'ts'])
        .where('scan_id', '=', run.scanId).where('type', '=', 'port').where('state', '=', 'open').execute();
      const ts = new Date().toISOString();
      const identified = await Promise.all(open.filter((o) => LOOPBACK.test(o.ip)).map(async (o) => {
        const identity = await identifyByHandshake({ ip: o.ip, port: o.port, family: 4 }, { totalMs: 8000, idleMs: 800, connectTimeoutMs: 2000, bannerWaitMs: 1200 }).catch(() => undefined);
        return { o, identity };
      }));
      const services = identified.filter((x): x is { o: typeof x.o; identity: ServiceIdentity } => x.identity !== undefined);
      await recordServiceObservations(db, services.map(({ o, identity }) => ({ scanId: run.scanId, ip: o.ip, port: o.port, proto: 'tcp' as const, ts, identity })));

      const checked = await Promise.all(services.map(async ({ o, identity }) => {
        const checks: string[] = [];
        const findings: FindingSighting[] = [];
        if (identity.name === 'redis') {
          checks.push('redis.no-auth');
          const reply = await redisPing(o.ip, o.port);
          if (reply === '+PONG') findings.push({ checkId: 'redis.no-auth', severity: 'high', title: 'Redis accepts commands without authentication', evidence: { sent: 'PING', reply } });
        }
        if (identity.name === 'http' || identity.name === 'https' || identity.tunnel === 'ssl') {
          checks.push('http.version-disclosure');
          if (identity.product !== undefined && identity.version !== undefined) {
            findings.push({ checkId: 'http.version-disclosure', severity: 'low', title: 'Web server discloses its version', evidence: { product: identity.product, version: identity.version } });
          }
        }
        return { o, checks, findings };
      }));
      const ran = checked.filter((c) => c.checks.length > 0);
      if (ran.length > 0) {
        await recordFindingObservations(db, ran.map((c) => ({ scanId: run.scanId, ip: c.o.ip, port: c.o.port, proto: 'tcp' as const, ts, checks: c.checks, findings: c.findings })));
      }
    }
    await fold(run);
  };
}
