import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { daemonLabProblem, startDaemonLab, DAEMON_NAMES, type DaemonEndpoint, type DaemonLab, type DaemonName } from '../../src/lab/daemon-lab.js';
import type { Probe } from './daemon-lab-probe.js';

/**
 * Starts the real daemons (weak, then hardened) and checks from INSIDE the namespace that each one
 * answers the way its profile says. Skips where the lab cannot run (not root, no `ip`).
 */

const problem = daemonLabProblem();
const PROBE = fileURLToPath(new URL('./daemon-lab-probe.js', import.meta.url));
const NAMESPACE = 'trawl-dlab-test';

type Results = Record<string, Record<string, unknown>>;

/** Runs the probe helper inside the lab's namespace. */
function probe(lab: DaemonLab, probes: Probe[]): Promise<Results> {
  const argv = lab.execArgs([process.execPath, PROBE, JSON.stringify(probes)]);
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    child.once('error', reject);
    child.once('close', (code) => {
      if (code !== 0) return reject(new Error(`probe helper exited ${code}: ${err}`));
      try {
        resolve(JSON.parse(out) as Results);
      } catch (e) {
        reject(new Error(`probe helper output unreadable: ${out.slice(0, 500)} ${err}`, { cause: e }));
      }
    });
  });
}

function endpoint(lab: DaemonLab, daemon: DaemonName, port: number): DaemonEndpoint {
  const e = lab.endpoints.find((x) => x.daemon === daemon && x.port === port);
  assert.ok(e, `${daemon} has no endpoint on port ${port}; skipped: ${JSON.stringify(lab.skipped)}`);
  return e;
}

function get(r: Results, id: string): Record<string, unknown> {
  const v = r[id];
  assert.ok(v !== undefined, `no result for ${id}`);
  return v;
}

function replies(r: Results, id: string): string[] {
  const v = get(r, id)['replies'];
  assert.ok(Array.isArray(v), `${id}: ${JSON.stringify(get(r, id))}`);
  return v as string[];
}

/** The probes both profiles run; the assertions differ. */
function commonProbes(lab: DaemonLab): Probe[] {
  const at = (d: DaemonName, port: number): { ip: string; port: number } => ({ ip: endpoint(lab, d, port).ip, port });
  const nginxTls = endpoint(lab, 'nginx-tls', 443);
  const exim = endpoint(lab, 'exim', 25);
  const ftp = endpoint(lab, 'vsftpd', 21);
  return [
    ...lab.endpoints.map((e) => ({ id: `connect ${e.ip}:${e.port}`, kind: 'connect' as const, ip: e.ip, port: e.port })),
    { id: 'http /', kind: 'http', ...at('nginx-http', 80), path: '/' },
    { id: 'http 9000 /.env', kind: 'http', ...at('nginx-http', 9000), path: '/.env' },
    { id: 'http /.git/HEAD', kind: 'http', ...at('nginx-http', 80), path: '/.git/HEAD' },
    { id: 'http /backup/', kind: 'http', ...at('nginx-http', 80), path: '/backup/' },
    { id: 'https 8443 /', kind: 'http', ...at('nginx-tls', 8443), path: '/', tls: true },
    { id: 'tls1.0', kind: 'tls', ip: nginxTls.ip, port: 443, min: 'TLSv1', max: 'TLSv1' },
    { id: 'tls1.2 verified', kind: 'tls', ip: nginxTls.ip, port: 443, min: 'TLSv1.2', max: 'TLSv1.3', servername: nginxTls.hostname, ...(lab.caCert ? { ca: lab.caCert } : {}) },
    { id: 'ssh 22', kind: 'ssh', ...at('openssh', 22) },
    { id: 'ssh 2222', kind: 'ssh', ...at('openssh', 2222) },
    { id: 'redis ping', kind: 'dialog', ...at('redis', 6379), steps: [{ send: 'PING\r\n', until: '\\r\\n' }] },
    { id: 'ftp anonymous', kind: 'dialog', ...at('vsftpd', 21), steps: [{ until: '^\\d{3} ' }, { send: 'USER anonymous\r\n', until: '^\\d{3} ' }, { send: 'PASS probe@\r\n', until: '^\\d{3} ' }] },
    { id: 'memcached version', kind: 'dialog', ...at('memcached', 11211), steps: [{ send: 'version\r\n', until: '\\r\\n' }] },
    { id: 'smtp ehlo', kind: 'dialog', ...at('exim', 25), steps: [{ until: '^220 ' }, { send: 'EHLO probe.dlab.trawl.test\r\n', until: '^250 ' }] },
    { id: 'smtp 587 banner', kind: 'dialog', ...at('exim', 587), steps: [{ until: '^220 ' }] },
    { id: 'smtp starttls 1.0', kind: 'tls', ip: exim.ip, port: 25, min: 'TLSv1', max: 'TLSv1', starttls: 'smtp' },
    { id: 'smtp starttls 1.2', kind: 'tls', ip: exim.ip, port: 25, min: 'TLSv1.2', max: 'TLSv1.3', starttls: 'smtp', servername: exim.hostname, ...(lab.caCert ? { ca: lab.caCert } : {}) },
    { id: 'smb1', kind: 'smb1', ...at('samba', 445) },
    { id: 'smb2', kind: 'smb2', ...at('samba', 445) },
    { id: 'smb2 139', kind: 'smb2', ...at('samba', 139) },
    { id: 'mqtt anonymous', kind: 'mqtt', ...at('mosquitto', 1883) },
    { id: 'mqtt 9883 anonymous', kind: 'mqtt', ...at('mosquitto', 9883) },
    ...(lab.profile === 'hardened'
      ? [
          { id: 'ftp auth tls', kind: 'tls' as const, ip: ftp.ip, port: 21, min: 'TLSv1.2' as const, max: 'TLSv1.3' as const, starttls: 'ftp' as const, servername: ftp.hostname, ...(lab.caCert ? { ca: lab.caCert } : {}) },
          { id: 'ftp auth tls 1.0', kind: 'tls' as const, ip: ftp.ip, port: 21, min: 'TLSv1' as const, max: 'TLSv1' as const, starttls: 'ftp' as const },
        ]
      : []),
  ];
}

function assertEveryEndpointAccepts(lab: DaemonLab, r: Results): void {
  for (const e of lab.endpoints) assert.deepEqual(get(r, `connect ${e.ip}:${e.port}`), { ok: true }, `${e.daemon} ${e.ip}:${e.port}`);
}

function assertCommonIdentity(lab: DaemonLab, r: Results): void {
  // Every daemon of the catalogue is installed on this machine, so none may be skipped.
  assert.deepEqual(lab.skipped, []);
  assert.deepEqual([...new Set(lab.endpoints.map((e) => e.daemon))].sort(), [...DAEMON_NAMES].sort());
  const addresses = new Map<string, DaemonName>();
  for (const e of lab.endpoints) {
    assert.match(e.ip, /^127\./);
    assert.ok((addresses.get(e.ip) ?? e.daemon) === e.daemon, `${e.ip} shared by two daemons`);
    addresses.set(e.ip, e.daemon);
    assert.ok(e.expect.version !== undefined && /^\d/.test(e.expect.version), `${e.daemon} has a version: ${JSON.stringify(e.expect)}`);
  }
  const nginx = endpoint(lab, 'nginx-http', 80).expect.version!;
  const home = get(r, 'http /');
  assert.equal(home['status'], 200);
  assert.equal((home['headers'] as Record<string, string>)['server'], `nginx/${nginx}`);
  const https = get(r, 'https 8443 /');
  assert.equal(https['status'], 200, JSON.stringify(https));
  assert.equal((https['headers'] as Record<string, string>)['server'], `nginx/${nginx}`);

  // nmap's form "9.2p1 Debian 2+deb12u10" is the banner's "9.2p1 Debian-2+deb12u10".
  const sshVersion = endpoint(lab, 'openssh', 22).expect.version!.replace(/ (Debian|Ubuntu) /, ' $1-');
  for (const id of ['ssh 22', 'ssh 2222']) {
    assert.ok(String(get(r, id)['banner']).startsWith(`SSH-2.0-OpenSSH_${sshVersion}`), String(get(r, id)['banner']));
    assert.equal(get(r, id)['kexinit'], true);
  }
  assert.match(replies(r, 'ftp anonymous')[0]!, new RegExp(`^220 \\(vsFTPd ${endpoint(lab, 'vsftpd', 21).expect.version!.replaceAll('.', '\\.')}\\)`));
  const eximVersion = endpoint(lab, 'exim', 25).expect.version!;
  assert.match(replies(r, 'smtp ehlo')[0]!, new RegExp(`^220 exim\\.dlab\\.trawl\\.test ESMTP Exim ${eximVersion.replaceAll('.', '\\.')} `));
  assert.match(replies(r, 'smtp 587 banner')[0]!, /^220 .*ESMTP Exim/);
  assert.match(replies(r, 'smtp ehlo')[1]!, /^250-STARTTLS\r$/m);
  assert.deepEqual(get(r, 'smb2 139')['smb2'], true);
}

describe('daemon lab', { skip: problem ?? false, timeout: 120_000 }, () => {
  describe('weak profile', () => {
    let lab: DaemonLab;
    let r: Results;
    before(async () => {
      lab = await startDaemonLab({ profile: 'weak', namespace: NAMESPACE });
      r = await probe(lab, commonProbes(lab));
    });
    after(async () => {
      await lab?.stop();
    });

    it('runs every daemon, each on its own address, and every endpoint accepts inside the namespace', () => {
      assertEveryEndpointAccepts(lab, r);
      assertCommonIdentity(lab, r);
      assert.equal(lab.caCert, undefined);
      assert.deepEqual(lab.credentials, {});
    });

    it('nginx: autoindex on, .git and .env served', () => {
      assert.match(String(get(r, 'http /')['body']), /<title>Index of \/<\/title>/);
      assert.match(String(get(r, 'http /backup/')['body']), /db-2024-01-01\.sql/);
      assert.equal(get(r, 'http 9000 /.env')['status'], 200);
      assert.match(String(get(r, 'http 9000 /.env')['body']), /DB_PASSWORD=/);
      assert.match(String(get(r, 'http /.git/HEAD')['body']), /^ref: refs\/heads\//);
    });

    it('nginx-tls: TLS 1.0 accepted with an expired self-signed certificate for another name', () => {
      const t = get(r, 'tls1.0');
      assert.equal(t['ok'], true, JSON.stringify(t));
      assert.equal(t['protocol'], 'TLSv1');
      assert.equal(t['authorized'], false);
      assert.equal(t['authorizationError'], 'CERT_HAS_EXPIRED');
      assert.equal(t['subjectCN'], 'localhost');
      assert.equal(t['issuerCN'], 'localhost');
      assert.match(String(t['validTo']), /2021/);
    });

    it('openssh: legacy algorithms offered', () => {
      const s = get(r, 'ssh 22');
      assert.ok((s['kex'] as string[]).includes('diffie-hellman-group1-sha1'), JSON.stringify(s['kex']));
      assert.ok((s['ciphers'] as string[]).includes('3des-cbc'));
      assert.ok((s['macs'] as string[]).includes('hmac-md5'));
    });

    it('redis answers PING without authentication', () => {
      assert.equal(replies(r, 'redis ping')[0], '+PONG\r\n');
    });

    it('vsftpd logs anonymous in', () => {
      const [, user, pass] = replies(r, 'ftp anonymous');
      assert.match(user!, /^(331|230) /);
      assert.match(pass!, /^230 /m);
    });

    it('memcached answers version unauthenticated', () => {
      assert.equal(replies(r, 'memcached version')[0], `VERSION ${endpoint(lab, 'memcached', 11211).expect.version!}\r\n`);
    });

    it('exim: VRFY/EXPN advertised, STARTTLS accepts TLS 1.0 with the expired certificate', () => {
      assert.match(replies(r, 'smtp ehlo')[1]!, /^250-VRFY\r$/m);
      const t = get(r, 'smtp starttls 1.0');
      assert.equal(t['ok'], true, JSON.stringify(t));
      assert.equal(t['protocol'], 'TLSv1');
      assert.equal(t['authorizationError'], 'CERT_HAS_EXPIRED');
    });

    it('samba: SMB1 negotiated, SMB2 signing not required', () => {
      const one = get(r, 'smb1');
      assert.equal(one['smb1'], true, JSON.stringify(one));
      assert.equal(one['status'], 0);
      assert.equal(one['dialectIndex'], 0);
      const two = get(r, 'smb2');
      assert.equal(two['smb2'], true, JSON.stringify(two));
      assert.equal(two['signingRequired'], false);
    });

    it('mosquitto accepts an anonymous CONNECT on both ports', () => {
      assert.deepEqual(get(r, 'mqtt anonymous'), { connack: true, returnCode: 0 });
      assert.deepEqual(get(r, 'mqtt 9883 anonymous'), { connack: true, returnCode: 0 });
    });

    it('stop() removes the namespace and every daemon', async () => {
      const workDir = lab.workDir;
      await lab.stop();
      assert.equal(existsSync(`/run/netns/${NAMESPACE}`), false);
      assert.equal(existsSync(workDir), false);
      await lab.stop(); // idempotent
    });
  });

  describe('hardened profile', () => {
    let lab: DaemonLab;
    let r: Results;
    before(async () => {
      lab = await startDaemonLab({ profile: 'hardened', namespace: NAMESPACE });
      const redis = endpoint(lab, 'redis', 6379);
      const mem = endpoint(lab, 'memcached', 11211);
      const mq = endpoint(lab, 'mosquitto', 1883);
      const cred = lab.credentials;
      assert.ok(cred.redis && cred.memcached?.user && cred.mosquitto?.user, JSON.stringify(cred));
      r = await probe(lab, [
        ...commonProbes(lab),
        { id: 'redis auth', kind: 'dialog', ip: redis.ip, port: 6379, steps: [{ send: `AUTH ${cred.redis.password}\r\n`, until: '\\r\\n' }, { send: 'PING\r\n', until: '\\r\\n' }] },
        {
          id: 'memcached auth',
          kind: 'dialog',
          ip: mem.ip,
          port: 11211,
          steps: [
            { send: `set auth 0 0 ${`${cred.memcached.user} ${cred.memcached.password}`.length}\r\n${cred.memcached.user} ${cred.memcached.password}\r\n`, until: '\\r\\n' },
            { send: 'version\r\n', until: '\\r\\n' },
          ],
        },
        { id: 'mqtt wrong password', kind: 'mqtt', ip: mq.ip, port: 1883, user: cred.mosquitto.user, password: 'not-the-password' },
        { id: 'mqtt with credentials', kind: 'mqtt', ip: mq.ip, port: 1883, user: cred.mosquitto.user, password: cred.mosquitto.password },
      ]);
    });
    after(async () => {
      await lab?.stop();
    });

    it('runs every daemon and every endpoint accepts inside the namespace', () => {
      assertEveryEndpointAccepts(lab, r);
      assertCommonIdentity(lab, r);
      assert.ok(lab.caCert !== undefined && existsSync(lab.caCert));
    });

    it('nginx: no autoindex, dotfiles hidden, security headers', () => {
      assert.doesNotMatch(String(get(r, 'http /')['body']), /Index of/);
      assert.equal(get(r, 'http /backup/')['status'], 403);
      assert.equal(get(r, 'http 9000 /.env')['status'], 404);
      assert.equal(get(r, 'http /.git/HEAD')['status'], 404);
      const h = get(r, 'http /')['headers'] as Record<string, string>;
      assert.equal(h['x-content-type-options'], 'nosniff');
      assert.equal(h['x-frame-options'], 'DENY');
      assert.match((get(r, 'https 8443 /')['headers'] as Record<string, string>)['strict-transport-security'] ?? '', /max-age=\d+/);
    });

    it('nginx-tls: TLS 1.0 refused; TLS 1.2+ with a certificate that verifies against the test CA for the lab hostname', () => {
      assert.equal(get(r, 'tls1.0')['ok'], false, JSON.stringify(get(r, 'tls1.0')));
      const t = get(r, 'tls1.2 verified');
      assert.equal(t['ok'], true, JSON.stringify(t));
      assert.match(String(t['protocol']), /^TLSv1\.[23]$/);
      assert.equal(t['authorized'], true, String(t['authorizationError']));
      assert.equal(t['subjectCN'], endpoint(lab, 'nginx-tls', 443).hostname);
    });

    it('openssh: no legacy algorithms, no chacha20 or CBC', () => {
      const s = get(r, 'ssh 22');
      const all = [...(s['kex'] as string[]), ...(s['ciphers'] as string[]), ...(s['macs'] as string[]), ...(s['hostKey'] as string[])];
      for (const bad of ['diffie-hellman-group1-sha1', 'diffie-hellman-group14-sha1', '3des-cbc', 'aes128-cbc', 'chacha20-poly1305@openssh.com', 'hmac-md5', 'hmac-sha1', 'ssh-rsa']) {
        assert.ok(!all.includes(bad), `${bad} offered`);
      }
      assert.ok((s['kex'] as string[]).includes('curve25519-sha256'));
    });

    it('redis demands authentication, and the generated password works', () => {
      assert.match(replies(r, 'redis ping')[0]!, /^-NOAUTH /);
      assert.deepEqual(replies(r, 'redis auth'), ['+OK\r\n', '+PONG\r\n']);
    });

    it('vsftpd refuses anonymous login and offers FTPS with TLS 1.2+ only', () => {
      const [, user, pass] = replies(r, 'ftp anonymous');
      assert.doesNotMatch(`${user}${pass}`, /^230 /m);
      assert.match(pass!, /^530 /m, `USER: ${user} PASS: ${pass}`);
      const t = get(r, 'ftp auth tls');
      assert.equal(t['ok'], true, JSON.stringify(t));
      assert.equal(t['authorized'], true, String(t['authorizationError']));
      assert.equal(get(r, 'ftp auth tls 1.0')['ok'], false);
    });

    it('memcached demands authentication, and the generated credential works', () => {
      assert.match(replies(r, 'memcached version')[0]!, /^CLIENT_ERROR unauthenticated/);
      const [stored, version] = replies(r, 'memcached auth');
      assert.equal(stored, 'STORED\r\n');
      assert.match(version!, /^VERSION \d/);
    });

    it('exim: no VRFY, STARTTLS refuses TLS 1.0 and verifies with the test CA', () => {
      assert.doesNotMatch(replies(r, 'smtp ehlo')[1]!, /VRFY/);
      assert.equal(get(r, 'smtp starttls 1.0')['ok'], false, JSON.stringify(get(r, 'smtp starttls 1.0')));
      const t = get(r, 'smtp starttls 1.2');
      assert.equal(t['ok'], true, JSON.stringify(t));
      assert.equal(t['authorized'], true, String(t['authorizationError']));
    });

    it('samba: SMB1 refused, SMB2 signing required', () => {
      const one = get(r, 'smb1');
      assert.ok(one['smb1'] !== true || one['dialectIndex'] !== 0 || one['status'] !== 0, `SMB1 negotiated: ${JSON.stringify(one)}`);
      const two = get(r, 'smb2');
      assert.equal(two['smb2'], true, JSON.stringify(two));
      assert.equal(two['signingRequired'], true);
    });

    it('mosquitto refuses anonymous and wrong-password CONNECTs, accepts the generated credential', () => {
      assert.deepEqual(get(r, 'mqtt anonymous'), { connack: true, returnCode: 5 });
      assert.deepEqual(get(r, 'mqtt 9883 anonymous'), { connack: true, returnCode: 5 });
      assert.equal(get(r, 'mqtt wrong password')['returnCode'], 5);
      assert.deepEqual(get(r, 'mqtt with credentials'), { connack: true, returnCode: 0 });
    });
  });
});
