/**
 * Entry of the field's listener, run inside trawl-net: one socket per port on 0.0.0.0, which with
 * the AnyIP route serves every address of the field at once (nftables decides who gets through).
 * Usage: netns-listener-main.js --ports 22,80,443 --ready FILE
 */
import { parseArgs } from 'node:util';
import { writeJsonAtomic } from './lab-state.js';
import { bannerService } from './services/banner-service.js';
import { ftpService } from './services/ftp-service.js';
import { NGINX_PORTAL, httpService } from './services/http-service.js';
import { httpsService } from './services/https-service.js';
import type { ConnectionLimits, RunningService, ServiceSpec } from './services/lab-service.js';
import { mysqlService } from './services/mysql-service.js';
import { postgresService } from './services/postgres-service.js';
import { redisService } from './services/redis-service.js';
import { smtpService } from './services/smtp-service.js';
import { DROPBEAR_2022, OPENSSH_DEBIAN12, sshService } from './services/ssh-service.js';

/** Scanners open many connections at once; sessions are short. */
const FIELD_LIMITS: ConnectionLimits = { idleTimeoutMs: 5_000, maxConnections: 16_384, backlog: 4096 };

function serviceFor(port: number): ServiceSpec {
  switch (port) {
    case 21: return ftpService();
    case 22: return sshService(OPENSSH_DEBIAN12);
    case 2222: return sshService(DROPBEAR_2022);
    case 25:
    case 587: return smtpService('mail.field.trawl.test');
    case 80:
    case 8000:
    case 8080:
    case 8888: return httpService(NGINX_PORTAL);
    case 443:
    case 8443: return httpsService(NGINX_PORTAL, 'www.field.trawl.test');
    case 110: return bannerService({ name: 'pop3', banner: '+OK Dovecot (Debian) ready.' });
    case 143: return bannerService({ name: 'imap', banner: '* OK [CAPABILITY IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE LITERAL+ STARTTLS AUTH=PLAIN] Dovecot (Debian) ready.' });
    case 3306: return mysqlService('8.0.36');
    case 5432: return postgresService();
    case 5900: return bannerService({ name: 'vnc', banner: 'RFB 003.008', lf: true });
    case 6379: return redisService({ version: '7.0.15' });
    default: return bannerService({ name: 'unknown' });
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { ports: { type: 'string' }, ready: { type: 'string' } }, strict: true });
  const ports = (values.ports ?? '').split(',').filter((p) => p !== '').map(Number);
  if (ports.some((p) => !Number.isInteger(p) || p < 1 || p > 65535)) throw new Error(`bad --ports '${values.ports}'`);
  const running: RunningService[] = [];
  for (const port of ports) running.push(await serviceFor(port).start('0.0.0.0', port, FIELD_LIMITS));
  if (values.ready !== undefined) writeJsonAtomic(values.ready, { pid: process.pid, ports });
  const stop = (): void => {
    setTimeout(() => process.exit(0), 1_000).unref();
    void Promise.all(running.map((r) => r.close())).finally(() => process.exit(0));
  };
  for (const sig of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.on(sig, stop);
}

main().catch((e: unknown) => {
  console.error(`field listener failed: ${(e as Error).message ?? String(e)}`);
  process.exit(69);
});
