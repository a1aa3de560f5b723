import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  RangeSet, applyBlocklist, formatIp, parseTarget, specialPurposeRanges, type AddressRange, type BlockedRange,
} from '../../src/scope/index.js';

const range = (text: string): AddressRange => {
  const t = parseTarget(text);
  assert.equal(t.kind, 'range');
  return t.kind === 'range' ? t.range : { family: 4, first: 0n, last: 0n };
};
const keptOf = (text: string): RangeSet => RangeSet.from(applyBlocklist(range(text)).kept);
const show = (rs: readonly AddressRange[]): string[] =>
  rs.map((r) => `${formatIp({ family: r.family, value: r.first })}-${formatIp({ family: r.family, value: r.last })}`);
const blockedByName = (name: string): BlockedRange => {
  const b = specialPurposeRanges.find((x) => x.name.startsWith(`${name} `));
  assert.ok(b, name);
  return b;
};

describe('specialPurposeRanges', () => {
  it('holds the IANA ranges the spec lists, correctly sized', () => {
    for (const cidr of ['0.0.0.0/8', '10.0.0.0/8', '100.64.0.0/10', '127.0.0.0/8', '169.254.0.0/16', '172.16.0.0/12', '192.0.0.0/24',
      '192.0.2.0/24', '192.88.99.0/24', '192.168.0.0/16', '198.18.0.0/15', '198.51.100.0/24', '203.0.113.0/24', '224.0.0.0/4',
      '240.0.0.0/4', '255.255.255.255/32', '::/128', '::1/128', '::ffff:0:0/96', '64:ff9b:1::/48', '100::/64', '2001::/23',
      '2001:db8::/32', 'fc00::/7', 'fe80::/10', 'ff00::/8']) {
      const b = blockedByName(cidr);
      assert.deepEqual(b.range, range(cidr), cidr);
    }
    assert.equal(blockedByName('127.0.0.0/8').name, '127.0.0.0/8 loopback');
  });
});

describe('applyBlocklist: a blocked range is cut from a target unless the target lies inside it', () => {
  it('keeps targets that name a blocked range or part of one', () => {
    for (const t of ['127.0.0.1', '127.0.0.0/8', '198.19.0.0/20', '198.18.0.0/15', '10.1.2.0/24', '192.168.1.1-192.168.1.50', '::1',
      'fe80::/64', '2001:db8::1-2001:db8::ff', '255.255.255.255', '224.0.0.1']) {
      const cut = applyBlocklist(range(t));
      assert.deepEqual(cut.kept, [range(t)], t);
      assert.deepEqual(cut.removed, [], t);
    }
  });

  it('keeps targets that touch nothing blocked', () => {
    const cut = applyBlocklist(range('8.8.0.0/16'));
    assert.deepEqual(cut.kept, [range('8.8.0.0/16')]);
  });

  it('cuts blocked ranges out of broader targets', () => {
    const cut = applyBlocklist(range('126.0.0.0/7'));
    assert.deepEqual(show(cut.kept), ['126.0.0.0-126.255.255.255']);
    assert.deepEqual(cut.removed.map((r) => r.by.name), ['127.0.0.0/8 loopback']);
    assert.deepEqual(show(cut.removed.map((r) => r.range)), ['127.0.0.0-127.255.255.255']);

    // Partial overlap at either edge.
    assert.deepEqual(show(applyBlocklist(range('9.255.255.0-10.0.0.5')).kept), ['9.255.255.0-9.255.255.255']);
    assert.deepEqual(show(applyBlocklist(range('172.31.255.250-172.32.0.5')).kept), ['172.32.0.0-172.32.0.5']);

    // Naming 240/4 does not name the limited-broadcast address nested in it.
    assert.deepEqual(show(applyBlocklist(range('240.0.0.0/4')).kept), ['240.0.0.0-255.255.255.254']);
  });

  it('0.0.0.0/0 loses every IPv4 entry and ::/0 every IPv6 entry', () => {
    const all4 = keptOf('0.0.0.0/0');
    const blocked4 = RangeSet.from(specialPurposeRanges.filter((b) => b.range.family === 4).map((b) => b.range));
    assert.ok(all4.intersect(blocked4).isEmpty);
    assert.equal(all4.size + blocked4.size, 1n << 32n);
    assert.ok(!all4.contains({ family: 4, value: 0x7f000001n }));
    assert.ok(all4.contains({ family: 4, value: 0x08080808n }));

    const all6 = keptOf('::/0');
    const blocked6 = RangeSet.from(specialPurposeRanges.filter((b) => b.range.family === 6).map((b) => b.range));
    assert.ok(all6.intersect(blocked6).isEmpty);
    assert.equal(all6.size + blocked6.size, 1n << 128n);
    assert.ok(all6.contains({ family: 6, value: range('2606:4700::1111').first }));
    assert.ok(!all6.contains({ family: 6, value: 1n }));
  });

  it('accepts a custom list', () => {
    const list: BlockedRange[] = [{ range: range('8.8.8.0/24'), name: '8.8.8.0/24 test' }];
    assert.deepEqual(show(applyBlocklist(range('8.8.0.0/16'), list).kept), ['8.8.0.0-8.8.7.255', '8.8.9.0-8.8.255.255']);
    assert.deepEqual(show(applyBlocklist(range('127.0.0.0/7'), list).kept), ['126.0.0.0-127.255.255.255']);
  });
});
