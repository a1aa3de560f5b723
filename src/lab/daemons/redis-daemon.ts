import type { DaemonSpec } from './daemon-spec.js';

/**
 * redis-server with every setting on the command line (no config file), no persistence.
 *
 * weak:     protected mode off, no password: anyone who reaches the port owns the data.
 * hardened: `requirepass` (a random per-lab secret) with protected mode on.
 */
export const redisDaemon: DaemonSpec = {
  name: 'redis',
  packages: ['redis-server'],
  executable: 'redis-server',
  product: 'Redis key-value store',
  ports: [{ port: 6379, name: 'redis' }],
  authenticates: 'password',
  prepare(ctx) {
    const port = this.ports[0]!.port;
    const auth = ctx.profile === 'hardened' && ctx.credential !== undefined
      ? ['--protected-mode', 'yes', '--requirepass', ctx.credential.password]
      : ['--protected-mode', 'no'];
    return {
      argv: [
        ctx.executable,
        '--bind', ctx.ip, '--port', String(port),
        '--daemonize', 'no', '--save', '', '--appendonly', 'no',
        '--dir', ctx.dir, '--logfile', '', '--pidfile', '',
        ...auth,
      ],
      logs: [],
    };
  },
};
