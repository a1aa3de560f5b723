import { join } from 'node:path';
import type { DaemonSpec } from './daemon-spec.js';
import { writeText } from './host-tools.js';

/**
 * memcached, TCP only (-U 0: the UDP amplification vector stays off in both profiles).
 *
 * weak:     no authentication, the classic open cache.
 * hardened: ASCII-protocol authentication (-Y authfile, a random per-lab user:password); until a
 *           client authenticates every command, `version` included, answers CLIENT_ERROR.
 */
export const memcachedDaemon: DaemonSpec = {
  name: 'memcached',
  packages: ['memcached'],
  executable: 'memcached',
  product: 'Memcached',
  ports: [{ port: 11211, name: 'memcached' }],
  authenticates: 'user-password',
  prepare(ctx) {
    const auth: string[] = [];
    if (ctx.profile === 'hardened' && ctx.credential !== undefined) {
      const file = join(ctx.dir, 'auth');
      writeText(file, `${ctx.credential.user ?? 'trawl'}:${ctx.credential.password}\n`, 0o644);
      auth.push('-Y', file);
    }
    return { argv: [ctx.executable, '-u', 'nobody', '-l', ctx.ip, '-p', String(this.ports[0]!.port), '-U', '0', '-m', '16', '-c', '256', ...auth], logs: [] };
  },
};
