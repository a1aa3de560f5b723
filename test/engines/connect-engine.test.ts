import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import { runConnectEngine, type ConnectProbe, type ConnectResult } from '../../src/engines/connect/connect-engine.js';
import { FifoQueue } from '../../src/engines/connect/fifo-queue.js';
import { NetworkPacer } from '../../src/engines/connect/network-pacer.js';
import { RttEstimator } from '../../src/engines/connect/rtt-estimator.js';

const tuning = {
  concurrency: 200, retries: 1, initialTimeoutMs: 500, minTimeoutMs: 100, maxTimeoutMs: 1500,
  perNetworkInFlight: 64, perNetworkRate: 0, globalRate: 0,
};

function listen(ip: string): Promise<{ server: Server; port: number }> {
  const server = createServer((s) => s.destroy());
  return new Promise((resolve) => server.listen(0, ip, () => resolve({ server, port: (server.address() as { port: number }).port })));
}

function sourceOf<T>(probes: ConnectProbe<T>[]): { next(): ConnectProbe<T> | undefined } {
  let i = 0;
  return { next: () => probes[i++] };
}

describe('connect engine', () => {
  it('reports open and closed ports on loopback, IPv4 and IPv6', async () => {
    const v4 = await listen('127.0.0.1');
    const v6 = await listen('::1');
    // A port just released is closed (the kernel answers RST).
    const gone = await listen('127.0.0.1');
    await new Promise<void>((r) => gone.server.close(() => r()));
    const probes: ConnectProbe<string>[] = [
      { ip: '127.0.0.1', family: 4, port: v4.port, netKey: 1, tag: 'v4-open' },
      { ip: '::1', family: 6, port: v6.port, netKey: 'v6', tag: 'v6-open' },
      { ip: '127.0.0.1', family: 4, port: gone.port, netKey: 1, tag: 'v4-closed' },
    ];
    const results: ConnectResult<string>[] = [];
    const guarded: string[] = [];
    const stats = await runConnectEngine(sourceOf(probes), { ...tuning, guard: (ip) => { guarded.push(ip); } }, (r) => results.push(r));
    const byTag = new Map(results.map((r) => [r.probe.tag, r]));
    assert.equal(byTag.get('v4-open')?.state, 'open');
    assert.equal(byTag.get('v4-open')?.evidence, 'syn-ack');
    assert.equal(byTag.get('v6-open')?.state, 'open');
    assert.equal(byTag.get('v4-closed')?.state, 'closed');
    assert.equal(byTag.get('v4-closed')?.evidence, 'reset');
    assert.equal(stats.sent, 3);
    assert.equal(stats.answered, 3);
    assert.deepEqual(guarded.sort(), ['127.0.0.1', '127.0.0.1', '::1']);
    v4.server.close();
    v6.server.close();
  });

  it('aborts the whole run when the guard refuses an address, before connecting', async () => {
    const probes: ConnectProbe<number>[] = [{ ip: '127.0.0.1', family: 4, port: 9, netKey: 1, tag: 0 }];
    await assert.rejects(
      runConnectEngine(sourceOf(probes), { ...tuning, guard: () => { throw new Error('refused by guard'); } }, () => assert.fail('no result expected')),
      /refused by guard/,
    );
  });

  it('never exceeds the per-network in-flight cap', async () => {
    const { server, port } = await listen('127.0.0.1');
    let inFlight = 0;
    let peak = 0;
    server.on('connection', () => { inFlight++; peak = Math.max(peak, inFlight); setTimeout(() => inFlight--, 5); });
    const probes = Array.from({ length: 300 }, (_, i): ConnectProbe<number> => ({ ip: '127.0.0.1', family: 4, port, netKey: 7, tag: i }));
    let n = 0;
    await runConnectEngine(sourceOf(probes), { ...tuning, perNetworkInFlight: 8, guard: () => {} }, () => { n++; });
    assert.equal(n, 300);
    // Accepted connections outlive our RST by a few ms, so the server may see a little more than 8.
    assert.ok(peak <= 8 * 3, `peak ${peak}`);
    server.close();
  });

  it('stops launching when aborted and resolves with what finished', async () => {
    const { server, port } = await listen('127.0.0.1');
    const controller = new AbortController();
    const probes = Array.from({ length: 5000 }, (_, i): ConnectProbe<number> => ({ ip: '127.0.0.1', family: 4, port, netKey: 1, tag: i }));
    let n = 0;
    const stats = await runConnectEngine(sourceOf(probes), { ...tuning, perNetworkRate: 1000, signal: controller.signal, guard: () => {} }, () => {
      if (++n === 50) controller.abort();
    });
    assert.ok(stats.sent < 5000 && stats.sent >= 50, `sent ${stats.sent}`);
    server.close();
  });
});

describe('engine parts', () => {
  it('FifoQueue keeps order across compaction', () => {
    const q = new FifoQueue<number>();
    for (let i = 0; i < 5000; i++) q.push(i);
    for (let i = 0; i < 3000; i++) assert.equal(q.shift(), i);
    for (let i = 5000; i < 6000; i++) q.push(i);
    assert.equal(q.length, 3000);
    for (let i = 3000; i < 6000; i++) assert.equal(q.shift(), i);
    assert.equal(q.shift(), undefined);
  });

  it('RttEstimator follows the network within its bounds', () => {
    const r = new RttEstimator({ initialTimeoutMs: 500, minTimeoutMs: 100, maxTimeoutMs: 1500 });
    assert.equal(r.timeoutMs(), 500);
    for (let i = 0; i < 20; i++) r.observe(1);
    assert.equal(r.timeoutMs(), 100, 'floored');
    for (let i = 0; i < 50; i++) r.observe(400);
    const t = r.timeoutMs();
    assert.ok(t >= 400 && t <= 1500, `timeout ${t}`);
    for (let i = 0; i < 50; i++) r.observe(5000);
    assert.equal(r.timeoutMs(), 1500, 'capped');
  });

  it('NetworkPacer enforces per-network rate with a fake clock', () => {
    let now = 0;
    const p = new NetworkPacer({ perNetworkInFlight: 1000, perNetworkRate: 100, globalRate: 0 }, () => now);
    let granted = 0;
    for (let i = 0; i < 50; i++) if (p.tryAcquire('a') === 0) granted++;
    assert.equal(granted, 5, 'burst is 50 ms worth of tokens');
    now += 1000;
    granted = 0;
    for (let i = 0; i < 500; i++) if (p.tryAcquire('a') === 0) granted++;
    assert.equal(granted, 5, 'the bucket never holds more than the burst');
    assert.equal(p.tryAcquire('b'), 0, 'another network has its own bucket');
  });
});
