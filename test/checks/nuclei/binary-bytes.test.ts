/**
 * Byte-exact binary data, as nuclei's Go strings are byte strings: every DSL helper that produces
 * bytes goes onto the wire unchanged (valid UTF-8 such as c3a9 included), len() counts bytes, and
 * binary responses reach matchers byte for byte. The wire tests record what real loopback TCP and
 * HTTP servers receive.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createCipheriv, createDecipheriv, createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, inflateRawSync, inflateSync } from 'node:zlib';
import { bytesToDsl, dslByteLength, dslBytes, dslDisplay, evaluateDsl, parseTemplate, type DslValue, type NucleiTarget, type NucleiTemplate } from '../../../src/checks/nuclei/index.js';
import { inlineTemplate, run } from './nuclei-lab.js';

const ALL = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
const ALL_HEX = ALL.toString('hex');
const ev = (e: string, vars: Record<string, DslValue> = {}): DslValue => evaluateDsl(e, (n) => vars[n], { allowRandom: true });

/** Deterministic pseudo-random buffers (xorshift), so a failure can be reproduced. */
function* randomBuffers(count: number, maxLen: number): Generator<Buffer> {
  let x = 0x2545f491;
  const next = (): number => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return x >>> 0;
  };
  for (let i = 0; i < count; i++) {
    const b = Buffer.alloc(next() % maxLen);
    // Bias towards bytes >= 0x80 so UTF-8 lead/continuation sequences (valid and broken) are common.
    for (let k = 0; k < b.length; k++) b[k] = next() % 3 === 0 ? next() & 0x7f : 0x80 | (next() & 0x7f);
    yield b;
  }
}

describe('DSL strings are byte strings', () => {
  it('bytes → DSL string → bytes is the identity (every byte, every pair, edge sequences, random data)', () => {
    for (let a = 0; a < 256; a++) {
      assert.deepEqual(dslBytes(bytesToDsl(Buffer.from([a]))), Buffer.from([a]));
      for (let b = 0; b < 256; b++) {
        const buf = Buffer.from([a, b]);
        assert.ok(dslBytes(bytesToDsl(buf)).equals(buf), buf.toString('hex'));
      }
    }
    // BOM, encoded surrogate, overlong, beyond U+10FFFF, truncated, 4-byte emoji, mixed
    for (const h of ['efbbbf41', 'eda080', 'edb3a9', 'c080', 'e08080', 'f4908080', 'e282', 'f09f9880', 'f09f98', '41c3a9ffc3', ALL_HEX]) {
      const buf = Buffer.from(h, 'hex');
      assert.equal(dslBytes(bytesToDsl(buf)).toString('hex'), h, h);
    }
    for (const buf of randomBuffers(3000, 48)) assert.equal(dslBytes(bytesToDsl(buf)).toString('hex'), buf.toString('hex'));
  });

  it('valid UTF-8 is text, other bytes are escapes; both keep their byte length', () => {
    assert.equal(bytesToDsl(Buffer.from('c3a9', 'hex')), 'é');
    assert.equal(bytesToDsl(Buffer.from('efbbbf', 'hex')), '\ufeff', 'a BOM is kept');
    assert.equal(dslByteLength('é'), 2);
    assert.equal(dslByteLength(bytesToDsl(Buffer.from('e9', 'hex'))), 1);
    assert.equal(dslByteLength(bytesToDsl(ALL)), 256);
    assert.equal(dslDisplay(bytesToDsl(Buffer.from('41e9c3a9', 'hex'))), 'Aéé', 'reports show escaped bytes as Latin-1');
    assert.doesNotThrow(() => encodeURIComponent(dslDisplay(bytesToDsl(ALL))), 'display text is well-formed');
  });

  it('len() counts bytes as Go does', () => {
    const table: ReadonlyArray<readonly [string, number]> = [
      ['len(hex_decode("c3a9"))', 2],
      ['len(hex_decode("fffe"))', 2],
      ['len(hex_decode("e9"))', 1],
      [`len(hex_decode("${ALL_HEX}"))`, 256],
      ['len("é")', 2],
      ['len("\\xff\\xfe")', 2],
      ['len(hex_decode("c3") + hex_decode("a9"))', 2],
      ['len(gzip_decode(gzip(hex_decode("00ff80c3a9"))))', 5],
      ['len(url_decode("%ff%c3%a9"))', 3],
      ['len(base64_decode("/w=="))', 1],
      ['len(xor(hex_decode("ffff"), hex_decode("3c56")))', 2],
      ['len(substr("é", 0, 1))', 1],
    ];
    for (const [e, n] of table) assert.equal(ev(e), n, e);
  });

  it('hex_encode round-trips every helper that produces bytes', () => {
    for (const h of ['c3a9', 'fffe', 'e9', '00', 'efbbbf', 'eda080', ALL_HEX]) {
      assert.equal(ev(`hex_encode(hex_decode("${h}"))`), h, h);
      assert.equal(ev(`hex_encode(base64_decode("${Buffer.from(h, 'hex').toString('base64')}"))`), h);
      assert.equal(ev(`base64(hex_decode("${h}"))`), Buffer.from(h, 'hex').toString('base64'));
      for (const [enc, dec] of [['gzip', 'gzip_decode'], ['zlib', 'zlib_decode'], ['deflate', 'inflate']]) {
        assert.equal(ev(`hex_encode(${dec}(${enc}(hex_decode("${h}"))))`), h, `${enc} ${h}`);
      }
      assert.equal(ev(`md5(hex_decode("${h}"))`), createHash('md5').update(Buffer.from(h, 'hex')).digest('hex'));
      assert.equal(ev(`hex_encode(url_decode(url_encode(hex_decode("${h}"))))`), h);
    }
    for (const buf of randomBuffers(300, 40)) {
      const h = buf.toString('hex');
      assert.equal(ev(`hex_encode(hex_decode("${h}"))`), h);
      assert.equal(ev(`hex_encode(hex_decode(substr("${h}", 0, ${h.length})) + hex_decode(""))`), h);
    }
    assert.equal(ev('url_encode(hex_decode("ffc3a920"))'), '%FF%C3%A9+');
    assert.equal(ev('hex_encode(url_decode("%00%7f%80%c3%a9%ff%fe+"))'), '007f80c3a9fffe20');
    assert.equal(ev('hex_encode(xor(hex_decode("ff00c3a9"), hex_decode("0f0fa9c3")))'), 'f00f6a6a');
    assert.equal(ev('hex_encode(padding(hex_decode("c3"), hex_decode("a9ff"), 4, "suffix"))'), 'c3a9ffa9');
    assert.equal(ev('hex_encode("\\xc3\\xa9\\xff")'), 'c3a9ff', 'DSL \\x escapes are bytes');
    assert.equal(ev('hex_encode("é")'), 'c3a9', 'text is its UTF-8 bytes');
  });

  it('joined bytes compare as bytes; byte offsets and byte searches as in Go', () => {
    assert.equal(ev('hex_decode("c3") + hex_decode("a9") == "é"'), true);
    assert.equal(ev('concat(hex_decode("c3"), hex_decode("a9")) == "é"'), true);
    assert.equal(ev('"\\xc3\\xa9" == "é"'), true);
    assert.equal(ev('contains("café", hex_decode("c3"))'), true);
    assert.equal(ev('contains(hex_decode("41ff42"), hex_decode("ff"))'), true);
    assert.equal(ev('contains(hex_decode("41ff42"), "é")'), false);
    assert.equal(ev('starts_with("éa", hex_decode("c3"))'), true);
    assert.equal(ev('hex_encode(substr("aé", 1, 2))'), 'c3');
    assert.equal(ev('hex_encode(replace(hex_decode("00ff00"), hex_decode("ff"), hex_decode("c3a9")))'), '00c3a900');
    assert.equal(ev('count(hex_decode("ffc3a9ff"), hex_decode("ff"))'), 2);
    assert.equal(ev('hex_encode(trim_prefix("é!", hex_decode("c3")))'), 'a921');
    // nuclei's index(): string(str[i]) turns the byte into the code point of that value
    assert.equal(ev('index(hex_decode("e9"), 0)'), 'é');
    assert.equal(ev('hex_encode(repeat(hex_decode("a9c3"), 2))'), 'a9c3a9c3');
    assert.equal(ev('repeat(hex_decode("a9c3"), 2) == hex_decode("a9") + "é" + hex_decode("c3")'), true);
  });
});

// ---- on the wire ----------------------------------------------------------------------------

interface Capture {
  readonly port: number;
  /** Bytes received per connection, keyed by the ASCII tag before the first '|'. */
  readonly byTag: Map<string, Buffer>;
  close(): Promise<void>;
}

const RESPONSE_FOR: Record<string, Buffer> = { R01: Buffer.from('00ffc3a9fe80', 'hex') };

/** A TCP service that records each connection's bytes and answers after the client goes quiet. */
async function startRecordingTcp(): Promise<Capture> {
  const byTag = new Map<string, Buffer>();
  const sockets = new Set<Socket>();
  const server: Server = createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => undefined);
    const chunks: Buffer[] = [];
    let quiet: NodeJS.Timeout | undefined;
    s.on('data', (d: Buffer) => {
      chunks.push(d);
      clearTimeout(quiet);
      quiet = setTimeout(() => {
        const all = Buffer.concat(chunks);
        const bar = all.indexOf('|');
        const tag = all.subarray(0, Math.max(0, bar)).toString('latin1');
        byTag.set(tag, all.subarray(bar + 1));
        s.end(RESPONSE_FOR[tag] ?? Buffer.from('OK'));
      }, 150);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as AddressInfo).port,
    byTag,
    close: () =>
      new Promise((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

interface HttpCapture {
  readonly port: number;
  /** Exact request bytes by request path. */
  readonly requests: Map<string, { head: Buffer; body: Buffer }>;
  close(): Promise<void>;
}

/** A minimal HTTP/1.1 server on a raw socket: it records the exact bytes of each request. */
async function startRecordingHttp(): Promise<HttpCapture> {
  const requests = new Map<string, { head: Buffer; body: Buffer }>();
  const sockets = new Set<Socket>();
  const server: Server = createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => undefined);
    let buf = Buffer.alloc(0);
    s.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      const head = buf.subarray(0, end);
      const cl = /\r\ncontent-length:\s*(\d+)/i.exec(head.toString('latin1'));
      const want = cl ? Number(cl[1]) : 0;
      const body = buf.subarray(end + 4);
      if (body.length < want) return;
      const path = head.toString('latin1').split(' ')[1] ?? '';
      requests.set(path, { head, body });
      const payload = path === '/binary-answer' ? Buffer.from('c3a9fffe0080', 'hex') : Buffer.from('OK');
      const extra = path === '/binary-answer' ? Buffer.concat([Buffer.from('X-R: '), Buffer.from('ffc3a9', 'hex'), Buffer.from('\r\n')]) : Buffer.alloc(0);
      s.end(Buffer.concat([Buffer.from(`HTTP/1.1 200 OK\r\nContent-Length: ${payload.length}\r\nConnection: close\r\n`), extra, Buffer.from('\r\n'), payload]));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as AddressInfo).port,
    requests,
    close: () =>
      new Promise((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

function tcpTemplate(id: string, inputs: string, extra = 'matchers:\n      - type: word\n        words: ["OK"]'): NucleiTemplate {
  return inlineTemplate(`
id: ${id}
info: { name: x, author: t, severity: info }
tcp:
  - host: ["{{Hostname}}"]
    inputs:
${inputs}
    ${extra}
`);
}

describe('binary data on the wire', () => {
  let tcp: Capture;
  let web: HttpCapture;
  let tmp: string;
  before(async () => {
    tcp = await startRecordingTcp();
    web = await startRecordingHttp();
    tmp = mkdtempSync(join(tmpdir(), 'trawl-bytes-'));
  });
  after(async () => {
    await tcp.close();
    await web.close();
    rmSync(tmp, { recursive: true, force: true });
  });
  const tcpTarget = (): NucleiTarget => ({ host: '127.0.0.1', port: tcp.port, ip: '127.0.0.1', tls: false });

  it('tcp inputs: every helper that makes bytes arrives byte for byte', async () => {
    const key = Buffer.from('2b7e151628aed2a6abf7158809cf4f3c', 'hex');
    const iv = Buffer.from('000102030405060708090a0b0c0d0e0f', 'hex');
    const plain = Buffer.from('6bc1bee22e409f96e93d7e117393172a', 'hex');
    writeFileSync(join(tmp, 'words.txt'), Buffer.concat([Buffer.from('fffe61c3a9', 'hex'), Buffer.from('\n')]));
    // [template, check on the received bytes]
    const cases: Array<[NucleiTemplate, (got: Buffer) => void]> = [
      [tcpTemplate('t01', `      - data: "T01|{{hex_decode('${ALL_HEX}')}}"`), (g) => assert.deepEqual(g, ALL)],
      [tcpTemplate('t02', `      - data: "54 30 32 7c ${ALL_HEX}"\n        type: hex`), (g) => assert.deepEqual(g, ALL)],
      [tcpTemplate('t03', `      - data: "T03|{{hex_decode('c3a9')}}{{hex_decode('fffe')}}{{hex_decode('c3')}}{{hex_decode('a9')}}"`), (g) => assert.equal(g.toString('hex'), 'c3a9fffec3a9')],
      [tcpTemplate('t04', `      - data: "T04|{{base64_decode('${ALL.toString('base64')}')}}"`), (g) => assert.deepEqual(g, ALL)],
      [tcpTemplate('t05', `      - data: "T05|{{url_decode('%00%7f%80%c3%a9%ff%fe+')}}"`), (g) => assert.equal(g.toString('hex'), '007f80c3a9fffe20')],
      [tcpTemplate('t06', `      - data: "T06|{{gzip(hex_decode('${ALL_HEX}'))}}"`), (g) => assert.deepEqual(gunzipSync(g), ALL)],
      [tcpTemplate('t07', `      - data: "T07|{{zlib(hex_decode('${ALL_HEX}'))}}"`), (g) => assert.deepEqual(inflateSync(g), ALL)],
      [tcpTemplate('t08', `      - data: "T08|{{deflate(hex_decode('${ALL_HEX}'))}}"`), (g) => assert.deepEqual(inflateRawSync(g), ALL)],
      [tcpTemplate('t09', `      - data: "T09|{{xor(hex_decode('ff00c3a9'), hex_decode('0f0fa9c3'))}}"`), (g) => assert.equal(g.toString('hex'), 'f00f6a6a')],
      [
        tcpTemplate('t10', `      - data: "T10|{{aes_cbc(hex_decode('${plain.toString('hex')}'), hex_decode('${key.toString('hex')}'), hex_decode('${iv.toString('hex')}'))}}"`),
        (g) => {
          const c = createCipheriv('aes-128-cbc', key, iv);
          assert.deepEqual(g, Buffer.concat([c.update(plain), c.final()]));
          assert.equal(g.subarray(0, 16).toString('hex'), '7649abac8119b246cee98e9b12e9197d', 'NIST SP 800-38A F.2.1');
          const d = createDecipheriv('aes-128-cbc', key, iv);
          assert.deepEqual(Buffer.concat([d.update(g), d.final()]), plain);
        },
      ],
      // Template text is its UTF-8 bytes (Go); DSL "\xff" escapes are single bytes.
      [tcpTemplate('t11', `      - data: 'T11|é{{"\\xff\\xfe"}}'`), (g) => assert.equal(g.toString('hex'), 'c3a9fffe')],
      [tcpTemplate('t12', `      - data: "T12|{{padding(hex_decode('c3'), hex_decode('a9ff'), 4, 'suffix')}}"`), (g) => assert.equal(g.toString('hex'), 'c3a9ffa9')],
    ];
    // A payload list and a payload file (relative to the template's root) whose line is not UTF-8.
    const t13 = parseTemplate(
      `
id: t13
info: { name: x, author: t, severity: info }
tcp:
  - host: ["{{Hostname}}"]
    inputs:
      - data: "T13|{{p}}|{{to_upper(q)}}"
    attack: pitchfork
    payloads:
      p: ["é"]
      q: words.txt
    matchers:
      - type: word
        words: ["OK"]
`,
      { root: tmp },
    );
    assert.ok(t13.template, t13.entry.reasons.join('; '));
    // Payload text is its UTF-8 bytes; the file line goes out as it is, to_upper changing only letters (é → É as Go's ToUpper).
    cases.push([t13.template, (g) => assert.equal(g.toString('hex'), 'c3a9' + '7c' + 'fffe41c389')]);
    const out = await run(
      cases.map(([t]) => t),
      [tcpTarget()],
      { timeoutMs: 5000 },
    );
    for (const [t, check] of cases) {
      const tag = `T${t.id.slice(1)}`;
      const got = tcp.byTag.get(tag);
      assert.ok(got, `${tag} was received (${out.records.find((r) => r.templateId === t.id)?.notes.join('; ')})`);
      check(got);
    }
    assert.equal(out.matches.length, cases.length, 'every exchange was answered');
  });

  it('tcp: a binary answer reaches matchers byte for byte', async () => {
    const t = tcpTemplate('r01', `      - data: "R01|x"`, `matchers-condition: and\n    matchers:\n      - type: dsl\n        dsl: ["hex_encode(data) == '00ffc3a9fe80'", "len(data) == 6", "contains(data, 'é')"]\n    extractors:\n      - type: dsl\n        dsl: ["data"]`);
    const out = await run([t], [tcpTarget()], { timeoutMs: 5000 });
    assert.equal(out.matches.length, 1, out.records[0]?.notes.join('; '));
    // Reported text is well-formed: escaped bytes shown as Latin-1 characters.
    assert.deepEqual(out.matches[0]!.extractedResults, ['\u0000\u00ffé\u00fe\u0080']);
  });

  it('http raw and structured requests send binary headers and bodies exactly, with a byte Content-Length', async () => {
    const raw = inlineTemplate(`
id: http-raw-bin
info: { name: x, author: t, severity: info }
http:
  - raw:
      - |
        POST /raw HTTP/1.1
        Host: {{Hostname}}
        X-Bin: {{hex_decode('c3a9fffe')}}
        Content-Type: application/octet-stream

        {{hex_decode('${ALL_HEX}')}}
    matchers:
      - type: word
        words: ["OK"]
`);
    const structured = inlineTemplate(`
id: http-structured-bin
info: { name: x, author: t, severity: info }
http:
  - method: POST
    path: ["{{BaseURL}}/structured"]
    headers:
      X-Bin: "{{hex_decode('fffe')}}é"
    body: "{{hex_decode('${ALL_HEX}')}}{{hex_decode('c3')}}{{hex_decode('a9')}}"
    matchers:
      - type: word
        words: ["OK"]
`);
    const out = await run([raw, structured], [{ host: '127.0.0.1', port: web.port, ip: '127.0.0.1', tls: false }], { timeoutMs: 5000 });
    assert.equal(out.matches.length, 2, out.records.flatMap((r) => r.notes).join('; '));
    const r = web.requests.get('/raw');
    assert.ok(r);
    assert.deepEqual(r.body, ALL);
    assert.ok(r.head.includes(Buffer.concat([Buffer.from('\r\nX-Bin: '), Buffer.from('c3a9fffe', 'hex'), Buffer.from('\r\n')])), r.head.toString('latin1'));
    assert.match(r.head.toString('latin1'), /\r\nContent-Length: 256(\r\n|$)/);
    const s = web.requests.get('/structured');
    assert.ok(s);
    assert.deepEqual(s.body, Buffer.concat([ALL, Buffer.from('c3a9', 'hex')]));
    assert.ok(s.head.includes(Buffer.concat([Buffer.from('\r\nX-Bin: '), Buffer.from('fffec3a9', 'hex'), Buffer.from('\r\n')])), s.head.toString('latin1'));
    assert.match(s.head.toString('latin1'), /\r\nContent-Length: 258(\r\n|$)/);
  });

  it('http: binary body and header values reach matchers byte for byte', async () => {
    const t = inlineTemplate(`
id: http-binary-answer
info: { name: x, author: t, severity: info }
http:
  - method: GET
    path: ["{{BaseURL}}/binary-answer"]
    matchers-condition: and
    matchers:
      - type: dsl
        dsl:
          - "hex_encode(body) == 'c3a9fffe0080'"
          - "len(body) == 6 && content_length == 6"
          - "hex_encode(x_r) == 'ffc3a9'"
      - type: binary
        binary: ["fffe00"]
      - type: size
        size: [6]
`);
    const out = await run([t], [{ host: '127.0.0.1', port: web.port, ip: '127.0.0.1', tls: false }], { timeoutMs: 5000 });
    assert.equal(out.matches.length, 1, out.records.flatMap((r) => r.notes).join('; '));
  });
});
