import nodemailer from 'nodemailer';
import type { NotificationEvent } from './notification-event.js';
import type { NotificationRule } from './notification-rule.js';
import { postWithRetry, type DeliveryResult, type RetryPolicy } from './http-delivery.js';
import { signBody } from './webhook-signature.js';

export interface SmtpSettings {
  readonly host: string;
  readonly port: number;
  /** Implicit TLS (port 465); otherwise STARTTLS when the server offers it. */
  readonly secure?: boolean;
  readonly user?: string;
  readonly pass?: string;
  readonly from: string;
}

export interface ChannelContext {
  readonly retry: RetryPolicy;
  readonly smtp?: SmtpSettings;
  readonly sleep?: (ms: number) => Promise<void>;
}

/** The JSON every webhook receives; identical on every retry, so the signature and `id` are stable. */
export function webhookBody(event: NotificationEvent, sentAt: string): string {
  return JSON.stringify({
    id: event.id, type: event.type, orgId: event.orgId, occurredAt: event.occurredAt, sentAt,
    ...(event.severity !== undefined ? { severity: event.severity } : {}),
    ...(event.zone !== undefined ? { zone: event.zone } : {}),
    ...(event.tags !== undefined ? { tags: event.tags } : {}),
    title: event.title, data: event.data,
  });
}

export async function deliverWebhook(rule: NotificationRule, event: NotificationEvent, ctx: ChannelContext): Promise<DeliveryResult> {
  const body = webhookBody(event, new Date().toISOString());
  const signature = rule.secret !== null ? signBody(body, rule.secret) : undefined;
  return postWithRetry(rule.target, body, (attempt) => ({
    'content-type': 'application/json',
    'user-agent': 'trawl-webhook/1',
    'x-trawl-event': event.type,
    'x-trawl-delivery': event.id,
    'x-trawl-attempt': String(attempt),
    'x-trawl-timestamp': String(Math.floor(Date.now() / 1000)),
    ...(signature !== undefined ? { 'x-trawl-signature': signature } : {}),
  }), ctx.retry, ctx.sleep);
}

/** Slack incoming-webhook payload: `text` for notifications, `blocks` for the message itself. */
export function slackPayload(event: NotificationEvent): Record<string, unknown> {
  const facts = [
    `*event:* \`${event.type}\``,
    ...(event.severity !== undefined ? [`*severity:* ${event.severity}`] : []),
    ...(event.zone ? [`*zone:* ${event.zone}`] : []),
    ...(event.tags && event.tags.length > 0 ? [`*tags:* ${event.tags.join(', ')}`] : []),
  ];
  return {
    text: event.title,
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text: `*${mrkdwnEscape(event.title)}*` } },
      { type: 'section', text: { type: 'mrkdwn', text: facts.join('\n') } },
      { type: 'context', elements: [{ type: 'mrkdwn', text: `Trawl · ${event.occurredAt} · ${event.id}` }] },
    ],
  };
}

function mrkdwnEscape(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export async function deliverSlack(rule: NotificationRule, event: NotificationEvent, ctx: ChannelContext): Promise<DeliveryResult> {
  const body = JSON.stringify(slackPayload(event));
  return postWithRetry(rule.target, body, () => ({ 'content-type': 'application/json', 'user-agent': 'trawl-webhook/1' }), ctx.retry, ctx.sleep);
}

export async function deliverEmail(rule: NotificationRule, event: NotificationEvent, ctx: ChannelContext): Promise<DeliveryResult> {
  const smtp = ctx.smtp;
  if (!smtp) return { ok: false, attempts: 0, status: null, error: 'no SMTP server configured (trawl serve --smtp-…)' };
  const transport = nodemailer.createTransport({
    host: smtp.host,
    port: smtp.port,
    secure: smtp.secure === true,
    ...(smtp.user !== undefined ? { auth: { user: smtp.user, pass: smtp.pass ?? '' } } : {}),
    connectionTimeout: ctx.retry.timeoutMs,
    greetingTimeout: ctx.retry.timeoutMs,
    socketTimeout: ctx.retry.timeoutMs,
  });
  const lines = [
    event.title, '',
    `Event: ${event.type}`,
    ...(event.severity !== undefined ? [`Severity: ${event.severity}`] : []),
    ...(event.zone ? [`Zone: ${event.zone}`] : []),
    ...(event.tags && event.tags.length > 0 ? [`Tags: ${event.tags.join(', ')}`] : []),
    `Time: ${event.occurredAt}`, '',
    JSON.stringify(event.data, null, 2),
  ];
  let error: string | null = null;
  const attempts = Math.max(1, ctx.retry.attempts);
  const sleep = ctx.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  try {
    for (let attempt = 1; attempt <= attempts; attempt++) {
      if (attempt > 1) await sleep(Math.min(ctx.retry.maxDelayMs, ctx.retry.baseDelayMs * 2 ** (attempt - 2)));
      try {
        await transport.sendMail({
          from: smtp.from,
          to: rule.target.split(',').map((s) => s.trim()).filter(Boolean),
          subject: `[Trawl] ${event.title}`.replace(/[\r\n]+/g, ' ').slice(0, 200),
          text: lines.join('\n'),
          headers: { 'X-Trawl-Event': event.type, 'X-Trawl-Delivery': event.id },
        });
        return { ok: true, attempts: attempt, status: null, error: null };
      } catch (e) {
        const err = e as Error & { responseCode?: number };
        error = err.message;
        // 5xx SMTP replies are permanent (bad recipient, refused); 4xx and connection errors are retried.
        if (err.responseCode !== undefined && err.responseCode >= 500) return { ok: false, attempts: attempt, status: err.responseCode, error };
      }
    }
    return { ok: false, attempts, status: null, error };
  } finally {
    transport.close();
  }
}
