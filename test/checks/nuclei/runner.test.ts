import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { runTemplates, type NucleiEvent, type NucleiTarget, type NucleiTemplate, type RunTemplatesOptions } from '../../../src/checks/nuclei/index.js';
import { TrawlError } from '../../../src/errors/trawl-error.js';
import { inlineTemplate, loopbackGuard, startTcp } from './nuclei-lab.js';

async function collect(templates: NucleiTemplate[], targets: NucleiTarget[], opts: Partial<RunTemplatesOptions>): Promise<NucleiEvent[]> {
  const out: NucleiEvent[] = [];
  for await (const e of runTemplates(templates, targets, { guard: loopbackGuard, ...opts })) out.push(e);
  return out;
}

const paths = (n: number): NucleiTemplate =>
  inlineTemplate(`
id: many-paths
info: { name: x, author: t, severity: info }
http:
  - method: GET
    path: [${Array.from({ length: n }, (_, i) => `"{{BaseURL}}/p${i}"`).join(', ')}]
    matchers:
      - type: word
        words: ["hit"]
`);

/** A tiny HTTP responder on a raw socket: records arrival times and concurrency. */
async function httpish(delayMs: number, body = 'hit') {
  const stats = { times: [] as number[], active: 0, maxActive: 0 };
  // In flight = from the request's arrival to the response's end (socket teardown is asynchronous).
  const server = await startTcp((s) => {
    s.once('data', () => {
      stats.active++;
      stats.maxActive = Math.max(stats.maxActive, stats.active);
      stats.times.push(performance.now());
      setTimeout(() => {
        stats.active--;
        s.end(`HTTP/1.1 200 OK\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
      }, delayMs);
    });
  });
  return { server, stats };
}

describe('runner: safety, limits and cancellation', () => {
  it('the egress guard refusing the target stops the run before any connection', async () => {
    const { server, stats } = await httpish(0);
    try {
      const refuse = (ip: string): void => {
        throw new TrawlError('TRAWL_E_EGRESS_DENIED', `refused ${ip}`, { ip });
      };
      await assert.rejects(collect([paths(3)], [server.target()], { guard: refuse }), (e: TrawlError) => e.code === 'TRAWL_E_EGRESS_DENIED');
      assert.equal(stats.times.length, 0);
    } finally {
      await server.close();
    }
  });

  it('a target outside loopback is refused by the guard (nothing sent)', async () => {
    await assert.rejects(collect([paths(1)], [{ host: 'example.test', port: 80, ip: '192.0.2.10' }], {}), (e: TrawlError) => e.code === 'TRAWL_E_EGRESS_DENIED');
  });

  it('per-host rate limit spaces connection starts', async () => {
    const { server, stats } = await httpish(0);
    try {
      const t0 = performance.now();
      const ev = await collect([paths(6)], [server.target()], { perHostRate: 20, perHostConcurrency: 4 });
      assert.equal(ev.filter((e) => e.kind === 'match').length, 6);
      const elapsed = performance.now() - t0;
      assert.ok(elapsed >= 230, `6 requests at 20/s took only ${elapsed.toFixed(0)} ms`);
      // Slots are 50 ms apart; arrival jitter may shift single requests but not the span.
      const span = stats.times[stats.times.length - 1]! - stats.times[0]!;
      assert.ok(span >= 5 * 50 * 0.8, `6 arrivals spanned ${span.toFixed(0)} ms`);
    } finally {
      await server.close();
    }
  });

  it('per-host concurrency caps simultaneous connections across templates', async () => {
    const { server, stats } = await httpish(80);
    try {
      const templates = Array.from({ length: 6 }, (_, i) => inlineTemplate(`id: c${i}\ninfo: { name: x, author: t, severity: info }\nhttp:\n  - method: GET\n    path: ["{{BaseURL}}/"]\n    matchers: [{ type: status, status: [200] }]\n`));
      const ev = await collect(templates, [server.target()], { concurrency: 6, perHostConcurrency: 2, perHostRate: 1000 });
      assert.equal(ev.filter((e) => e.kind === 'match').length, 6);
      assert.ok(stats.maxActive <= 2, `max concurrent ${stats.maxActive}`);
    } finally {
      await server.close();
    }
  });

  it('aborting the signal ends the run promptly with TRAWL_E_INTERRUPTED', async () => {
    const silent = await startTcp(() => undefined); // accepts, never answers
    try {
      const ac = new AbortController();
      setTimeout(() => ac.abort(), 100);
      const t0 = performance.now();
      await assert.rejects(collect([paths(3)], [silent.target()], { timeoutMs: 20_000, signal: ac.signal }), (e: TrawlError) => e.code === 'TRAWL_E_INTERRUPTED');
      assert.ok(performance.now() - t0 < 2000);
    } finally {
      await silent.close();
    }
  });

  it('breaking out of the iteration cancels the remaining jobs', async () => {
    const { server, stats } = await httpish(20);
    try {
      let n = 0;
      for await (const e of runTemplates([paths(1)], Array.from({ length: 30 }, () => server.target()), { guard: loopbackGuard, concurrency: 1, perHostRate: 1000 })) {
        if (e.kind === 'ran' && ++n === 2) break;
      }
      await new Promise((r) => setTimeout(r, 100));
      assert.ok(stats.times.length <= 4, `${stats.times.length} requests after break`);
    } finally {
      await server.close();
    }
  });

  it('responses are bounded: a 5 MiB body is cut at 1 MiB, a drip-feeding server hits the timeout', async () => {
    const huge = await startTcp((s) =>
      s.once('data', () => {
        s.write(`HTTP/1.1 200 OK\r\nContent-Length: ${5 << 20}\r\n\r\n`);
        s.end(Buffer.alloc(5 << 20, 0x61));
      }),
    );
    const drip = await startTcp((s) =>
      s.once('data', () => {
        s.write('HTTP/1.1 200 OK\r\n');
        const t = setInterval(() => s.write('X-Drip: a\r\n'), 50);
        s.on('close', () => clearInterval(t));
      }),
    );
    try {
      const t = inlineTemplate('id: size\ninfo: { name: x, author: t, severity: info }\nhttp:\n  - method: GET\n    path: ["{{BaseURL}}/"]\n    matchers: [{ type: dsl, dsl: ["len(body) == 1048576"] }]\n');
      const ev = await collect([t], [huge.target()], { timeoutMs: 5000 });
      assert.equal(ev.filter((e) => e.kind === 'match').length, 1);
      const t0 = performance.now();
      const ev2 = await collect([t], [drip.target()], { timeoutMs: 600 });
      assert.ok(performance.now() - t0 < 3000);
      const rec = ev2.find((e) => e.kind === 'ran');
      // A response that never completed is a timeout, not a clean "no match".
      assert.ok(rec && rec.kind === 'ran' && rec.outcome === 'timeout', JSON.stringify(rec));
      assert.match(rec.notes.join(' '), /within 600 ms|closed/);
    } finally {
      await huge.close();
      await drip.close();
    }
  });

  it('request budget per template and target', async () => {
    const { server, stats } = await httpish(0, 'miss');
    try {
      const ev = await collect([paths(10)], [server.target()], { maxRequestsPerTemplate: 4, perHostRate: 1000 });
      assert.equal(stats.times.length, 4);
      const rec = ev.find((e) => e.kind === 'ran');
      assert.ok(rec?.kind === 'ran' && rec.notes.some((n) => /budget of 4/.test(n)));
    } finally {
      await server.close();
    }
  });

  it('bad options and targets are TrawlErrors', async () => {
    await assert.rejects(collect([paths(1)], [{ host: 'h', port: 0, ip: '127.0.0.1' }], {}), (e: TrawlError) => e.code === 'TRAWL_E_BAD_TARGET');
    await assert.rejects(collect([paths(1)], [{ host: 'h', port: 80, ip: 'not-an-ip' }], {}), (e: TrawlError) => e.code === 'TRAWL_E_BAD_TARGET');
    await assert.rejects(collect([paths(1)], [], { concurrency: 0 }), (e: TrawlError) => e.code === 'TRAWL_E_BAD_OPTION');
    await assert.rejects(collect([paths(1)], [], { perHostRate: -1 }), (e: TrawlError) => e.code === 'TRAWL_E_BAD_OPTION');
  });
});
