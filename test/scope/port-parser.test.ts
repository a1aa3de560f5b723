import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { TrawlError } from '../../src/errors/index.js';
import { parsePorts } from '../../src/scope/index.js';

function rejects(spec: string, reason: RegExp, token?: string): void {
  assert.throws(() => parsePorts(spec), (e: unknown) => {
    assert.ok(e instanceof TrawlError, `"${spec}" was accepted`);
    assert.equal(e.code, 'TRAWL_E_BAD_PORTS');
    assert.ok(e.message.includes(`"${spec.length > 80 ? spec.slice(0, 77) : spec}`), e.message);
    assert.match(e.message, reason);
    if (token !== undefined) assert.equal(e.detail['token'], token);
    return true;
  });
}

describe('parsePorts', () => {
  it('parses lists and ranges, sorted and unique', () => {
    assert.deepEqual(parsePorts('22,80,443,8000-8003'), [22, 80, 443, 8000, 8001, 8002, 8003]);
    assert.deepEqual(parsePorts('443, 80 ,22,80,21-23'), [21, 22, 23, 80, 443]);
    assert.deepEqual(parsePorts('7'), [7]);
    assert.deepEqual(parsePorts('1,65535'), [1, 65535]);
    assert.deepEqual(parsePorts('5-5'), [5]);
  });

  it('means every port for "-" and "1-65535"', () => {
    const all = parsePorts('-');
    assert.equal(all.length, 65535);
    assert.equal(all[0], 1);
    assert.equal(all[65534], 65535);
    assert.deepEqual(parsePorts('1-65535'), all);
  });

  it('accepts open-ended ranges like nmap', () => {
    assert.deepEqual(parsePorts('-3'), [1, 2, 3]);
    assert.deepEqual(parsePorts('65533-'), [65533, 65534, 65535]);
  });

  it('tolerates the T: prefix', () => {
    assert.deepEqual(parsePorts('T:80'), [80]);
    assert.deepEqual(parsePorts('T:22,80,t:443,T:1000-1001'), [22, 80, 443, 1000, 1001]);
  });

  it('rejects every kind of bad token, naming it', () => {
    rejects('0', /port 0 is outside 1-65535/, '0');
    rejects('22,65536', /port 65536 is outside 1-65535/, '65536');
    rejects('0-10', /port 0 is outside/, '0-10');
    rejects('1-99999999', /port 99999999 is outside/, '1-99999999');
    rejects('90-80', /reversed range "90-80"/, '90-80');
    rejects('', /empty port list/);
    rejects('   ', /empty port list/);
    rejects('22,,80', /empty entry/);
    rejects('22,', /empty entry/);
    rejects(',22', /empty entry/);
    rejects('abc', /"abc" is not a port number/, 'abc');
    rejects('22,http', /"http" is not a port number/, 'http');
    rejects('1-2-3', /"2-3" is not a port number/, '1-2-3');
    rejects('-5-', /"5-" is not a port number/);
    rejects('22.5', /"22.5" is not a port number/);
    rejects('+22', /"\+22" is not a port number/);
    rejects('U:53', /only TCP ports/, 'U:53');
    rejects('T:', /empty entry/);
    rejects('1,'.repeat(300_000), /longer than/);
  });
});
