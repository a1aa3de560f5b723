/**
 * Which templates the check stage sends to which service (src/scan/template-stage.ts), on real
 * compiled templates: http only to HTTP services (https:// through TLS), network templates to every
 * open port unless they name theirs, tls:// and ssl only to TLS services. No traffic is sent here.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseTemplate, type NucleiTemplate, type TemplateSet } from '../../src/checks/nuclei/index.js';
import { resolveRunLimits } from '../../src/checks/nuclei/template-runner.js';
import type { ServiceIdentity } from '../../src/engines/identify/service-identity.js';
import { templateJobs, type TemplateStageInput } from '../../src/scan/template-stage.js';

function tpl(yaml: string): NucleiTemplate {
  const { template, entry } = parseTemplate(yaml);
  assert.ok(template, entry.reasons.join('; '));
  return template;
}

const info = 'info: { name: t, author: t, severity: info }';
const http = tpl(`id: web\n${info}\nhttp:\n  - method: GET\n    path: ["{{BaseURL}}/"]\n    matchers: [{ type: status, status: [200] }]\n`);
const anyTcp = tpl(`id: any-tcp\n${info}\ntcp:\n  - host: ["{{Hostname}}"]\n    inputs: [{ data: "x" }]\n    matchers: [{ type: word, words: ["y"] }]\n`);
const redisPort = tpl(`id: redis-port\n${info}\ntcp:\n  - host: ["{{Hostname}}"]\n    port: 6379\n    inputs: [{ data: "PING\\r\\n" }]\n    matchers: [{ type: word, words: ["PONG"] }]\n`);
const fixedHost = tpl(`id: fixed-host\n${info}\ntcp:\n  - host: ["{{Host}}:11211"]\n    inputs: [{ data: "stats\\r\\n" }]\n    matchers: [{ type: word, words: ["STAT"] }]\n`);
const tlsTcp = tpl(`id: tls-tcp\n${info}\ntcp:\n  - host: ["tls://{{Hostname}}"]\n    inputs: [{ data: "x" }]\n    matchers: [{ type: word, words: ["y"] }]\n`);
const ssl = tpl(`id: cert\n${info}\nssl:\n  - address: "{{Host}}:{{Port}}"\n    matchers: [{ type: dsl, dsl: ["expired == true"] }]\n`);
const ssl443 = tpl(`id: cert-443\n${info}\nssl:\n  - address: "{{Host}}:443"\n    matchers: [{ type: dsl, dsl: ["expired == true"] }]\n`);

const set: TemplateSet = { dirs: ['x'], templates: [http, anyTcp, redisPort, fixedHost, tlsTcp, ssl, ssl443], notRun: [], files: 7, limits: resolveRunLimits({}) };

const id = (name: string, extra: Partial<ServiceIdentity> = {}): ServiceIdentity => ({ name, cpe: [], method: 'probed', confidence: 10, ...extra });
const input = (ip: string, port: number, identity: ServiceIdentity | undefined, hostname?: string): TemplateStageInput => ({ target: { ip, port, proto: 'tcp', ...(hostname ? { hostname } : {}) }, identity });

describe('template stage targeting', () => {
  const inputs = [
    input('127.0.0.1', 8080, id('http')),
    input('127.0.0.1', 8443, id('http', { tunnel: 'ssl' }), 'www.lab.test'),
    input('127.0.0.1', 21, id('ftp')),
    input('127.0.0.1', 6379, id('redis')),
    input('127.0.0.1', 11211, undefined),
    input('127.0.0.1', 443, id('https')),
    { target: { ip: '127.0.0.1', port: 53, proto: 'udp' as const }, identity: id('domain') },
  ];
  const jobs = templateJobs(set, inputs);
  const at = (port: number): string[] => jobs.filter(([, t]) => t.port === port).map(([t]) => t.id).sort();

  it('http templates go to HTTP services only, with the scheme identify saw', () => {
    assert.deepEqual(at(8080), ['any-tcp', 'web']);
    assert.deepEqual(at(21), ['any-tcp']);
    const secure = jobs.find(([t, x]) => t.id === 'web' && x.port === 8443)![1];
    assert.equal(secure.tls, true);
    assert.equal(secure.host, 'www.lab.test', 'the name the target came from is Host/SNI');
    assert.equal(secure.ip, '127.0.0.1');
  });

  it('network templates run on every open TCP port unless they name theirs; tls:// and ssl need TLS', () => {
    assert.deepEqual(at(6379), ['any-tcp', 'redis-port']);
    assert.deepEqual(at(11211), ['any-tcp', 'fixed-host']);
    assert.deepEqual(at(8443), ['any-tcp', 'cert', 'tls-tcp', 'web']);
    assert.deepEqual(at(443), ['any-tcp', 'cert', 'cert-443', 'tls-tcp', 'web']);
    assert.deepEqual(at(53), [], 'UDP observations get no templates');
  });
});
