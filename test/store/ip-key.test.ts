import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TrawlError } from '../../src/errors/trawl-error.js';
import { ipSortKey } from '../../src/store/ip-key.js';

describe('ipSortKey', () => {
  it('encodes IPv4 as 4 + 8 hex digits', () => {
    assert.equal(ipSortKey('0.0.0.0'), '400000000');
    assert.equal(ipSortKey('10.0.0.2'), '40a000002');
    assert.equal(ipSortKey('255.255.255.255'), '4ffffffff');
  });

  it('encodes IPv6 as 6 + 32 hex digits whatever the spelling', () => {
    assert.equal(ipSortKey('::'), `6${'0'.repeat(32)}`);
    assert.equal(ipSortKey('::1'), `6${'0'.repeat(31)}1`);
    assert.equal(ipSortKey('2001:DB8::1'), '620010db8000000000000000000000001');
    assert.equal(ipSortKey('2001:db8:0:0:0:0:0:1'), ipSortKey('2001:db8::1'));
    assert.equal(ipSortKey('1::'), `60001${'0'.repeat(28)}`);
    assert.equal(ipSortKey('1:2:3:4:5:6:7:8'), '600010002000300040005000600070008');
    assert.equal(ipSortKey('::ffff:192.0.2.1'), '600000000000000000000ffffc0000201');
    assert.equal(ipSortKey('64:ff9b::10.0.0.1'), '60064ff9b00000000000000000a000001');
    assert.equal(ipSortKey('fe80::1%eth0'), `6fe80${'0'.repeat(27)}1%eth0`);
  });

  it('sorts numerically under plain string order', () => {
    const ips = ['10.0.0.10', '::1', '10.0.0.2', '2001:db8::10', '9.0.0.1', 'fe80::1%eth1', '2001:db8::9', 'fe80::1', '192.168.0.1', 'fe80::1%eth0', '::ffff:0.0.0.1'];
    const sorted = [...ips].sort((a, b) => (ipSortKey(a) < ipSortKey(b) ? -1 : 1));
    assert.deepEqual(sorted, ['9.0.0.1', '10.0.0.2', '10.0.0.10', '192.168.0.1', '::1', '::ffff:0.0.0.1', '2001:db8::9', '2001:db8::10', 'fe80::1', 'fe80::1%eth0', 'fe80::1%eth1']);
  });

  it('rejects anything that is not one address, naming it', () => {
    for (const bad of ['', '10.0.0', '10.0.0.256', '010.0.0.1', ' 10.0.0.1', '10.0.0.1/32', '1:2:3:4:5:6:7:8:9', '1::2::3', 'example.com', 'fe80::1%', 'fe80::1%a b', `::${'1'.repeat(200)}`, '10.0.0.1%eth0']) {
      assert.throws(() => ipSortKey(bad), (e: unknown) => e instanceof TrawlError && e.code === 'TRAWL_E_BAD_TARGET' && e.message.includes(JSON.stringify(bad.slice(0, 100))), bad);
    }
  });
});
