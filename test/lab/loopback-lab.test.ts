import assert from 'node:assert/strict';
import { once } from 'node:events';
import { get as httpGet } from 'node:http';
import { connect } from 'node:net';
import { request as httpsRequest } from 'node:https';
import { after, before, describe, it } from 'node:test';
import { connect as tlsConnect, type PeerCertificate } from 'node:tls';
import { isTrawlError } from '../../src/errors/index.js';
import { startLoopbackLab, type LabService, type LoopbackLab } from '../../src/lab/loopback-lab.js';
import { bannerOf, endsWithCrLf, exchange, probe } from './lab-client.js';

// Each test file uses its own subnet, so files running in parallel never contend for a port.
const SUBNET = '127.77.201.0/24';

function find(lab: LoopbackLab, pred: (s: LabService) => boolean): LabService {
  const s = lab.services.find(pred);
  assert.ok(s, 'the lab has the service the test needs');
  return s;
}

function fetchHttp(ip: string, port: number, path = '/'): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpGet({ host: ip, port, path, timeout: 3_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error('timeout')));
  });
}

describe('loopback lab', () => {
  let lab: LoopbackLab;
  before(async () => {
    lab = await startLoopbackLab({ subnet: SUBNET, seed: 7 });
  });
  after(async () => {
    await lab?.stop();
  });

  it('publishes ground truth inside its subnet, every service on its own address', () => {
    assert.equal(lab.cidr, SUBNET);
    assert.ok(lab.services.length >= 10);
    for (const s of lab.services) assert.match(s.ip, /^127\.77\.201\.\d+$/);
    assert.equal(new Set(lab.services.map((s) => s.ip)).size, lab.services.length);
    const names = new Set(lab.services.map((s) => s.name));
    for (const n of ['http', 'https', 'ssh', 'redis', 'ftp', 'smtp', 'mysql']) assert.ok(names.has(n), `has ${n}`);
    // Services on ports that usually mean something else, so port-number guessing is wrong.
    assert.ok(lab.services.some((s) => s.name === 'http' && s.port === 9443));
    assert.ok(lab.services.some((s) => s.name === 'ssh' && s.port === 8022));
  });

  it('every claimed service accepts a connection, every closed pair is refused', async () => {
    const open = await Promise.all(lab.services.map((s) => probe(s.ip, s.port)));
    assert.deepEqual(open, lab.services.map(() => 'open'));
    assert.ok(lab.closed.length >= 3);
    const closed = await Promise.all(lab.closed.map((c) => probe(c.ip, c.port)));
    assert.deepEqual(closed, lab.closed.map(() => 'refused'));
  });

  it('HTTP answers with its Server header and the <title> of the truth', async () => {
    for (const s of lab.services.filter((x) => x.name === 'http')) {
      const r = await fetchHttp(s.ip, s.port);
      assert.equal(r.status, 200);
      assert.equal(r.headers['server'], `${s.product === 'nginx' ? 'nginx' : 'Apache'}/${s.version}${s.product === 'nginx' ? '' : ' (Debian)'}`);
      assert.equal(/<title>([^<]*)<\/title>/.exec(r.body)?.[1], s.title);
      const missing = await fetchHttp(s.ip, s.port, '/no-such-page');
      assert.equal(missing.status, 404);
    }
  });

  it('HTTPS completes a TLS handshake with a freshly generated self-signed certificate', async () => {
    const s = find(lab, (x) => x.name === 'https');
    assert.equal(s.tls, true);
    const cert = await new Promise<PeerCertificate>((resolve, reject) => {
      const sock = tlsConnect({ host: s.ip, port: s.port, rejectUnauthorized: false, servername: 'portal.lab.trawl.test' }, () => {
        const c = sock.getPeerCertificate();
        sock.destroy();
        resolve(c);
      });
      sock.on('error', reject);
    });
    assert.equal(cert.subject.CN, 'portal.lab.trawl.test');
    assert.deepEqual(cert.issuer, cert.subject, 'self-signed: issuer is the subject');
    assert.ok(new Date(cert.valid_to).getTime() > Date.now());
    // A verifying client must refuse it, exactly as it would a snakeoil certificate.
    await assert.rejects(
      new Promise((resolve, reject) => {
        const sock = tlsConnect({ host: s.ip, port: s.port, servername: 'portal.lab.trawl.test' }, () => resolve(sock.destroy()));
        sock.on('error', reject);
      }),
      (e: NodeJS.ErrnoException) => e.code === 'DEPTH_ZERO_SELF_SIGNED_CERT',
    );
    const body = await new Promise<string>((resolve, reject) => {
      const req = httpsRequest({ host: s.ip, port: s.port, path: '/', rejectUnauthorized: false, servername: 'portal.lab.trawl.test' }, (res) => {
        let b = '';
        res.on('data', (c: Buffer) => (b += c.toString()));
        res.on('end', () => resolve(b));
      });
      req.on('error', reject);
      req.end();
    });
    assert.match(body, new RegExp(`<title>${s.title}</title>`));
  });

  it('SSH sends the OpenSSH identification string, then a KEXINIT after the client identifies', async () => {
    const s = find(lab, (x) => x.name === 'ssh' && x.port === 2222);
    assert.equal(await bannerOf(s.ip, s.port), 'SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3');
    assert.equal(s.banner, 'SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3');
    const reply = await exchange(s.ip, s.port, 'SSH-2.0-TrawlTest_1.0\r\n', (b) => {
      const eol = b.indexOf('\r\n');
      return eol >= 0 && b.length >= eol + 2 + 6;
    });
    const pkt = reply.subarray(reply.indexOf('\r\n') + 2);
    assert.equal(pkt[5], 20, 'SSH_MSG_KEXINIT');
    assert.equal((pkt.readUInt32BE(0) + 4) % 8, 0, 'binary packet is padded to a multiple of 8');
  });

  it('Redis answers PING and INFO, and demands AUTH where configured', async () => {
    const open = find(lab, (x) => x.name === 'redis' && x.port === 6379);
    const until = (s: string) => (b: Buffer) => b.toString().includes(s);
    assert.equal((await exchange(open.ip, open.port, '*1\r\n$4\r\nPING\r\n', endsWithCrLf)).toString(), '+PONG\r\n');
    assert.equal((await exchange(open.ip, open.port, 'PING\r\n', endsWithCrLf)).toString(), '+PONG\r\n', 'inline command');
    const info = (await exchange(open.ip, open.port, '*1\r\n$4\r\nINFO\r\n', until('# Keyspace'))).toString();
    assert.match(info, /^\$\d+\r\n# Server\r\n/);
    assert.match(info, /redis_version:7\.0\.15\r\n/);
    const declared = Number(/^\$(\d+)\r\n/.exec(info)?.[1]);
    assert.ok(declared > 100);

    const locked = find(lab, (x) => x.name === 'redis' && x.port === 6380);
    const conv = await exchange(
      locked.ip,
      locked.port,
      'PING\r\n*2\r\n$4\r\nAUTH\r\n$5\r\nwrong\r\nAUTH lab-secret\r\nPING\r\n',
      (b) => b.toString().split('\r\n').length > 4,
    );
    assert.deepEqual(conv.toString().split('\r\n').slice(0, 4), [
      '-NOAUTH Authentication required.',
      '-WRONGPASS invalid username-password pair or user is disabled.',
      '+OK',
      '+PONG',
    ]);
  });

  it('FTP, SMTP, MySQL and PostgreSQL greet like the real daemons', async () => {
    const ftp = find(lab, (x) => x.name === 'ftp');
    assert.equal(await bannerOf(ftp.ip, ftp.port), '220 (vsFTPd 3.0.3)');
    const user = await exchange(ftp.ip, ftp.port, 'USER anonymous\r\n', (b) => b.toString().includes('331'));
    assert.match(user.toString(), /331 Please specify the password\.\r\n$/);

    const smtp = find(lab, (x) => x.name === 'smtp');
    assert.equal(await bannerOf(smtp.ip, smtp.port), smtp.banner);
    const ehlo = (await exchange(smtp.ip, smtp.port, 'EHLO trawl.test\r\n', (b) => /\r\n250 [^\r]*\r\n$/.test(b.toString()))).toString();
    const lines = ehlo.split('\r\n').filter(Boolean);
    assert.match(lines[0] ?? '', /^220 /);
    assert.ok(lines.includes('250-PIPELINING'));
    assert.ok(lines.includes('250-SIZE 10240000'));
    assert.equal(lines[lines.length - 1], '250 CHUNKING');

    const mysql = find(lab, (x) => x.name === 'mysql');
    const greeting = await exchange(mysql.ip, mysql.port, undefined, (b) => b.length >= 4 && b.length >= 4 + b.readUIntLE(0, 3));
    assert.equal(greeting.readUIntLE(0, 3), greeting.length - 4, 'one complete packet');
    assert.equal(greeting[3], 0, 'sequence id 0');
    assert.equal(greeting[4], 10, 'protocol version 10');
    assert.equal(greeting.subarray(5, greeting.indexOf(0, 5)).toString(), mysql.version);
    assert.ok(greeting.includes(Buffer.from('caching_sha2_password\0')));

    const pg = find(lab, (x) => x.name === 'postgresql');
    const ssl = Buffer.from([0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f]);
    assert.equal((await exchange(pg.ip, pg.port, ssl, (b) => b.length >= 1)).toString(), 'N');
  });

  it('refuses a subnet outside 127.0.0.0/8 before binding anything', async () => {
    await assert.rejects(startLoopbackLab({ subnet: '10.20.30.0/24' }), (e) => isTrawlError(e) && e.code === 'TRAWL_E_BAD_OPTION' && e.message.includes('10.20.30.0/24'));
    await assert.rejects(startLoopbackLab({ subnet: '127.77.0.0/30' }), (e) => isTrawlError(e) && e.code === 'TRAWL_E_BAD_OPTION');
  });

  it('a second lab on the same subnet fails with TRAWL_E_LAB and leaves the first intact', async () => {
    await assert.rejects(startLoopbackLab({ subnet: SUBNET, seed: 7 }), (e) => isTrawlError(e) && e.code === 'TRAWL_E_LAB' && /already in use/.test(e.message));
    const s = lab.services[0];
    assert.ok(s);
    assert.equal(await probe(s.ip, s.port), 'open');
  });
});

describe('loopback lab lifecycle', () => {
  it('same seed, same layout; stop() frees every port promptly', async () => {
    const subnet = '127.77.203.0/24';
    const a = await startLoopbackLab({ subnet, seed: 3 });
    const layout = a.services.map((s) => `${s.ip}:${s.port}/${s.name}`);
    // Hold a connection open across stop(): stop must not wait for idle clients.
    const ssh = a.services.find((s) => s.name === 'ssh');
    assert.ok(ssh);
    const held = connect({ host: ssh.ip, port: ssh.port });
    held.on('error', () => undefined);
    held.resume(); // consume the banner, or 'end' (and 'close') would wait for a reader
    await once(held, 'connect');
    const heldClosed = once(held, 'close');
    const t0 = Date.now();
    await a.stop();
    assert.ok(Date.now() - t0 < 1_000, `stop took ${Date.now() - t0} ms`);
    await heldClosed;
    const after = await Promise.all(a.services.map((s) => probe(s.ip, s.port)));
    assert.deepEqual(after, a.services.map(() => 'refused'));
    const b = await startLoopbackLab({ subnet, seed: 3 });
    try {
      assert.deepEqual(b.services.map((s) => `${s.ip}:${s.port}/${s.name}`), layout);
    } finally {
      await b.stop();
    }
    const c = await startLoopbackLab({ subnet, seed: 4 });
    await c.stop();
    assert.notDeepEqual(c.services.map((s) => s.ip), b.services.map((s) => s.ip), 'another seed moves the services');
  });
});
