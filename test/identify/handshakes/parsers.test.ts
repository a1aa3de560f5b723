/** The bounded parsers and packet builders behind the handshakes, on recorded and constructed bytes. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import selfsigned from 'selfsigned';
import { base64Mime, murmur3x86_32, murmur3x86_32Signed, shodanFaviconHash } from '../../../src/engines/identify/handshakes/murmur3.js';
import { codedReplyLength, parseCodedReply } from '../../../src/engines/identify/handshakes/line-reply.js';
import { parseKexinit, sshProduct } from '../../../src/engines/identify/handshakes/ssh-handshake.js';
import { filetimeToIso, formatGuid, parseSmb1NegotiateResponse, parseSmb2NegotiateResponse, smb1NegotiateRequest, smb2NegotiateRequest } from '../../../src/engines/identify/handshakes/smb-packets.js';
import { mysqlProduct, parseMysqlGreeting } from '../../../src/engines/identify/handshakes/mysql-handshake.js';
import { htmlTitle, httpResponseComplete, parseHttpResponse } from '../../../src/engines/identify/handshakes/http-response.js';
import { httpProduct } from '../../../src/engines/identify/handshakes/http-handshake.js';
import { ftpProduct } from '../../../src/engines/identify/handshakes/ftp-handshake.js';
import { smtpProduct } from '../../../src/engines/identify/handshakes/smtp-handshake.js';
import { decodeOid, parseSubjectAltName, signatureAlgorithmOid, certificateFacts } from '../../../src/engines/identify/handshakes/x509-facts.js';
import { mqttConnectPacket } from '../../../src/engines/identify/handshakes/mqtt-handshake.js';
import { pgStartupMessage, parseError } from '../../../src/engines/identify/handshakes/postgresql-handshake.js';
import { classifyFirstPacket } from '../../../src/engines/identify/cascade/first-packet.js';
import { clientHello, isTlsRecord } from '../../../src/engines/identify/cascade/tls-client-hello.js';
import { MARIADB_GREETING, OPENSSH_KEXINIT_PACKET } from './recorded-packets.js';
import { offeredDialects, smb1NegotiateResponse, smb2NegotiateResponse } from './smb-responses.js';

describe('murmur3 and the Shodan favicon hash', () => {
  it('matches MurmurHash3_x86_32 reference values (mmh3.hash)', () => {
    assert.equal(murmur3x86_32(Buffer.alloc(0)), 0);
    assert.equal(murmur3x86_32(Buffer.from('hello')), 0x248bfa47);
    assert.equal(murmur3x86_32(Buffer.from('The quick brown fox jumps over the lazy dog')), 0x2e4ff723);
    // mmh3's own README: mmh3.hash("foo") == -156908512, mmh3.hash("foo", 42) == -1322301282.
    assert.equal(murmur3x86_32Signed(Buffer.from('foo')), -156908512);
    assert.equal(murmur3x86_32Signed(Buffer.from('foo'), 42), -1322301282);
    // Every tail length (0-3 bytes after the 4-byte blocks) takes its own path.
    const seen = new Set([1, 2, 3, 4, 5, 6, 7].map((n) => murmur3x86_32(Buffer.from('abcdefg'.slice(0, n)))));
    assert.equal(seen.size, 7);
  });

  it('base64 is laid out as Python base64.encodebytes does (76-character lines, final newline)', () => {
    const bytes = Buffer.from(Array.from({ length: 100 }, (_, i) => i));
    // Output of python3 -c "import base64; print(repr(base64.encodebytes(bytes(range(100))).decode()))"
    assert.equal(base64Mime(bytes), 'AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKissLS4vMDEyMzQ1Njc4\nOTo7PD0+P0BBQkNERUZHSElKS0xNTk9QUVJTVFVWV1hZWltcXV5fYGFiYw==\n');
    assert.equal(base64Mime(Buffer.alloc(0)), '');
    assert.equal(shodanFaviconHash(bytes), murmur3x86_32Signed(Buffer.from(base64Mime(bytes))));
  });
});

describe('coded replies (FTP/SMTP)', () => {
  it('finds the end of multi-line replies, FTP indented lines included', () => {
    const ftp = Buffer.from('211-Features:\r\n AUTH TLS\r\n PASV\r\n211 End\r\n220 next');
    const n = codedReplyLength(ftp);
    assert.equal(ftp.subarray(n).toString(), '220 next');
    assert.deepEqual(parseCodedReply(ftp.subarray(0, n)), { code: 211, lines: ['Features:', 'AUTH TLS', 'PASV', 'End'] });
    assert.equal(codedReplyLength(Buffer.from('250-a\r\n250-b\r\n')), -1);
    const smtp = Buffer.from('250-mail.example Hello\r\n250-SIZE 100\r\n250 HELP\r\n');
    assert.deepEqual(parseCodedReply(smtp)?.lines, ['mail.example Hello', 'SIZE 100', 'HELP']);
    assert.equal(parseCodedReply(Buffer.from('SSH-2.0-x\r\n')), undefined);
  });
});

describe('SSH KEXINIT', () => {
  it('parses the recorded OpenSSH 9.2 KEXINIT completely', () => {
    const len = OPENSSH_KEXINIT_PACKET.readUInt32BE(0);
    const pad = OPENSSH_KEXINIT_PACKET[4]!;
    const k = parseKexinit(OPENSSH_KEXINIT_PACKET.subarray(5, 4 + len - pad));
    assert.ok(k);
    assert.equal(k.kex.length, 12);
    assert.equal(k.kex[0], 'sntrup761x25519-sha512');
    assert.equal(k.kex[11], 'kex-strict-s-v00@openssh.com');
    assert.deepEqual(k.hostKey, ['ssh-ed25519', 'rsa-sha2-512', 'rsa-sha2-256']);
    assert.deepEqual(k.ciphersC2S, ['chacha20-poly1305@openssh.com', 'aes128-ctr', 'aes192-ctr', 'aes256-ctr', 'aes128-gcm@openssh.com', 'aes256-gcm@openssh.com']);
    assert.equal(k.macsS2C.length, 10);
    assert.deepEqual(k.compressionS2C, ['none', 'zlib@openssh.com']);
    assert.deepEqual(k.languagesC2S, []);
    assert.equal(k.firstKexFollows, false);
  });

  it('rejects a name-list that claims more bytes than the packet has', () => {
    const len = OPENSSH_KEXINIT_PACKET.readUInt32BE(0);
    const pad = OPENSSH_KEXINIT_PACKET[4]!;
    const payload = Buffer.from(OPENSSH_KEXINIT_PACKET.subarray(5, 4 + len - pad));
    payload.writeUInt32BE(0x7fffffff, 17);
    assert.equal(parseKexinit(payload), undefined);
    assert.equal(parseKexinit(payload.subarray(0, 40)), undefined);
  });

  it('names products from the software version', () => {
    assert.deepEqual(sshProduct('OpenSSH_9.2p1'), { product: 'OpenSSH', version: '9.2p1' });
    assert.deepEqual(sshProduct('dropbear_2022.83'), { product: 'Dropbear sshd', version: '2022.83' });
    assert.equal(sshProduct('WeirdSSH'), undefined);
  });
});

describe('SMB packets', () => {
  it('builds an SMB2 NEGOTIATE with NetBIOS framing and 8-byte aligned 3.1.1 contexts', () => {
    const req = smb2NegotiateRequest([0x0202, 0x0210, 0x0300, 0x0302, 0x0311]);
    assert.equal(req.readUInt32BE(0), req.length - 4);
    const smb = req.subarray(4);
    assert.equal(smb.readUInt32BE(0), 0xfe534d42);
    assert.deepEqual(offeredDialects(req), [0x0202, 0x0210, 0x0300, 0x0302, 0x0311]);
    const ctxOffset = smb.readUInt32LE(64 + 28);
    const ctxCount = smb.readUInt16LE(64 + 32);
    assert.equal(ctxOffset % 8, 0);
    assert.equal(ctxCount, 3);
    const types: number[] = [];
    let off = ctxOffset;
    for (let i = 0; i < ctxCount; i++) {
      types.push(smb.readUInt16LE(off));
      off += 8 + smb.readUInt16LE(off + 2);
      off = (off + 7) & ~7;
    }
    assert.deepEqual(types, [1, 2, 8]);
    const old = smb2NegotiateRequest([0x0210]).subarray(4);
    assert.equal(old.length, 64 + 36 + 2);
  });

  it('parses a negotiate response built from the spec', () => {
    const guid = Buffer.from('00112233445566778899aabbccddeeff', 'hex');
    const when = new Date('2026-01-02T03:04:05.000Z');
    const frame = smb2NegotiateResponse({ dialect: 0x0311, securityMode: 0x03, guid, capabilities: 0x47, systemTime: when, contexts: { hash: 1, cipher: 4, signing: 2 } });
    const r = parseSmb2NegotiateResponse(frame);
    assert.ok(r);
    assert.equal(r.dialect, '3.1.1');
    assert.equal(r.signingEnabled, true);
    assert.equal(r.signingRequired, true);
    assert.equal(r.serverGuid, '33221100-5544-7766-8899-aabbccddeeff');
    assert.deepEqual(r.capabilities, ['DFS', 'LEASING', 'LARGE_MTU', 'ENCRYPTION']);
    assert.equal(r.systemTime, when.toISOString());
    assert.equal(r.preauthHash, 'SHA-512');
    assert.equal(r.cipher, 'AES-256-GCM');
    assert.equal(r.signingAlgorithm, 'AES-GMAC');
    assert.equal(parseSmb2NegotiateResponse(smb2NegotiateResponse({ dialect: 0x0202, securityMode: 1, guid, capabilities: 0, systemTime: when, status: 0xc00000bb })), undefined);
    assert.equal(parseSmb2NegotiateResponse(Buffer.from('\0\0\0\x05hello', 'latin1')), undefined);
  });

  it('parses SMB1 negotiate answers and builds the NT LM 0.12 request', () => {
    const req = smb1NegotiateRequest();
    assert.equal(req.readUInt32BE(0), req.length - 4);
    assert.ok(req.subarray(4).toString('latin1').includes('\x02NT LM 0.12\x00'));
    assert.deepEqual(parseSmb1NegotiateResponse(smb1NegotiateResponse(0, 0x0f)), { status: 0, dialectIndex: 0, signingEnabled: true, signingRequired: true });
    assert.equal(parseSmb1NegotiateResponse(smb1NegotiateResponse(0xffff, 0))?.dialectIndex, 0xffff);
    assert.equal(filetimeToIso(116444736000000000n), '1970-01-01T00:00:00.000Z');
    assert.equal(filetimeToIso(0n), undefined);
    assert.equal(formatGuid(Buffer.alloc(16)), '00000000-0000-0000-0000-000000000000');
  });
});

describe('MySQL greetings', () => {
  it('parses the recorded MariaDB greeting', () => {
    const g = parseMysqlGreeting(MARIADB_GREETING.subarray(4));
    assert.ok(g);
    assert.equal(g.protocolVersion, 10);
    assert.equal(g.serverVersion, '5.5.5-10.11.19-MariaDB-0+deb12u1');
    assert.equal(g.authPlugin, 'mysql_native_password');
    assert.equal(g.tlsSupported, false);
    assert.ok(g.capabilityNames?.includes('PLUGIN_AUTH'));
    assert.deepEqual(mysqlProduct(g.serverVersion), { product: 'MariaDB', version: '10.11.19' });
    assert.deepEqual(mysqlProduct('8.0.36'), { product: 'MySQL', version: '8.0.36' });
  });

  it('parses an error packet in place of a greeting', () => {
    const msg = Buffer.from("#HY000Host '10.0.0.9' is not allowed to connect to this MariaDB server");
    const p = Buffer.concat([Buffer.from([0xff, 0x6a, 0x04]), msg]);
    const g = parseMysqlGreeting(p);
    assert.equal(g?.error?.code, 1130);
    assert.equal(g?.error?.sqlState, 'HY000');
    assert.match(g?.error?.message ?? '', /not allowed/);
    assert.equal(parseMysqlGreeting(Buffer.from([9, 0x41, 0])), undefined);
  });
});

describe('HTTP responses', () => {
  it('frames by Content-Length, chunked encoding and close; truncates at the limit', () => {
    const cl = Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 5\r\nServer: x\r\n\r\nhello+extra');
    assert.equal(httpResponseComplete(cl, 1024), true);
    assert.equal(parseHttpResponse(cl, 1024)?.body.toString(), 'hello');
    const chunked = Buffer.from('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\n<tit\r\n10\r\nle>Hi &amp; bye<\r\n7\r\n/title>\r\n0\r\n\r\n');
    assert.equal(httpResponseComplete(chunked, 1024), true);
    const r = parseHttpResponse(chunked, 1024);
    assert.equal(r?.body.toString(), '<title>Hi &amp; bye</title>');
    assert.equal(htmlTitle(r!.body), 'Hi & bye');
    assert.equal(httpResponseComplete(chunked.subarray(0, chunked.length - 5), 1024), false);
    const big = Buffer.concat([Buffer.from('HTTP/1.0 200 OK\r\nContent-Length: 100000\r\n\r\n'), Buffer.alloc(2000, 0x41)]);
    const t = parseHttpResponse(big, 1000);
    assert.equal(t?.body.length, 1000);
    assert.equal(t?.bodyTruncated, true);
    assert.equal(httpResponseComplete(big, 1000), true);
    const byClose = Buffer.from('HTTP/1.0 200 OK\r\n\r\nall of it');
    assert.equal(parseHttpResponse(byClose, 1000, true)?.bodyTruncated, false);
    assert.equal(parseHttpResponse(byClose, 1000, false)?.bodyTruncated, true);
    const noBody = parseHttpResponse(Buffer.from('HTTP/1.1 204 No Content\r\n\r\n'), 10);
    assert.equal(noBody?.body.length, 0);
    assert.equal(parseHttpResponse(Buffer.from('SSH-2.0-x\r\n\r\n'), 10), undefined);
    assert.equal(htmlTitle(Buffer.from('<TITLE>\n  a\n b &#x41;&#66; </TITLE>')), 'a b AB');
  });

  it('names server products', () => {
    assert.deepEqual(httpProduct('nginx/1.22.1'), { product: 'nginx', version: '1.22.1' });
    assert.deepEqual(httpProduct('Apache/2.4.57 (Debian)'), { product: 'Apache httpd', version: '2.4.57', extrainfo: 'Debian' });
    assert.deepEqual(httpProduct('Microsoft-IIS/10.0'), { product: 'Microsoft IIS httpd', version: '10.0' });
    assert.deepEqual(httpProduct('gws'), { product: 'gws' });
  });
});

describe('banners and products', () => {
  it('classifies first packets', () => {
    const cases: [string | Buffer, string][] = [
      ['SSH-2.0-OpenSSH_9.2p1\r\n', 'ssh'],
      ['220 (vsFTPd 3.0.3)\r\n', 'ftp'],
      ['220 mail.example ESMTP Exim 4.96\r\n', 'smtp'],
      ['220 Service ready\r\n', 'ftp-or-smtp'],
      ['+OK Dovecot ready.\r\n', 'pop3'],
      ['* OK [CAPABILITY IMAP4rev1] ready\r\n', 'imap'],
      ['-DENIED Redis is running in protected mode\r\n', 'redis'],
      ['ERROR\r\n', 'memcached'],
      ['HTTP/1.1 400 Bad Request\r\n', 'http'],
      ['RFB 003.008\n', 'vnc'],
      [MARIADB_GREETING, 'mysql'],
      ['\x00\x01garbage', 'unknown'],
    ];
    for (const [bytes, want] of cases) assert.equal(classifyFirstPacket(Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes, 'latin1')), want, String(bytes));
  });

  it('names FTP and SMTP products', () => {
    assert.deepEqual(ftpProduct('(vsFTPd 3.0.3)'), { product: 'vsftpd', version: '3.0.3' });
    assert.deepEqual(ftpProduct('ProFTPD 1.3.8 Server (Debian)'), { product: 'ProFTPD', version: '1.3.8' });
    assert.deepEqual(smtpProduct('mx ESMTP Exim 4.96 Sat, 21 Nov'), { product: 'Exim smtpd', version: '4.96' });
    assert.deepEqual(smtpProduct('mx ESMTP Postfix (Debian/GNU)'), { product: 'Postfix smtpd' });
  });
});

describe('X.509 helpers', () => {
  it('decodes OIDs and finds the outer signature algorithm', async () => {
    assert.equal(decodeOid(Buffer.from('2a864886f70d01010b', 'hex')), '1.2.840.113549.1.1.11');
    assert.equal(decodeOid(Buffer.from('2b6570', 'hex')), '1.3.101.112');
    const pems = await selfsigned.generate([{ name: 'commonName', value: 'x.test' }], { keyType: 'ec', curve: 'P-384', algorithm: 'sha384' });
    const cert = new X509Certificate(pems.cert);
    assert.equal(signatureAlgorithmOid(cert.raw), '1.2.840.10045.4.3.3');
    const f = certificateFacts(cert);
    assert.equal(f.signatureAlgorithm, 'ecdsa-with-SHA384');
    assert.equal(f.keyType, 'ec');
    assert.equal(f.keyBits, 384);
    assert.equal(f.selfSigned, true);
    assert.equal(signatureAlgorithmOid(Buffer.from([0x30, 0x82, 0xff])), undefined);
  });

  it('splits subjectAltName strings, keeping quoted commas', () => {
    assert.deepEqual(parseSubjectAltName('DNS:a.test, DNS:b.test, IP Address:127.0.0.1'), ['DNS:a.test', 'DNS:b.test', 'IP Address:127.0.0.1']);
    assert.deepEqual(parseSubjectAltName('DNS:a.test, URI:"http://x/?a=1, 2"'), ['DNS:a.test', 'URI:"http://x/?a=1, 2"']);
    assert.deepEqual(parseSubjectAltName(undefined), []);
  });
});

describe('client-first packets', () => {
  it('builds a well-formed TLS ClientHello, with SNI when a name is given', () => {
    const hello = clientHello('www.example.test');
    assert.equal(isTlsRecord(hello), true);
    assert.equal(hello.readUInt16BE(3), hello.length - 5);
    assert.equal(hello[5], 1);
    assert.equal(hello.readUIntBE(6, 3), hello.length - 9);
    assert.ok(hello.includes(Buffer.from('www.example.test')));
    assert.ok(!clientHello().includes(Buffer.from('www.example.test')));
  });

  it('builds MQTT CONNECT and PostgreSQL startup messages', () => {
    const c = mqttConnectPacket('trawl-abc');
    assert.equal(c[0], 0x10);
    assert.equal(c[1], c.length - 2);
    assert.equal(c.subarray(2, 8).toString('latin1'), '\x00\x04MQTT');
    assert.equal(c[8], 4);
    assert.equal(c[9], 0x02);
    const s = pgStartupMessage();
    assert.equal(s.readUInt32BE(0), s.length);
    assert.equal(s.readUInt32BE(4), 196608);
    assert.ok(s.includes(Buffer.from('user\0trawl\0')));
    const e = parseError(Buffer.from('SFATAL\0VFATAL\0C28000\0Mno pg_hba.conf entry\0Fauth.c\0L543\0RClientAuthentication\0\0'));
    assert.deepEqual(e, { severity: 'FATAL', code: '28000', message: 'no pg_hba.conf entry', file: 'auth.c', line: '543', routine: 'ClientAuthentication' });
  });
});
