import type { DaemonName, DaemonSpec } from './daemon-spec.js';
import { eximDaemon } from './exim-daemon.js';
import { memcachedDaemon } from './memcached-daemon.js';
import { mosquittoDaemon } from './mosquitto-daemon.js';
import { nginxHttpDaemon, nginxTlsDaemon } from './nginx-daemon.js';
import { opensshDaemon } from './openssh-daemon.js';
import { redisDaemon } from './redis-daemon.js';
import { sambaDaemon } from './samba-daemon.js';
import { vsftpdDaemon } from './vsftpd-daemon.js';

/**
 * Which address each daemon gets inside the namespace: one loopback address each (added to `lo` as
 * a /32), so every daemon can have its standard ports and a scan result names the daemon by address.
 * 127.0.1.1 is left alone: Debian's /etc/hosts maps it to the machine's own name.
 */
export const DAEMON_CATALOGUE: ReadonlyArray<{ readonly spec: DaemonSpec; readonly ip: string }> = [
  { spec: nginxHttpDaemon, ip: '127.0.1.10' },
  { spec: nginxTlsDaemon, ip: '127.0.1.11' },
  { spec: opensshDaemon, ip: '127.0.1.12' },
  { spec: redisDaemon, ip: '127.0.1.13' },
  { spec: vsftpdDaemon, ip: '127.0.1.14' },
  { spec: sambaDaemon, ip: '127.0.1.15' },
  { spec: memcachedDaemon, ip: '127.0.1.16' },
  { spec: eximDaemon, ip: '127.0.1.17' },
  { spec: mosquittoDaemon, ip: '127.0.1.18' },
];

export function daemonEntry(name: DaemonName): { readonly spec: DaemonSpec; readonly ip: string } | undefined {
  return DAEMON_CATALOGUE.find((e) => e.spec.name === name);
}

/** The lab hostname of a daemon: <name>.dlab.trawl.test (.test is reserved, never resolves outside). */
export function daemonHostname(name: DaemonName): string {
  return `${name}.dlab.trawl.test`;
}
