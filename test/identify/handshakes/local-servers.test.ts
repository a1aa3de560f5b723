/**
 * Each handshake and the cascade against faithful local servers on 127.0.0.1: recorded OpenSSH
 * bytes, SMB/MQTT/PostgreSQL/MySQL answers built from their specs, and the corner cases real Debian
 * daemons do not show (SMB1 accepted, SASL-only memcached, protected-mode Redis, legacy-only TLS...).
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import https from 'node:https';
import selfsigned from 'selfsigned';
import { identifyByHandshake } from '../../../src/engines/identify/cascade/index.js';
import {
  ftpHandshake,
  httpHandshake,
  imapHandshake,
  memcachedHandshake,
  mqttHandshake,
  mysqlHandshake,
  pop3Handshake,
  postgresqlHandshake,
  redisHandshake,
  smbHandshake,
  smtpHandshake,
  sshHandshake,
  tlsHandshake,
  type HandshakeOptions,
} from '../../../src/engines/identify/handshakes/index.js';
import { shodanFaviconHash } from '../../../src/engines/identify/handshakes/murmur3.js';
import { TrawlError } from '../../../src/errors/index.js';
import { onLines, readAtLeast, tcpServer, tlsServer, type LocalServer } from './local-server.js';
import { OPENSSH_BANNER, OPENSSH_KEXINIT_PACKET } from './recorded-packets.js';
import { offeredDialects, smb1NegotiateResponse, smb2NegotiateResponse } from './smb-responses.js';

const OPTS: HandshakeOptions = { totalMs: 4000, idleMs: 600, connectTimeoutMs: 1000 };
const servers: LocalServer[] = [];
async function keep<T extends LocalServer>(s: Promise<T>): Promise<T> {
  const v = await s;
  servers.push(v);
  return v;
}
after(async () => {
  await Promise.all(servers.map((s) => s.close()));
});

function lines(...l: string[]): string {
  return l.map((x) => `${x}\r\n`).join('');
}

describe('SSH', () => {
  it('reads the recorded OpenSSH banner and KEXINIT, after sending its own banner', async () => {
    const s = await keep(
      tcpServer((sock) => {
        sock.write(OPENSSH_BANNER);
        onLines(sock, (l) => {
          if (l.startsWith('SSH-2.0-')) sock.write(OPENSSH_KEXINIT_PACKET);
        });
      }),
    );
    const r = await sshHandshake(s.target, OPTS);
    assert.ok(r);
    assert.equal(s.received[0]!.toString('latin1'), 'SSH-2.0-Trawl_0.1\r\n');
    assert.equal(r.facts.banner, OPENSSH_BANNER.trim());
    assert.equal(r.facts.software, 'OpenSSH_9.2p1');
    assert.equal(r.facts.kexinit?.kex.length, 12);
    assert.equal(r.facts.strictKex, true);
    assert.deepEqual(r.identity.cpe, ['cpe:/a:openbsd:openssh:9.2p1', 'cpe:/o:linux:linux_kernel']);
    assert.equal(r.identity.version, '9.2p1 Debian 2+deb12u10', 'nmap folds the Debian revision into the version');
    assert.equal(r.identity.extrainfo, 'protocol 2.0');
  });

  it('keeps lines sent before the banner, and says why an SSH-1 server has no KEXINIT', async () => {
    const pre = await keep(tcpServer((sock) => sock.write(`Authorized use only\r\nSSH-1.5-OldServer_1.2\r\n`)));
    const r = await sshHandshake(pre.target, OPTS);
    assert.deepEqual(r?.facts.preBanner, ['Authorized use only']);
    assert.equal(r?.facts.protocol, '1.5');
    assert.equal(r?.facts.kexinitError, 'protocol 1.5 has no KEXINIT');
    assert.equal(r?.facts.strictKex, false);
    assert.equal(r?.identity.name, 'ssh');
  });
});

describe('SMB', () => {
  it('negotiates, enumerates dialects one by one and sees SMB1 accepted', async () => {
    const supported = [0x0210, 0x0300, 0x0302];
    const guid = Buffer.from('0102030405060708090a0b0c0d0e0f10', 'hex');
    const s = await keep(
      tcpServer((sock) => {
        let buf = Buffer.alloc(0);
        sock.on('data', (d: Buffer) => {
          buf = Buffer.concat([buf, d]);
          if (buf.length < 4 || buf.length < 4 + buf.readUInt32BE(0)) return;
          if (buf[4] === 0xff) {
            sock.write(smb1NegotiateResponse(0, 0x03));
            return;
          }
          const offered = offeredDialects(buf);
          const pick = supported.filter((d) => offered.includes(d)).sort((a, b) => b - a)[0];
          sock.write(
            pick === undefined
              ? smb2NegotiateResponse({ dialect: 0, securityMode: 1, guid, capabilities: 0, systemTime: new Date(), status: 0xc00000bb })
              : smb2NegotiateResponse({ dialect: pick, securityMode: 0x01, guid, capabilities: 0x07, systemTime: new Date('2026-05-01T00:00:00Z') }),
          );
        });
      }),
    );
    const r = await smbHandshake(s.target, OPTS);
    assert.ok(r);
    assert.equal(r.facts.dialect, '3.0.2');
    assert.deepEqual(r.facts.dialects, { '2.0.2': false, '2.1': true, '3.0': true, '3.0.2': true, '3.1.1': false });
    assert.deepEqual(r.facts.dialectsAccepted, ['2.1', '3.0', '3.0.2']);
    assert.equal(r.facts.signingEnabled, true);
    assert.equal(r.facts.signingRequired, false);
    assert.equal(r.facts.serverGuid, '04030201-0605-0807-090a-0b0c0d0e0f10');
    assert.equal(r.facts.systemTime, '2026-05-01T00:00:00.000Z');
    assert.deepEqual(r.facts.smb1, { accepted: true, signingEnabled: false, signingRequired: false, detail: 'NT LM 0.12 chosen' });
    assert.equal(r.identity.extrainfo, 'SMB 3.0.2; signing enabled, not required; SMBv1 accepted');
    // 1 negotiate with every dialect, 1 SMB1, 5 single-dialect probes.
    assert.equal(s.connections(), 7);
  });
});

describe('MQTT', () => {
  for (const [code, anonymous, auth] of [[0, true, false], [4, false, true], [5, false, true], [3, false, false]] as const) {
    it(`CONNACK return code ${code}`, async () => {
      const s = await keep(
        tcpServer(async (sock) => {
          const b = await readAtLeast(sock, 2);
          const full = await (b.length >= 2 + b[1]! ? Promise.resolve(b) : readAtLeast(sock, 2 + b[1]! - b.length));
          assert.equal(full.subarray(2, 8).toString('latin1'), '\x00\x04MQTT');
          sock.write(Buffer.from([0x20, 0x02, 0x00, code]));
        }),
      );
      const r = await mqttHandshake(s.target, OPTS);
      assert.equal(r?.facts.returnCode, code);
      assert.equal(r?.facts.anonymousAllowed, anonymous);
      assert.equal(r?.facts.authRequired, auth);
      assert.match(r?.facts.clientId ?? '', /^trawl-[0-9a-f]{12}$/);
      assert.ok(s.received[0]!.includes(Buffer.from(r!.facts.clientId)), 'the client id went out in CONNECT');
    });
  }

  it('is not fooled by a CONNACK-like answer with an impossible code', async () => {
    const s = await keep(tcpServer((sock) => sock.once('data', () => sock.write(Buffer.from([0x20, 0x02, 0x00, 0x09])))));
    assert.equal(await mqttHandshake(s.target, OPTS), undefined);
  });
});

describe('Redis and Memcached', () => {
  it('Redis: protected-mode DENIED greeting, and INFO server parsed', async () => {
    const denied = await keep(
      tcpServer((sock) => {
        sock.end('-DENIED Redis is running in protected mode because protected mode is enabled\r\n');
      }),
    );
    const d = await redisHandshake(denied.target, OPTS);
    assert.equal(d?.facts.protectedMode, true);
    assert.equal(d?.identity.name, 'redis');

    const open = await keep(
      tcpServer((sock) => {
        onLines(sock, (l) => {
          if (l === 'PING') sock.write('+PONG\r\n');
          if (l === 'server') {
            const info = '# Server\r\nredis_version:6.2.14\r\nredis_mode:standalone\r\nos:Linux 5.10.0 x86_64\r\n';
            sock.write(`$${info.length}\r\n${info}\r\n`);
          }
        });
      }),
    );
    const r = await redisHandshake(open.target, OPTS);
    assert.equal(r?.facts.version, '6.2.14');
    assert.equal(r?.facts.mode, 'standalone');
    assert.equal(r?.identity.version, '6.2.14');
    assert.equal(open.received[0]!.toString(), '*1\r\n$4\r\nPING\r\n*2\r\n$4\r\nINFO\r\n$6\r\nserver\r\n');
  });

  it('Memcached: a SASL-only server (text protocol refused) answers the binary protocol', async () => {
    const s = await keep(
      tcpServer((sock) => {
        sock.on('data', (d: Buffer) => {
          if (d[0] !== 0x80) return void sock.destroy();
          for (let off = 0; off + 24 <= d.length; off += 24) {
            const opcode = d[off + 1]!;
            const body = Buffer.from(opcode === 0x0b ? '1.6.21' : 'PLAIN');
            const h = Buffer.alloc(24);
            h[0] = 0x81;
            h[1] = opcode;
            h.writeUInt32BE(body.length, 8);
            sock.write(Buffer.concat([h, body]));
          }
        });
      }),
    );
    const r = await memcachedHandshake(s.target, OPTS);
    assert.equal(r?.facts.protocol, 'binary');
    assert.equal(r?.facts.version, '1.6.21');
    assert.equal(r?.facts.authRequired, true);
    assert.equal(r?.facts.authMode, 'sasl');
    assert.deepEqual(r?.facts.saslMechanisms, ['PLAIN']);
  });
});

describe('FTP, SMTP, POP3, IMAP', () => {
  it('FTP: multi-line banner, FEAT refused, SYST answered: FTP with cleartext login only', async () => {
    const s = await keep(
      tcpServer((sock) => {
        sock.write(lines('220-Welcome', '220-to the test', '220 ready'));
        onLines(sock, (l) => {
          if (l === 'FEAT') sock.write(lines('500 Unknown command.'));
          if (l === 'SYST') sock.write(lines('215 UNIX Type: L8'));
        });
      }),
    );
    const r = await ftpHandshake(s.target, OPTS);
    assert.deepEqual(r?.facts.banner, ['Welcome', 'to the test', 'ready']);
    assert.deepEqual(r?.facts.features, []);
    assert.equal(r?.facts.system, 'UNIX Type: L8');
    assert.equal(r?.facts.startTls, false);
    assert.equal(r?.facts.cleartextAuth, true);
    await new Promise((res) => setTimeout(res, 50));
    assert.ok(s.received[0]!.toString().endsWith('QUIT\r\n'), s.received[0]!.toString());
    assert.ok(!/USER|PASS/.test(s.received[0]!.toString()), 'no login attempted');
  });

  it('SMTP: HELO-only server; and an ESMTP server with STARTTLS but no AUTH before it', async () => {
    const helo = await keep(
      tcpServer((sock) => {
        sock.write(lines('220 relay.test SMTP ready'));
        onLines(sock, (l) => {
          if (l.startsWith('EHLO')) sock.write(lines('502 5.5.2 Error: command not recognized'));
          if (l.startsWith('HELO')) sock.write(lines('250 relay.test'));
        });
      }),
    );
    const h = await smtpHandshake(helo.target, OPTS);
    assert.equal(h?.facts.esmtp, false);
    assert.deepEqual(h?.facts.extensions, []);
    assert.equal(h?.identity.hostname, 'relay.test');

    const esmtp = await keep(
      tcpServer((sock) => {
        sock.write(lines('220-mx.test ESMTP Postfix (Debian/GNU)', '220 second line'));
        onLines(sock, (l) => {
          if (l.startsWith('EHLO')) sock.write(lines('250-mx.test', '250-PIPELINING', '250-SIZE 10240000', '250-STARTTLS', '250 8BITMIME'));
        });
      }),
    );
    const e = await smtpHandshake(esmtp.target, OPTS);
    assert.equal(e?.facts.startTls, true);
    assert.deepEqual(e?.facts.authMechanisms, []);
    assert.equal(e?.facts.cleartextAuth, false);
    assert.equal(e?.facts.sizeLimit, 10240000);
    assert.equal(e?.identity.product, 'Postfix smtpd');
    assert.equal(e?.identity.ostype, 'Linux');
  });

  it('POP3: CAPA with STLS, SASL and USER', async () => {
    const s = await keep(
      tcpServer((sock) => {
        sock.write(lines('+OK Dovecot (Debian) ready.'));
        onLines(sock, (l) => {
          if (l === 'CAPA') sock.write(lines('+OK', 'TOP', 'USER', 'SASL PLAIN LOGIN', 'STLS', 'UIDL', '.'));
        });
      }),
    );
    const r = await pop3Handshake(s.target, OPTS);
    assert.equal(r?.facts.startTls, true);
    assert.deepEqual(r?.facts.saslMechanisms, ['PLAIN', 'LOGIN']);
    assert.equal(r?.facts.userPass, true);
    assert.equal(r?.facts.cleartextAuth, true);
    assert.equal(r?.identity.product, 'Dovecot pop3d');
  });

  it('IMAP: LOGINDISABLED and no AUTH= means no cleartext login', async () => {
    const s = await keep(
      tcpServer((sock) => {
        sock.write(lines('* OK Dovecot ready.'));
        onLines(sock, (l) => {
          if (l === 't1 CAPABILITY') sock.write(lines('* CAPABILITY IMAP4rev1 SASL-IR STARTTLS LOGINDISABLED', 't1 OK Pre-login capabilities listed'));
        });
      }),
    );
    const r = await imapHandshake(s.target, OPTS);
    assert.equal(r?.facts.loginDisabled, true);
    assert.equal(r?.facts.startTls, true);
    assert.deepEqual(r?.facts.authMechanisms, []);
    assert.equal(r?.facts.cleartextAuth, false);
    assert.equal(r?.identity.product, 'Dovecot imapd');
  });
});

describe('MySQL and PostgreSQL', () => {
  function mysqlPacket(payload: Buffer): Buffer {
    const h = Buffer.alloc(4);
    h.writeUIntLE(payload.length, 0, 3);
    return Buffer.concat([h, payload]);
  }

  it('MySQL 8 greeting (caching_sha2_password, TLS offered) and an error greeting', async () => {
    const caps = 0xdfffffff;
    const p = Buffer.concat([
      Buffer.from([10]),
      Buffer.from('8.0.36-0ubuntu0.22.04.1\0'),
      Buffer.from([7, 0, 0, 0]),
      Buffer.from('abcdefgh'),
      Buffer.from([0]),
      Buffer.from([caps & 0xff, (caps >> 8) & 0xff]),
      Buffer.from([0xff, 0x02, 0x00]),
      Buffer.from([(caps >>> 16) & 0xff, (caps >>> 24) & 0xff]),
      Buffer.from([21]),
      Buffer.alloc(10),
      Buffer.from('ijklmnopqrst\0'),
      Buffer.from('caching_sha2_password\0'),
    ]);
    const s = await keep(tcpServer((sock) => sock.write(mysqlPacket(p))));
    const r = await mysqlHandshake(s.target, OPTS);
    assert.equal(r?.identity.product, 'MySQL');
    assert.equal(r?.identity.version, '8.0.36');
    assert.equal(r?.facts.connectionId, 7);
    assert.equal(r?.facts.authPlugin, 'caching_sha2_password');
    assert.equal(r?.facts.tlsSupported, true);
    assert.equal(s.received[0]?.length ?? 0, 0, 'nothing is sent to a MySQL server');

    const err = Buffer.concat([Buffer.from([0xff, 0x10, 0x04]), Buffer.from('Too many connections')]);
    const e = await keep(tcpServer((sock) => sock.end(mysqlPacket(err))));
    const re = await mysqlHandshake(e.target, OPTS);
    assert.equal(re?.facts.error?.code, 1040);
    assert.equal(re?.facts.error?.message, 'Too many connections');
    assert.equal(re?.identity.name, 'mysql');
  });

  function pgServer(mode: 'md5' | 'error' | 'trust'): Promise<LocalServer> {
    const msg = (type: string, body: Buffer): Buffer => {
      const h = Buffer.alloc(5);
      h.write(type, 0, 'latin1');
      h.writeUInt32BE(body.length + 4, 1);
      return Buffer.concat([h, body]);
    };
    const int32 = (v: number): Buffer => {
      const b = Buffer.alloc(4);
      b.writeUInt32BE(v);
      return b;
    };
    return keep(
      tcpServer(async (sock) => {
        const first = await readAtLeast(sock, 8);
        if (first.readUInt32BE(4) === 80877103) return void sock.end('N');
        if (mode === 'md5') sock.write(msg('R', Buffer.concat([int32(5), Buffer.from([1, 2, 3, 4])])));
        if (mode === 'error') sock.end(msg('E', Buffer.from('SFATAL\0VFATAL\0C28000\0Mno pg_hba.conf entry for host "127.0.0.1"\0Fauth.c\0L543\0RClientAuthentication\0\0')));
        if (mode === 'trust') {
          sock.write(
            Buffer.concat([
              msg('R', int32(0)),
              msg('S', Buffer.from('server_version\x0016.2 (Debian 16.2-1)\0')),
              msg('S', Buffer.from('client_encoding\0UTF8\0')),
              msg('K', Buffer.alloc(8)),
              msg('Z', Buffer.from('I')),
            ]),
          );
        }
      }),
    );
  }

  it('PostgreSQL: md5 request, pg_hba error, and trust (version from ParameterStatus, then Terminate)', async () => {
    const md5 = await pgServer('md5');
    const m = await postgresqlHandshake(md5.target, OPTS);
    assert.equal(m?.facts.sslSupported, false);
    assert.equal(m?.facts.authMethod, 'md5');
    assert.ok(md5.received[1]!.includes(Buffer.from('user\0trawl\0')));

    const err = await pgServer('error');
    const e = await postgresqlHandshake(err.target, OPTS);
    assert.equal(e?.facts.error?.code, '28000');
    assert.equal(e?.facts.error?.routine, 'ClientAuthentication');
    assert.equal(e?.facts.authMethod, undefined);

    const trust = await pgServer('trust');
    const t = await postgresqlHandshake(trust.target, OPTS);
    assert.equal(t?.facts.authMethod, 'trust');
    assert.equal(t?.facts.serverVersion, '16.2 (Debian 16.2-1)');
    assert.equal(t?.identity.version, '16.2');
    await new Promise((r) => setTimeout(r, 50));
    assert.ok(trust.received[1]!.subarray(-5).equals(Buffer.from([0x58, 0, 0, 0, 4])), 'Terminate sent');
  });
});

describe('TLS', () => {
  it('expired EC certificate, no ALPN, SNI sent; versions 1.2 and 1.3', async () => {
    const year = 365 * 24 * 3600 * 1000;
    const pems = await selfsigned.generate([{ name: 'commonName', value: 'old.test' }], {
      keyType: 'ec',
      curve: 'P-384',
      algorithm: 'sha384',
      notBeforeDate: new Date(Date.now() - 2 * year),
      notAfterDate: new Date(Date.now() - year),
    });
    let sni: string | undefined;
    const s = await keep(
      tlsServer({ key: pems.private, cert: pems.cert }, (sock) => {
        sni ??= (sock as unknown as { servername?: string }).servername;
        sock.end();
      }, 'old.test'),
    );
    const r = await tlsHandshake(s.target, OPTS);
    assert.ok(r);
    assert.equal(sni, 'old.test');
    assert.equal(r.facts.alpn, null);
    assert.equal(r.facts.expired, true);
    assert.equal(r.facts.chain[0]?.expired, true);
    assert.equal(r.facts.chain[0]?.keyType, 'ec');
    assert.equal(r.facts.chain[0]?.keyBits, 384);
    assert.equal(r.facts.chain[0]?.signatureAlgorithm, 'ecdsa-with-SHA384');
    assert.equal(r.facts.hostnameMatches, true);
    assert.equal(r.facts.versions?.['TLSv1.2']?.accepted, true);
    assert.equal(r.facts.versions?.['TLSv1.3']?.accepted, true);
    assert.equal(r.facts.versions?.['TLSv1']?.accepted, false);
    assert.equal(r.identity.name, 'ssl');
  });

  it('a TLS 1.0-only server is reached through the legacy fallback, and the probes show it', async () => {
    const pems = await selfsigned.generate([{ name: 'commonName', value: 'legacy.test' }], { keySize: 2048, algorithm: 'sha256' });
    const s = await keep(tlsServer({ key: pems.private, cert: pems.cert, minVersion: 'TLSv1', maxVersion: 'TLSv1', ciphers: 'DEFAULT:@SECLEVEL=0' }, (sock) => sock.end()));
    const r = await tlsHandshake(s.target, OPTS);
    assert.ok(r);
    assert.equal(r.facts.protocol, 'TLSv1');
    assert.equal(r.facts.legacyOnly, true);
    assert.deepEqual(
      Object.fromEntries(Object.entries(r.facts.versions ?? {}).map(([k, v]) => [k, v.accepted])),
      { TLSv1: true, 'TLSv1.1': false, 'TLSv1.2': false, 'TLSv1.3': false },
    );
  });
});

describe('HTTP', () => {
  it('fixed Host, same-host redirect followed, other-port redirect not, title, favicon hash', async () => {
    const icon = Buffer.from(Array.from({ length: 300 }, (_, i) => (i * 7) & 0xff));
    const s = await keep(
      tcpServer((sock) => {
        let req = '';
        sock.on('data', (d: Buffer) => {
          req += d.toString('latin1');
          if (!req.includes('\r\n\r\n')) return;
          const path = req.split(' ')[1];
          if (path === '/') sock.end('HTTP/1.1 302 Found\r\nLocation: /app?x=1\r\nContent-Length: 0\r\n\r\n');
          else if (path === '/app?x=1') sock.end('HTTP/1.1 301 Moved\r\nLocation: http://127.0.0.1:1/elsewhere\r\nServer: lighttpd/1.4.69\r\nContent-Length: 0\r\n\r\n');
          else if (path === '/page') sock.end('HTTP/1.1 200 OK\r\nServer: Apache/2.4.57 (Debian)\r\nTransfer-Encoding: chunked\r\n\r\n10\r\n<title>Hello</ti\r\n6\r\ntle>..\r\n0\r\n\r\n');
          else if (path === '/favicon.ico') sock.end(Buffer.concat([Buffer.from(`HTTP/1.1 200 OK\r\nContent-Type: image/x-icon\r\nContent-Length: ${icon.length}\r\n\r\n`), icon]));
          else sock.end('HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n');
        });
      }, 'example.test'),
    );
    const r = await httpHandshake(s.target, OPTS);
    assert.ok(r);
    assert.match(s.received[0]!.toString(), new RegExp(`^GET / HTTP/1\\.1\\r\\nHost: example\\.test:${s.port}\\r\\n`));
    assert.deepEqual(r.facts.redirects.map((x) => [x.status, x.followed, x.reason]), [[302, true, undefined], [301, false, 'other host, scheme or port']]);
    assert.equal(r.facts.status, 301);
    assert.equal(r.identity.product, 'lighttpd');
    assert.equal(r.facts.favicon?.mmh3, shodanFaviconHash(icon));
    assert.equal(r.facts.favicon?.bytes, 300);

    const page = await httpHandshake(s.target, { ...OPTS, path: '/page', favicon: false });
    assert.equal(page?.facts.title, 'Hello');
    assert.equal(page?.identity.product, 'Apache httpd');
    assert.equal(page?.identity.version, '2.4.57');
    assert.equal(page?.identity.extrainfo, 'Debian');
    assert.equal(page?.facts.favicon, undefined);
  });

  it('is not fooled by a non-HTTP answer', async () => {
    const s = await keep(tcpServer((sock) => sock.once('data', () => sock.end('-ERR unknown command\r\n'))));
    assert.equal(await httpHandshake(s.target, OPTS), undefined);
  });
});

describe('any-port cascade', () => {
  const CASCADE = { ...OPTS, totalMs: 8000, bannerWaitMs: 300 };

  it('finds HTTP, HTTPS and IMAP inside TLS on arbitrary ports', async () => {
    const pems = await selfsigned.generate([{ name: 'commonName', value: 'c.test' }], { keySize: 2048, algorithm: 'sha256' });
    const plain = http.createServer((_req, res) => {
      res.setHeader('Server', 'nginx/9.9.9');
      res.end('<title>plain</title>');
    });
    const secure = https.createServer({ key: pems.private, cert: pems.cert }, (_req, res) => {
      res.setHeader('Server', 'Caddy');
      res.end('<title>secure</title>');
    });
    await new Promise<void>((r) => plain.listen(0, '127.0.0.1', r));
    await new Promise<void>((r) => secure.listen(0, '127.0.0.1', r));
    const imaps = await keep(
      tlsServer({ key: pems.private, cert: pems.cert }, (sock) => {
        sock.write(lines('* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] ready'));
        onLines(sock, (l) => {
          if (l === 't1 CAPABILITY') sock.write(lines('* CAPABILITY IMAP4rev1 AUTH=PLAIN', 't1 OK'));
        });
      }),
    );
    try {
      const port = (s: http.Server): number => (s.address() as { port: number }).port;
      const [a, b, c] = await Promise.all([
        identifyByHandshake({ ip: '127.0.0.1', port: port(plain), family: 4 }, CASCADE),
        identifyByHandshake({ ip: '127.0.0.1', port: port(secure), family: 4 }, CASCADE),
        identifyByHandshake(imaps.target, CASCADE),
      ]);
      assert.equal(a?.name, 'http');
      assert.equal(a?.product, 'nginx');
      assert.equal(a?.version, '9.9.9');
      assert.equal(a?.tunnel, undefined);
      assert.equal(b?.name, 'http');
      assert.equal(b?.tunnel, 'ssl');
      assert.equal((b?.facts?.['http'] as { title?: string }).title, 'secure');
      assert.ok(b?.facts?.['tls'] !== undefined);
      assert.equal(c?.name, 'imap');
      assert.equal(c?.tunnel, 'ssl');
      assert.equal((c?.facts?.['imap'] as { implicitTls?: boolean; cleartextAuth?: boolean }).implicitTls, true);
      assert.equal((c?.facts?.['imap'] as { cleartextAuth?: boolean }).cleartextAuth, false);
    } finally {
      plain.close();
      secure.close();
      plain.closeAllConnections();
      secure.closeAllConnections();
    }
  });

  it('tells SMTP from FTP behind the same bare "220" banner', async () => {
    const smtp = await keep(
      tcpServer((sock) => {
        sock.write(lines('220 Service ready'));
        onLines(sock, (l) => {
          if (l.startsWith('EHLO')) sock.write(lines('250-host', '250 AUTH LOGIN'));
        });
      }),
    );
    const ftp = await keep(
      tcpServer((sock) => {
        sock.write(lines('220 Service ready'));
        onLines(sock, (l) => {
          if (l.startsWith('EHLO') || l.startsWith('HELO')) sock.write(lines('500 What?'));
          if (l === 'FEAT') sock.write(lines('211-Features:', ' MDTM', '211 End'));
          if (l === 'SYST') sock.write(lines('215 UNIX Type: L8'));
        });
      }),
    );
    const [s, f] = await Promise.all([identifyByHandshake(smtp.target, CASCADE), identifyByHandshake(ftp.target, CASCADE)]);
    assert.equal(s?.name, 'smtp');
    assert.equal(f?.name, 'ftp');
    assert.deepEqual((f?.facts?.['ftp'] as { features?: string[] }).features, ['MDTM']);
  });

  it('names VNC by its banner, calls an instantly-closing port tcpwrapped, and gives up on silence', async () => {
    const vnc = await keep(tcpServer((sock) => sock.write('RFB 003.008\n')));
    const wrapped = await keep(tcpServer((sock) => sock.destroy()));
    const silent = await keep(tcpServer(() => undefined));
    const started = performance.now();
    const [v, w, q] = await Promise.all([
      identifyByHandshake(vnc.target, CASCADE),
      identifyByHandshake(wrapped.target, CASCADE),
      identifyByHandshake(silent.target, { ...CASCADE, totalMs: 3000 }),
    ]);
    assert.equal(v?.name, 'vnc');
    assert.equal(w?.name, 'tcpwrapped');
    assert.equal(q, undefined);
    assert.ok(performance.now() - started < 3800, `took ${Math.round(performance.now() - started)} ms`);
  });

  it('MySQL and Redis on unusual ports, by their first bytes', async () => {
    const my = await keep(
      tcpServer((sock) => {
        const p = Buffer.concat([Buffer.from([10]), Buffer.from('5.7.44\0'), Buffer.alloc(4 + 8 + 1), Buffer.from([0xff, 0xf7, 0x21, 0x02, 0x00, 0xff, 0x81, 21]), Buffer.alloc(10), Buffer.from('123456789012\0mysql_native_password\0')]);
        const h = Buffer.alloc(4);
        h.writeUIntLE(p.length, 0, 3);
        sock.write(Buffer.concat([h, p]));
      }),
    );
    const redis = await keep(
      tcpServer((sock) => {
        onLines(sock, (l) => {
          if (l === 'PING') sock.write('-NOAUTH Authentication required.\r\n');
          else if (l.startsWith('GET') || l.startsWith('\x16')) sock.write('-ERR unknown command\r\n');
        });
      }),
    );
    const [m, r] = await Promise.all([identifyByHandshake(my.target, CASCADE), identifyByHandshake(redis.target, CASCADE)]);
    assert.equal(m?.name, 'mysql');
    assert.equal(m?.version, '5.7.44');
    assert.equal(r?.name, 'redis');
    assert.equal((r?.facts?.['redis'] as { authRequired?: boolean }).authRequired, true);
  });
});

describe('egress guard', () => {
  it('a refusal propagates from handshakes and the cascade, before any connection', async () => {
    const s = await keep(tcpServer((sock) => sock.write('SSH-2.0-x\r\n')));
    const guard = (ip: string): void => {
      throw new TrawlError('TRAWL_E_EGRESS_DENIED', `refused to send a probe to ${ip}`, { ip });
    };
    await assert.rejects(sshHandshake(s.target, { ...OPTS, guard }), { code: 'TRAWL_E_EGRESS_DENIED' });
    await assert.rejects(tlsHandshake(s.target, { ...OPTS, guard }), { code: 'TRAWL_E_EGRESS_DENIED' });
    await assert.rejects(smbHandshake(s.target, { ...OPTS, guard }), { code: 'TRAWL_E_EGRESS_DENIED' });
    await assert.rejects(identifyByHandshake(s.target, { ...OPTS, guard }), { code: 'TRAWL_E_EGRESS_DENIED' });
    assert.equal(s.connections(), 0);
  });
});
