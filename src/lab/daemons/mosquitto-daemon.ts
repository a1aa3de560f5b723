import { join } from 'node:path';
import type { DaemonSpec } from './daemon-spec.js';
import { runTool, writeText } from './host-tools.js';

/**
 * Eclipse Mosquitto with a generated config; the standard port 1883 and an unexpected one (9883).
 *
 * weak:     allow_anonymous true: anyone can subscribe to `#` and publish.
 * hardened: allow_anonymous false with a password file (random per-lab user and password, hashed by
 *           mosquitto_passwd).
 */
export const mosquittoDaemon: DaemonSpec = {
  name: 'mosquitto',
  packages: ['mosquitto'],
  executable: 'mosquitto',
  helpers: (profile) => (profile === 'hardened' ? ['mosquitto_passwd'] : []),
  product: 'Mosquitto',
  ports: [{ port: 1883, name: 'mqtt' }, { port: 9883, name: 'mqtt' }],
  authenticates: 'user-password',
  prepare(ctx) {
    const hardened = ctx.profile === 'hardened' && ctx.credential !== undefined;
    const auth: string[] = ['allow_anonymous true'];
    if (hardened) {
      const file = join(ctx.dir, 'passwd');
      writeText(file, '', 0o644);
      runTool('mosquitto_passwd', ['-b', file, ctx.credential.user ?? 'trawl', ctx.credential.password]);
      auth.splice(0, 1, 'allow_anonymous false', `password_file ${file}`);
    }
    const cfg = join(ctx.dir, 'mosquitto.conf');
    writeText(cfg, [
      ...this.ports.map((p) => `listener ${p.port} ${ctx.ip}`),
      ...auth,
      'persistence false',
      'log_dest stderr',
      'log_type error',
      'log_type warning',
      'log_type notice',
      'log_type information',
      `pid_file ${join(ctx.dir, 'mosquitto.pid')}`,
      // Stays root: its files live below a folder the `mosquitto` account may not traverse.
      'user root',
      '',
    ].join('\n'));
    return { argv: [ctx.executable, '-c', cfg], logs: [] };
  },
};
