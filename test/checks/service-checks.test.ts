/**
 * The facts-only service checks (SMB, Redis, memcached, MQTT, cleartext logins) on the facts the
 * identify stage recorded for the weak and hardened daemon labs (copied from real runs).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { cleartextAuthService } from '../../src/checks/builtin/cleartext-auth-check.js';
import { memcachedExposed, mqttAnonymous, redisNoAuth } from '../../src/checks/builtin/open-service-checks.js';
import { smbSigningNotRequired, smbV1Enabled } from '../../src/checks/builtin/smb-checks.js';
import { identity, runCheck, target, testContext } from './check-test-support.js';

const negotiate = (signingRequired: boolean): Record<string, unknown> => ({
  status: 0, dialectRevision: 785, dialect: '3.1.1', signingEnabled: true, signingRequired, serverGuid: '62616c64-732d-626d-0000-000000000000', capabilities: ['DFS', 'LEASING', 'LARGE_MTU', 'MULTI_CHANNEL'],
});

const smbWeak = identity('microsoft-ds', {
  smb: {
    negotiate: negotiate(false), dialect: '3.1.1',
    dialects: { '2.0.2': true, '2.1': true, '3.0': true, '3.0.2': true, '3.1.1': true }, dialectsAccepted: ['2.0.2', '2.1', '3.0', '3.0.2', '3.1.1'],
    signingEnabled: true, signingRequired: false, serverGuid: '62616c64-732d-626d-0000-000000000000',
    smb1: { accepted: true, signingEnabled: false, signingRequired: false, detail: 'NT LM 0.12 chosen' },
  },
});
const smbHardened = identity('microsoft-ds', {
  smb: {
    negotiate: negotiate(true), dialect: '3.1.1',
    dialects: { '2.0.2': false, '2.1': true, '3.0': true, '3.0.2': true, '3.1.1': true }, dialectsAccepted: ['2.1', '3.0', '3.0.2', '3.1.1'],
    signingEnabled: true, signingRequired: true, serverGuid: '62616c64-732d-626d-0000-000000000000',
    smb1: { accepted: false, detail: 'no dialect chosen' },
  },
});

describe('SMB checks', () => {
  it('smb-v1-enabled: fires on the weak Samba, silent on the hardened one and on an unanswered probe', async () => {
    const [f] = await runCheck(smbV1Enabled, target(445), smbWeak);
    assert.deepEqual(f?.evidence, { dialect: 'NT LM 0.12', detail: 'NT LM 0.12 chosen', smb1_signing_required: false });
    assert.deepEqual(await runCheck(smbV1Enabled, target(445), smbHardened), []);
    const unanswered = identity('microsoft-ds', { smb: { ...(smbHardened.facts!['smb'] as object), smb1: { accepted: null, detail: 'no answer' } } });
    assert.deepEqual(await runCheck(smbV1Enabled, target(445), unanswered), []);
  });

  it('smb-signing-not-required: from the SMB2 security mode', async () => {
    const [f] = await runCheck(smbSigningNotRequired, target(139), smbWeak);
    assert.equal(f?.summary, 'SMB 3.1.1 signing enabled but not required');
    assert.equal(f?.evidence['smb1_signing_required'], false);
    assert.equal(f?.cvss?.score, 5.3);
    assert.deepEqual(await runCheck(smbSigningNotRequired, target(445), smbHardened), []);
  });
});

describe('unauthenticated service checks', () => {
  it('redis-no-auth: +PONG fires; NOAUTH and protected mode do not', async () => {
    const weak = identity('redis', { redis: { pingReply: '+PONG', authRequired: false, protectedMode: false, version: '7.0.15', mode: 'standalone', implicitTls: false } });
    const [f] = await runCheck(redisNoAuth, target(6379), weak);
    assert.equal(f?.severity, 'critical');
    assert.equal(f?.cvss?.score, 9.8);
    assert.deepEqual(f?.evidence, { command: 'PING', reply: '+PONG', redis_version: '7.0.15', redis_mode: 'standalone' });
    assert.deepEqual(await runCheck(redisNoAuth, target(6379), identity('redis', { redis: { pingReply: '-NOAUTH Authentication required.', authRequired: true, protectedMode: false, implicitTls: false } })), []);
    assert.deepEqual(await runCheck(redisNoAuth, target(6379), identity('redis', { redis: { pingReply: '-DENIED Redis is running in protected mode', authRequired: false, protectedMode: true, implicitTls: false } })), []);
  });

  it('memcached-exposed: a VERSION answer fires; CLIENT_ERROR unauthenticated does not', async () => {
    const weak = identity('memcached', { memcached: { version: '1.6.18', authRequired: false, protocol: 'text', stats: { pid: '1' }, reply: 'VERSION 1.6.18' } });
    const [f] = await runCheck(memcachedExposed, target(11211), weak);
    assert.equal(f?.summary, 'Memcached 1.6.18 answers without authentication');
    assert.equal(f?.evidence['reply'], 'VERSION 1.6.18');
    const hardened = identity('memcached', { memcached: { authRequired: true, authMode: 'ascii', protocol: 'text', reply: 'CLIENT_ERROR unauthenticated' } });
    assert.deepEqual(await runCheck(memcachedExposed, target(11211), hardened), []);
  });

  it('mqtt-anonymous: CONNACK 0 to a credential-less CONNECT fires; 5 (not authorized) does not', async () => {
    const weak = identity('mqtt', { mqtt: { protocolLevel: 4, clientId: 'trawl-1', returnCode: 0, returnText: 'accepted', sessionPresent: false, anonymousAllowed: true, authRequired: false, implicitTls: false } });
    const [f] = await runCheck(mqttAnonymous, target(1883), weak);
    assert.equal(f?.confidence, 'firm');
    assert.equal(f?.evidence['connack_return_code'], 0);
    const hardened = identity('mqtt', { mqtt: { protocolLevel: 4, clientId: 'trawl-2', returnCode: 5, returnText: 'not authorized', sessionPresent: false, anonymousAllowed: false, authRequired: true, implicitTls: false } });
    assert.deepEqual(await runCheck(mqttAnonymous, target(1883), hardened), []);
  });

  it('facts-only checks send nothing', async () => {
    const ctx = testContext();
    const weak = identity('redis', { redis: { pingReply: '+PONG', authRequired: false, protectedMode: false, implicitTls: false } });
    await runCheck(redisNoAuth, target(6379), weak, ctx);
    await runCheck(smbV1Enabled, target(445), smbWeak, ctx);
    assert.deepEqual(ctx.connects, []);
  });
});

describe('cleartext-auth-service', () => {
  it('FTP without AUTH TLS fires (the weak vsftpd); with AUTH TLS the answer is unknown and nothing is said', async () => {
    const weak = identity('ftp', { ftp: { bannerCode: 220, banner: ['(vsFTPd 3.0.3)'], features: ['EPRT', 'EPSV', 'MDTM', 'PASV', 'REST STREAM', 'SIZE', 'TVFS'], featCode: 211, systCode: 530, authMechanisms: [], startTls: false, cleartextAuth: true, implicitTls: false } });
    const [f] = await runCheck(cleartextAuthService, target(21), weak);
    assert.equal(f?.summary, 'FTP offers no AUTH TLS: USER/PASS travel in clear');
    assert.equal(f?.severity, 'medium');
    const hardened = identity('ftp', { ftp: { bannerCode: 220, banner: ['(vsFTPd 3.0.3)'], features: ['AUTH TLS', 'PBSZ', 'PROT'], featCode: 211, systCode: 530, authMechanisms: ['TLS'], startTls: true, cleartextAuth: 'unknown', implicitTls: false } });
    assert.deepEqual(await runCheck(cleartextAuthService, target(21), hardened), []);
  });

  it('SMTP AUTH before STARTTLS, POP3 USER, IMAP LOGIN fire; Exim without AUTH and implicit TLS do not', async () => {
    const smtp = identity('smtp', { smtp: { greetingCode: 220, banner: ['mail.test ESMTP'], esmtp: true, extensions: ['AUTH PLAIN LOGIN', 'STARTTLS'], startTls: true, authMechanisms: ['PLAIN', 'LOGIN'], cleartextAuth: true, implicitTls: false } });
    const [s] = await runCheck(cleartextAuthService, target(587), smtp);
    assert.deepEqual(s?.evidence['auth_mechanisms'], ['PLAIN', 'LOGIN']);
    assert.equal(s?.severity, 'low', 'STARTTLS is there, only optional');
    const pop3 = identity('pop3', { pop3: { banner: '+OK', capabilities: ['USER', 'UIDL'], capaSupported: true, startTls: false, saslMechanisms: [], userPass: true, cleartextAuth: true, implicitTls: false } });
    assert.equal((await runCheck(cleartextAuthService, target(110), pop3))[0]?.severity, 'medium');
    const imap = identity('imap', { imap: { banner: '* OK', greeting: 'OK', capabilities: ['IMAP4rev1', 'STARTTLS', 'AUTH=PLAIN'], startTls: true, authMechanisms: ['PLAIN'], loginDisabled: false, cleartextAuth: true, implicitTls: false } });
    assert.equal((await runCheck(cleartextAuthService, target(143), imap)).length, 1);
    // The lab's Exim (both profiles) advertises no AUTH at all.
    const exim = identity('smtp', { smtp: { greetingCode: 220, banner: ['exim.dlab.trawl.test ESMTP Exim 4.96'], esmtp: true, extensions: ['SIZE 52428800', 'STARTTLS'], startTls: true, authMechanisms: [], cleartextAuth: false, implicitTls: false } });
    assert.deepEqual(await runCheck(cleartextAuthService, target(25), exim), []);
    const imaps = identity('imap', { imap: { banner: '* OK', greeting: 'OK', capabilities: ['IMAP4rev1', 'AUTH=PLAIN'], startTls: false, authMechanisms: ['PLAIN'], loginDisabled: false, cleartextAuth: false, implicitTls: true } }, { tunnel: 'ssl' });
    assert.deepEqual(await runCheck(cleartextAuthService, target(993), imaps), []);
  });
});
