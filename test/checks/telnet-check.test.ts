/**
 * telnet-cleartext. No Telnet daemon is installed for the lab, so the integration half runs against
 * local servers that open with real telnetd first flights (netkit, busybox), found by the cascade.
 */
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { parseTelnetNegotiation, telnetCleartext } from '../../src/checks/builtin/telnet-check.js';
import { runChecks } from '../../src/checks/check-runner.js';
import type { Finding } from '../../src/checks/finding.js';
import { identifyByHandshake } from '../../src/engines/identify/cascade/index.js';
import { identity, loopbackGuard, runCheck, target } from './check-test-support.js';
import { BUSYBOX_TELNETD_OPENING, NETKIT_TELNETD_OPENING, telnetServer, type FakeServer } from './faithful-servers.js';

describe('Telnet negotiation parser', () => {
  it('reads IAC commands, subnegotiation and the text after them', () => {
    assert.deepEqual(parseTelnetNegotiation(NETKIT_TELNETD_OPENING), { commands: ['DO TERMINAL-TYPE', 'DO TERMINAL-SPEED', 'DO X-DISPLAY-LOCATION', 'DO NEW-ENVIRON'], text: '' });
    assert.deepEqual(parseTelnetNegotiation(BUSYBOX_TELNETD_OPENING), { commands: ['WILL ECHO', 'WILL SUPPRESS-GO-AHEAD', 'DO NAWS'], text: 'router login:' });
    assert.deepEqual(parseTelnetNegotiation(Buffer.from([0xff, 0xfa, 0x18, 0x01, 0xff, 0xf0, 0xff, 0xfb, 0x01]))?.commands, ['SB TERMINAL-TYPE', 'WILL ECHO']);
  });

  it('refuses what is not Telnet', () => {
    assert.equal(parseTelnetNegotiation(Buffer.from('SSH-2.0-OpenSSH_9.2p1\r\n')), undefined);
    assert.equal(parseTelnetNegotiation(Buffer.from('login: ')), undefined);
    assert.equal(parseTelnetNegotiation(Buffer.from([0xff, 0x00, 0x18])), undefined);
    assert.equal(parseTelnetNegotiation(Buffer.from([0xff, 0xfd])), undefined);
  });
});

describe('telnet-cleartext against local telnetd openings', () => {
  const servers: FakeServer[] = [];
  after(async () => {
    for (const s of servers) await s.close();
  });

  async function scan(opening: Buffer): Promise<{ findings: Finding[]; server: FakeServer; name: string | undefined }> {
    const server = await telnetServer(opening);
    servers.push(server);
    const id = await identifyByHandshake({ ip: '127.0.0.1', port: server.port, family: 4 }, { guard: loopbackGuard });
    const findings: Finding[] = [];
    for await (const f of runChecks([{ target: target(server.port), identity: id }], { selection: 'safe', guard: loopbackGuard })) findings.push(f);
    return { findings, server, name: id?.name };
  }

  it('netkit telnetd: the cascade files it as unknown; the check recognises the negotiation and sends nothing', async () => {
    const { findings, server, name } = await scan(NETKIT_TELNETD_OPENING);
    assert.equal(name, 'unknown');
    assert.deepEqual(findings.map((f) => f.checkId), ['telnet-cleartext']);
    assert.deepEqual(findings[0]!.evidence['negotiation'], ['DO TERMINAL-TYPE', 'DO TERMINAL-SPEED', 'DO X-DISPLAY-LOCATION', 'DO NEW-ENVIRON']);
    assert.deepEqual(server.received, [], 'neither identification nor the check answered the negotiation');
  });

  it('busybox telnetd with a login prompt', async () => {
    const { findings } = await scan(BUSYBOX_TELNETD_OPENING);
    assert.equal(findings.length, 1);
    assert.equal(findings[0]!.evidence['text'], 'router login:');
  });

  it('a service that only looks like a login prompt, or another protocol, is not Telnet', async () => {
    const plain = await telnetServer(Buffer.from('\r\nrouter login: ', 'latin1'));
    servers.push(plain);
    assert.deepEqual(await runCheck(telnetCleartext, target(plain.port), identity('telnet', {})), []);
    assert.equal(telnetCleartext.appliesTo(identity('ssh', {}), target(23)), false);
    assert.equal(telnetCleartext.appliesTo({ name: 'unknown', cpe: [], method: 'table', confidence: 0 }, target(23)), true);
  });
});
