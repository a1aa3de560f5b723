/**
 * elasticsearch-no-auth. Elasticsearch is not packaged in Debian 12; the integration half runs
 * against the local stand-in in faithful-servers.ts (7.17's root document with security off, 8.x's
 * 401 with security on), identified by the real cascade first.
 */
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { elasticsearchNoAuth, searchClusterInfo } from '../../src/checks/builtin/elasticsearch-check.js';
import { runChecks } from '../../src/checks/check-runner.js';
import type { Finding } from '../../src/checks/finding.js';
import { identifyByHandshake } from '../../src/engines/identify/cascade/index.js';
import { identity, loopbackGuard, runCheck, target, testContext } from './check-test-support.js';
import { elasticsearchServer, type FakeServer } from './faithful-servers.js';

describe('Elasticsearch root document', () => {
  it('recognises Elasticsearch and OpenSearch, nothing else', () => {
    const os = searchClusterInfo(JSON.stringify({ name: 'n', cluster_name: 'c', cluster_uuid: 'u', version: { distribution: 'opensearch', number: '2.11.0' }, tagline: 'The OpenSearch Project: https://opensearch.org/' }));
    assert.equal(os?.distribution, 'opensearch');
    assert.equal(os?.version, '2.11.0');
    assert.equal(searchClusterInfo(JSON.stringify({ version: { number: '1.2.3' }, name: 'some api' })), undefined);
    assert.equal(searchClusterInfo('{"status":"ok"}'), undefined);
    assert.equal(searchClusterInfo('<html>You Know, for Search</html>'), undefined);
    assert.equal(searchClusterInfo('{"version": {"number": "7.17.9"}, "tagline": "You Know, for Search"'), undefined, 'cut-off JSON');
  });
});

describe('elasticsearch-no-auth against Elasticsearch stand-ins', () => {
  const servers: FakeServer[] = [];
  after(async () => {
    for (const s of servers) await s.close();
  });

  async function scan(server: FakeServer): Promise<Finding[]> {
    const id = await identifyByHandshake({ ip: '127.0.0.1', port: server.port, family: 4 }, { guard: loopbackGuard });
    assert.equal(id?.name, 'http');
    server.received.length = 0;
    const out: Finding[] = [];
    for await (const f of runChecks([{ target: target(server.port), identity: id }], { selection: 'elasticsearch-no-auth', guard: loopbackGuard })) out.push(f);
    return out;
  }

  it('7.17 with security off: fires from the identify response alone', async () => {
    const s = await elasticsearchServer(false);
    servers.push(s);
    const [f, ...rest] = await scan(s);
    assert.equal(rest.length, 0);
    assert.ok(f);
    assert.equal(f.evidence['version'], '7.17.9');
    assert.equal(f.evidence['cluster_name'], 'logs-prod');
    assert.equal(f.evidence['x_elastic_product'], 'Elasticsearch');
    assert.equal(f.evidence['from_identify'], true);
    assert.equal(f.cvss?.score, 9.8);
    assert.deepEqual(s.received, [], 'no extra request');
  });

  it('8.x with security on (401): silent', async () => {
    const s = await elasticsearchServer(true);
    servers.push(s);
    assert.deepEqual(await scan(s), []);
    assert.deepEqual(s.received, []);
  });

  it('without a usable identify response it GETs "/" itself', async () => {
    const s = await elasticsearchServer(false);
    servers.push(s);
    const ctx = testContext();
    // Identified by another stage (nmap-style probing): no HTTP facts.
    const [f] = await runCheck(elasticsearchNoAuth, target(s.port), identity('http', {}, { method: 'probed', product: 'Elasticsearch REST API' }), ctx);
    assert.equal(f?.evidence['from_identify'], false);
    assert.deepEqual(s.received, ['/']);
    assert.equal(ctx.connects.length, 1);
  });
});
