import type { FastifyPluginAsync } from 'fastify';
import { notificationEventTypes, type NotificationEventType } from '../../notify/notification-event.js';
import { getRule } from '../../notify/rule-store.js';
import type { NotificationChannel, SeverityLevel } from '../../store/schema.js';
import type { ApiContext } from '../api-context.js';
import { principalOf } from '../auth/auth-plugin.js';
import { newId } from '../ids.js';
import { notFound } from '../http/problem-plugin.js';
import { errorResponses, idParam, idPattern, nullableString, pageOf, pageParams, pageQuery, tagSchema, zoneSchema, type PageQuery } from '../http/schemas.js';
import { createdSorts, getRuleView, listDeliveries, listRules } from '../queries/list-queries.js';
import { createRule, deleteRule, updateRule, type RuleInput } from '../queries/rule-queries.js';
import { deliveryViewSchema, ruleViewSchema } from './view-schemas.js';

const severities = ['none', 'low', 'medium', 'high', 'critical', 'unknown'];

interface RuleBody {
  name: string;
  channel: NotificationChannel;
  target: string;
  secret?: string;
  eventTypes?: NotificationEventType[];
  minSeverity?: SeverityLevel | null;
  zones?: string[];
  tags?: string[];
  enabled?: boolean;
}

/** Notification rules (webhook, Slack, e-mail) and their delivery log. Reading: any role; changing: admin. */
export const notificationRoutes: FastifyPluginAsync<ApiContext> = async (app, ctx) => {
  const tags = ['notifications'];
  const props = {
    name: { type: 'string', minLength: 1, maxLength: 200 },
    channel: { type: 'string', enum: ['webhook', 'slack', 'email'] },
    target: { type: 'string', minLength: 1, maxLength: 2048, description: 'http(s) URL (webhook, slack) or comma-separated e-mail addresses' },
    secret: { type: 'string', minLength: 16, maxLength: 200, description: 'HMAC key for X-Trawl-Signature (webhook); generated when omitted' },
    eventTypes: { type: 'array', maxItems: notificationEventTypes.length, uniqueItems: true, items: { type: 'string', enum: [...notificationEventTypes] }, description: 'Empty: every event' },
    minSeverity: { anyOf: [{ type: 'string', enum: severities }, { type: 'null' }] },
    zones: { type: 'array', maxItems: 50, items: zoneSchema },
    tags: { type: 'array', maxItems: 50, items: tagSchema },
    enabled: { type: 'boolean' },
  } as const;

  app.get<{ Querystring: PageQuery & { channel?: string } }>('/notification-rules', {
    schema: {
      tags, summary: 'List notification rules',
      querystring: pageQuery(Object.keys(createdSorts), { channel: { type: 'string', enum: ['webhook', 'slack', 'email'] } }),
      response: { 200: pageOf(ruleViewSchema), ...errorResponses },
    },
  }, async (request) => {
    const { channel } = request.query;
    return listRules(ctx.db, principalOf(request).orgId, channel !== undefined ? { channel } : {}, pageParams(request.query, createdSorts, 'desc'));
  });

  app.post<{ Body: RuleBody }>('/notification-rules', {
    config: { minRole: 'admin', audit: 'notification-rule.create' },
    schema: {
      tags, summary: 'Create a notification rule',
      body: { type: 'object', properties: props, required: ['name', 'channel', 'target'], additionalProperties: false },
      response: { 201: { type: 'object', properties: { rule: ruleViewSchema, secret: nullableString } }, ...errorResponses },
    },
  }, async (request, reply) => {
    const b = request.body;
    const input: RuleInput = {
      name: b.name, channel: b.channel, target: b.target, ...(b.secret !== undefined ? { secret: b.secret } : {}), eventTypes: b.eventTypes ?? [],
      minSeverity: b.minSeverity ?? null, zones: b.zones ?? [], tags: b.tags ?? [], enabled: b.enabled ?? true,
    };
    const created = await createRule(ctx.db, principalOf(request).orgId, input);
    request.auditTarget = created.rule.id;
    return reply.code(201).send(created);
  });

  app.get<{ Params: { id: string } }>('/notification-rules/:id', {
    schema: { tags, summary: 'One rule', params: idParam, response: { 200: ruleViewSchema, ...errorResponses } },
  }, async (request) => {
    const r = await getRuleView(ctx.db, principalOf(request).orgId, request.params.id);
    if (!r) throw notFound('notification rule', request.params.id);
    return r;
  });

  app.patch<{ Params: { id: string }; Body: Partial<RuleBody> }>('/notification-rules/:id', {
    config: { minRole: 'admin', audit: 'notification-rule.update' },
    schema: { tags, summary: 'Change a rule', params: idParam, body: { type: 'object', properties: props, additionalProperties: false, minProperties: 1 }, response: { 200: ruleViewSchema, ...errorResponses } },
  }, async (request) => {
    const r = await updateRule(ctx.db, principalOf(request).orgId, request.params.id, request.body as Partial<RuleInput>);
    if (!r) throw notFound('notification rule', request.params.id);
    return r;
  });

  app.delete<{ Params: { id: string } }>('/notification-rules/:id', {
    config: { minRole: 'admin', audit: 'notification-rule.delete' },
    schema: { tags, summary: 'Delete a rule', params: idParam, response: { 204: { type: 'null' }, ...errorResponses } },
  }, async (request, reply) => {
    if (!(await deleteRule(ctx.db, principalOf(request).orgId, request.params.id))) throw notFound('notification rule', request.params.id);
    return reply.code(204).send();
  });

  app.post<{ Params: { id: string } }>('/notification-rules/:id/test', {
    config: { minRole: 'admin', audit: 'notification-rule.test' },
    schema: {
      tags, summary: 'Send a test event through this rule now (waits for the delivery, retries included)',
      params: idParam,
      response: {
        200: { type: 'object', properties: { deliveryId: { type: 'string' }, ok: { type: 'boolean' }, attempts: { type: 'integer' }, status: { anyOf: [{ type: 'integer' }, { type: 'null' }] }, error: nullableString } },
        ...errorResponses,
      },
    },
  }, async (request) => {
    const p = principalOf(request);
    const rule = await getRule(ctx.db, p.orgId, request.params.id);
    if (!rule) throw notFound('notification rule', request.params.id);
    const r = await ctx.notifier.deliver({ ...rule, enabled: true }, {
      id: newId(), type: 'test', orgId: p.orgId, occurredAt: new Date().toISOString(), title: `Trawl test notification for rule "${rule.name}"`,
      data: { ruleId: rule.id, requestedBy: p.actor },
    });
    return { deliveryId: r.deliveryId, ok: r.ok, attempts: r.attempts, status: r.status, error: r.error };
  });

  app.get<{ Querystring: PageQuery & { ruleId?: string; status?: 'delivered' | 'failed' } }>('/notification-deliveries', {
    schema: {
      tags, summary: 'Delivery log: one entry per rule and event, with attempts and the last status',
      querystring: pageQuery(Object.keys(createdSorts), { ruleId: { type: 'string', pattern: idPattern }, status: { type: 'string', enum: ['delivered', 'failed'] } }),
      response: { 200: pageOf(deliveryViewSchema), ...errorResponses },
    },
  }, async (request) => {
    const { ruleId, status } = request.query;
    return listDeliveries(ctx.db, principalOf(request).orgId, { ...(ruleId !== undefined ? { ruleId } : {}), ...(status !== undefined ? { status } : {}) }, pageParams(request.query, createdSorts, 'desc'));
  });
};
