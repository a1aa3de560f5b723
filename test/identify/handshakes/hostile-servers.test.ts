/**
 * Hostile servers: endless data, a 1-byte drip, a huge banner, garbage after the TLS ClientHello,
 * silence, and an instant close. Every handshake and the cascade must end within its limits, keep
 * what it read bounded, leave no socket open, and not grow the heap over many runs.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type net from 'node:net';
import v8 from 'node:v8';
import vm from 'node:vm';
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
import type { IdentifyTarget } from '../../../src/engines/identify/service-identity.js';
import { tcpServer, type LocalServer } from './local-server.js';

const LIMITS: HandshakeOptions = { totalMs: 1500, idleMs: 400, connectTimeoutMs: 500, maxBytes: 128 * 1024, maxResponseBytes: 16 * 1024 };
/** Scheduling slack on a busy 2-core machine: the limit itself is enforced by timers. */
const SLACK_MS = 800;

const HANDSHAKES: Record<string, (t: IdentifyTarget, o: HandshakeOptions) => Promise<unknown>> = {
  tls: tlsHandshake,
  http: httpHandshake,
  https: (t, o) => httpHandshake(t, { ...o, tls: true }),
  ssh: sshHandshake,
  smb: smbHandshake,
  redis: redisHandshake,
  memcached: memcachedHandshake,
  ftp: ftpHandshake,
  smtp: smtpHandshake,
  pop3: pop3Handshake,
  imap: imapHandshake,
  mqtt: mqttHandshake,
  mysql: mysqlHandshake,
  postgresql: postgresqlHandshake,
  cascade: (t, o) => identifyByHandshake(t, { ...o, bannerWaitMs: 300 }),
};

/** Writes `chunk()` as fast as the client takes it, for as long as the connection lives. */
function flood(sock: net.Socket, chunk: () => Buffer): void {
  const pump = (): void => {
    while (!sock.destroyed && sock.write(chunk())) {
      /* until the kernel buffer is full */
    }
  };
  sock.on('drain', pump);
  pump();
}

function drip(sock: net.Socket, text: string): void {
  let i = 0;
  const t = setInterval(() => {
    if (sock.destroyed) return void clearInterval(t);
    sock.write(text[i++ % text.length]!);
  }, 25);
  sock.on('close', () => clearInterval(t));
}

const HOSTILE: Record<string, (sock: net.Socket) => void> = {
  endless: (sock) => {
    const block = Buffer.alloc(64 * 1024, 0x41);
    flood(sock, () => block);
  },
  drip: (sock) => drip(sock, 'SSH-2.0-220 +OK * OK HTTP/1.1 200 '),
  'huge-banner': (sock) => {
    sock.write(Buffer.alloc(2 * 1024 * 1024, 0x42));
  },
  'garbage-after-hello': (sock) => {
    sock.once('data', (d: Buffer) => {
      // A TLS-looking record header that promises 16 KiB, then endless noise.
      if (d[0] === 0x16) sock.write(Buffer.from([0x16, 0x03, 0x03, 0x40, 0x00]));
      flood(sock, () => randomBytes(16 * 1024));
    });
  },
  // Valid first bytes, then a flood: the protocol is real, so its handshake may claim it — with
  // bounded facts, in time.
  'http-then-flood': (sock) => {
    sock.write('HTTP/1.1 200 OK\r\nServer: flood/1.0\r\nContent-Type: text/html\r\n\r\n<title>flood</title>');
    const block = Buffer.alloc(64 * 1024, 0x43);
    flood(sock, () => block);
  },
  'ssh-then-flood': (sock) => {
    sock.write('SSH-2.0-OpenSSH_9.9\r\n');
    const block = Buffer.alloc(64 * 1024, 0xff);
    flood(sock, () => block);
  },
  silent: () => undefined,
  'close-immediately': (sock) => sock.destroy(),
};

/** The identities a handshake may return for a server (cascade: 'unknown' unless listed). */
const CLAIMS: Record<string, Record<string, string>> = {
  'garbage-after-hello': { cascade: 'ssl' },
  'close-immediately': { cascade: 'tcpwrapped' },
  'http-then-flood': { http: 'http', cascade: 'http' },
  'ssh-then-flood': { ssh: 'ssh', cascade: 'ssh' },
};

describe('hostile servers', () => {
  const servers = new Map<string, LocalServer>();
  before(async () => {
    for (const [name, h] of Object.entries(HOSTILE)) servers.set(name, await tcpServer(h));
  });
  after(async () => {
    await Promise.all([...servers.values()].map((s) => s.close()));
  });

  for (const name of Object.keys(HOSTILE)) {
    it(`${name}: every handshake and the cascade end within their limits`, async (t) => {
      const server = servers.get(name)!;
      const runs = await Promise.all(
        Object.entries(HANDSHAKES).map(async ([proto, fn]) => {
          const started = performance.now();
          try {
            const r = await fn(server.target, LIMITS);
            return { proto, ms: performance.now() - started, r, error: undefined };
          } catch (e) {
            return { proto, ms: performance.now() - started, r: undefined, error: e as Error };
          }
        }),
      );
      const problems: string[] = [];
      for (const run of runs) {
        if (run.error !== undefined) problems.push(`${run.proto} threw ${run.error.message}`);
        if (run.ms > LIMITS.totalMs! + SLACK_MS) problems.push(`${run.proto} took ${Math.round(run.ms)} ms`);
        const size = run.r === undefined ? 0 : JSON.stringify(run.r).length;
        // Facts keep text bounded: far below what the server pushed.
        if (size > 64 * 1024) problems.push(`${run.proto} kept ${size} bytes of facts`);
        // Only what a server really shows may be claimed; anything else is a false positive. The
        // cascade may also say what it saw: an unknown banner, a TLS-looking answer, tcpwrapped.
        if (run.r !== undefined) {
          const got = run.proto === 'cascade' ? (run.r as { name?: string }).name : (run.r as { identity: { name: string } }).identity.name;
          const allowed = CLAIMS[name]?.[run.proto] ?? (run.proto === 'cascade' ? 'unknown' : undefined);
          if (got !== allowed) problems.push(`${run.proto} claimed ${JSON.stringify(run.r).slice(0, 160)} from a ${name} server`);
        }
      }
      t.diagnostic(runs.map((r) => `${r.proto}=${Math.round(r.ms)}ms${r.r === undefined ? '' : `:${String((r.r as { identity?: { name?: string }; name?: string }).identity?.name ?? (r.r as { name?: string }).name)}`}`).join(' '));
      assert.deepEqual(problems, []);
      if (name === 'http-then-flood') {
        const http = runs.find((r) => r.proto === 'http')!.r as { facts: { title?: string; bodyBytes: number; bodyTruncated: boolean } };
        assert.equal(http.facts.title, 'flood');
        assert.ok(http.facts.bodyBytes <= LIMITS.maxResponseBytes!);
        assert.equal(http.facts.bodyTruncated, true);
      }
      if (name === 'ssh-then-flood') {
        const ssh = runs.find((r) => r.proto === 'ssh')!.r as { facts: { kexinitError?: string } };
        assert.match(ssh.facts.kexinitError ?? '', /implausible packet length/);
      }
      // Every connection was closed by our side (or the server's).
      const deadline = performance.now() + 1000;
      while (server.open() > 0 && performance.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      assert.equal(server.open(), 0, `${server.open()} connections left open`);
    });
  }

  it('an abort signal ends a handshake at once', async () => {
    const ac = new AbortController();
    const started = performance.now();
    setTimeout(() => ac.abort(), 100);
    const r = await identifyByHandshake(servers.get('drip')!.target, { ...LIMITS, totalMs: 10_000, signal: ac.signal });
    const ms = performance.now() - started;
    assert.ok(ms < 600, `took ${Math.round(ms)} ms after abort`);
    assert.ok(r === undefined || r.name === 'unknown', JSON.stringify(r));
  });

  it('memory stays flat over many runs against endless and huge-banner servers', async () => {
    v8.setFlagsFromString('--expose-gc');
    const gc = vm.runInNewContext('gc') as () => void;
    const used = (): number => {
      gc();
      gc();
      const m = process.memoryUsage();
      return m.heapUsed + m.arrayBuffers;
    };
    const endless = servers.get('endless')!.target;
    const huge = servers.get('huge-banner')!.target;
    const fast: HandshakeOptions = { ...LIMITS, totalMs: 800, idleMs: 200 };
    const round = (): Promise<unknown> =>
      Promise.all([
        httpHandshake(endless, fast),
        sshHandshake(endless, fast),
        ftpHandshake(huge, fast),
        redisHandshake(huge, fast),
        identifyByHandshake(endless, { ...fast, bannerWaitMs: 100 }),
      ]);
    await round(); // warm-up: code paths compiled, pools allocated
    const before = used();
    for (let i = 0; i < 25; i++) await round();
    const growth = used() - before;
    assert.ok(growth < 16 * 1024 * 1024, `heap + buffers grew by ${(growth / 1048576).toFixed(1)} MiB over 25 rounds`);
  });
});
