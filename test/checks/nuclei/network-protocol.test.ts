import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { connect, createServer, type AddressInfo } from 'node:net';
import type { NucleiTarget, NucleiTemplate } from '../../../src/checks/nuclei/index.js';
import { get, inlineTemplate, loadCorpus, run, startTcp, type TcpServer } from './nuclei-lab.js';

let corpus: Map<string, NucleiTemplate>;
const closers: Array<() => Promise<void>> = [];

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

async function waitForPort(port: number, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const ok = await new Promise<boolean>((r) => {
      const s = connect(port, '127.0.0.1');
      s.once('connect', () => {
        s.destroy();
        r(true);
      });
      s.once('error', () => r(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`port ${port} did not open`);
}

/** Starts a real daemon from the Debian package on a free loopback port. */
async function daemon(bin: string, args: (port: number) => string[]): Promise<NucleiTarget> {
  assert.ok(existsSync(bin), `${bin} is installed (CI installs it)`);
  const port = await freePort();
  const child: ChildProcess = spawn(bin, args(port), { stdio: 'ignore' });
  closers.push(async () => {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
  });
  await waitForPort(port, 5000);
  return { host: '127.0.0.1', port, ip: '127.0.0.1', tls: false };
}

function tcp(s: TcpServer): NucleiTarget {
  closers.push(() => s.close());
  return s.target();
}

let redis: NucleiTarget;
let memcached: NucleiTarget;

before(async () => {
  corpus = await loadCorpus();
  redis = await daemon('/usr/bin/redis-server', (p) => ['--port', String(p), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no']);
  memcached = await daemon('/usr/bin/memcached', (p) => ['-l', '127.0.0.1', '-p', String(p), '-U', '0', '-u', 'root']);
});

after(async () => {
  for (const c of closers.reverse()) await c();
});

describe('network (tcp) protocol', () => {
  it('real redis-server: INFO answered without auth, version extracted', async () => {
    const out = await run([get(corpus, 'redis-unauth-info')], [redis]);
    assert.equal(out.matches.length, 1);
    assert.match(out.matches[0]!.extracted['version']?.[0] ?? '', /^\d+\.\d+\.\d+$/);
    assert.equal(out.matches[0]!.matchedAt, `127.0.0.1:${redis.port}`);
  });

  it('real memcached: stats (word AND + multiline regex), version extracted', async () => {
    const out = await run([get(corpus, 'memcached-stats')], [memcached]);
    assert.equal(out.matches.length, 1);
    assert.match(out.matches[0]!.extracted['version']?.[0] ?? '', /^\d+\.\d+/);
  });

  it('redis and memcached templates do not match each other or a service that refuses', async () => {
    const refuse = tcp(await startTcp((s) => s.once('data', () => s.end('-ERR unknown command\r\n'))));
    const out = await run([get(corpus, 'redis-unauth-info'), get(corpus, 'memcached-stats')], [redis, memcached, refuse]);
    assert.deepEqual(out.matches.map((m) => `${m.templateId}@${m.target.port}`).sort(), [`memcached-stats@${memcached.port}`, `redis-unauth-info@${redis.port}`].sort());
    assert.equal(out.records.filter((r) => r.outcome === 'clean').length, 4);
  });

  it('hex input is sent as bytes; binary matcher on the reply; clean service does not match', async () => {
    const magic = Buffer.from('54524157' + '4c0001', 'hex');
    const good = await startTcp((s, rx) =>
      s.on('data', (d: Buffer) => {
        rx.push(d);
        s.end(d.equals(magic) ? Buffer.from('cafe0001ff', 'hex') : Buffer.from('nope'));
      }),
    );
    const bad = await startTcp((s) => s.on('data', () => s.end(Buffer.from('cafe0002', 'hex'))));
    const t = get(corpus, 'lab-binary-protocol');
    const out = await run([t], [tcp(good), tcp(bad)]);
    assert.equal(out.matches.length, 1);
    assert.equal(out.matches[0]!.target.port, good.port);
    assert.deepEqual(out.matches[0]!.extractedResults, ['cafe0001ff']);
    assert.ok(good.received[0]?.equals(magic), 'exact bytes on the wire');
  });

  it('named read of the banner, then a command and read-all until close', async () => {
    const svc = (banner: string, version: string) =>
      startTcp((s) => {
        s.write(banner);
        s.on('data', (d: Buffer) => {
          if (d.toString() === 'VERSION\r\n') s.end(version);
        });
      });
    const good = await svc('220 lab-service ready\r\n', 'VERSION 1.4\r\nbye\r\n');
    const bad = await svc('220 other-service\r\n', 'VERSION 9.9\r\n');
    const out = await run([get(corpus, 'lab-banner-then-command')], [tcp(good), tcp(bad)]);
    assert.equal(out.matches.length, 1, JSON.stringify(out.records));
    assert.equal(out.matches[0]!.target.port, good.port);
    assert.deepEqual(out.matches[0]!.extractedResults, ['1.4']);
  });

  it('a template bound to port 6379 is skipped (with a note) on other ports', async () => {
    const out = await run([get(corpus, 'redis-ping-default-port')], [redis]);
    assert.equal(out.matches.length, 0);
    assert.equal(out.records[0]?.outcome, 'skipped');
    assert.match(out.records[0]?.notes[0] ?? '', /port\(s\) 6379/);
  });

  it('payloads in network inputs ({{cmd}}), and a fixed port through {{Host}}:port', async () => {
    const seen: string[] = [];
    const svc = await startTcp((s) => s.on('data', (d: Buffer) => {
      seen.push(d.toString());
      s.end(d.toString() === 'STATUS\r\n' ? 'OK running\r\n' : 'ERR\r\n');
    }));
    const t = inlineTemplate(`
id: inline-network-payloads
info: { name: x, author: t, severity: info }
tcp:
  - host:
      - "{{Host}}:${svc.port}"
    inputs:
      - data: "{{cmd}}\\r\\n"
    payloads:
      cmd: [HELP, STATUS, QUIT]
    matchers:
      - type: word
        words: ["OK running"]
`);
    const out = await run([t], [{ host: '127.0.0.1', port: 1, ip: '127.0.0.1' }]);
    assert.deepEqual(seen.sort(), ['HELP\r\n', 'QUIT\r\n', 'STATUS\r\n']);
    assert.equal(out.matches.length, 1);
    assert.deepEqual(out.matches[0]!.payload, { cmd: 'STATUS' });
    await svc.close();
  });
});
