/**
 * Every handshake, and the any-port cascade, against real Debian daemons running in a network
 * namespace this test creates; the probes run inside the namespace too. Expected values come from
 * the daemons' own configs and version commands, and from the openssl CLI for certificates.
 */
import { after, before, describe, it, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { murmur3x86_32Signed } from '../../../src/engines/identify/handshakes/murmur3.js';
import { DaemonNamespace, namespaceProblem, type ProbeOutcome } from './daemon-fixtures.js';
import { daemonSpecs, debianVersion, faviconBytes, lazyCerts, PORTS } from './handshake-daemons.js';

const problem = namespaceProblem();

type Json = Record<string, unknown>;

function cmdOutput(argv: string[]): string {
  const r = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8' });
  return `${r.stdout ?? ''}${r.stderr ?? ''}`;
}

/** Python's base64.encodebytes layout, written out here independently of the module under test. */
function pythonBase64(bytes: Buffer): string {
  const s = bytes.toString('base64');
  const lines: string[] = [];
  for (let i = 0; i < s.length; i += 76) lines.push(s.slice(i, i + 76));
  return lines.map((l) => `${l}\n`).join('');
}

describe('handshakes against real daemons in a namespace', { skip: problem ?? false }, () => {
  let lab: DaemonNamespace;
  let results: Record<string, ProbeOutcome> = {};
  let certDir = '';

  const plan: Json[] = [
    { key: 'http', kind: 'http', port: PORTS.http },
    { key: 'http-host', kind: 'http', port: PORTS.http, hostname: 'www.trawl.test', opts: { path: '/host', favicon: false } },
    { key: 'http-external', kind: 'http', port: PORTS.http, opts: { path: '/external', favicon: false } },
    { key: 'http-loop', kind: 'http', port: PORTS.http, opts: { path: '/loop', favicon: false } },
    { key: 'https', kind: 'http', port: PORTS.https, opts: { tls: true } },
    { key: 'tls-self', kind: 'tls', port: PORTS.https, hostname: 'trawl.test' },
    { key: 'tls-chain', kind: 'tls', port: PORTS.httpsChain, hostname: 'leaf.trawl.test' },
    { key: 'tls-legacy', kind: 'tls', port: PORTS.httpsLegacy },
    { key: 'ssh', kind: 'ssh', port: PORTS.ssh },
    { key: 'ssh-v6', kind: 'ssh', port: PORTS.ssh, ip: '::1' },
    { key: 'ssh-restricted', kind: 'ssh', port: PORTS.sshRestricted },
    { key: 'smb', kind: 'smb', port: PORTS.smb },
    { key: 'smb-legacy', kind: 'smb', port: PORTS.smbLegacy },
    { key: 'redis', kind: 'redis', port: PORTS.redis },
    { key: 'redis-auth', kind: 'redis', port: PORTS.redisAuth },
    { key: 'memcached', kind: 'memcached', port: PORTS.memcached },
    { key: 'memcached-auth', kind: 'memcached', port: PORTS.memcachedAuth },
    { key: 'ftp', kind: 'ftp', port: PORTS.ftp },
    { key: 'ftp-plain', kind: 'ftp', port: PORTS.ftpPlain },
    { key: 'smtp', kind: 'smtp', port: PORTS.smtp },
    { key: 'mqtt', kind: 'mqtt', port: PORTS.mqtt },
    { key: 'mqtt-auth', kind: 'mqtt', port: PORTS.mqttAuth },
    { key: 'mysql', kind: 'mysql', port: PORTS.mysql },
    { key: 'postgresql', kind: 'postgresql', port: PORTS.postgresql },
    // Not a handshake's protocol: each must say "not mine" rather than invent an identity.
    { key: 'ssh-on-http', kind: 'ssh', port: PORTS.http },
    { key: 'smtp-on-ftp', kind: 'smtp', port: PORTS.ftp },
    { key: 'redis-on-memcached', kind: 'redis', port: PORTS.memcached },
    { key: 'mysql-on-ssh', kind: 'mysql', port: PORTS.ssh },
    ...Object.entries(PORTS).map(([name, port]) => ({ key: `cascade-${name}`, kind: 'cascade', port })),
    { key: 'cascade-closed', kind: 'cascade', port: 9 },
  ];

  before(async () => {
    lab = DaemonNamespace.create('trawl-hs');
    certDir = lab.dir;
    await lab.startAll(daemonSpecs(lazyCerts(lab)));
    results = await lab.probe(plan);
  });
  after(async () => {
    await lab?.destroy();
  });

  /** The probe's result for `key`, or a skip/failure that says why the daemon is not there. */
  function get(t: TestContext, key: string, daemon: string): Json | undefined {
    const why = lab.skipped.get(daemon);
    if (why !== undefined) {
      if (why.includes('not installed')) {
        t.skip(`${daemon}: ${why}`);
        return undefined;
      }
      assert.fail(`${daemon} did not start: ${why}`);
    }
    const r = results[key];
    assert.ok(r !== undefined, `no result for ${key}`);
    assert.equal(r.error, undefined, `${key} threw: ${r.error}`);
    assert.ok(r.result !== null && r.result !== undefined, `${key}: the handshake found nothing`);
    return r.result as Json;
  }
  const facts = (r: Json): Json => r['facts'] as Json;
  const identity = (r: Json): Json => r['identity'] as Json;

  it('HTTP: status, title, Server, redirects, favicon hash, fixed Host', (t) => {
    const r = get(t, 'http', 'nginx');
    if (!r) return;
    const f = facts(r);
    const nginxVersion = /nginx\/([\d.]+)/.exec(cmdOutput(['nginx', '-v']))?.[1];
    assert.equal(f['status'], 200);
    assert.equal(f['reason'], 'OK');
    assert.equal(f['title'], 'Trawl lab & home');
    assert.equal(f['server'], `nginx/${nginxVersion}`);
    assert.equal(f['url'], `http://127.0.0.1:${PORTS.http}/home/`);
    const redirects = f['redirects'] as Json[];
    assert.deepEqual(redirects.map((x) => [x['status'], x['followed']]), [[301, true], [302, true]]);
    const headers = f['headers'] as [string, string][];
    assert.ok(headers.some(([k, v]) => k === 'Content-Type' && v === 'text/html'));
    const fav = f['favicon'] as Json;
    assert.equal(fav['status'], 200);
    assert.equal(fav['bytes'], faviconBytes().length);
    assert.equal(fav['mmh3'], murmur3x86_32Signed(Buffer.from(pythonBase64(faviconBytes()), 'latin1')));
    const id = identity(r);
    assert.equal(id['name'], 'http');
    assert.equal(id['product'], 'nginx');
    assert.equal(id['version'], nginxVersion);
    assert.equal(id['method'], 'handshake');

    const host = facts(get(t, 'http-host', 'nginx')!);
    assert.equal(host['body'], `host=www.trawl.test:${PORTS.http}`);
    assert.equal(host['host'], `www.trawl.test:${PORTS.http}`);

    const ext = facts(get(t, 'http-external', 'nginx')!);
    const er = (ext['redirects'] as Json[])[0]!;
    assert.equal(er['followed'], false);
    assert.equal(er['url'], 'http://elsewhere.invalid/');
    assert.equal(ext['status'], 301);

    const loop = facts(get(t, 'http-loop', 'nginx')!);
    const lr = loop['redirects'] as Json[];
    assert.equal(lr.filter((x) => x['followed'] === true).length, 3, 'at most 3 redirects are followed');
    assert.equal(lr[3]?.['reason'], 'redirect limit reached');
  });

  it('HTTPS: HTTP inside TLS, tunnel ssl', (t) => {
    const r = get(t, 'https', 'nginx');
    if (!r) return;
    assert.equal(facts(r)['title'], 'Trawl lab & home');
    assert.equal(facts(r)['tls'], true);
    assert.equal(identity(r)['tunnel'], 'ssl');
    assert.equal(identity(r)['product'], 'nginx');
  });

  it('TLS: self-signed certificate facts match openssl, versions 1.2/1.3 only, ALPN h2', (t) => {
    const r = get(t, 'tls-self', 'nginx');
    if (!r) return;
    const f = facts(r);
    const pem = join(certDir, 'self.pem');
    const fp = /Fingerprint=([0-9A-F:]+)/i.exec(cmdOutput(['openssl', 'x509', '-noout', '-fingerprint', '-sha256', '-in', pem]))?.[1];
    const end = /notAfter=(.+)/.exec(cmdOutput(['openssl', 'x509', '-noout', '-enddate', '-in', pem]))?.[1];
    assert.equal(f['protocol'], 'TLSv1.3');
    assert.equal(f['alpn'], 'h2');
    assert.equal(f['sni'], 'trawl.test');
    assert.equal(f['hostnameMatches'], true);
    const chain = f['chain'] as Json[];
    assert.equal(chain.length, 1);
    const leaf = chain[0]!;
    assert.deepEqual(leaf['subject'], { CN: 'trawl.test', O: 'Trawl Lab' });
    assert.deepEqual(leaf['sans'], ['DNS:trawl.test', 'DNS:www.trawl.test', 'IP Address:127.0.0.1']);
    assert.equal(leaf['keyType'], 'rsa');
    assert.equal(leaf['keyBits'], 2048);
    assert.equal(leaf['signatureAlgorithm'], 'sha256WithRSAEncryption');
    assert.equal(leaf['fingerprintSha256'], fp?.toUpperCase());
    assert.equal(leaf['notAfter'], new Date(end!).toISOString());
    assert.equal(leaf['selfSigned'], true);
    assert.equal(leaf['expired'], false);
    assert.equal(f['selfSigned'], true);
    const v = f['versions'] as Record<string, Json>;
    assert.equal(v['TLSv1']?.['accepted'], false);
    assert.equal(v['TLSv1.1']?.['accepted'], false);
    assert.equal(v['TLSv1.2']?.['accepted'], true);
    assert.equal(v['TLSv1.3']?.['accepted'], true);
    // ALPN h2 tells HTTP is inside even before a request.
    assert.equal(identity(r)['name'], 'http');
    assert.equal(identity(r)['tunnel'], 'ssl');
  });

  it('TLS: full chain as sent (leaf signed by a CA), EC keys and ECDSA signatures', (t) => {
    const r = get(t, 'tls-chain', 'nginx');
    if (!r) return;
    const f = facts(r);
    const chain = f['chain'] as Json[];
    assert.equal(chain.length, 2);
    const [leaf, ca] = chain as [Json, Json];
    assert.deepEqual(leaf['subject'], { CN: 'leaf.trawl.test' });
    assert.deepEqual(leaf['issuer'], { CN: 'Trawl Test CA' });
    assert.equal(leaf['selfSigned'], false);
    assert.equal(leaf['keyType'], 'ec');
    assert.equal(leaf['keyBits'], 256);
    assert.equal(leaf['signatureAlgorithm'], 'ecdsa-with-SHA384');
    assert.equal(ca['selfSigned'], true);
    assert.equal(ca['isCa'], true);
    assert.equal(ca['keyBits'], 384);
    assert.equal(f['alpn'], 'http/1.1');
    assert.equal(f['hostnameMatches'], true);
    assert.equal(f['selfSigned'], false);
  });

  it('TLS: legacy server accepts 1.0/1.1 and the probes say so (SECLEVEL=0 on our side)', (t) => {
    const r = get(t, 'tls-legacy', 'nginx');
    if (!r) return;
    const v = facts(r)['versions'] as Record<string, Json>;
    assert.equal(v['TLSv1']?.['accepted'], true, JSON.stringify(v['TLSv1']));
    assert.equal(v['TLSv1.1']?.['accepted'], true, JSON.stringify(v['TLSv1.1']));
    assert.equal(v['TLSv1.2']?.['accepted'], true);
    assert.equal(v['TLSv1.3']?.['accepted'], false);
    assert.equal(facts(r)['protocol'], 'TLSv1.2');
  });

  it('SSH: banner, product/version, complete KEXINIT lists, strict-kex flag (also over IPv6)', (t) => {
    const r = get(t, 'ssh', 'sshd');
    if (!r) return;
    const f = facts(r);
    const deb = debianVersion('openssh-server', (argv) => cmdOutput(argv));
    if (deb !== undefined) {
      assert.equal(f['banner'], `SSH-2.0-OpenSSH_${deb.upstream} Debian-${deb.revision}`);
      assert.equal(identity(r)['version'], `${deb.upstream} Debian ${deb.revision}`, 'as nmap names it');
    }
    assert.equal(identity(r)['product'], 'OpenSSH');
    const k = f['kexinit'] as Json;
    assert.deepEqual(k['hostKey'], ['ssh-ed25519', 'rsa-sha2-512', 'rsa-sha2-256']);
    assert.ok((k['ciphersC2S'] as string[]).includes('chacha20-poly1305@openssh.com'));
    assert.deepEqual(k['ciphersC2S'], k['ciphersS2C']);
    assert.deepEqual(k['compressionC2S'], ['none', 'zlib@openssh.com']);
    // Debian 12's OpenSSH carries the Terrapin fix.
    assert.equal(f['strictKex'], (k['kex'] as string[]).includes('kex-strict-s-v00@openssh.com'));
    assert.equal(f['strictKex'], true);
    const v6 = get(t, 'ssh-v6', 'sshd');
    assert.equal(facts(v6!)['banner'], f['banner']);
  });

  it('SSH: the KEXINIT lists are exactly what sshd_config allows', (t) => {
    const r = get(t, 'ssh-restricted', 'sshd-restricted');
    if (!r) return;
    const k = facts(r)['kexinit'] as Json;
    assert.deepEqual(k['kex'], ['curve25519-sha256', 'kex-strict-s-v00@openssh.com']);
    assert.deepEqual(k['hostKey'], ['ssh-ed25519']);
    assert.deepEqual(k['ciphersC2S'], ['aes256-gcm@openssh.com', 'aes128-ctr']);
    assert.deepEqual(k['macsS2C'], ['hmac-sha2-256', 'hmac-sha2-512']);
    assert.deepEqual(k['compressionS2C'], ['none']);
  });

  it('SMB: dialects, signing required, GUID, server time, SMBv1 refused', (t) => {
    const r = get(t, 'smb', 'smbd');
    if (!r) return;
    const f = facts(r);
    assert.equal(f['dialect'], '3.1.1');
    assert.deepEqual(f['dialectsAccepted'], ['2.0.2', '2.1', '3.0', '3.0.2', '3.1.1']);
    assert.equal(f['signingEnabled'], true);
    assert.equal(f['signingRequired'], true);
    assert.match(String(f['serverGuid']), /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    assert.ok(Math.abs(Date.parse(String(f['systemTime'])) - Date.now()) < 5 * 60_000, `server time ${String(f['systemTime'])}`);
    assert.equal((f['smb1'] as Json)['accepted'], false);
    assert.equal(identity(r)['name'], 'microsoft-ds');
  });

  it('SMB: a server with SMB1 enabled accepts NT LM 0.12; signing not required', (t) => {
    const r = get(t, 'smb-legacy', 'smbd-legacy');
    if (!r) return;
    const f = facts(r);
    assert.equal((f['smb1'] as Json)['accepted'], true, JSON.stringify(f['smb1']));
    assert.equal(f['signingRequired'], false);
  });

  it('Redis: version from INFO server, and NOAUTH when a password is set', (t) => {
    const r = get(t, 'redis', 'redis');
    if (!r) return;
    const version = /v=([\d.]+)/.exec(cmdOutput(['redis-server', '--version']))?.[1];
    assert.equal(facts(r)['version'], version);
    assert.equal(facts(r)['authRequired'], false);
    assert.equal((facts(r)['info'] as Json)['tcp_port'], String(PORTS.redis));
    assert.equal(identity(r)['version'], version);
    const a = get(t, 'redis-auth', 'redis-auth');
    assert.equal(facts(a!)['authRequired'], true);
    assert.equal(facts(a!)['version'], undefined);
  });

  it('Memcached: version and stats; authentication required with -Y', (t) => {
    const r = get(t, 'memcached', 'memcached');
    if (!r) return;
    const version = /memcached ([\d.]+)/.exec(cmdOutput(['memcached', '-V']))?.[1];
    assert.equal(facts(r)['version'], version);
    assert.equal(facts(r)['authRequired'], false);
    assert.equal((facts(r)['stats'] as Json)['version'], version);
    const a = get(t, 'memcached-auth', 'memcached-auth');
    assert.equal(facts(a!)['authRequired'], true);
  });

  it('FTP: banner, FEAT with AUTH TLS; without TLS, cleartext login is the only way', (t) => {
    const r = get(t, 'ftp', 'vsftpd');
    if (!r) return;
    const f = facts(r);
    assert.equal(f['bannerCode'], 220);
    assert.ok((f['features'] as string[]).includes('AUTH TLS'));
    assert.equal(f['startTls'], true);
    assert.equal(f['cleartextAuth'], 'unknown');
    assert.equal(identity(r)['product'], 'vsftpd');
    const deb = debianVersion('vsftpd', (argv) => cmdOutput(argv));
    if (deb !== undefined) assert.equal(identity(r)['version'], deb.upstream);
    const p = get(t, 'ftp-plain', 'vsftpd-plain');
    assert.deepEqual(facts(p!)['banner'], ['Trawl lab FTP server ready']);
    assert.equal(facts(p!)['startTls'], false);
    assert.equal(facts(p!)['cleartextAuth'], true);
    // The banner hides the product; FEAT still proves FTP.
    assert.equal(identity(p!)['name'], 'ftp');
  });

  it('SMTP: Exim greeting, EHLO extensions, STARTTLS, AUTH PLAIN offered in cleartext', (t) => {
    const r = get(t, 'smtp', 'exim');
    if (!r) return;
    const f = facts(r);
    const version = /Exim version ([\d.]+)/.exec(cmdOutput(['exim4', '-bV']))?.[1];
    assert.equal(f['serverName'], 'mail.trawl.test');
    assert.equal(f['esmtp'], true);
    assert.equal(f['startTls'], true);
    assert.deepEqual(f['authMechanisms'], ['PLAIN']);
    assert.equal(f['cleartextAuth'], true);
    assert.equal(identity(r)['product'], 'Exim smtpd');
    assert.equal(identity(r)['version'], version);
  });

  it('MQTT: CONNACK 0 for anonymous, 5 when anonymous is refused', (t) => {
    const r = get(t, 'mqtt', 'mosquitto');
    if (!r) return;
    assert.equal(facts(r)['returnCode'], 0);
    assert.equal(facts(r)['anonymousAllowed'], true);
    const a = get(t, 'mqtt-auth', 'mosquitto');
    assert.equal(facts(a!)['returnCode'], 5);
    assert.equal(facts(a!)['anonymousAllowed'], false);
    assert.equal(facts(a!)['authRequired'], true);
  });

  it('MySQL/MariaDB: handshake v10 greeting, version, capabilities, auth plugin', (t) => {
    const r = get(t, 'mysql', 'mariadb');
    if (!r) return;
    const version = /Ver ([\d.]+)-MariaDB/.exec(cmdOutput(['mariadbd', '--version']))?.[1];
    const f = facts(r);
    assert.equal(f['protocolVersion'], 10);
    assert.match(String(f['serverVersion']), new RegExp(`${version?.replace(/\./g, '\\.')}-MariaDB`));
    assert.ok((f['capabilityNames'] as string[]).includes('PROTOCOL_41'));
    assert.equal(f['authPlugin'], 'mysql_native_password');
    assert.equal(identity(r)['product'], 'MariaDB');
    assert.equal(identity(r)['version'], version);
  });

  it('PostgreSQL: SSLRequest answered S, startup answered with a SCRAM request (never authenticates)', (t) => {
    const r = get(t, 'postgresql', 'postgresql');
    if (!r) return;
    const f = facts(r);
    assert.equal(f['sslSupported'], true);
    assert.equal(f['authMethod'], 'sasl');
    assert.deepEqual(f['saslMechanisms'], ['SCRAM-SHA-256']);
    assert.equal(identity(r)['name'], 'postgresql');
  });

  it('a handshake does not claim a service that speaks another protocol', (t) => {
    if (lab.skipped.size > 0 && [...lab.skipped.values()].some((v) => v.includes('not installed'))) t.diagnostic(`skipped daemons: ${[...lab.skipped.keys()].join(', ')}`);
    for (const key of ['ssh-on-http', 'smtp-on-ftp', 'redis-on-memcached', 'mysql-on-ssh']) {
      const r = results[key];
      assert.equal(r?.error, undefined, `${key}: ${r?.error}`);
      assert.equal(r?.result, null, `${key} claimed ${JSON.stringify(r?.result).slice(0, 200)}`);
    }
  });

  it('any-port cascade names every daemon, whatever its port', (t) => {
    const want: Record<keyof typeof PORTS, [string, string, string | undefined]> = {
      http: ['nginx', 'http', undefined],
      httpOn25: ['nginx', 'http', undefined],
      https: ['nginx', 'http', 'ssl'],
      httpsChain: ['nginx', 'http', 'ssl'],
      httpsLegacy: ['nginx', 'http', 'ssl'],
      ssh: ['sshd', 'ssh', undefined],
      sshOn443: ['sshd', 'ssh', undefined],
      sshRestricted: ['sshd-restricted', 'ssh', undefined],
      ftp: ['vsftpd', 'ftp', undefined],
      ftpPlain: ['vsftpd-plain', 'ftp', undefined],
      smtp: ['exim', 'smtp', undefined],
      redis: ['redis', 'redis', undefined],
      redisAuth: ['redis-auth', 'redis', undefined],
      memcached: ['memcached', 'memcached', undefined],
      memcachedAuth: ['memcached-auth', 'memcached', undefined],
      mqtt: ['mosquitto', 'mqtt', undefined],
      mqttAuth: ['mosquitto', 'mqtt', undefined],
      smb: ['smbd', 'microsoft-ds', undefined],
      smbLegacy: ['smbd-legacy', 'microsoft-ds', undefined],
      mysql: ['mariadb', 'mysql', undefined],
      postgresql: ['postgresql', 'postgresql', undefined],
    };
    const problems: string[] = [];
    for (const [port, [daemon, name, tunnel]] of Object.entries(want)) {
      const why = lab.skipped.get(daemon);
      if (why !== undefined) {
        if (!why.includes('not installed')) problems.push(`${daemon} did not start: ${why.slice(0, 200)}`);
        continue;
      }
      const r = results[`cascade-${port}`];
      const id = r?.result as Json | null | undefined;
      if (r?.error !== undefined || id === null || id === undefined) {
        problems.push(`${port}: ${r?.error ?? 'nothing identified'}`);
        continue;
      }
      if (id['name'] !== name || id['tunnel'] !== tunnel) problems.push(`${port}: got ${String(id['name'])}/${String(id['tunnel'])}, want ${name}/${String(tunnel)} (${JSON.stringify((id['facts'] as Json)['cascade'])})`);
      if (id['method'] !== 'handshake') problems.push(`${port}: method ${String(id['method'])}`);
      // The whole-target limit (20 s by default) held.
      if (r!.ms > 21_000) problems.push(`${port}: took ${r!.ms} ms`);
    }
    assert.deepEqual(problems, []);
    const ssh = results['cascade-sshOn443']?.result as Json;
    if (ssh) {
      assert.equal(ssh['product'], 'OpenSSH');
      assert.ok((ssh['facts'] as Json)['ssh'] !== undefined, 'facts keyed by protocol');
    }
    const https = results['cascade-https']?.result as Json;
    if (https) {
      assert.ok((https['facts'] as Json)['tls'] !== undefined && (https['facts'] as Json)['http'] !== undefined, 'TLS and HTTP facts both present');
      assert.equal(https['product'], 'nginx');
    }
    assert.equal(results['cascade-closed']?.result, null, 'a closed port identifies as nothing');
    t.diagnostic(`cascade times (ms): ${Object.keys(want).map((p) => `${p}=${results[`cascade-${p}`]?.ms ?? '?'}`).join(' ')}`);
  });
});
