import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { NucleiTemplate } from '../../../src/checks/nuclei/index.js';
import { caSignedPems, get, inlineTemplate, loadCorpus, run, selfSignedPems, startTls, type TlsServer } from './nuclei-lab.js';

let corpus: Map<string, NucleiTemplate>;
let selfSigned: TlsServer;
let expired: TlsServer;
let caSigned: TlsServer;
let legacy: TlsServer;
let modern: TlsServer;

before(async () => {
  corpus = await loadCorpus();
  const [ss, ex, ca] = await Promise.all([selfSignedPems('self.test'), selfSignedPems('old.test', { expired: true }), caSignedPems('good.test')]);
  selfSigned = await startTls(ss);
  expired = await startTls(ex);
  caSigned = await startTls(ca, { minVersion: 'TLSv1.2' });
  legacy = await startTls(ss, { minVersion: 'TLSv1', maxVersion: 'TLSv1', ciphers: 'DEFAULT:@SECLEVEL=0' });
  modern = await startTls(ss, { minVersion: 'TLSv1.2' });
});

after(async () => {
  for (const s of [selfSigned, expired, caSigned, legacy, modern]) await s?.close();
});

describe('ssl protocol', () => {
  it('self-signed certificate: matches, CN extracted; a CA-signed one does not', async () => {
    const out = await run([get(corpus, 'self-signed-ssl')], [selfSigned.target('self.test'), caSigned.target('good.test')]);
    assert.equal(out.matches.length, 1);
    assert.equal(out.matches[0]!.target.port, selfSigned.port);
    assert.deepEqual(out.matches[0]!.extractedResults, ['CN: self.test']);
    assert.equal(out.records.find((r) => r.target.port === caSigned.port)?.outcome, 'clean');
  });

  it('expired certificate: matches with not_after (RFC 3339) extracted; valid ones do not', async () => {
    const out = await run([get(corpus, 'expired-ssl')], [expired.target('old.test'), selfSigned.target('self.test'), caSigned.target()]);
    assert.equal(out.matches.length, 1);
    assert.equal(out.matches[0]!.target.port, expired.port);
    const notAfter = out.matches[0]!.extractedResults[0] ?? '';
    assert.match(notAfter, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    assert.ok(Date.parse(notAfter) < Date.now());
  });

  it('deprecated TLS: a TLS 1.0-only server matches the tls10 request; a TLS 1.2+ server matches neither', async () => {
    const out = await run([get(corpus, 'deprecated-tls')], [legacy.target(), modern.target()]);
    assert.equal(out.matches.length, 1, JSON.stringify(out.records));
    assert.equal(out.matches[0]!.target.port, legacy.port);
    assert.deepEqual(out.matches[0]!.extractedResults, ['tls10']);
    const modernRecord = out.records.find((r) => r.target.port === modern.port);
    assert.equal(modernRecord?.outcome, 'clean');
    assert.equal(modernRecord?.requests, 2);
  });

  it('certificate fields: issuer part, SANs through a json extractor, version/cipher through dsl', async () => {
    const out = await run([get(corpus, 'ssl-dns-names')], [caSigned.target('good.test'), selfSigned.target('self.test')]);
    assert.equal(out.matches.length, 1, 'only the CA-signed certificate names Trawl Lab CA');
    const m = out.matches[0]!;
    assert.deepEqual(m.extracted['names'], ['good.test']);
    assert.match(m.extracted['proto']?.[0] ?? '', /^tls1[23]\/TLS_[A-Z0-9_]+$/);
  });

  it('dsl over the other fields: mismatched host, wildcard, subject_dn, fingerprint', async () => {
    const t = inlineTemplate(`
id: inline-ssl-fields
info: { name: x, author: t, severity: info }
ssl:
  - address: "{{Host}}:{{Port}}"
    matchers:
      - type: dsl
        condition: and
        dsl:
          - "mismatched == true"
          - "wildcard_certificate == false"
          - "subject_dn == 'CN=self.test'"
          - "contains(subject_an, 'www.self.test') == true"
          - "len(domains) == 2"
          - "untrusted == false && self_signed == true"
    extractors:
      - type: json
        json: [".fingerprint_hash.sha256"]
`);
    const out = await run([t], [selfSigned.target('other.test')]);
    assert.equal(out.matches.length, 1, JSON.stringify(out.records));
    assert.match(out.matches[0]!.extractedResults[0] ?? '', /^[0-9a-f]{64}$/);
    const same = await run([t], [selfSigned.target('self.test')]);
    assert.equal(same.matches.length, 0, 'not mismatched when the name is in the certificate');
  });

  it('a target marked as not TLS is skipped for ssl templates', async () => {
    const out = await run([get(corpus, 'self-signed-ssl')], [{ host: '127.0.0.1', port: selfSigned.port, ip: '127.0.0.1', tls: false }]);
    assert.equal(out.records[0]?.outcome, 'skipped');
  });
});
