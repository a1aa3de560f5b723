import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { sshTerrapin, sshWeakAlgorithms, terrapinExposure, kexinitView } from '../../src/checks/builtin/ssh-checks.js';
import { runChecks } from '../../src/checks/check-runner.js';
import type { Finding } from '../../src/checks/finding.js';
import { identifyByHandshake } from '../../src/engines/identify/cascade/index.js';
import type { ServiceIdentity } from '../../src/engines/identify/service-identity.js';
import { tcpServer, type LocalServer } from '../identify/handshakes/local-server.js';
import { identity, loopbackGuard, runCheck, target } from './check-test-support.js';

/** The weak daemon lab's sshd (OpenSSH 9.2p1 Debian-2+deb12u10 with legacy algorithms re-enabled), as identified. */
const WEAK_LAB = {
  kex: ['sntrup761x25519-sha512', 'sntrup761x25519-sha512@openssh.com', 'curve25519-sha256', 'curve25519-sha256@libssh.org', 'ecdh-sha2-nistp256', 'ecdh-sha2-nistp384', 'ecdh-sha2-nistp521', 'diffie-hellman-group-exchange-sha256', 'diffie-hellman-group16-sha512', 'diffie-hellman-group18-sha512', 'diffie-hellman-group14-sha256', 'diffie-hellman-group1-sha1', 'diffie-hellman-group14-sha1', 'kex-strict-s-v00@openssh.com'],
  hostKey: ['ssh-ed25519', 'rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'],
  ciphers: ['chacha20-poly1305@openssh.com', 'aes128-ctr', 'aes192-ctr', 'aes256-ctr', 'aes128-gcm@openssh.com', 'aes256-gcm@openssh.com', '3des-cbc', 'aes128-cbc', 'aes256-cbc'],
  macs: ['umac-64-etm@openssh.com', 'umac-128-etm@openssh.com', 'hmac-sha2-256-etm@openssh.com', 'hmac-sha2-512-etm@openssh.com', 'hmac-sha1-etm@openssh.com', 'umac-64@openssh.com', 'umac-128@openssh.com', 'hmac-sha2-256', 'hmac-sha2-512', 'hmac-sha1', 'hmac-sha1-96', 'hmac-md5'],
};

/** The hardened lab's sshd. */
const HARDENED_LAB = {
  kex: ['sntrup761x25519-sha512@openssh.com', 'curve25519-sha256', 'curve25519-sha256@libssh.org', 'kex-strict-s-v00@openssh.com'],
  hostKey: ['ssh-ed25519', 'rsa-sha2-512', 'rsa-sha2-256'],
  ciphers: ['aes256-gcm@openssh.com', 'aes128-gcm@openssh.com', 'aes256-ctr', 'aes128-ctr'],
  macs: ['hmac-sha2-512-etm@openssh.com', 'hmac-sha2-256-etm@openssh.com', 'umac-128-etm@openssh.com'],
};

type Lists = typeof HARDENED_LAB;

function sshIdentity(l: Lists, banner = 'SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u10'): ServiceIdentity {
  return identity('ssh', {
    ssh: {
      banner,
      protocol: '2.0',
      software: 'OpenSSH_9.2p1',
      preBanner: [],
      kexinit: { cookie: '00', kex: l.kex, hostKey: l.hostKey, ciphersC2S: l.ciphers, ciphersS2C: l.ciphers, macsC2S: l.macs, macsS2C: l.macs, compressionC2S: ['none'], compressionS2C: ['none'], languagesC2S: [], languagesS2C: [], firstKexFollows: false },
      strictKex: l.kex.includes('kex-strict-s-v00@openssh.com'),
      extInfo: false,
    },
  });
}

describe('ssh-weak-algorithms (facts)', () => {
  it("lists the weak lab's legacy algorithms with reasons; the worst sets the severity", async () => {
    const [f] = await runCheck(sshWeakAlgorithms, target(22), sshIdentity(WEAK_LAB));
    assert.ok(f);
    assert.deepEqual(f.evidence['kex'], ['diffie-hellman-group1-sha1', 'diffie-hellman-group14-sha1']);
    assert.deepEqual(f.evidence['host_key'], ['ssh-rsa']);
    assert.deepEqual(f.evidence['ciphers'], ['3des-cbc', 'aes128-cbc', 'aes256-cbc']);
    assert.deepEqual(f.evidence['macs'], ['umac-64-etm@openssh.com', 'hmac-sha1-etm@openssh.com', 'umac-64@openssh.com', 'hmac-sha1', 'hmac-sha1-96', 'hmac-md5']);
    assert.match(String((f.evidence['reasons'] as Record<string, string>)['3des-cbc']), /SWEET32/);
    assert.equal(f.severity, 'medium');
  });

  it('is silent on the hardened lab lists; arcfour/none are flagged', async () => {
    assert.deepEqual(await runCheck(sshWeakAlgorithms, target(22), sshIdentity(HARDENED_LAB)), []);
    const [f] = await runCheck(sshWeakAlgorithms, target(22), sshIdentity({ ...HARDENED_LAB, ciphers: ['aes128-ctr', 'arcfour256', 'none'] }));
    assert.deepEqual(f?.evidence['ciphers'], ['arcfour256', 'none']);
    assert.equal(f?.severity, 'high');
    // No KEXINIT (SSH-1, or the server hung up): nothing to judge.
    assert.equal(sshWeakAlgorithms.appliesTo(identity('ssh', { ssh: { banner: 'SSH-1.5-x', kexinitError: 'protocol 1.5 has no KEXINIT' } }), target(22)), false);
  });
});

describe('ssh-terrapin (facts)', () => {
  const without = (l: Lists): Lists => ({ ...l, kex: l.kex.filter((k) => k !== 'kex-strict-s-v00@openssh.com') });

  it('the lab sshd advertises strict KEX (Debian 12 fixed Terrapin in 9.2p1-2+deb12u2): silent on both profiles', async () => {
    assert.deepEqual(await runCheck(sshTerrapin, target(22), sshIdentity(WEAK_LAB)), []);
    assert.deepEqual(await runCheck(sshTerrapin, target(22), sshIdentity(HARDENED_LAB)), []);
    assert.equal(terrapinExposure(kexinitView(sshIdentity(WEAK_LAB))!).chacha20, true);
  });

  it('fires on chacha20-poly1305 or CBC+EtM without strict KEX; not on EtM with CTR/GCM only', async () => {
    const [f] = await runCheck(sshTerrapin, target(22), sshIdentity(without(WEAK_LAB)));
    assert.ok(f);
    assert.deepEqual(f.references.cve, ['CVE-2023-48795']);
    assert.equal(f.cvss?.score, 5.9);
    assert.equal(f.evidence['chacha20_poly1305'], true);
    assert.deepEqual(f.evidence['cbc_ciphers'], ['3des-cbc', 'aes128-cbc', 'aes256-cbc']);
    const cbcEtm = without({ ...WEAK_LAB, ciphers: ['aes128-ctr', 'aes128-cbc'] });
    assert.equal((await runCheck(sshTerrapin, target(22), sshIdentity(cbcEtm))).length, 1);
    // The hardened lists minus strict KEX: EtM MACs but only CTR/GCM ciphers.
    assert.deepEqual(await runCheck(sshTerrapin, target(22), sshIdentity(without(HARDENED_LAB))), []);
  });
});

/** SSH binary packet framing (RFC 4253 §6): length, padding length, payload, >= 4 bytes of padding, block 8. */
function packet(payload: Buffer): Buffer {
  let pad = 8 - ((payload.length + 5) % 8);
  if (pad < 4) pad += 8;
  const len = Buffer.alloc(4);
  len.writeUInt32BE(1 + payload.length + pad);
  return Buffer.concat([len, Buffer.from([pad]), payload, randomBytes(pad)]);
}

function kexinitPayload(lists: readonly (readonly string[])[]): Buffer {
  const parts = lists.map((l) => {
    const s = Buffer.from(l.join(','), 'latin1');
    const n = Buffer.alloc(4);
    n.writeUInt32BE(s.length);
    return Buffer.concat([n, s]);
  });
  return Buffer.concat([Buffer.from([20]), randomBytes(16), ...parts, Buffer.from([0, 0, 0, 0, 0])]);
}

/**
 * A stand-in for an sshd built before the Terrapin fix (OpenSSH 9.2p1 Debian-2+deb12u1, Debian's
 * default algorithm lists): it sends its identification line, waits for the client's, then its
 * KEXINIT in a real binary packet, exactly as sshd does up to that point. `strict` adds the
 * countermeasure the fixed builds advertise.
 */
function preTerrapinSshd(strict: boolean): Promise<LocalServer> {
  const kex = ['sntrup761x25519-sha512@openssh.com', 'curve25519-sha256', 'curve25519-sha256@libssh.org', 'ecdh-sha2-nistp256', 'ecdh-sha2-nistp384', 'ecdh-sha2-nistp521', 'diffie-hellman-group-exchange-sha256', 'diffie-hellman-group16-sha512', 'diffie-hellman-group18-sha512', 'diffie-hellman-group14-sha256', ...(strict ? ['kex-strict-s-v00@openssh.com'] : [])];
  const hostKey = ['rsa-sha2-512', 'rsa-sha2-256', 'ecdsa-sha2-nistp256', 'ssh-ed25519'];
  const ciphers = ['chacha20-poly1305@openssh.com', 'aes128-ctr', 'aes192-ctr', 'aes256-ctr', 'aes128-gcm@openssh.com', 'aes256-gcm@openssh.com'];
  const macs = ['umac-64-etm@openssh.com', 'umac-128-etm@openssh.com', 'hmac-sha2-256-etm@openssh.com', 'hmac-sha2-512-etm@openssh.com', 'hmac-sha1-etm@openssh.com', 'umac-64@openssh.com', 'umac-128@openssh.com', 'hmac-sha2-256', 'hmac-sha2-512', 'hmac-sha1'];
  const comp = ['none', 'zlib@openssh.com'];
  return tcpServer((sock, _i, received) => {
    sock.write('SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u1\r\n');
    let sent = false;
    sock.on('data', () => {
      if (sent || !received().includes(0x0a)) return;
      sent = true;
      sock.write(packet(kexinitPayload([kex, hostKey, ciphers, ciphers, macs, macs, comp, comp, [], []])));
    });
  });
}

describe('ssh-terrapin against a pre-fix OpenSSH KEXINIT (local server)', () => {
  let vulnerable: LocalServer;
  let fixed: LocalServer;
  before(async () => {
    vulnerable = await preTerrapinSshd(false);
    fixed = await preTerrapinSshd(true);
  });
  after(async () => {
    await vulnerable?.close();
    await fixed?.close();
  });

  async function findings(server: LocalServer): Promise<Finding[]> {
    const id = await identifyByHandshake(server.target, { guard: loopbackGuard });
    assert.equal(id?.name, 'ssh');
    assert.equal(id?.product, 'OpenSSH');
    const out: Finding[] = [];
    for await (const f of runChecks([{ target: target(server.port), identity: id }], { selection: 'ssh-terrapin,ssh-weak-algorithms', guard: loopbackGuard })) out.push(f);
    return out;
  }

  it('identification + runChecks: Terrapin fires without strict KEX, not with it', async () => {
    const v = await findings(vulnerable);
    const terrapin = v.find((f) => f.checkId === 'ssh-terrapin');
    assert.ok(terrapin, JSON.stringify(v));
    assert.equal(terrapin.evidence['banner'], 'SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u1');
    assert.deepEqual(terrapin.evidence['cbc_ciphers'], []);
    assert.equal(terrapin.evidence['chacha20_poly1305'], true);
    // Debian's default MAC list still carries SHA-1 and 64-bit-tag UMACs.
    assert.deepEqual(v.find((f) => f.checkId === 'ssh-weak-algorithms')?.evidence['macs'], ['umac-64-etm@openssh.com', 'hmac-sha1-etm@openssh.com', 'umac-64@openssh.com', 'hmac-sha1']);
    const f = await findings(fixed);
    assert.deepEqual(f.map((x) => x.checkId), ['ssh-weak-algorithms']);
  });
});
