import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { toFinding, toFindingSighting, type NucleiResult, type NucleiTemplate } from '../../../src/checks/nuclei/index.js';
import { get, loadCorpus, run, selfSignedPems, startWeb, type RunOutput, type WebServer } from './nuclei-lab.js';

let corpus: Map<string, NucleiTemplate>;
let dirty: WebServer;
let clean: WebServer;
let dirtyRun: RunOutput;
let cleanRun: RunOutput;

const byId = (out: RunOutput, id: string): NucleiResult[] => out.matches.filter((m) => m.templateId === id);
const only = (out: RunOutput, id: string): NucleiResult => {
  const r = byId(out, id);
  assert.equal(r.length, 1, `${id}: expected one match, got ${r.length}`);
  return r[0]!;
};

before(async () => {
  corpus = await loadCorpus();
  dirty = await startWeb('dirty');
  clean = await startWeb('clean');
  const http = [...corpus.values()].filter((t) => t.protocol === 'http');
  dirtyRun = await run(http, [dirty.target()]);
  cleanRun = await run(http, [clean.target()]);
});

after(async () => {
  await dirty.close();
  await clean.close();
});

describe('http protocol: corpus against the vulnerable lab app', () => {
  it('version disclosure via headers: regex extractor on the header part', () => {
    assert.deepEqual(only(dirtyRun, 'nginx-version').extractedResults, ['1.18.0']);
    assert.deepEqual(only(dirtyRun, 'x-powered-by-disclosure').extracted, { '': ['PHP/7.4.3'] });
  });

  it('tech detection reports each named matcher that fired (OR condition)', () => {
    const names = byId(dirtyRun, 'tech-detect').map((m) => m.matcherName).sort();
    assert.deepEqual(names, ['jquery', 'php', 'wordpress']);
  });

  it('exposed files: .git/config, .env (stop-at-first-match), phpinfo (second path), server-status', () => {
    only(dirtyRun, 'git-config');
    const env = only(dirtyRun, 'laravel-env');
    assert.deepEqual(env.extracted['db_password'], ['hunter2-db']);
    assert.ok(!dirty.log.some((r) => r.url === '/.env.backup'), 'stop-at-first-match: later paths not requested');
    const php = only(dirtyRun, 'phpinfo-files');
    assert.deepEqual(php.extractedResults, ['7.4.3']);
    assert.match(php.matchedAt, /\/info\.php$/);
    assert.ok(dirty.log.some((r) => r.url === '/phpinfo.php'));
    assert.ok(!dirty.log.some((r) => r.url === '/php_info.php'));
    assert.deepEqual(only(dirtyRun, 'apache-server-status').extractedResults, ['2.4.41']);
    only(dirtyRun, 'directory-listing');
  });

  it('exposed panels: grafana (regex title + version), jenkins (kval of a header)', () => {
    assert.deepEqual(only(dirtyRun, 'grafana-detect').extracted['version'], ['8.3.0']);
    assert.deepEqual(only(dirtyRun, 'jenkins-login').extractedResults, ['2.303.1']);
  });

  it('json extractor: .version, .components[].name, .components[0].version', () => {
    const j = only(dirtyRun, 'json-version-endpoint');
    assert.deepEqual(j.extracted['version'], ['2.4.1']);
    assert.deepEqual(j.extracted['components'], ['core', 'auth', '2.4.1']);
  });

  it('internal extractor feeds compare_versions; classification and finding mapping', () => {
    const r = only(dirtyRun, 'nginx-outdated-version');
    assert.deepEqual(r.extractedResults, [], 'internal values are not reported');
    assert.deepEqual(r.classification?.cveId, ['CVE-2021-23017']);
    const f = toFindingSighting(r);
    assert.equal(f.checkId, 'nuclei:nginx-outdated-version');
    assert.equal(f.severity, 'medium');
    assert.equal(f.title, 'Outdated nginx Version');
    const info = toFindingSighting(only(dirtyRun, 'nginx-version'));
    assert.equal(info.severity, 'none', 'info maps to none');
  });

  it('toFinding gives the check stage Finding: severity, references, CVSS from the vector, evidence, intrusive flag', () => {
    const f = toFinding(only(dirtyRun, 'git-config'));
    assert.equal(f.checkId, 'nuclei:git-config');
    assert.equal(f.severity, 'medium');
    assert.equal(f.confidence, 'firm');
    assert.equal(f.intrusive, false);
    assert.deepEqual(f.target, { ip: '127.0.0.1', port: dirty.port, proto: 'tcp' });
    assert.deepEqual(f.references.cwe, ['CWE-200']);
    assert.equal(f.cvss?.score, 5.3);
    assert.match(f.remediation, /Block access to \/\.git\//);
    assert.equal(f.evidence['matched_at'], `http://127.0.0.1:${dirty.port}/.git/config`);
    const login = toFinding(only(dirtyRun, 'lab-admin-default-login'));
    assert.equal(login.intrusive, true, 'payload templates guess: intrusive');
    assert.deepEqual(login.evidence['payload'], { username: 'admin', password: 'hunter2' });
    assert.equal(toFinding(only(dirtyRun, 'nginx-version')).severity, 'info');
  });

  it('legacy requests: key and the target variables ({{Scheme}}, {{Host}}, {{Port}}, {{Hostname}})', () => {
    only(dirtyRun, 'lab-legacy-requests');
  });

  it('favicon mmh3 hash through dsl, missing security headers as three named findings', () => {
    const f = only(dirtyRun, 'favicon-detect');
    assert.equal(f.matcherName, 'trawl-lab-app');
    assert.deepEqual(f.extractedResults, ['637098228']);
    assert.deepEqual(byId(dirtyRun, 'http-missing-security-headers').map((m) => m.matcherName).sort(), ['content-security-policy', 'strict-transport-security', 'x-frame-options']);
    assert.equal(toFindingSighting(byId(dirtyRun, 'http-missing-security-headers')[0]!).checkId.split(':').length, 3);
  });

  it('raw requests: multi-step with internal csrf extractor, cookie reuse and req-condition', () => {
    only(dirtyRun, 'lab-csrf-login-chain');
    const post = dirty.log.find((r) => r.method === 'POST' && r.url === '/form');
    assert.ok(post);
    assert.equal(post.body, 'csrf=k3y42&user=admin&pass=s3cret+pass');
    assert.match(String(post.headers.cookie), /sid=abc123/);
    assert.equal(post.headers['content-length'], String(post.body.length), 'Content-Length recomputed for the raw body');
    only(dirtyRun, 'lab-put-method-enabled');
  });

  it('redirects are followed when asked; binary, size, hex-word, gzip, TRACE', () => {
    assert.match(only(dirtyRun, 'lab-redirect-landing').matchedAt, /\/landing$/);
    only(dirtyRun, 'lab-host-redirect');
    only(dirtyRun, 'lab-png-logo');
    only(dirtyRun, 'lab-gzip-marker');
    only(dirtyRun, 'lab-trace-enabled');
  });

  it('DSL helpers build the request (variables, headers, body) and check it', () => {
    only(dirtyRun, 'lab-dsl-helpers');
    const echo = dirty.log.find((r) => r.url === '/echo');
    assert.ok(echo);
    assert.equal(echo.headers.authorization, `Basic ${Buffer.from('trawl:pw').toString('base64')}`);
    assert.match(String(echo.headers['x-nonce']), /^[A-Za-z0-9]{8}$/);
  });

  it('RE2 inline flags in regex matchers all hold on the lab page', () => {
    only(dirtyRun, 'lab-re2-inline-flags');
  });

  it('every supported http template ran and reported a record', () => {
    const http = [...corpus.values()].filter((t) => t.protocol === 'http');
    assert.equal(dirtyRun.records.length, http.length);
    assert.ok(dirtyRun.records.every((r) => r.outcome === 'matched'), JSON.stringify(dirtyRun.records.filter((r) => r.outcome !== 'matched').map((r) => [r.templateId, r.outcome, r.notes])));
  });
});

describe('http protocol: the hardened app matches nothing', () => {
  it('no template matches the clean server, and each ran clean', () => {
    assert.deepEqual(cleanRun.matches.map((m) => `${m.templateId}:${m.matcherName ?? ''}`), []);
    assert.ok(cleanRun.records.every((r) => r.outcome === 'clean'), JSON.stringify(cleanRun.records.filter((r) => r.outcome !== 'clean').map((r) => [r.templateId, r.outcome, r.notes])));
    assert.ok(clean.log.length >= cleanRun.records.length);
  });
});

describe('http protocol: targets', () => {
  it('host-redirects does not follow a redirect to another host name', async () => {
    const t = get(corpus, 'lab-host-redirect');
    const out = await run([t], [dirty.target('localhost')]);
    assert.equal(out.matches.length, 0);
    assert.equal(out.records[0]?.outcome, 'clean');
  });

  it('https targets: same templates over TLS with a self-signed certificate, Host/SNI from the target', async () => {
    const pems = await selfSignedPems('lab.test');
    const secure = await startWeb('dirty', pems);
    try {
      const out = await run([get(corpus, 'git-config'), get(corpus, 'nginx-version')], [secure.target('lab.test')]);
      assert.deepEqual(out.matches.map((m) => m.templateId).sort(), ['git-config', 'nginx-version']);
      assert.match(out.matches.find((m) => m.templateId === 'git-config')!.matchedAt, /^https:\/\/lab\.test:\d+\/\.git\/config$/);
      assert.equal(secure.log[0]?.headers.host, `lab.test:${secure.port}`);
    } finally {
      await secure.close();
    }
  });

  it('a url target with a base path prefixes structured paths', async () => {
    const out = await run([get(corpus, 'git-config')], [{ url: `http://127.0.0.1:${dirty.port}/app`, host: '127.0.0.1', port: dirty.port, ip: '127.0.0.1' }]);
    assert.equal(out.matches.length, 0);
    assert.ok(dirty.log.some((r) => r.url === '/app/.git/config'));
  });

  it('an unreachable target is an error run (never clean: it could not look) with a note, not a crash', async () => {
    const gone = await startWeb('clean');
    const port = gone.port;
    await gone.close();
    const out = await run([get(corpus, 'git-config')], [{ host: '127.0.0.1', port, ip: '127.0.0.1' }], { timeoutMs: 1000 });
    assert.equal(out.matches.length, 0);
    assert.equal(out.records[0]?.outcome, 'error');
    assert.equal(out.records[0]?.error?.code, 'CONNECT');
    assert.match(out.records[0]?.notes.join(' ') ?? '', /ECONNREFUSED|refused/i);
  });
});
