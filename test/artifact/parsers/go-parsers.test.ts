import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { gunzipSync } from 'node:zlib';
import type { PackageRef } from '../../../src/artifact/package-ref.js';
import { GO_BUILDINFO_MAGIC, goBinaryParser, goBuildInfoExtractor, stdlibVersion } from '../../../src/artifact/parsers/go-binary-parser.js';
import { goModParser } from '../../../src/artifact/parsers/go-mod-parser.js';
import { prng } from '../fixtures/fuzz-support.js';
import { readFixture } from '../fixtures/fixture-files.js';

const brief = (refs: PackageRef[]): string[] => refs.map((r) => `${r.name}@${r.version}`).sort();

function uvarint(n: number): Buffer {
  const out: number[] = [];
  while (n >= 0x80) {
    out.push((n & 0x7f) | 0x80);
    n = Math.floor(n / 128);
  }
  out.push(n);
  return Buffer.from(out);
}

const START = Buffer.from('3077af0c9274080241e1c107e6d618e6', 'hex');
const END = Buffer.from('f932433186182072008242104116d8f2', 'hex');

/** A build-info blob as cmd/link writes it for Go >= 1.18 (flags bit 2: strings inline). */
function blob(goVersion: string, modinfo: string, flags = 0x02): Buffer {
  const header = Buffer.alloc(32);
  GO_BUILDINFO_MAGIC.copy(header, 0);
  header[14] = 8;
  header[15] = flags;
  const mod = Buffer.concat([START, Buffer.from(modinfo), END]);
  return Buffer.concat([header, uvarint(goVersion.length), Buffer.from(goVersion), uvarint(mod.length), mod]);
}

/** An ELF-looking file: header, filler, an optional stray copy of the magic, the blob, more filler. */
function fakeElf(parts: Buffer[]): Buffer {
  return Buffer.concat([Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0]), Buffer.alloc(5000, 0x90), ...parts, Buffer.alloc(3000, 0xcc)]);
}

const MODINFO = [
  'path\tgithub.com/acme/orders-lambda',
  'mod\tgithub.com/acme/orders-lambda\t(devel)\t',
  'dep\tgithub.com/aws/aws-lambda-go\tv1.41.0\th1:l/5fyVb6Ud9uYd411xdHZzSf2n86TakxzpvIoz7l+3Y=',
  'dep\tgolang.org/x/net\tv0.7.0\th1:rJrUqqhjsgNp7KqAIc25s9pZnjU7TUcSY7HcVZjdn1g=',
  '=>\tgolang.org/x/net\tv0.17.0\th1:pVaXccu2ozPjCXewfr1S7xza/zcXTity9cCdXQYSjIM=',
  'dep\tgithub.com/acme/shared\tv0.0.0-00010101000000-000000000000',
  '=>\t../shared\t',
  'build\t-compiler=gc',
  'build\tGOARCH=amd64',
  '',
].join('\n');

describe('go.mod', () => {
  it('reads require lines and blocks, applies version replacements, notes local ones', () => {
    const notes: string[] = [];
    const refs = goModParser.parse('go.mod', readFixture('go/go.mod'), { note: (n) => notes.push(n) });
    assert.deepEqual(brief(refs), [
      'github.com/aws/aws-lambda-go@v1.41.0',
      'github.com/aws/aws-sdk-go-v2@v1.21.0',
      'github.com/google/uuid@v1.3.1',
      'github.com/gorilla/mux@v1.8.0',
      'github.com/jmespath/go-jmespath@v0.4.0',
      'golang.org/x/net@v0.17.0',
    ]);
    assert.equal(refs.find((r) => r.name === 'github.com/gorilla/mux')?.purl, 'pkg:golang/github.com/gorilla/mux@v1.8.0');
    assert.deepEqual(notes, ['go.mod: 1 modules replaced by local directories, version unknown: github.com/acme/shared => ../shared']);
  });

  it('does not read vendored module files', () => {
    assert.ok(goModParser.match('src/go.mod'));
    assert.equal(goModParser.match('vendor/github.com/x/go.mod'), false);
  });
});

describe('Go binary build info', () => {
  it('decodes a real Go 1.19 executable (built offline from fixtures/go/hello-lambda)', () => {
    const bin = gunzipSync(readFixture('go/bootstrap.gz'));
    assert.equal(bin.readUInt32BE(0), 0x7f454c46);
    const refs = goBinaryParser.parse('bootstrap', bin);
    assert.deepEqual(brief(refs), ['github.com/acme/greet-fork@v1.4.3', 'golang.org/x/text@v0.3.7', 'stdlib@1.19.8']);
    assert.equal(refs.find((r) => r.name === 'golang.org/x/text')?.purl, 'pkg:golang/golang.org/x/text@v0.3.7');
    assert.equal(refs.find((r) => r.name === 'stdlib')?.purl, 'pkg:golang/stdlib@1.19.8');
  });

  it('the streaming extractor keeps only a window, whatever the chunking, and finds the same modules', () => {
    const bin = gunzipSync(readFixture('go/bootstrap.gz'));
    const rand = prng(42);
    for (let round = 0; round < 5; round++) {
      const x = goBuildInfoExtractor();
      let pos = 0;
      while (pos < bin.length) {
        const n = 1 + Math.floor(rand() * (round === 0 ? 13 : 70000));
        if (!x.push(bin.subarray(pos, pos + n))) break;
        pos += n;
      }
      const kept = x.finish();
      assert.ok(kept !== undefined && kept.length < bin.length / 2, `round ${round}: kept ${kept?.length}`);
      assert.deepEqual(brief(goBinaryParser.parse('bootstrap', kept)), ['github.com/acme/greet-fork@v1.4.3', 'golang.org/x/text@v0.3.7', 'stdlib@1.19.8']);
    }
  });

  it('skips a stray copy of the magic, applies => replacements, notes local ones', () => {
    const stray = Buffer.concat([GO_BUILDINFO_MAGIC, Buffer.from('not a header at all, just rodata')]);
    const bin = fakeElf([stray, Buffer.alloc(100), blob('go1.21.5', MODINFO)]);
    const notes: string[] = [];
    const refs = goBinaryParser.parse('usr/local/bin/orders', bin, { note: (n) => notes.push(n) });
    assert.deepEqual(brief(refs), ['github.com/aws/aws-lambda-go@v1.41.0', 'golang.org/x/net@v0.17.0', 'stdlib@1.21.5']);
    assert.deepEqual(notes, ['usr/local/bin/orders: github.com/acme/shared replaced by local ../shared, version unknown']);
    const x = goBuildInfoExtractor();
    for (let i = 0; i < bin.length; i += 777) if (!x.push(bin.subarray(i, i + 777))) break;
    assert.deepEqual(brief(goBinaryParser.parse('x', x.finish() ?? Buffer.alloc(0))), brief(refs));
  });

  it('reports a versioned main module (go install pkg@version)', () => {
    const bin = fakeElf([blob('go1.22.1', 'path\tgithub.com/acme/tool/cmd/tool\nmod\tgithub.com/acme/tool\tv2.3.4\th1:x=\n')]);
    assert.deepEqual(brief(goBinaryParser.parse('tool', bin)), ['github.com/acme/tool@v2.3.4', 'stdlib@1.22.1']);
  });

  it('recognises but does not decode pre-1.18 (pointer) build info; ignores non-Go files', () => {
    const notes: string[] = [];
    const old = fakeElf([blob('go1.16', '', 0x00)]);
    assert.deepEqual(goBinaryParser.parse('old', old, { note: (n) => notes.push(n) }), []);
    assert.match(notes[0] ?? '', /built before Go 1\.18/);
    assert.deepEqual(goBinaryParser.parse('sh', fakeElf([])), []);
    const x = goBuildInfoExtractor();
    assert.equal(x.push(Buffer.from('#!/bin/sh\necho hi\n')), false, 'not an executable: stop after the first chunk');
    assert.equal(x.finish(), undefined);
  });

  it('converts Go toolchain versions to OSV stdlib versions', () => {
    assert.equal(stdlibVersion('go1.21.5'), '1.21.5');
    assert.equal(stdlibVersion('go1.20'), '1.20.0');
    assert.equal(stdlibVersion('go1.22rc1'), '1.22.0-rc.1');
    assert.equal(stdlibVersion('go1.21.0 X:boringcrypto'), '1.21.0');
    assert.equal(stdlibVersion('devel go1.23-abc'), undefined);
  });
});
