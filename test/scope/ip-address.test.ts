import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { formatIp, ipv4ToString, parseIp, parseIpv4, parseIpVerbose, type IpAddress } from '../../src/scope/index.js';

const v4 = (n: number): IpAddress => ({ family: 4, value: BigInt(n) });
const v6 = (hex: string): IpAddress => ({ family: 6, value: BigInt(`0x${hex}`) });

describe('parseIp: IPv4', () => {
  it('parses dotted quads', () => {
    assert.deepEqual(parseIp('0.0.0.0'), v4(0));
    assert.deepEqual(parseIp('1.2.3.4'), v4(0x01020304));
    assert.deepEqual(parseIp('255.255.255.255'), v4(0xffffffff));
    assert.deepEqual(parseIp('192.168.100.200'), v4(0xc0a864c8));
    assert.equal(parseIpv4('10.0.0.1'), 0x0a000001);
  });

  it('rejects malformed and ambiguous forms', () => {
    for (const bad of ['', '1.2.3', '1.2.3.4.5', '256.0.0.1', '1.2.3.256', '01.2.3.4', '1.2.3.04', '00.0.0.0', '1..3.4', '.1.2.3',
      '1.2.3.', '1.2.3.-4', '+1.2.3.4', '0x7f.0.0.1', '1.2.3.4 ', ' 1.2.3.4', '1.2.3.4/32', '1e2.0.0.1', '4294967295', '127.1',
      '1.2.3.99999999999999', '[1.2.3.4]']) {
      assert.equal(parseIp(bad), undefined, `accepted "${bad}"`);
      assert.equal(parseIpv4(bad), undefined, `fast path accepted "${bad}"`);
    }
  });

  it('explains why', () => {
    const reason = (t: string): string => {
      const r = parseIpVerbose(t);
      assert.equal(r.ok, false, t);
      return r.ok ? '' : r.reason;
    };
    assert.match(reason('1.2.3.256'), /octet 256 > 255/);
    assert.match(reason('1.2.3'), /4 octets, got 3/);
    assert.match(reason('1.2.3.4.5'), /4 octets, got 5/);
    assert.match(reason('010.0.0.1'), /"010" has a leading zero/);
    assert.match(reason('1.x.3.4'), /"x" is not a decimal number/);
    assert.match(reason('1..3.4'), /empty octet/);
  });
});

describe('parseIp: IPv6', () => {
  it('parses full, compressed and embedded-IPv4 forms', () => {
    assert.deepEqual(parseIp('::'), v6('0'));
    assert.deepEqual(parseIp('::1'), v6('1'));
    assert.deepEqual(parseIp('1::'), v6('00010000000000000000000000000000'));
    assert.deepEqual(parseIp('2001:db8::1'), v6('20010db8000000000000000000000001'));
    assert.deepEqual(parseIp('2001:0DB8:0000:0000:0000:0000:0000:0001'), v6('20010db8000000000000000000000001'));
    assert.deepEqual(parseIp('1:2:3:4:5:6:7:8'), v6('00010002000300040005000600070008'));
    assert.deepEqual(parseIp('1:2:3:4:5:6:7::'), v6('00010002000300040005000600070000'));
    assert.deepEqual(parseIp('::2:3:4:5:6:7:8'), v6('00000002000300040005000600070008'));
    assert.deepEqual(parseIp('::ffff:1.2.3.4'), v6('ffff01020304'));
    assert.deepEqual(parseIp('64:ff9b::192.0.2.33'), v6('0064ff9b0000000000000000c0000221'));
    assert.deepEqual(parseIp('1:2:3:4:5:6:1.2.3.4'), v6('00010002000300040005000601020304'));
    assert.deepEqual(parseIp('ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff'), v6('ffffffffffffffffffffffffffffffff'));
    assert.deepEqual(parseIp('[::1]'), v6('1'));
    assert.deepEqual(parseIp('[2001:db8::1]'), v6('20010db8000000000000000000000001'));
  });

  it('rejects malformed forms and zone ids', () => {
    for (const bad of [':', ':::', '1:::2', '1::2::3', ':1::2', '1::2:', '1:2:3:4:5:6:7', '1:2:3:4:5:6:7:8:9', '1:2:3:4:5:6:7:8::',
      '::1:2:3:4:5:6:7:8', '12345::', 'g::1', '::1.2.3.4.5', '::1.2.3.256', '1.2.3.4::', '::1.2.3.4:1', '1:2:3:4:5:6:7:1.2.3.4',
      'fe80::1%eth0', 'fe80::1%1', '[::1', '::1]', '[[::1]]', '[]', ' ::1', '::1 ', '::-1', '2001:db8::1/64']) {
      assert.equal(parseIp(bad), undefined, `accepted "${bad}"`);
    }
    const zone = parseIpVerbose('fe80::1%eth0');
    assert.ok(!zone.ok && /zone/.test(zone.reason));
  });
});

describe('formatIp', () => {
  it('formats IPv4', () => {
    assert.equal(formatIp(v4(0)), '0.0.0.0');
    assert.equal(formatIp(v4(0xffffffff)), '255.255.255.255');
    assert.equal(ipv4ToString(0x0a00fe01), '10.0.254.1');
    assert.equal(ipv4ToString(0xc0a80001), '192.168.0.1');
  });

  it('follows RFC 5952 for IPv6', () => {
    const canon = (t: string): string => formatIp(parseIp(t) as IpAddress);
    assert.equal(canon('2001:0db8:0000:0000:0000:0000:0000:0001'), '2001:db8::1'); // leading zeros, compression
    assert.equal(canon('2001:DB8::ABCD'), '2001:db8::abcd'); // lower case
    assert.equal(canon('2001:db8:0:1:1:1:1:1'), '2001:db8:0:1:1:1:1:1'); // a single zero group is not compressed
    assert.equal(canon('2001:db8:0:0:1:0:0:1'), '2001:db8::1:0:0:1'); // first of equal runs
    assert.equal(canon('2001:0:0:1:0:0:0:1'), '2001:0:0:1::1'); // longest run
    assert.equal(canon('0:0:0:0:0:0:0:0'), '::');
    assert.equal(canon('0:0:0:0:0:0:0:1'), '::1');
    assert.equal(canon('1:0:0:0:0:0:0:0'), '1::');
    assert.equal(canon('1:2:3:4:5:6:7:8'), '1:2:3:4:5:6:7:8');
    assert.equal(canon('::ffff:c000:0201'), '::ffff:192.0.2.1'); // IPv4-mapped, RFC 5952 section 5
    assert.equal(canon('[fe80::0001]'), 'fe80::1');
  });

  it('round-trips random addresses', () => {
    let x = 0x243f6a8885a308d3n;
    const next = (): bigint => {
      x = (x * 6364136223846793005n + 1442695040888963407n) & ((1n << 64n) - 1n);
      return x;
    };
    for (let i = 0; i < 2000; i++) {
      // Random 128-bit values with random zero groups, so compression paths get exercised.
      let v = (next() << 64n) | next();
      const mask = next();
      for (let g = 0n; g < 8n; g++) if (((mask >> g) & 1n) === 1n) v &= ~(0xffffn << (g * 16n));
      const a: IpAddress = { family: 6, value: v };
      assert.deepEqual(parseIp(formatIp(a)), a);
      const n = Number(next() & 0xffffffffn);
      assert.equal(parseIpv4(ipv4ToString(n)), n);
    }
  });
});
