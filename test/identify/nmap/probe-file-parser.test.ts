import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TrawlError } from '../../../src/errors/index.js';
import {
  isExcludedPort,
  loadServiceProbes,
  locateNmapData,
  missingNmapDataMessage,
  parseServiceProbes,
  probeByName,
  requireNmapData,
  translationReport,
} from '../../../src/engines/identify/nmap/index.js';

const SYSTEM_FILE = '/usr/share/nmap/nmap-service-probes';
const noSystemFile = existsSync(SYSTEM_FILE) ? false : `${SYSTEM_FILE} is absent (install nmap-common)`;

function text(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('latin1');
}

describe('nmap-service-probes loader: the system file', () => {
  it('parses the installed file completely, well under a second', { skip: noSystemFile }, () => {
    const db = loadServiceProbes(SYSTEM_FILE);
    const soft = db.matches.filter((m) => m.soft).length;
    console.log(`# loaded ${SYSTEM_FILE}: ${db.probes.length} probes, ${db.matches.length} match lines (${soft} softmatch) in ${db.loadMs.toFixed(1)} ms, ${db.warnings.length} warnings`);
    assert.deepEqual(db.warnings, []);
    assert.ok(db.probes.length >= 100, `${db.probes.length} probes`);
    assert.ok(db.matches.length >= 10_000, `${db.matches.length} matches`);
    assert.ok(soft >= 100 && soft < db.matches.length / 10, `${soft} softmatches`);
    assert.ok(db.loadMs < 1000, `load took ${db.loadMs} ms`);

    const nul = db.nullProbe!;
    assert.equal(nul.name, 'NULL');
    assert.equal(nul.payload.length, 0);
    assert.equal(nul.totalWaitMs, 6000);
    assert.equal(nul.tcpWrappedMs, 3000);
    assert.ok(nul.matches.length > 3000, `${nul.matches.length} NULL-probe lines`);

    const get = probeByName(db, 'GetRequest')!;
    assert.equal(text(get.payload), 'GET / HTTP/1.0\r\n\r\n');
    assert.equal(get.rarity, 1);
    assert.ok(get.ports.has(80) && !get.ports.has(443));
    assert.ok(get.sslPorts.has(443));
    assert.ok(get.services.has('http'));
    // Own lines, then the NULL probe's: nmap's implicit fallback.
    assert.equal(get.matchChain.length, get.matches.length + nul.matches.length);
    assert.equal(get.matchChain[0], get.matches[0]!.id);
    assert.equal(get.matchChain.at(-1), nul.matches.at(-1)!.id);
    // HTTPOptions falls back to GetRequest, then NULL.
    const opts = probeByName(db, 'HTTPOptions')!;
    assert.deepEqual(opts.fallback, ['GetRequest']);
    assert.equal(opts.matchChain.length, opts.matches.length + get.matches.length + nul.matches.length);
    // UDP probes exist and do not fall back to the (TCP) NULL probe.
    const udp = db.probes.filter((p) => p.protocol === 'UDP');
    assert.ok(udp.length > 10);
    for (const p of udp) assert.ok(!p.matchChain.some((id) => db.matches[id]!.probe === 'NULL'), p.name);

    assert.ok(isExcludedPort(db, 9100));
    assert.ok(!isExcludedPort(db, 80));

    const ssh = nul.matches.find((m) => m.service === 'ssh' && m.templates.product === 'OpenSSH' && m.templates.cpe.some((c) => c.template === 'a:openbsd:openssh:$2'));
    assert.ok(ssh, 'an OpenSSH line with a cpe template');
  });

  it('translates every match pattern to JavaScript', { skip: noSystemFile }, () => {
    const db = loadServiceProbes(SYSTEM_FILE);
    const r = translationReport(db);
    console.log(
      `# translation: ${r.translated} of ${r.total} patterns translated (${r.unsupported.length} unsupported, ${r.invalid.length} invalid, ` +
        `${r.approximate.length} approximate), ${r.withPrefilter} with a literal prefilter, ${r.nestedQuantifiers} with nested quantifiers, ${r.ms.toFixed(0)} ms`,
    );
    assert.equal(r.total, db.matches.length);
    assert.equal(r.translated + r.unsupported.length + r.invalid.length, r.total);
    assert.deepEqual(r.invalid, []);
    assert.deepEqual(r.unsupported, []);
    assert.ok(r.withPrefilter > r.total * 0.95);
  });
});

const SYNTHETIC = [
  '# Synthetic probe file exercising every directive.',
  'Exclude T:9100-9102,9200,U:53',
  'Probe TCP NULL q||',
  'totalwaitms 6000',
  'tcpwrappedms 2500',
  'match banner m|^BANNER ([\\w.]+)\\r\\n| p/Banner daemon/ v/$1/ i/extra $1,  / h/host/ o/Linux/ d/router/ cpe:/a:trawl:banner:$1/ cpe:|o:linux:linux_kernel|a',
  'softmatch soft m=^SOFT =i',
  'match twice m|^T| p/first/ p/second/ v/x/ v//',
  '',
  'Probe TCP Hello q|HELLO\\r\\n\\0\\x41\\t\\\\| ',
  'rarity 2',
  'ports 21-23,80, 8000-8002',
  'sslports 443',
  'totalwaitms 7500',
  'fallback Other,NULL',
  'match hello m%^HI (\\d+)%s p/Hello/ v/$1/',
  '# a comment inside a probe',
  'Probe TCP Other q|X|',
  'match other m|^O| p|Other|',
  'Probe UDP Quiet q|q| no-payload',
  'rarity 9',
  'match quiet m|^Q|',
].join('\n');

describe('nmap-service-probes loader: synthetic files', () => {
  it('parses every directive', () => {
    const db = parseServiceProbes(SYNTHETIC, 'synthetic');
    assert.deepEqual(db.warnings, []);
    assert.equal(db.path, 'synthetic');
    assert.deepEqual(
      db.probes.map((p) => `${p.protocol} ${p.name}`),
      ['TCP NULL', 'TCP Hello', 'TCP Other', 'UDP Quiet'],
    );
    assert.ok(isExcludedPort(db, 9101) && isExcludedPort(db, 9200) && !isExcludedPort(db, 9103));
    assert.ok(isExcludedPort(db, 53, 'UDP') && !isExcludedPort(db, 53, 'TCP') && !isExcludedPort(db, 9101, 'UDP'));

    const nul = db.nullProbe!;
    assert.equal(nul.isNull, true);
    assert.equal(nul.totalWaitMs, 6000);
    assert.equal(nul.tcpWrappedMs, 2500);
    const [banner, soft, twice] = nul.matches;
    assert.equal(banner!.service, 'banner');
    assert.equal(banner!.pattern, '^BANNER ([\\w.]+)\\r\\n');
    assert.equal(banner!.flags, '');
    assert.equal(banner!.line, 6);
    assert.deepEqual(banner!.templates, {
      product: 'Banner daemon',
      version: '$1',
      info: 'extra $1,  ',
      hostname: 'host',
      ostype: 'Linux',
      devicetype: 'router',
      cpe: [
        { template: 'a:trawl:banner:$1', flags: '' },
        { template: 'o:linux:linux_kernel', flags: 'a' },
      ],
    });
    assert.equal(soft!.soft, true);
    assert.equal(soft!.pattern, '^SOFT ');
    assert.equal(soft!.flags, 'i');
    // A repeated template replaces the earlier one; an empty one clears it.
    assert.deepEqual(twice!.templates, { product: 'second', cpe: [] });

    const hello = probeByName(db, 'Hello')!;
    assert.equal(text(hello.payload), 'HELLO\r\n\0A\t\\');
    assert.equal(hello.rarity, 2);
    assert.equal(hello.totalWaitMs, 7500);
    assert.equal(hello.ports.toString(), '21-23,80,8000-8002');
    assert.ok(hello.ports.has(22) && hello.ports.has(8001) && !hello.ports.has(24));
    assert.ok(hello.sslPorts.has(443));
    assert.deepEqual(hello.fallback, ['Other', 'NULL']);
    assert.equal(hello.matches[0]!.flags, 's');
    const other = probeByName(db, 'Other')!;
    assert.equal(other.matches[0]!.templates.product, 'Other');
    assert.equal(other.rarity, 5, 'default rarity');
    assert.equal(other.totalWaitMs, 5000, 'default totalwaitms');
    // Itself, the named fallbacks, then NULL (not repeated).
    assert.deepEqual(
      hello.matchChain.map((id) => db.matches[id]!.probe),
      ['Hello', 'Other', 'NULL', 'NULL', 'NULL'],
    );
    assert.deepEqual(
      other.matchChain.map((id) => db.matches[id]!.service),
      ['other', 'banner', 'soft', 'twice'],
    );
    const quiet = probeByName(db, 'Quiet', 'UDP')!;
    assert.equal(quiet.noPayload, true);
    assert.equal(quiet.isNull, false);
    assert.deepEqual(quiet.matchChain.map((id) => db.matches[id]!.service), ['quiet']);
    assert.deepEqual([...nul.services], ['banner', 'soft', 'twice']);
  });

  it('skips each malformed line with a warning naming its line, and keeps going', () => {
    const lines = [
      /* 1 */ 'match early m|^x|',
      /* 2 */ 'Probe TCP NULL q||',
      /* 3 */ 'match ok m|^OK|',
      /* 4 */ 'Probe XYZ Bad q|x|',
      /* 5 */ 'match skipped m|^S|',
      /* 6 */ 'Probe TCP NoQ |x|',
      /* 7 */ 'Probe TCP NoEnd q|abc',
      /* 8 */ 'Probe TCP BadEsc q|\\xZZ|',
      /* 9 */ 'Probe TCP Trailing q|a| junk',
      /* 10 */ 'Probe TCP Good q|G|',
      /* 11 */ 'frobnicate 1',
      /* 12 */ 'ports 1-2,x',
      /* 13 */ 'ports 70000',
      /* 14 */ 'ports 9-3',
      /* 15 */ 'rarity 0',
      /* 16 */ 'rarity ten',
      /* 17 */ 'totalwaitms 50',
      /* 18 */ 'tcpwrappedms 999999',
      /* 19 */ 'match nom |^x|',
      /* 20 */ 'match noend m|^x',
      /* 21 */ 'match badopt m|^x|q',
      /* 22 */ 'match badtpl m|^x| z/what/',
      /* 23 */ 'match unterminated m|^x| p/abc',
      /* 24 */ 'match badcpe m|^x| cpe:/a:b:c/q',
      /* 25 */ 'match noservice',
      /* 26 */ 'Exclude T:1',
      /* 27 */ 'Exclude T:2',
      /* 28 */ 'fallback Nowhere',
      /* 29 */ 'match good m|^G| p/Good/',
      /* 30 */ `match long m|${'a'.repeat(70_000)}|`,
      /* 31 */ 'Probe TCP NULL2 q||',
    ];
    const db = parseServiceProbes(lines.join('\n'));
    const byLine = new Map(db.warnings.map((w) => [w.line, w.message]));
    const expect: [number, RegExp][] = [
      [1, /before any Probe/],
      [4, /invalid protocol/],
      [5, /malformed Probe on line 4/],
      [6, /must begin with "q"/],
      [7, /no ending delimiter/],
      [8, /escaping.*two hex digits/],
      [9, /unexpected text after probe string/],
      [11, /unknown directive "frobnicate"/],
      [12, /bad port list entry "x"/],
      [13, /out of range/],
      [14, /reversed port range/],
      [15, /rarity must be between 1 and 9/],
      [16, /rarity must be between 1 and 9/],
      [17, /bad totalwaitms value/],
      [18, /bad tcpwrappedms value/],
      [19, /must begin with "m"/],
      [20, /end delimiter/],
      [21, /illegal regexp option "q"/],
      [22, /unknown template specifier "z"/],
      [23, /unterminated "p\/" template/],
      [24, /unknown cpe flag "q"/],
      [25, /could not find service name/],
      [26, /should precede all probes/],
      [27, /only one Exclude/],
      [30, /longer than/],
      [31, /second NULL/],
    ];
    for (const [line, re] of expect) {
      const w = byLine.get(line);
      assert.ok(w, `no warning for line ${line}; got ${JSON.stringify(db.warnings)}`);
      assert.match(w, re, `line ${line}`);
    }
    // The unknown fallback is reported against the probe's line.
    assert.match(byLine.get(10) ?? '', /unknown fallback "Nowhere"/);
    assert.equal(db.warnings.length, expect.length + 1);
    // What survived: the good lines.
    assert.deepEqual(
      db.matches.map((m) => `${m.line}:${m.service}`),
      ['3:ok', '29:good'],
    );
    assert.deepEqual(
      db.probes.map((p) => p.name),
      ['NULL', 'Good', 'NULL2'],
    );
    assert.equal(db.nullProbe?.name, 'NULL');
    const good = probeByName(db, 'Good')!;
    assert.equal(good.rarity, 5);
    assert.ok(good.ports.isEmpty);
    assert.ok(isExcludedPort(db, 1) && !isExcludedPort(db, 2), 'first Exclude applied, second ignored');
  });

  it('bounds the number of warnings kept', () => {
    const db = parseServiceProbes(Array.from({ length: 3000 }, () => 'nonsense here').join('\n'));
    assert.equal(db.warnings.length, 1001);
    assert.match(db.warnings.at(-1)!.message, /2000 further warnings not shown/);
  });

  it('accepts CRLF line ends and a file with no probes', () => {
    const db = parseServiceProbes('Probe TCP NULL q||\r\nmatch x m|^x|\r\n');
    assert.deepEqual(db.warnings, []);
    assert.equal(db.matches[0]!.pattern, '^x');
    const empty = parseServiceProbes('# nothing\n\n');
    assert.equal(empty.probes.length, 0);
    assert.equal(empty.nullProbe, undefined);
  });
});

describe('locating nmap data', () => {
  it('searches --datadir, then $NMAPDIR, then the system directories', () => {
    const a = mkdtempSync(join(tmpdir(), 'trawl-nmapdata-a-'));
    const b = mkdtempSync(join(tmpdir(), 'trawl-nmapdata-b-'));
    try {
      writeFileSync(join(b, 'nmap-service-probes'), 'Probe TCP NULL q||\nmatch x m|^x|\n');
      const env = { NMAPDIR: b, HOME: a };
      assert.equal(locateNmapData({ datadir: a, env, systemDirs: [] }), join(b, 'nmap-service-probes'));
      writeFileSync(join(a, 'nmap-service-probes'), 'Probe TCP NULL q||\n');
      assert.equal(locateNmapData({ datadir: a, env, systemDirs: [] }), join(a, 'nmap-service-probes'));
      assert.equal(locateNmapData({ env: {}, systemDirs: [b] }), join(b, 'nmap-service-probes'));
      const db = loadServiceProbes(locateNmapData({ env, systemDirs: [] })!);
      assert.equal(db.matches.length, 1);
    } finally {
      rmSync(a, { recursive: true, force: true });
      rmSync(b, { recursive: true, force: true });
    }
  });

  it('reports a missing file clearly', () => {
    const empty = mkdtempSync(join(tmpdir(), 'trawl-nmapdata-none-'));
    try {
      const opts = { datadir: empty, env: {}, systemDirs: [] };
      assert.equal(locateNmapData(opts), undefined);
      assert.match(missingNmapDataMessage(opts), /nmap-service-probes not found in .*trawl-nmapdata-none-.*; install nmap-common or pass --datadir; falling back to handshakes/);
      assert.throws(
        () => requireNmapData(opts),
        (e: unknown) => e instanceof TrawlError && e.code === 'TRAWL_E_NMAP_DATA' && e.exitCode === 72 && /falling back to handshakes/.test(e.message),
      );
      assert.throws(
        () => loadServiceProbes(join(empty, 'nmap-service-probes')),
        (e: unknown) => e instanceof TrawlError && e.code === 'TRAWL_E_NMAP_DATA' && e.message.includes(join(empty, 'nmap-service-probes')),
      );
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });

  it('finds the system file by default when installed', { skip: noSystemFile }, () => {
    assert.equal(locateNmapData({ env: {} }), SYSTEM_FILE);
  });
});
