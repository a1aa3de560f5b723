import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { icmpSweep } from '../../src/engines/liveness/icmp-sweeper.js';
import { openRawIcmp } from '../../src/engines/liveness/raw-icmp-socket.js';

const probe = openRawIcmp(4);
if (probe.ok) probe.socket.close();

describe('ICMP echo sweep', { skip: probe.ok ? false : `raw ICMP unavailable: ${probe.ok ? '' : probe.reason}` }, () => {
  it('finds loopback hosts alive over IPv4 and IPv6, and passes every target through the guard', async () => {
    const guarded: string[] = [];
    const r = await icmpSweep(
      [{ id: 0, ip: '127.0.0.1', family: 4 }, { id: 1, ip: '127.0.0.2', family: 4 }, { id: 2, ip: '::1', family: 6 }],
      { attempts: 2, rate: 1000, waitMs: 200, minWaitMs: 50, guard: (ip) => { guarded.push(ip); } },
    );
    assert.equal(r.available, true);
    if (!r.available) return;
    assert.deepEqual([...r.alive].sort(), [0, 1, 2]);
    assert.ok(r.sent >= 3);
    assert.deepEqual([...new Set(guarded)].sort(), ['127.0.0.1', '127.0.0.2', '::1']);
  });

  it('a refusing guard stops the sweep with its error', async () => {
    await assert.rejects(
      icmpSweep([{ id: 0, ip: '127.0.0.1', family: 4 }], { attempts: 1, rate: 1000, waitMs: 50, minWaitMs: 50, guard: () => { throw new Error('denied'); } }),
      /denied/,
    );
  });
});
