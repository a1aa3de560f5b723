import type { Kysely, Selectable } from 'kysely';
import { ruleFromRow } from '../../notify/rule-store.js';
import { scheduleView, type ScheduleView } from '../../schedule/schedule-queries.js';
import type { Database, NotificationDeliveriesTable, NotificationRulesTable } from '../../store/schema.js';
import type { SortDirection } from '../pagination/cursor.js';
import { keysetPage, mapPage, type Page, type SortKey } from '../pagination/keyset.js';

type PageArgs = { limit: number; cursor?: string; sort: SortKey; direction: SortDirection };
const byCreated: SortKey = { name: 'createdAt', columns: ['created_at', 'id'] };

export const createdSorts: Readonly<Record<string, SortKey>> = { createdAt: byCreated };

export async function listSchedules(db: Kysely<Database>, orgId: string, f: { assessmentId?: string; enabled?: boolean }, p: PageArgs): Promise<Page<ScheduleView>> {
  let q = db.selectFrom('schedules').selectAll().where('org_id', '=', orgId);
  if (f.assessmentId !== undefined) q = q.where('assessment_id', '=', f.assessmentId);
  if (f.enabled !== undefined) q = q.where('enabled', '=', f.enabled ? 1 : 0);
  return mapPage(await keysetPage(q, p, (r) => [r.created_at, r.id]), scheduleView);
}

export interface RuleView {
  readonly id: string;
  readonly name: string;
  readonly channel: string;
  readonly target: string;
  /** Secrets are never returned after creation. */
  readonly secretSet: boolean;
  readonly eventTypes: readonly string[];
  readonly minSeverity: string | null;
  readonly zones: readonly string[];
  readonly tags: readonly string[];
  readonly enabled: boolean;
  readonly createdAt: string;
  readonly updatedAt: string;
}

export function ruleView(r: Selectable<NotificationRulesTable>): RuleView {
  const rule = ruleFromRow(r);
  return {
    id: rule.id, name: rule.name, channel: rule.channel, target: rule.target, secretSet: rule.secret !== null, eventTypes: rule.eventTypes,
    minSeverity: rule.minSeverity, zones: rule.zones, tags: rule.tags, enabled: rule.enabled, createdAt: r.created_at, updatedAt: r.updated_at,
  };
}

export async function listRules(db: Kysely<Database>, orgId: string, f: { channel?: string }, p: PageArgs): Promise<Page<RuleView>> {
  let q = db.selectFrom('notification_rules').selectAll().where('org_id', '=', orgId);
  if (f.channel !== undefined) q = q.where('channel', '=', f.channel as Selectable<NotificationRulesTable>['channel']);
  return mapPage(await keysetPage(q, p, (r) => [r.created_at, r.id]), ruleView);
}

export async function getRuleView(db: Kysely<Database>, orgId: string, id: string): Promise<RuleView | undefined> {
  const row = await db.selectFrom('notification_rules').selectAll().where('org_id', '=', orgId).where('id', '=', id).executeTakeFirst();
  return row && ruleView(row);
}

export interface DeliveryView {
  readonly id: string;
  readonly ruleId: string;
  readonly eventType: string;
  readonly eventId: string;
  readonly status: string;
  readonly attempts: number;
  readonly responseStatus: number | null;
  readonly error: string | null;
  readonly createdAt: string;
  readonly finishedAt: string;
}

function deliveryView(r: Selectable<NotificationDeliveriesTable>): DeliveryView {
  return {
    id: r.id, ruleId: r.rule_id, eventType: r.event_type, eventId: r.event_id, status: r.status, attempts: Number(r.attempts),
    responseStatus: r.response_status === null ? null : Number(r.response_status), error: r.error, createdAt: r.created_at, finishedAt: r.finished_at,
  };
}

export async function listDeliveries(db: Kysely<Database>, orgId: string, f: { ruleId?: string; status?: 'delivered' | 'failed' }, p: PageArgs): Promise<Page<DeliveryView>> {
  let q = db.selectFrom('notification_deliveries').selectAll().where('org_id', '=', orgId);
  if (f.ruleId !== undefined) q = q.where('rule_id', '=', f.ruleId);
  if (f.status !== undefined) q = q.where('status', '=', f.status);
  return mapPage(await keysetPage(q, p, (r) => [r.created_at, r.id]), deliveryView);
}
