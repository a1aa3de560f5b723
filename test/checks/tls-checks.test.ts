import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import selfsigned from 'selfsigned';
import { tlsExpiredCert, tlsHostnameMismatch, tlsLegacyProtocol, tlsSelfSignedCert, tlsWeakCipher } from '../../src/checks/builtin/tls-checks.js';
import { certificateNameMatch, dnsNameMatches } from '../../src/checks/builtin/hostname-match.js';
import { buildClientHello, parseServerAnswer, SSL3, TLS10, TLS12 } from '../../src/checks/builtin/tls-suite-probe.js';
import { weakClasses, WEAK_SUITES } from '../../src/checks/builtin/tls-weak-suites.js';
import { identifyByHandshake } from '../../src/engines/identify/cascade/index.js';
import type { ServiceIdentity } from '../../src/engines/identify/service-identity.js';
import { tcpServer, tlsServer, type LocalServer } from '../identify/handshakes/local-server.js';
import { FIXED_NOW, identity, loopbackGuard, runCheck, target, testContext } from './check-test-support.js';

/** A certificate as identification records it (x509-facts.ts), from the weak daemon lab. */
function cert(over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    subject: { O: 'Trawl daemon lab (weak)', CN: 'localhost' },
    subjectText: 'O=Trawl daemon lab (weak), CN=localhost',
    issuer: { O: 'Trawl daemon lab (weak)', CN: 'localhost' },
    issuerText: 'O=Trawl daemon lab (weak), CN=localhost',
    sans: ['DNS:localhost'],
    serialNumber: '1000',
    notBefore: '2020-01-01T00:00:00.000Z',
    notAfter: '2021-01-01T00:00:00.000Z',
    keyType: 'rsa',
    keyBits: 2048,
    signatureAlgorithm: 'sha256WithRSAEncryption',
    fingerprintSha256: 'AB:CD',
    selfSigned: true,
    expired: true,
    notYetValid: false,
    isCa: false,
    ...over,
  };
}

function tlsIdentity(tls: Record<string, unknown>): ServiceIdentity {
  return identity('http', {
    tls: {
      protocol: 'TLSv1.3',
      cipher: { name: 'TLS_AES_256_GCM_SHA384', standardName: 'TLS_AES_256_GCM_SHA384', version: 'TLSv1.3' },
      alpn: 'http/1.1',
      chain: [cert()],
      selfSigned: true,
      expired: true,
      legacyOnly: false,
      versions: { TLSv1: { accepted: false }, 'TLSv1.1': { accepted: false }, 'TLSv1.2': { accepted: true, cipher: 'TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384' }, 'TLSv1.3': { accepted: true, cipher: 'TLS_AES_256_GCM_SHA384' } },
      ...tls,
    },
  }, { tunnel: 'ssl' });
}

describe('TLS certificate checks (facts)', () => {
  it('tls-expired-cert: an expired leaf fires with its notAfter; a valid one does not', async () => {
    const [f] = await runCheck(tlsExpiredCert, target(443), tlsIdentity({}));
    assert.ok(f);
    assert.equal(f.checkId, 'tls-expired-cert');
    assert.equal(f.confidence, 'certain');
    const expired = (f.evidence['expired'] as Record<string, unknown>[])[0]!;
    assert.equal(expired['not_after'], '2021-01-01T00:00:00.000Z');
    assert.equal(expired['position'], 'leaf');
    assert.equal(expired['days_expired'], Math.floor((FIXED_NOW.getTime() - Date.parse('2021-01-01T00:00:00Z')) / 86_400_000));
    assert.deepEqual(await runCheck(tlsExpiredCert, target(443), tlsIdentity({ chain: [cert({ notAfter: '2027-01-01T00:00:00.000Z' })] })), []);
  });

  it('tls-expired-cert: judges by the check clock, counts intermediates, ignores an appended self-signed root', async () => {
    // Identification said "not expired" a year ago; the check's clock decides now.
    assert.equal((await runCheck(tlsExpiredCert, target(443), tlsIdentity({ chain: [cert({ notAfter: '2025-06-01T00:00:00.000Z', expired: false })] }))).length, 1);
    const leaf = cert({ notAfter: '2027-01-01T00:00:00.000Z', selfSigned: false });
    const inter = cert({ subjectText: 'CN=Old Intermediate', notAfter: '2024-01-01T00:00:00.000Z', selfSigned: false, isCa: true });
    const root = cert({ subjectText: 'CN=Old Root', notAfter: '2020-01-01T00:00:00.000Z', selfSigned: true, isCa: true });
    const [f] = await runCheck(tlsExpiredCert, target(443), tlsIdentity({ chain: [leaf, inter, root] }));
    assert.match(f!.summary, /^Intermediate certificate/);
    assert.deepEqual((f!.evidence['expired'] as Record<string, unknown>[]).map((x) => x['position']), ['chain[1]']);
    assert.deepEqual(await runCheck(tlsExpiredCert, target(443), tlsIdentity({ chain: [leaf, root] })), []);
  });

  it('tls-self-signed-cert fires only on a self-signed leaf', async () => {
    const [f] = await runCheck(tlsSelfSignedCert, target(443), tlsIdentity({}));
    assert.equal(f?.evidence['issuer'], 'O=Trawl daemon lab (weak), CN=localhost');
    const caSigned = cert({ selfSigned: false, issuerText: 'CN=Trawl daemon lab test CA', sans: ['DNS:nginx-tls.dlab.trawl.test', 'IP Address:127.0.1.11'] });
    assert.deepEqual(await runCheck(tlsSelfSignedCert, target(443), tlsIdentity({ chain: [caSigned] })), []);
    // No chain at all (TLS handshake failed): the certificate checks do not apply.
    assert.equal(tlsSelfSignedCert.appliesTo(identity('ssl', { tls: { handshakeFailed: true } }), target(443)), false);
  });

  it('tls-hostname-mismatch compares the target hostname, else the address, with the SANs', async () => {
    const lab = cert({ selfSigned: false, sans: ['DNS:nginx-tls.dlab.trawl.test', 'IP Address:127.0.1.11'] });
    assert.deepEqual(await runCheck(tlsHostnameMismatch, target(443, 'nginx-tls.dlab.trawl.test', '127.0.1.11'), tlsIdentity({ chain: [lab] })), []);
    assert.deepEqual(await runCheck(tlsHostnameMismatch, target(443, undefined, '127.0.1.11'), tlsIdentity({ chain: [lab] })), []);
    const [byName] = await runCheck(tlsHostnameMismatch, target(443, 'other.dlab.trawl.test', '127.0.1.11'), tlsIdentity({ chain: [lab] }));
    assert.equal(byName?.evidence['connected_to'], 'other.dlab.trawl.test');
    assert.deepEqual(byName?.evidence['certificate_names'], ['nginx-tls.dlab.trawl.test']);
    const [byIp] = await runCheck(tlsHostnameMismatch, target(443, undefined, '127.0.1.12'), tlsIdentity({ chain: [lab] }));
    assert.equal(byIp?.evidence['compared'], 'ip-san');
    const [weak] = await runCheck(tlsHostnameMismatch, target(443, 'nginx-tls.dlab.trawl.test', '127.0.1.11'), tlsIdentity({}));
    assert.match(weak!.summary, /names localhost, not nginx-tls\.dlab\.trawl\.test/);
  });

  it('name matching follows RFC 6125', () => {
    const table: [string, string, boolean][] = [
      ['www.example.test', 'www.example.test', true],
      ['*.example.test', 'www.example.test', true],
      ['*.example.test', 'example.test', false],
      ['*.example.test', 'a.b.example.test', false],
      ['*.test', 'example.test', false],
      ['w*.example.test', 'www.example.test', false],
      ['*.*.example.test', 'a.b.example.test', false],
    ];
    for (const [p, h, want] of table) assert.equal(dnsNameMatches(p, h), want, `${p} vs ${h}`);
    assert.equal(certificateNameMatch('WWW.Example.TEST.', ['DNS:www.example.test'], undefined).matches, true);
    // CN only when there is no DNS SAN.
    assert.equal(certificateNameMatch('a.test', [], 'a.test').via, 'cn');
    assert.equal(certificateNameMatch('a.test', ['DNS:b.test'], 'a.test').matches, false);
    // Addresses match IP SANs only (also IPv6, whatever the spelling).
    assert.equal(certificateNameMatch('::1', ['IP Address:0:0:0:0:0:0:0:1'], undefined).matches, true);
    assert.equal(certificateNameMatch('127.0.0.1', ['DNS:127.0.0.1'], '127.0.0.1').matches, false);
  });
});

describe('cipher suite classification and the raw ClientHello', () => {
  it('classifies suites by standard name', () => {
    assert.deepEqual(weakClasses('TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA', 'TLSv1'), ['cbc-sha1-tls1.0']);
    assert.deepEqual(weakClasses('TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA', 'TLSv1.2'), []);
    assert.deepEqual(weakClasses('TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256', 'TLSv1.2'), []);
    assert.deepEqual(weakClasses('TLS_RSA_WITH_3DES_EDE_CBC_SHA'), ['3des']);
    assert.deepEqual(weakClasses('TLS_DH_anon_WITH_RC4_128_MD5'), ['anon', 'rc4', 'md5']);
    assert.deepEqual(weakClasses('TLS_RSA_EXPORT_WITH_DES40_CBC_SHA'), ['export', 'des']);
    assert.deepEqual(weakClasses('TLS_ECDHE_RSA_WITH_NULL_SHA'), ['null']);
    assert.deepEqual(weakClasses('ECDHE-RSA-AES256-SHA', 'TLSv1'), [], 'OpenSSL names are not standard names');
    // Every suite the probe offers is weak by its own name.
    for (const s of WEAK_SUITES) assert.ok(weakClasses(s.name).length > 0, s.name);
    assert.equal(new Set(WEAK_SUITES.map((s) => s.code)).size, WEAK_SUITES.length);
  });

  it('builds a well-formed ClientHello and reads ServerHellos, split records and alerts', () => {
    const hello = buildClientHello({ version: TLS12, suites: [0x000a, 0xc012], serverName: 'a.test' });
    assert.equal(hello[0], 0x16);
    assert.equal(hello.readUInt16BE(1), TLS10);
    assert.equal(hello.readUInt16BE(3), hello.length - 5);
    assert.equal(hello[5], 0x01);
    assert.equal(hello.readUIntBE(6, 3), hello.length - 9);
    assert.equal(hello.readUInt16BE(9), TLS12);
    assert.equal(hello[43], 0); // empty session id
    assert.equal(hello.readUInt16BE(44), 4);
    assert.deepEqual([hello.readUInt16BE(46), hello.readUInt16BE(48)], [0x000a, 0xc012]);
    assert.ok(hello.includes(Buffer.from('a.test')));
    const ssl3 = buildClientHello({ version: SSL3, suites: [0x000a] });
    assert.equal(ssl3.readUInt16BE(1), SSL3);
    assert.equal(ssl3.length, 5 + 4 + 2 + 32 + 1 + 2 + 2 + 2, 'SSLv3 hello has no extensions');

    const sh = Buffer.concat([Buffer.from([0x02, 0, 0, 40, 0x03, 0x01]), Buffer.alloc(32), Buffer.from([0, 0xc0, 0x14, 0]), Buffer.alloc(2)]);
    const record = (type: number, payload: Buffer): Buffer => Buffer.concat([Buffer.from([type, 3, 1, payload.length >> 8, payload.length & 255]), payload]);
    assert.deepEqual(parseServerAnswer(record(0x16, sh)), { kind: 'hello', version: TLS10, suite: 0xc014 });
    // The ServerHello split over two records.
    const split = Buffer.concat([record(0x16, sh.subarray(0, 10)), record(0x16, sh.subarray(10))]);
    assert.deepEqual(parseServerAnswer(split), { kind: 'hello', version: TLS10, suite: 0xc014 });
    assert.deepEqual(parseServerAnswer(split.subarray(0, 20)), { kind: 'incomplete' });
    assert.deepEqual(parseServerAnswer(record(0x15, Buffer.from([2, 40]))), { kind: 'alert', level: 2, description: 40 });
    assert.equal(parseServerAnswer(Buffer.from('HTTP/1.1 400 Bad Request\r\n')).kind, 'other');
    assert.equal(parseServerAnswer(record(0x16, Buffer.from([0x0b, 0, 0, 1, 0]))).kind, 'other');
  });
});

describe('TLS protocol and cipher checks against local OpenSSL servers', () => {
  let weak: LocalServer;
  let strict: LocalServer;
  let weakId: ServiceIdentity;
  let strictId: ServiceIdentity;
  before(async () => {
    const old = await selfsigned.generate([{ name: 'commonName', value: 'localhost' }], { notBeforeDate: new Date('2019-01-01T00:00:00Z'), notAfterDate: new Date('2020-01-01T00:00:00Z') });
    const fresh = await selfsigned.generate([{ name: 'commonName', value: 'strict.test' }], { notAfterDate: new Date(Date.now() + 86_400_000 * 30) });
    // Node's own OpenSSL as a badly configured server: TLS 1.0+, every suite including NULL and anonymous ones.
    weak = await tlsServer({ key: old.private, cert: old.cert, minVersion: 'TLSv1', ciphers: 'ALL:eNULL:@SECLEVEL=0' }, (s) => s.end());
    strict = await tlsServer({ key: fresh.private, cert: fresh.cert, minVersion: 'TLSv1.2', ciphers: 'ECDHE+AESGCM' }, (s) => s.end());
    const w = await identifyByHandshake({ ...weak.target, hostname: 'weak.test' }, { guard: loopbackGuard });
    const s = await identifyByHandshake({ ...strict.target, hostname: 'strict.test' }, { guard: loopbackGuard });
    assert.ok(w?.facts?.['tls'] !== undefined && s?.facts?.['tls'] !== undefined, JSON.stringify({ w, s }));
    weakId = w;
    strictId = s;
  });
  after(async () => {
    await weak?.close();
    await strict?.close();
  });

  it('tls-legacy-protocol: TLS 1.0/1.1 from identification; the SSLv3 hello is refused', async () => {
    const ctx = testContext();
    const [f] = await runCheck(tlsLegacyProtocol, target(weak.port, 'weak.test'), weakId, ctx);
    assert.ok(f, 'fires');
    assert.deepEqual(f.evidence['accepted'], ['TLSv1', 'TLSv1.1']);
    assert.equal((f.evidence['sslv3_probe'] as Record<string, unknown>)['accepted'], false);
    assert.equal(f.severity, 'medium');
    assert.equal(ctx.connects.length, 1, 'one SSLv3 probe');
    const quiet = testContext();
    assert.deepEqual(await runCheck(tlsLegacyProtocol, target(strict.port, 'strict.test'), strictId, quiet), []);
    assert.equal(quiet.connects.length, 0, 'no probe when only TLS 1.2+ was accepted');
  });

  it('tls-weak-cipher: the server picks NULL and anonymous suites from hand-written hellos', async () => {
    const [f] = await runCheck(tlsWeakCipher, target(weak.port, 'weak.test'), weakId);
    assert.ok(f, 'fires');
    const classes = f.evidence['classes'] as string[];
    for (const c of ['null', 'anon', 'cbc-sha1-tls1.0']) assert.ok(classes.includes(c), `${c} in ${JSON.stringify(f.evidence)}`);
    assert.equal(f.severity, 'high');
    const probed = (f.evidence['accepted'] as Record<string, unknown>[]).filter((a) => a['source'] === 'probe');
    assert.ok(probed.length >= 2 && probed.every((a) => a['version'] === 'TLSv1.2'), JSON.stringify(probed));
    // The last hello offered only classes the server refused: it ended with an alert.
    const probes = f.evidence['probes'] as Record<string, unknown>[];
    assert.equal(probes[probes.length - 1]!['accepted'], false);
    assert.deepEqual(await runCheck(tlsWeakCipher, target(strict.port, 'strict.test'), strictId), []);
  });

  it('tls-legacy-protocol: an SSLv3 ServerHello raises it to high (simulated SSLv3 server)', async () => {
    // No SSLv3 stack exists on this machine; this server answers an SSLv3 ClientHello with a canned
    // SSLv3 ServerHello (TLS_RSA_WITH_3DES_EDE_CBC_SHA) and refuses any other hello with an alert.
    const seen: Buffer[] = [];
    const sslv3 = await tcpServer((sock, _i, received) => {
      sock.on('data', () => {
        const b = received();
        if (b.length < 5) return;
        seen.push(Buffer.from(b));
        if (b.readUInt16BE(1) === SSL3 && b.readUInt16BE(9) === SSL3) {
          const body = Buffer.concat([Buffer.from([0x03, 0x00]), Buffer.alloc(32, 7), Buffer.from([0, 0x00, 0x0a, 0])]);
          const hs = Buffer.concat([Buffer.from([0x02, 0, 0, body.length]), body]);
          sock.end(Buffer.concat([Buffer.from([0x16, 3, 0, 0, hs.length]), hs]));
        } else sock.end(Buffer.from([0x15, 3, 1, 0, 2, 2, 70]));
      });
    });
    try {
      const id = identity('ssl', { tls: { handshakeFailed: true } });
      const [f] = await runCheck(tlsLegacyProtocol, target(sslv3.port), id);
      assert.ok(f);
      assert.deepEqual(f.evidence['accepted'], ['SSLv3']);
      assert.equal(f.severity, 'high');
      assert.deepEqual(f.references.cve, ['CVE-2014-3566']);
      assert.equal((f.evidence['ciphers'] as Record<string, unknown>)['SSLv3'], 'TLS_RSA_WITH_3DES_EDE_CBC_SHA');
      assert.equal(seen.length, 1);
    } finally {
      await sslv3.close();
    }
  });
});
