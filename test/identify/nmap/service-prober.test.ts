import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { TrawlError } from '../../../src/errors/index.js';
import {
  loadServiceProbes,
  parseServiceProbes,
  probeService,
  probeServiceDetailed,
  WorkerMatchPool,
  type ProbeDatabase,
  type ProbeTraceEvent,
} from '../../../src/engines/identify/nmap/index.js';
import type { IdentifyTarget } from '../../../src/engines/identify/service-identity.js';
import { captureClientHello, closedPort, onLines, probeEscape, startServer, startTlsServer, type LocalServer } from './local-servers.js';

const SYSTEM_FILE = '/usr/share/nmap/nmap-service-probes';
const noSystemFile = existsSync(SYSTEM_FILE) ? false : `${SYSTEM_FILE} is absent (install nmap-common)`;

const at = (port: number): IdentifyTarget => ({ ip: '127.0.0.1', port, family: 4 });

/** A probe file written for these tests; the ports are the ephemeral ones the servers got. */
function syntheticDb(helloPort: number, tlsPort: number, clientHello: Buffer): ProbeDatabase {
  const text = [
    'Exclude T:9',
    'Probe TCP NULL q||',
    'totalwaitms 6000',
    'tcpwrappedms 3000',
    'match banner m|^BANNER ([\\w.]+)\\r\\n| p/Banner daemon/ v/$1/ cpe:/a:trawl:banner:$1/',
    'softmatch soft m|^SOFT |',
    'match ssl/wrapped m|^WRAPPED (\\d+)| p/Pre-wrapped/ v/$1/',
    'Probe TCP Hello q|HELLO\\r\\n|',
    'rarity 1',
    `ports ${helloPort}`,
    'match hello m|^HI ([\\d.]+)\\r\\n| p/Hello server/ v/$1/',
    'Probe TCP Wrong q|WRONG\\r\\n|',
    'rarity 1',
    'match other m|^NOPE|',
    'Probe TCP SoftKnows q|KNOW\\r\\n|',
    'rarity 2',
    'match soft m|^SOFT (\\d+)\\r\\nKNOWN ([\\d.]+)| p/Soft daemon/ v/$2/ i/build $1/',
    'Probe TCP Fallback q|FB\\r\\n|',
    'rarity 3',
    'fallback Extra',
    'Probe TCP Extra q|EXTRA\\r\\n|',
    'rarity 9',
    'match extra m|^FALLBACK OK ([\\d.]+)| p/Fallback target/ v/$1/',
    `Probe TCP TlsHello q|${probeEscape(clientHello)}|`,
    'rarity 1',
    `ports ${tlsPort}`,
    'match ssl m|^\\x16\\x03[\\x00-\\x04]..\\x02|s p/TLS/',
    'Probe TCP GetRequest q|GET / HTTP/1.0\\r\\n\\r\\n|',
    'rarity 1',
    `sslports ${tlsPort}`,
    'match http m|^HTTP/1\\.[01] (\\d\\d\\d) .*\\r\\nServer: ([^\\r\\n]+)|s p/$2/ i/status $1/',
  ].join('\n');
  const db = parseServiceProbes(text, 'synthetic');
  assert.deepEqual(db.warnings, []);
  return db;
}

describe('nmap prober with a synthetic probe file', () => {
  const servers: LocalServer[] = [];
  let pool: WorkerMatchPool;
  let db: ProbeDatabase;
  let hello: LocalServer;
  let tlsServer: LocalServer;

  before(async () => {
    hello = await startServer((s) => onLines(s, (l) => (l === 'HELLO' ? s.write('HI 1.0\r\n') : s.end())));
    tlsServer = await startTlsServer((s) => s.once('data', () => s.end('HTTP/1.0 200 OK\r\nServer: TrawlTLS/1.0\r\n\r\nhi')));
    servers.push(hello, tlsServer);
    db = syntheticDb(hello.port, tlsServer.port, await captureClientHello());
    pool = new WorkerMatchPool(db, { size: 1 });
    await pool.warm();
  });
  after(async () => {
    await Promise.all(servers.map((s) => s.close()));
    await pool.close();
  });

  it('takes a NULL-probe banner at once', async () => {
    const srv = await startServer((s) => s.write('BANNER 2.5\r\n'));
    servers.push(srv);
    const t0 = performance.now();
    const r = await probeServiceDetailed(at(srv.port), db, { matcher: pool });
    const ms = performance.now() - t0;
    assert.equal(r.status, 'hard');
    assert.deepEqual(r.identity, {
      name: 'banner',
      product: 'Banner daemon',
      version: '2.5',
      cpe: ['cpe:/a:trawl:banner:2.5'],
      method: 'probed',
      confidence: 10,
      facts: { nmap: { probe: 'NULL', line: 5, soft: false, service: 'banner' } },
    });
    assert.ok(r.probesSent <= 2, `${r.probesSent} connections`);
    assert.ok(ms < 1000, `${ms} ms`);
  });

  it('finds a service that only answers the port\'s probe, without waiting out the NULL probe', async () => {
    const trace: ProbeTraceEvent[] = [];
    const t0 = performance.now();
    const id = await probeService(at(hello.port), db, { matcher: pool, onProbe: (e) => trace.push(e) });
    const ms = performance.now() - t0;
    assert.equal(id?.name, 'hello');
    assert.equal(id?.product, 'Hello server');
    assert.equal(id?.version, '1.0');
    assert.deepEqual(
      trace.map((e) => `${e.probe}:${e.end}`),
      ['NULL:skipped-silent', 'Hello:matched'],
    );
    assert.ok(ms < 1500, `${ms} ms (the NULL probe alone waits 2000 ms)`);
    assert.ok(hello.received.includes('HELLO\r\n'));
  });

  it('narrows the probes after a softmatch, and a later hard match wins', async () => {
    const srv = await startServer((s) => {
      s.write('SOFT 42\r\n');
      onLines(s, (l) => (l === 'KNOW' ? s.write('KNOWN 1.2.3\r\n') : s.write('ERR\r\n')));
    });
    servers.push(srv);
    const trace: string[] = [];
    const r = await probeServiceDetailed(at(srv.port), db, { matcher: pool, onProbe: (e) => trace.push(`${e.probe}:${e.match?.service ?? '-'}${e.match?.soft ? '(soft)' : ''}`) });
    assert.equal(r.status, 'hard');
    assert.equal(r.identity?.name, 'soft');
    assert.equal(r.identity?.product, 'Soft daemon');
    assert.equal(r.identity?.version, '1.2.3');
    assert.equal(r.identity?.extrainfo, 'build 42');
    // Hello and Wrong cannot name "soft": after the softmatch they are not part of the ladder.
    assert.deepEqual(trace, ['NULL:soft(soft)', 'SoftKnows:soft']);
  });

  it('reports a softmatch with confidence 8 when nothing better comes', async () => {
    const srv = await startServer((s) => {
      s.write('SOFT 1\r\n');
      s.on('data', () => s.end());
    });
    servers.push(srv);
    const r = await probeServiceDetailed(at(srv.port), db, { matcher: pool });
    assert.equal(r.status, 'soft');
    assert.equal(r.identity?.name, 'soft');
    assert.equal(r.identity?.confidence, 8);
  });

  it('follows fallback directives', async () => {
    const srv = await startServer((s) => onLines(s, (l) => (l === 'FB' ? s.end('FALLBACK OK 3.1\r\n') : s.end())));
    servers.push(srv);
    const r = await probeServiceDetailed(at(srv.port), db, { matcher: pool });
    assert.equal(r.identity?.name, 'extra');
    assert.equal(r.identity?.version, '3.1');
    assert.equal(r.matchedProbe, 'Fallback', 'the response to Fallback matched a line of Extra');
    assert.ok(!srv.received.includes('EXTRA\r\n'), 'Extra (rarity 9) itself was never sent');
  });

  it('says tcpwrapped when the NULL probe is closed without data', async () => {
    const srv = await startServer((s) => s.destroy());
    servers.push(srv);
    const r = await probeServiceDetailed(at(srv.port), db, { matcher: pool });
    assert.equal(r.status, 'tcpwrapped');
    assert.deepEqual(r.identity, { name: 'tcpwrapped', cpe: [], method: 'probed', confidence: 8 });
  });

  it('restarts through TLS after an ssl match and uses sslports', async () => {
    const t0 = performance.now();
    const r = await probeServiceDetailed(at(tlsServer.port), db, { matcher: pool });
    const ms = performance.now() - t0;
    assert.equal(r.status, 'hard');
    assert.equal(r.identity?.name, 'http');
    assert.equal(r.identity?.tunnel, 'ssl');
    assert.equal(r.identity?.product, 'TrawlTLS/1.0');
    assert.equal(r.identity?.extrainfo, 'status 200');
    assert.ok(r.responses.some((x) => x.probe === 'TlsHello' && x.tunnel === 'none'));
    assert.ok(r.responses.some((x) => x.probe === 'GetRequest' && x.tunnel === 'ssl'));
    assert.ok(ms < 3000, `${ms} ms`);
    // Without TLS the answer is the plain-text ssl match.
    const plain = await probeServiceDetailed(at(tlsServer.port), db, { matcher: pool, tls: false });
    assert.equal(plain.identity?.name, 'ssl');
    assert.equal(plain.identity?.tunnel, undefined);
  });

  it('maps ssl/<service> matches to a TLS tunnel without reconnecting', async () => {
    const srv = await startServer((s) => s.write('WRAPPED 7\r\n'));
    servers.push(srv);
    const id = await probeService(at(srv.port), db, { matcher: pool });
    assert.equal(id?.name, 'wrapped');
    assert.equal(id?.tunnel, 'ssl');
    assert.equal(id?.version, '7');
  });

  it('handles closed and excluded ports, bad options and aborts', async () => {
    const closed = await probeServiceDetailed(at(await closedPort()), db, { matcher: pool });
    assert.equal(closed.status, 'closed');
    assert.equal(closed.identity, undefined);
    const excluded = await probeServiceDetailed(at(9), db, { matcher: pool });
    assert.equal(excluded.status, 'excluded');
    assert.equal(excluded.probesSent, 0);
    await assert.rejects(probeService(at(hello.port), db, { matcher: pool, intensity: 10 }), (e: unknown) => e instanceof TrawlError && e.code === 'TRAWL_E_BAD_OPTION');
    await assert.rejects(probeService({ ip: 'nope', port: 1, family: 4 }, db, { matcher: pool }), (e: unknown) => e instanceof TrawlError && e.code === 'TRAWL_E_BAD_TARGET');
    let guarded = '';
    await assert.rejects(
      probeService(at(hello.port), db, {
        matcher: pool,
        guard: (ip) => {
          guarded = ip;
          throw new TrawlError('TRAWL_E_EGRESS_DENIED', `refused ${ip}`);
        },
      }),
      (e: unknown) => e instanceof TrawlError && e.code === 'TRAWL_E_EGRESS_DENIED',
    );
    assert.equal(guarded, '127.0.0.1');
    const silent = await startServer(() => undefined);
    servers.push(silent);
    const ac = new AbortController();
    const t0 = performance.now();
    setTimeout(() => ac.abort(), 150);
    await assert.rejects(probeService(at(silent.port), db, { matcher: pool, signal: ac.signal }), (e: unknown) => e instanceof TrawlError && e.code === 'TRAWL_E_INTERRUPTED');
    assert.ok(performance.now() - t0 < 1000);
  });
});

describe('nmap prober with the system nmap-service-probes', { skip: noSystemFile }, () => {
  const servers: LocalServer[] = [];
  let db: ProbeDatabase;
  let pool: WorkerMatchPool;

  before(async () => {
    db = loadServiceProbes(SYSTEM_FILE);
    pool = new WorkerMatchPool(db, { size: 1 });
    await pool.warm();
  });
  after(async () => {
    await Promise.all(servers.map((s) => s.close()));
    await pool.close();
  });

  async function identify(srv: LocalServer, label: string): Promise<Awaited<ReturnType<typeof probeServiceDetailed>>> {
    servers.push(srv);
    const t0 = performance.now();
    const r = await probeServiceDetailed(at(srv.port), db, { matcher: pool });
    console.log(`# ${label}: ${r.status} ${r.identity?.name ?? '-'} "${r.identity?.product ?? ''}" "${r.identity?.version ?? ''}" in ${(performance.now() - t0).toFixed(0)} ms, ${r.probesSent} connections (probe ${r.matchedProbe}, line ${r.matchedLine})`);
    return r;
  }

  it('OpenSSH on Debian, from its banner', async () => {
    const r = await identify(await startServer((s) => s.write('SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n')), 'ssh');
    const id = r.identity!;
    assert.equal(id.name, 'ssh');
    assert.equal(id.product, 'OpenSSH');
    assert.equal(id.version, '9.2p1 Debian 2+deb12u3');
    assert.equal(id.extrainfo, 'protocol 2.0');
    assert.equal(id.ostype, 'Linux');
    assert.ok(id.cpe.includes('cpe:/a:openbsd:openssh:9.2p1'), id.cpe.join(' '));
    assert.ok(id.cpe.includes('cpe:/o:linux:linux_kernel'));
    assert.equal(id.confidence, 10);
    assert.equal(r.matchedProbe, 'NULL');
  });

  it('vsftpd, from its banner', async () => {
    const r = await identify(await startServer((s) => s.write('220 (vsFTPd 3.0.3)\r\n')), 'ftp');
    assert.equal(r.identity?.name, 'ftp');
    assert.equal(r.identity?.product, 'vsftpd');
    assert.equal(r.identity?.version, '3.0.3');
    assert.ok(r.identity?.cpe.includes('cpe:/a:vsftpd:vsftpd:3.0.3'));
  });

  it('nginx over HTTP, which only speaks when spoken to', async () => {
    const srv = await startServer((s) =>
      s.once('data', (d: Buffer) => {
        if (d.toString('latin1').startsWith('GET ')) s.end('HTTP/1.1 200 OK\r\nServer: nginx/1.22.1\r\nContent-Type: text/html\r\nContent-Length: 2\r\nConnection: close\r\n\r\nhi');
        else s.end('HTTP/1.1 400 Bad Request\r\nServer: nginx/1.22.1\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
      }),
    );
    const r = await identify(srv, 'http');
    assert.equal(r.identity?.name, 'http');
    assert.equal(r.identity?.product, 'nginx');
    assert.equal(r.identity?.version, '1.22.1');
    assert.ok(r.identity?.cpe.includes('cpe:/a:igor_sysoev:nginx:1.22.1'));
    assert.ok(r.elapsedMs < 2000, `${r.elapsedMs} ms: nmap needs the 5 s NULL wait before its first probe`);
  });

  it('nginx over TLS on an unlisted port', async () => {
    const srv = await startTlsServer((s) =>
      s.once('data', () => s.end('HTTP/1.1 200 OK\r\nServer: nginx/1.22.1\r\nContent-Type: text/html\r\nContent-Length: 2\r\nConnection: close\r\n\r\nhi')),
    );
    const r = await identify(srv, 'https');
    assert.equal(r.identity?.name, 'http');
    assert.equal(r.identity?.tunnel, 'ssl');
    assert.equal(r.identity?.product, 'nginx');
    assert.equal(r.identity?.version, '1.22.1');
  });
});
