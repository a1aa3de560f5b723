import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { EgressGuard } from '../../src/safety/egress-guard.js';
import { parseTarget } from '../../src/scope/target-parser.js';
import { RangeSet } from '../../src/scope/range-set.js';
import { isTrawlError } from '../../src/errors/index.js';

function set(...targets: string[]): RangeSet {
  return RangeSet.from(targets.map((t) => {
    const p = parseTarget(t);
    if (p.kind !== 'range') throw new Error(t);
    return p.range;
  }));
}

describe('egress guard', () => {
  it('permits only addresses of the scope', () => {
    const g = EgressGuard.forScope(set('127.0.0.0/30', '::1'), {});
    assert.doesNotThrow(() => g.check('127.0.0.2', 4));
    assert.doesNotThrow(() => g.check('::1', 6));
    for (const bad of ['127.0.0.4', '10.0.0.1', '::2', 'not-an-ip']) {
      assert.throws(() => g.check(bad, 4), (e: unknown) => isTrawlError(e) && e.code === 'TRAWL_E_EGRESS_DENIED' && e.message.includes(bad));
    }
  });

  it('with TRAWL_EGRESS_ALLOW, refuses a scope reaching outside it', () => {
    const env = { TRAWL_EGRESS_ALLOW: '127.0.0.0/8, ::1/128' };
    assert.doesNotThrow(() => EgressGuard.forScope(set('127.1.2.0/24'), env));
    assert.throws(() => EgressGuard.forScope(set('127.255.255.0/24', '128.0.0.0/31'), env), (e: unknown) => isTrawlError(e) && e.code === 'TRAWL_E_EGRESS_DENIED' && e.message.includes('128.0.0.0'));
    assert.throws(() => EgressGuard.forScope(set('127.0.0.1'), { TRAWL_EGRESS_ALLOW: 'example.com' }), (e: unknown) => isTrawlError(e) && e.code === 'TRAWL_E_BAD_OPTION');
  });

  it('checks both scope and allow-list per probe', () => {
    const g = new EgressGuard(set('127.0.0.0/24', '192.0.2.0/24'), set('127.0.0.0/8'));
    assert.doesNotThrow(() => g.check('127.0.0.9', 4));
    assert.throws(() => g.check('192.0.2.1', 4), /TRAWL_EGRESS_ALLOW/);
  });
});
