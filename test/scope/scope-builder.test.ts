import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createWriteStream, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { TrawlError, type TrawlErrorCode } from '../../src/errors/index.js';
import { buildScope, formatIp, ipv4ToString, parseIp, type IpAddress, type RangeSet, type ScopeInput } from '../../src/scope/index.js';

const base: ScopeInput = { targets: [], targetFiles: [], excludes: [], excludeFiles: [], applyBlocklist: true };
const ip = (t: string): IpAddress => parseIp(t) as IpAddress;
const show = (s: RangeSet): string[] =>
  s.ranges.map((r) => (r.first === r.last ? formatIp({ family: r.family, value: r.first }) : `${formatIp({ family: r.family, value: r.first })}-${formatIp({ family: r.family, value: r.last })}`));

/** A fake resolver over a fixed table that counts calls, so tests never touch DNS. */
function fakeResolver(table: Record<string, string[]>): { resolve: (name: string) => Promise<string[]>; calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    resolve: async (name) => {
      calls.push(name);
      await new Promise((r) => setImmediate(r));
      const hit = table[name];
      if (hit === undefined) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${name}`), { code: 'ENOTFOUND' });
      return hit;
    },
  };
}

async function expectError(input: ScopeInput, code: TrawlErrorCode, pattern: RegExp): Promise<TrawlError> {
  let caught: unknown;
  try {
    await buildScope(input);
  } catch (e) {
    caught = e;
  }
  assert.ok(caught instanceof TrawlError, 'expected a TrawlError');
  assert.equal(caught.code, code, caught.message);
  assert.match(caught.message, pattern);
  return caught;
}

describe('buildScope', () => {
  let dir = '';
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'trawl-scope-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('merges targets and removes exclusions', async () => {
    const s = await buildScope({
      ...base,
      targets: ['8.8.8.0/30', '8.8.8.2-8.8.8.9', '2606:4700::1', '1.1.1.1,1.0.0.1'],
      excludes: ['8.8.8.5', '8.8.8.8-9'],
    });
    assert.deepEqual(show(s.targets), ['1.0.0.1', '1.1.1.1', '8.8.8.0-8.8.8.4', '8.8.8.6-8.8.8.7', '2606:4700::1']);
    assert.equal(s.targets.size, 10n);
    assert.equal(s.excludedAddresses, 3n);
    assert.equal(s.blockedAddresses, 0n);
    assert.deepEqual(s.blockedNames, []);
    assert.deepEqual(s.resolved, {});
  });

  it('applies the blocklist per target, as the spec rule says', async () => {
    // 127.0.0.1, 198.19.0.0/20 and 10.1.2.0/24 are named explicitly; 126.0.0.0/7 loses 127/8.
    const s = await buildScope({ ...base, targets: ['127.0.0.1', '198.19.0.0/20', '10.1.2.0/24', '126.0.0.0/7'] });
    assert.deepEqual(show(s.targets), ['10.1.2.0-10.1.2.255', '126.0.0.0-126.255.255.255', '127.0.0.1', '198.19.0.0-198.19.15.255']);
    assert.equal(s.blockedAddresses, (1n << 24n) - 1n, 'all of 127/8 but the named 127.0.0.1');
    assert.deepEqual(s.blockedNames, ['127.0.0.0/8 loopback']);
  });

  it('0.0.0.0/0 loses the special-purpose ranges; turning the blocklist off keeps them', async () => {
    const s = await buildScope({ ...base, targets: ['0.0.0.0/0'] });
    assert.ok(!s.targets.contains(ip('127.0.0.1')));
    assert.ok(!s.targets.contains(ip('10.0.0.1')));
    assert.ok(!s.targets.contains(ip('198.18.0.1')));
    assert.ok(s.targets.contains(ip('8.8.8.8')));
    assert.equal(s.targets.size + s.blockedAddresses, 1n << 32n);
    assert.ok(s.blockedNames.includes('127.0.0.0/8 loopback'));
    assert.ok(s.blockedNames.includes('198.18.0.0/15 benchmarking'));
    assert.ok(s.blockedNames.includes('255.255.255.255/32 limited broadcast'));

    const off = await buildScope({ ...base, targets: ['0.0.0.0/0'], applyBlocklist: false });
    assert.equal(off.targets.size, 1n << 32n);
    assert.equal(off.blockedAddresses, 0n);
  });

  it('does not count blocked addresses that are excluded anyway', async () => {
    const s = await buildScope({ ...base, targets: ['126.0.0.0/7'], excludes: ['127.0.0.0/9'] });
    assert.equal(s.blockedAddresses, 1n << 23n);
    assert.equal(s.excludedAddresses, 0n);
  });

  it('resolves each hostname once, records it, and maps addresses back', async () => {
    const fake = fakeResolver({ 'web.example': ['8.8.4.4', '2001:4860:4860::8888', '8.8.4.4'], 'mail.example': ['9.9.9.9'], 'skip.example': ['9.9.9.9'] });
    const s = await buildScope({
      ...base,
      targets: ['web.example', 'WEB.example', 'mail.example', '1.1.1.1'],
      excludes: ['skip.example'],
      resolve: fake.resolve,
    });
    assert.deepEqual([...fake.calls].sort(), ['mail.example', 'skip.example', 'web.example']);
    assert.deepEqual(show(s.targets), ['1.1.1.1', '8.8.4.4', '2001:4860:4860::8888']);
    assert.deepEqual(s.resolved, { 'web.example': ['8.8.4.4', '2001:4860:4860::8888'], 'mail.example': ['9.9.9.9'], 'skip.example': ['9.9.9.9'] });
    assert.equal(s.hostnameOf(ip('8.8.4.4')), 'web.example');
    assert.equal(s.hostnameOf(ip('2001:4860:4860::8888')), 'web.example');
    assert.equal(s.hostnameOf(ip('1.1.1.1')), undefined);
  });

  it('a hostname resolving to a blocked address counts as named explicitly', async () => {
    const fake = fakeResolver({ localhost: ['127.0.0.1', '::1'] });
    const s = await buildScope({ ...base, targets: ['localhost'], resolve: fake.resolve });
    assert.deepEqual(show(s.targets), ['127.0.0.1', '::1']);
    assert.equal(s.blockedAddresses, 0n);
  });

  it('uses recorded resolutions instead of resolving again (resume)', async () => {
    const fake = fakeResolver({ 'web.example': ['8.8.4.4'] });
    const s = await buildScope({ ...base, targets: ['web.example', 'other.example'], resolve: fake.resolve, resolved: { 'other.example': ['1.0.0.1'] } });
    assert.deepEqual(fake.calls, ['web.example']);
    assert.deepEqual(show(s.targets), ['1.0.0.1', '8.8.4.4']);
    assert.deepEqual(s.resolved, { 'web.example': ['8.8.4.4'], 'other.example': ['1.0.0.1'] });
    // A name like "constructor" must not pick up Object.prototype members from the record.
    const c = await buildScope({ ...base, targets: ['constructor'], resolve: fakeResolver({ constructor: ['1.2.3.4'] }).resolve, resolved: {} });
    assert.deepEqual(show(c.targets), ['1.2.3.4']);
  });

  it('reports names that do not resolve, with where they came from', async () => {
    const fake = fakeResolver({ 'ok.example': ['1.1.1.1'], 'empty.example': [], 'junk.example': ['not-an-ip'] });
    const p = join(dir, 'hosts.txt');
    writeFileSync(p, 'ok.example\n\nnope.example\n');
    await expectError({ ...base, targetFiles: [p], resolve: fake.resolve }, 'TRAWL_E_RESOLVE', /host name "nope\.example" \(.*hosts\.txt line 3\) did not resolve: ENOTFOUND/);
    await expectError({ ...base, targets: ['empty.example'], resolve: fake.resolve }, 'TRAWL_E_RESOLVE', /"empty\.example" did not resolve: no addresses/);
    await expectError({ ...base, targets: ['junk.example'], resolve: fake.resolve }, 'TRAWL_E_RESOLVE', /"junk\.example" resolved to an invalid address "not-an-ip"/);
    await expectError({ ...base, targets: ['1.1.1.1'], excludes: ['gone.example'], resolve: fake.resolve }, 'TRAWL_E_RESOLVE', /"gone\.example"/);
  });

  it('reads target and exclude files, naming file and line on a bad entry', async () => {
    const t = join(dir, 'targets.txt');
    const x = join(dir, 'excludes.txt');
    writeFileSync(t, '# scope\n8.8.8.0/29\n9.9.9.9, 9.9.9.10\n');
    writeFileSync(x, '8.8.8.3\n');
    const s = await buildScope({ ...base, targetFiles: [t], excludeFiles: [x] });
    assert.deepEqual(show(s.targets), ['8.8.8.0-8.8.8.2', '8.8.8.4-8.8.8.7', '9.9.9.9-9.9.9.10']);

    const bad = join(dir, 'bad.txt');
    writeFileSync(bad, '8.8.8.8\n\n8.8.8.0/33\n');
    const e = await expectError({ ...base, targetFiles: [bad] }, 'TRAWL_E_BAD_TARGET', /prefix length 33 > 32/);
    assert.equal(e.message, `invalid target "8.8.8.0/33" (${bad} line 3): prefix length 33 > 32`);
    const badx = join(dir, 'badx.txt');
    writeFileSync(badx, '8.8.8.300\n');
    await expectError({ ...base, targets: ['8.8.8.8'], excludeFiles: [badx] }, 'TRAWL_E_BAD_EXCLUDE', /invalid exclusion "8\.8\.8\.300" \(.*badx\.txt line 1\): octet 300 > 255/);
    await expectError({ ...base, targets: ['8.8.8.8', '8.8.8.256'] }, 'TRAWL_E_BAD_TARGET', /invalid target "8\.8\.8\.256": octet 256 > 255/);
    await expectError({ ...base, targetFiles: [join(dir, 'missing.txt')] }, 'TRAWL_E_TARGET_FILE', /missing\.txt.*ENOENT/);
  });

  it('explains an empty scope', async () => {
    await expectError({ ...base }, 'TRAWL_E_EMPTY_SCOPE', /no targets given/);
    const empty = join(dir, 'empty.txt');
    writeFileSync(empty, '# nothing here\n');
    await expectError({ ...base, targetFiles: [empty] }, 'TRAWL_E_EMPTY_SCOPE', /no targets given .*empty\.txt/);
    await expectError({ ...base, targets: ['8.8.8.0/24'], excludes: ['8.8.0.0/16'] }, 'TRAWL_E_EMPTY_SCOPE', /all 256 addresses excluded/);
    await expectError({ ...base, targets: ['8.8.8.8'], excludes: ['8.8.8.8'] }, 'TRAWL_E_EMPTY_SCOPE', /all 1 address excluded/);
    await expectError(
      { ...base, targets: ['224.0.0.0/3'] },
      'TRAWL_E_EMPTY_SCOPE',
      /all 536870912 addresses are blocked by 224\.0\.0\.0\/4 multicast, 240\.0\.0\.0\/4 reserved, 255\.255\.255\.255\/32 limited broadcast — name the range explicitly to scan it/,
    );
    await expectError(
      { ...base, targets: ['126.0.0.0/7'], excludes: ['126.0.0.0/8'] },
      'TRAWL_E_EMPTY_SCOPE',
      /16777216 addresses excluded and 16777216 addresses blocked by 127\.0\.0\.0\/8 loopback/,
    );
  });

  it('builds from a 1,000,000-line target file', async () => {
    const p = join(dir, 'million.txt');
    const w = createWriteStream(p);
    // Distinct public addresses, in a scrambled order: 8.0.0.0 + (i * 7919 mod 2^20) * 3.
    let chunk = '';
    for (let i = 0; i < 1_000_000; i++) {
      chunk += `${ipv4ToString(0x08000000 + ((i * 7919) % (1 << 20)) * 3)}\n`;
      if (chunk.length > 1 << 16) {
        if (!w.write(chunk)) await once(w, 'drain');
        chunk = '';
      }
    }
    w.end(chunk);
    await once(w, 'finish');
    const s = await buildScope({ ...base, targetFiles: [p], excludes: ['8.0.0.0/24'] });
    // Independent model: which multiples k*3 were written, and how many fall in the excluded /24.
    const present = new Uint8Array(1 << 20);
    for (let i = 0; i < 1_000_000; i++) present[(i * 7919) % (1 << 20)] = 1;
    let inExcluded = 0;
    for (let k = 0; k * 3 < 256; k++) inExcluded += present[k] as number;
    let firstKept = 86;
    while (present[firstKept] === 0) firstKept++;
    assert.ok(inExcluded > 50);
    assert.equal(s.excludedAddresses, BigInt(inExcluded));
    assert.equal(s.targets.size, BigInt(1_000_000 - inExcluded));
    assert.equal(s.targets.rangeCount, 1_000_000 - inExcluded, 'addresses 3 apart never merge');
    assert.ok(s.targets.contains(ip(ipv4ToString(0x08000000 + ((999_999 * 7919) % (1 << 20)) * 3))));
    assert.ok(!s.targets.contains(ip('8.0.0.0')));
    assert.equal(s.targets.atV4Number(0), 0x08000000 + 3 * firstKept);
  });
});
