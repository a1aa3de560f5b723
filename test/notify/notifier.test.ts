import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { openApiDatabase, type ApiDatabase } from '../../src/api/database/open-api-database.js';
import { createOrg } from '../../src/api/queries/org-queries.js';
import { createRule } from '../../src/api/queries/rule-queries.js';
import { slackPayload } from '../../src/notify/channels.js';
import type { NotificationEvent } from '../../src/notify/notification-event.js';
import { ruleMatches, type NotificationRule } from '../../src/notify/notification-rule.js';
import { Notifier } from '../../src/notify/notifier.js';
import { verifySignature } from '../../src/notify/webhook-signature.js';
import { startSmtpSink, startWebhookReceiver, type SmtpSink, type WebhookReceiver } from './local-receivers.js';

let seq = 0;
function event(orgId: string, over: Partial<NotificationEvent> = {}): NotificationEvent {
  return { id: `ev${++seq}`, type: 'finding.opened', orgId, occurredAt: '2030-01-01T00:00:00.000Z', severity: 'high', zone: 'dmz', tags: ['web'], title: 'finding opened: tls-old on 127.0.0.5:443', data: { n: seq }, ...over };
}

describe('rule matching', () => {
  const rule: NotificationRule = {
    id: 'r', orgId: 'o', name: 'r', channel: 'webhook', target: 'http://127.0.0.1:1/', secret: null, eventTypes: ['finding.opened'], minSeverity: 'high',
    zones: ['dmz'], tags: ['web', 'prod'], enabled: true,
  };
  it('filters by event type, severity, zone, tag, org and enabled', () => {
    assert.equal(ruleMatches(rule, event('o')), true);
    assert.equal(ruleMatches(rule, event('o', { severity: 'critical' })), true);
    assert.equal(ruleMatches(rule, event('o', { severity: 'medium' })), false);
    assert.equal(ruleMatches(rule, event('o', { type: 'scan.finished' })), false);
    assert.equal(ruleMatches(rule, event('o', { zone: 'internal' })), false);
    assert.equal(ruleMatches(rule, event('o', { tags: ['db'] })), false);
    assert.equal(ruleMatches(rule, event('other')), false);
    assert.equal(ruleMatches({ ...rule, enabled: false }, event('o')), false);
    const any: NotificationRule = { ...rule, eventTypes: [], minSeverity: null, zones: [], tags: [] };
    assert.equal(ruleMatches(any, event('o', { type: 'scan.finished', severity: undefined, zone: null, tags: [] })), true);
    // Events without a severity pass a severity filter (scan events carry none).
    assert.equal(ruleMatches({ ...rule, eventTypes: ['scan.finished'], zones: [], tags: [] }, event('o', { type: 'scan.finished', severity: undefined })), true);
  });
  it('builds a Slack-compatible payload', () => {
    const p = slackPayload(event('o')) as { text: string; blocks: { type: string }[] };
    assert.equal(p.text, 'finding opened: tls-old on 127.0.0.5:443');
    assert.deepEqual(p.blocks.map((b) => b.type), ['section', 'section', 'context']);
  });
});

describe('notifier deliveries (local receivers)', () => {
  let d: ApiDatabase;
  let hook: WebhookReceiver;
  let smtp: SmtpSink;
  let orgId: string;
  const sleeps: number[] = [];
  let notifier: Notifier;

  before(async () => {
    d = await openApiDatabase(':memory:');
    await d.store.migrate();
    orgId = (await createOrg(d.db, { name: 'n', scope: [] })).id;
    hook = await startWebhookReceiver();
    smtp = await startSmtpSink();
    notifier = new Notifier({
      db: d.db,
      smtp: { host: '127.0.0.1', port: smtp.port, from: 'trawl@example.test' },
      retry: { attempts: 4, baseDelayMs: 100, maxDelayMs: 1000, timeoutMs: 300 },
      // Real backoff is seconds; the test records the delays instead of waiting them out.
      sleep: async (ms) => {
        sleeps.push(ms);
      },
    });
  });
  after(async () => {
    await hook.close();
    await smtp.close();
    await d.close();
  });

  async function deliveries(): Promise<{ rule_id: string; event_id: string; status: string; attempts: number; response_status: number | null; error: string | null }[]> {
    return d.db.selectFrom('notification_deliveries').selectAll().orderBy('created_at').orderBy('id').execute();
  }

  it('signs webhook bodies with HMAC-SHA256 and a timestamp; the receiver verifies them', async () => {
    const { rule, secret } = await createRule(d.db, orgId, { name: 'hook', channel: 'webhook', target: hook.url, eventTypes: [], minSeverity: null, zones: [], tags: [], enabled: true });
    assert.ok(secret && secret.length >= 32, 'a generated secret is returned once');
    hook.respond = () => 200;
    const ev = event(orgId);
    const [r] = await notifier.notify(ev);
    assert.equal(r!.ok, true);
    assert.equal(r!.attempts, 1);
    const got = hook.requests[hook.requests.length - 1]!;
    assert.equal(got.headers['content-type'], 'application/json');
    assert.equal(got.headers['x-trawl-event'], 'finding.opened');
    assert.equal(got.headers['x-trawl-delivery'], ev.id);
    assert.ok(Math.abs(Number(got.headers['x-trawl-timestamp']) - Date.now() / 1000) < 60);
    assert.match(String(got.headers['x-trawl-signature']), /^sha256=[0-9a-f]{64}$/);
    assert.equal(verifySignature(got.body, secret!, String(got.headers['x-trawl-signature'])), true);
    assert.equal(verifySignature(got.body.replace('high', 'low'), secret!, String(got.headers['x-trawl-signature'])), false, 'a tampered body fails');
    assert.equal(verifySignature(got.body, 'another-secret-entirely', String(got.headers['x-trawl-signature'])), false);
    const body = JSON.parse(got.body) as Record<string, unknown>;
    assert.equal(body['id'], ev.id);
    assert.equal(body['severity'], 'high');
    assert.equal(body['title'], ev.title);
    const log = (await deliveries()).filter((x) => x.rule_id === rule.id);
    assert.equal(log.length, 1);
    assert.equal(log[0]!.status, 'delivered');
    assert.equal(log[0]!.response_status, 200);
  });

  it('retries 5xx and timeouts with exponential backoff, a bounded number of times, and logs the outcome', async () => {
    const before = hook.requests.length;
    sleeps.length = 0;
    hook.respond = (n) => (n === before ? 503 : n === before + 1 ? 'hang' : 200);
    const [ok] = await notifier.notify(event(orgId));
    assert.equal(ok!.ok, true);
    assert.equal(ok!.attempts, 3);
    assert.equal(hook.requests.length - before, 3);
    // 100 ms then 200 ms (±10% jitter).
    assert.equal(sleeps.length, 2);
    assert.ok(sleeps[0]! >= 90 && sleeps[0]! <= 110 && sleeps[1]! >= 180 && sleeps[1]! <= 220, String(sleeps));
    // Every attempt carries the same body and signature, so receivers can deduplicate by id.
    const bodies = hook.requests.slice(before).map((r) => r.body);
    assert.equal(new Set(bodies).size, 1);

    const mid = hook.requests.length;
    hook.respond = () => 500;
    const [failed] = await notifier.notify(event(orgId));
    assert.equal(failed!.ok, false);
    assert.equal(failed!.attempts, 4, 'gives up after the bounded attempts');
    assert.equal(failed!.status, 500);
    assert.equal(hook.requests.length - mid, 4);

    const mid2 = hook.requests.length;
    hook.respond = () => 410;
    const [gone] = await notifier.notify(event(orgId));
    assert.equal(gone!.ok, false);
    assert.equal(gone!.attempts, 1, 'a 4xx is final');
    assert.equal(hook.requests.length - mid2, 1);

    const log = await deliveries();
    const last3 = log.slice(-3);
    assert.deepEqual(last3.map((x) => [x.status, x.attempts, x.response_status]), [['delivered', 3, 200], ['failed', 4, 500], ['failed', 1, 410]]);
    assert.match(String(last3[1]!.error), /HTTP 500/);
    hook.respond = () => 200;
  });

  it('sends Slack-style webhooks and e-mail over SMTP, each rule filtered on its own', async () => {
    await d.db.updateTable('notification_rules').set({ enabled: 0 }).execute();
    const slack = await createRule(d.db, orgId, { name: 'slack', channel: 'slack', target: hook.url, eventTypes: ['scan.finished'], minSeverity: null, zones: [], tags: [], enabled: true });
    const mail = await createRule(d.db, orgId, {
      name: 'mail', channel: 'email', target: 'sec@example.test, ops@example.test', eventTypes: ['finding.opened'], minSeverity: 'critical', zones: ['dmz'], tags: [], enabled: true,
    });
    const before = hook.requests.length;

    const scanDone = await notifier.notify(event(orgId, { type: 'scan.finished', severity: undefined, title: 'Scan 01abc done: 3 open ports' }));
    assert.deepEqual(scanDone.map((r) => r.ruleId), [slack.rule.id]);
    const posted = JSON.parse(hook.requests[before]!.body) as { text: string; blocks: unknown[] };
    assert.equal(posted.text, 'Scan 01abc done: 3 open ports');
    assert.ok(posted.blocks.length > 0);
    assert.equal(hook.requests[before]!.headers['x-trawl-signature'], undefined);

    assert.deepEqual((await notifier.notify(event(orgId, { severity: 'high' }))).length, 0, 'below the e-mail rule\'s severity');
    const sent = await notifier.notify(event(orgId, { severity: 'critical', title: 'finding opened: ssh-weak on 127.0.0.9:22' }));
    assert.deepEqual(sent.map((r) => [r.ruleId, r.ok]), [[mail.rule.id, true]]);
    assert.equal(smtp.messages.length, 1);
    const m = smtp.messages[0]!;
    assert.equal(m.from, 'trawl@example.test');
    assert.deepEqual(m.to.sort(), ['ops@example.test', 'sec@example.test']);
    assert.match(m.data, /Subject: \[Trawl\] finding opened: ssh-weak on 127\.0\.0\.9:22/);
    assert.match(m.data, /Severity: critical/);
    assert.match(m.data, /X-Trawl-Event: finding\.opened/);
  });

  it('logs a failed e-mail when the SMTP server is gone', async () => {
    const dead = await startSmtpSink();
    const port = dead.port;
    await dead.close();
    const n = new Notifier({ db: d.db, smtp: { host: '127.0.0.1', port, from: 'trawl@example.test' }, retry: { attempts: 2, baseDelayMs: 1, maxDelayMs: 1, timeoutMs: 500 } });
    const rule = await createRule(d.db, orgId, { name: 'mail2', channel: 'email', target: 'x@example.test', eventTypes: ['test'], minSeverity: null, zones: [], tags: [], enabled: true });
    const r = await n.deliver((await import('../../src/notify/rule-store.js').then((m) => m.getRule(d.db, orgId, rule.rule.id)))!, event(orgId, { type: 'test' }));
    assert.equal(r.ok, false);
    assert.equal(r.attempts, 2);
    assert.match(String(r.error), /ECONNREFUSED|connect/i);
  });
});
