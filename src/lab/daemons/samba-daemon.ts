import { join } from 'node:path';
import type { DaemonSpec } from './daemon-spec.js';
import { makeDir, writeText } from './host-tools.js';

/**
 * Samba's smbd as a standalone server, every state/lock/cache folder inside the lab folder, in the
 * foreground in our process group (`--foreground --no-process-group`). No nmbd: NetBIOS name
 * service is off, SMB answers on 445 (direct) and 139 (NetBIOS session).
 *
 * weak:     SMB1 (NT1) accepted, signing disabled, NTLMv1, guest mapped for bad users, a guest share.
 * hardened: SMB 2.1 minimum, signing mandatory, NTLMv2 only, no guest, anonymous enumeration
 *           refused, encryption offered.
 */
export const sambaDaemon: DaemonSpec = {
  name: 'samba',
  packages: ['samba'],
  executable: 'smbd',
  product: 'Samba smbd',
  ports: [{ port: 445, name: 'microsoft-ds' }, { port: 139, name: 'netbios-ssn' }],
  prepare(ctx) {
    const d = ctx.dir;
    // smb.conf parameter → folder; Samba would otherwise use /var/lib/samba, /run/samba...
    const dirs: Array<[string, string]> = [
      ['private dir', 'private'], ['lock directory', 'lock'], ['state directory', 'state'], ['cache directory', 'cache'],
      ['pid directory', 'pid'], ['ncalrpc dir', 'ncalrpc'], ['binddns dir', 'binddns'],
    ];
    for (const [, x] of dirs) makeDir(join(d, x), x === 'private' ? 0o700 : 0o755);
    makeDir(join(d, 'log'));
    const share = makeDir(join(d, 'share'));
    writeText(join(share, 'readme.txt'), 'Trawl daemon lab share\n');
    const hardened = ctx.profile === 'hardened';
    const policy = hardened
      ? [
          'server min protocol = SMB2_10',
          'server signing = mandatory',
          'ntlm auth = ntlmv2-only',
          'map to guest = never',
          'restrict anonymous = 2',
          'server smb encrypt = desired',
        ]
      : [
          'server min protocol = NT1',
          'server signing = disabled',
          'ntlm auth = yes',
          'map to guest = bad user',
          'restrict anonymous = 0',
        ];
    const shareSection = hardened
      ? ['[data]', `  path = ${share}`, '  read only = yes', '  guest ok = no', '  browseable = no']
      : ['[public]', `  path = ${share}`, '  read only = yes', '  guest ok = yes', '  comment = Trawl daemon lab guest share'];
    const cfg = join(d, 'smb.conf');
    writeText(cfg, [
      '[global]',
      '  server role = standalone server',
      '  workgroup = TRAWLLAB',
      '  netbios name = DLAB-SMB',
      '  server string = Trawl daemon lab',
      `  interfaces = ${ctx.ip}/32`,
      '  bind interfaces only = yes',
      `  smb ports = ${this.ports.map((p) => p.port).join(' ')}`,
      '  disable netbios = yes',
      ...dirs.map(([param, x]) => `  ${param} = ${join(d, x)}`),
      `  passdb backend = tdbsam:${join(d, 'private', 'passdb.tdb')}`,
      `  log file = ${join(d, 'log', 'log.%m')}`,
      '  load printers = no',
      '  printing = bsd',
      '  printcap name = /dev/null',
      '  disable spoolss = yes',
      ...policy.map((l) => `  ${l}`),
      ...shareSection,
      '',
    ].join('\n'));
    return { argv: [ctx.executable, '--foreground', '--no-process-group', '--debug-stdout', '-d', '1', '-s', cfg], logs: [] };
  },
};
