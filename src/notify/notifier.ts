import type { Kysely } from 'kysely';
import type { Database } from '../store/schema.js';
import { deliverEmail, deliverSlack, deliverWebhook, type ChannelContext, type SmtpSettings } from './channels.js';
import { defaultRetryPolicy, type DeliveryResult, type RetryPolicy } from './http-delivery.js';
import type { NotificationEvent } from './notification-event.js';
import { ruleMatches, type NotificationRule } from './notification-rule.js';
import { enabledRules, recordDelivery } from './rule-store.js';

export interface NotifierOptions {
  readonly db: Kysely<Database>;
  readonly smtp?: SmtpSettings;
  readonly retry?: Partial<RetryPolicy>;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly onError?: (error: unknown, context: string) => void;
}

export interface RuleDelivery extends DeliveryResult {
  readonly ruleId: string;
  readonly deliveryId: string;
}

/**
 * Delivers events to the rules of their org that want them, each rule on its own (a dead receiver
 * never delays another), and logs every delivery with its attempts and last status.
 */
export class Notifier {
  readonly #opts: NotifierOptions;
  readonly #ctx: ChannelContext;
  readonly #pending = new Set<Promise<unknown>>();

  constructor(opts: NotifierOptions) {
    this.#opts = opts;
    this.#ctx = {
      retry: { ...defaultRetryPolicy, ...opts.retry },
      ...(opts.smtp ? { smtp: opts.smtp } : {}),
      ...(opts.sleep ? { sleep: opts.sleep } : {}),
    };
  }

  /** Delivers to every matching rule of the event's org and resolves when all are done. */
  async notify(event: NotificationEvent): Promise<RuleDelivery[]> {
    const rules = (await enabledRules(this.#opts.db, event.orgId)).filter((r) => ruleMatches(r, event));
    return Promise.all(rules.map((r) => this.deliver(r, event)));
  }

  /** Fire and forget (the runner's path); `drain()` waits for what is in flight. */
  enqueue(event: NotificationEvent): void {
    const p = this.notify(event).catch((e: unknown) => this.#opts.onError?.(e, `notify ${event.type} ${event.id}`));
    this.#pending.add(p);
    void p.finally(() => this.#pending.delete(p));
  }

  async drain(): Promise<void> {
    while (this.#pending.size > 0) await Promise.all([...this.#pending]);
  }

  /** One rule, one event, logged. Also the path of "send a test notification". */
  async deliver(rule: NotificationRule, event: NotificationEvent): Promise<RuleDelivery> {
    const startedAt = new Date().toISOString();
    let result: DeliveryResult;
    try {
      result = rule.channel === 'webhook' ? await deliverWebhook(rule, event, this.#ctx)
        : rule.channel === 'slack' ? await deliverSlack(rule, event, this.#ctx)
        : await deliverEmail(rule, event, this.#ctx);
    } catch (e) {
      result = { ok: false, attempts: 1, status: null, error: e instanceof Error ? e.message : String(e) };
    }
    const deliveryId = await recordDelivery(this.#opts.db, {
      orgId: rule.orgId, ruleId: rule.id, eventType: event.type, eventId: event.id, ok: result.ok, attempts: result.attempts,
      status: result.status, error: result.error, startedAt,
    });
    return { ...result, ruleId: rule.id, deliveryId };
  }
}
