import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { TrawlError } from '../../src/errors/index.js';
import { formatIp, parseExclude, parseTarget, type ParsedTarget } from '../../src/scope/index.js';

/** "first-last" in canonical text, or "host:name". */
function show(t: ParsedTarget): string {
  if (t.kind === 'hostname') return `host:${t.name}`;
  const { family, first, last } = t.range;
  return `${formatIp({ family, value: first })}-${formatIp({ family, value: last })}`;
}

function rejects(text: string, reason: RegExp, where?: string): TrawlError {
  let caught: unknown;
  try {
    parseTarget(text, where);
  } catch (e) {
    caught = e;
  }
  assert.ok(caught instanceof TrawlError, `"${text}" was accepted`);
  assert.equal(caught.code, 'TRAWL_E_BAD_TARGET');
  const t = text.trim();
  const shown = t.length > 80 ? `${t.slice(0, 77)}...` : t;
  assert.ok(caught.message.startsWith(`invalid target "${shown}"${where ? ` (${where})` : ''}: `), caught.message);
  assert.match(caught.message, reason);
  return caught;
}

describe('parseTarget accepts', () => {
  it('single addresses', () => {
    assert.equal(show(parseTarget('1.2.3.4')), '1.2.3.4-1.2.3.4');
    assert.equal(show(parseTarget('  10.0.0.1 ')), '10.0.0.1-10.0.0.1');
    assert.equal(show(parseTarget('2001:db8::1')), '2001:db8::1-2001:db8::1');
    assert.equal(show(parseTarget('[::1]')), '::1-::1');
    assert.equal(parseTarget('1.2.3.4').text, '1.2.3.4');
  });

  it('CIDR, with host bits set meaning the whole network', () => {
    assert.equal(show(parseTarget('10.0.0.0/24')), '10.0.0.0-10.0.0.255');
    assert.equal(show(parseTarget('10.0.0.77/24')), '10.0.0.0-10.0.0.255');
    assert.equal(show(parseTarget('10.1.2.3/32')), '10.1.2.3-10.1.2.3');
    assert.equal(show(parseTarget('10.1.2.3/0')), '0.0.0.0-255.255.255.255');
    assert.equal(show(parseTarget('172.16.5.4/12')), '172.16.0.0-172.31.255.255');
    assert.equal(show(parseTarget('2001:db8::1/64')), '2001:db8::-2001:db8::ffff:ffff:ffff:ffff');
    assert.equal(show(parseTarget('2001:db8::1/128')), '2001:db8::1-2001:db8::1');
    assert.equal(show(parseTarget('::/0')), '::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff');
    assert.equal(show(parseTarget('[2001:db8::]/32')), '2001:db8::-2001:db8:ffff:ffff:ffff:ffff:ffff:ffff');
  });

  it('full-address and last-octet ranges', () => {
    assert.equal(show(parseTarget('10.0.0.5-10.0.1.20')), '10.0.0.5-10.0.1.20');
    assert.equal(show(parseTarget('10.0.0.1-20')), '10.0.0.1-10.0.0.20');
    assert.equal(show(parseTarget('10.0.0.7-7')), '10.0.0.7-10.0.0.7');
    assert.equal(show(parseTarget('10.0.0.0-255')), '10.0.0.0-10.0.0.255');
    assert.equal(show(parseTarget('2001:db8::1-2001:db8::ff')), '2001:db8::1-2001:db8::ff');
    assert.equal(show(parseTarget('0.0.0.0-255.255.255.255')), '0.0.0.0-255.255.255.255');
  });

  it('host names, lower-cased', () => {
    assert.equal(show(parseTarget('Example.COM')), 'host:example.com');
    assert.equal(show(parseTarget('localhost')), 'host:localhost');
    assert.equal(show(parseTarget('my-host.example.com')), 'host:my-host.example.com');
    assert.equal(show(parseTarget('123-abc.example')), 'host:123-abc.example');
    assert.equal(show(parseTarget('1e100.net')), 'host:1e100.net');
    assert.equal(show(parseTarget('fqdn.example.')), 'host:fqdn.example.');
    const label63 = 'a'.repeat(63);
    const name253 = [label63, label63, label63, 'b'.repeat(61)].join('.');
    assert.equal(name253.length, 253);
    assert.equal(show(parseTarget(name253)), `host:${name253}`);
  });
});

describe('parseTarget rejects, naming what is wrong', () => {
  it('bad addresses', () => {
    rejects('10.0.0.256', /octet 256 > 255/);
    rejects('1.2.3', /4 octets, got 3/);
    rejects('1.2.3.4.5', /4 octets, got 5/);
    rejects('010.0.0.1', /leading zero/);
    rejects('fe80::1%eth0', /zone ids/);
    rejects('1::2::3', /"::" may appear only once/);
    rejects('2001:db8::12345', /more than 4 hex digits/);
    rejects('[1.2.3.4]', /brackets are only for IPv6/);
  });

  it('bad CIDR', () => {
    rejects('10.0.0.0/33', /prefix length 33 > 32/);
    rejects('2001:db8::/129', /prefix length 129 > 128/);
    rejects('10.0.0.0/', /prefix length "" is not a number/);
    rejects('10.0.0.0/x', /prefix length "x" is not a number/);
    rejects('10.0.0.0/-1', /prefix length "-1" is not a number/);
    rejects('10.0.0.0/24/8', /prefix length "24\/8" is not a number/);
    rejects('10.0.0/24', /CIDR address "10.0.0": IPv4 address needs 4 octets/);
    rejects('example.com/24', /CIDR address "example.com"/);
  });

  it('bad ranges', () => {
    rejects('10.0.0.20-10', /reversed range/);
    rejects('10.0.1.0-10.0.0.255', /reversed range/);
    rejects('2001:db8::ff-2001:db8::1', /reversed range/);
    rejects('10.0.0.1-256', /range end octet 256 > 255/);
    rejects('10.0.0.1-020', /range end octet "020" has a leading zero/);
    rejects('10.0.0.1-', /range has no end/);
    rejects('10.0.0.1-10.0.0.300', /range end "10.0.0.300": octet 300 > 255/);
    rejects('10.0.0.256-10.0.1.1', /range start "10.0.0.256": octet 256 > 255/);
    rejects('10.0.0.1-::1', /mixes IPv4 and IPv6/);
    rejects('::1-10.0.0.1', /mixes IPv6 and IPv4/);
    rejects('10.0.0.1-2-3', /range end "2-3"/);
  });

  it('bad host names', () => {
    rejects('', /empty target/);
    rejects('   ', /empty target/);
    rejects('a..b', /empty label/);
    rejects('-foo.example', /starts or ends with "-"/);
    rejects('foo-.example', /starts or ends with "-"/);
    rejects('under_score.example', /character "_"/);
    rejects('two words', /character " "/);
    rejects(`${'a'.repeat(64)}.example`, /longer than 63 characters/);
    const label63 = 'a'.repeat(63);
    rejects([label63, label63, label63, 'b'.repeat(62)].join('.'), /longer than 253 characters/);
    rejects('x'.repeat(300), /too long \(300 characters\)/);
  });

  it('puts the location in the message and the detail', () => {
    const e = rejects('10.0.0.0/40', /prefix length 40 > 32/, 'targets.txt line 12');
    assert.equal(e.message, 'invalid target "10.0.0.0/40" (targets.txt line 12): prefix length 40 > 32');
    assert.equal(e.detail['value'], '10.0.0.0/40');
    assert.equal(e.detail['where'], 'targets.txt line 12');
  });

  it('exclusions use the same syntax with their own code', () => {
    assert.equal(show(parseExclude('10.0.0.0/8')), '10.0.0.0-10.255.255.255');
    assert.throws(() => parseExclude('10.0.0.0/99', 'excl.txt line 3'), (e: unknown) => {
      assert.ok(e instanceof TrawlError);
      assert.equal(e.code, 'TRAWL_E_BAD_EXCLUDE');
      assert.equal(e.message, 'invalid exclusion "10.0.0.0/99" (excl.txt line 3): prefix length 99 > 32');
      return true;
    });
  });
});
