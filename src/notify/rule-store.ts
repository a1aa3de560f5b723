import type { Kysely, Selectable } from 'kysely';
import { newScanId } from '../scan/scan-id.js';
import type { Database, NotificationRulesTable } from '../store/schema.js';
import type { NotificationEventType } from './notification-event.js';
import type { NotificationRule } from './notification-rule.js';

function list<T>(text: string): T[] {
  try {
    const v = JSON.parse(text) as unknown;
    return Array.isArray(v) ? (v as T[]) : [];
  } catch {
    return [];
  }
}

export function ruleFromRow(r: Selectable<NotificationRulesTable>): NotificationRule {
  return {
    id: r.id, orgId: r.org_id, name: r.name, channel: r.channel, target: r.target, secret: r.secret,
    eventTypes: list<NotificationEventType>(r.event_types_json), minSeverity: r.min_severity,
    zones: list<string>(r.zones_json), tags: list<string>(r.tags_json), enabled: Number(r.enabled) === 1,
  };
}

/** An org has a handful of rules; bounded anyway so a runaway config cannot stall every event. */
const MAX_RULES_PER_EVENT = 500;

export async function enabledRules(db: Kysely<Database>, orgId: string): Promise<NotificationRule[]> {
  const rows = await db.selectFrom('notification_rules').selectAll().where('org_id', '=', orgId).where('enabled', '=', 1)
    .orderBy('created_at').orderBy('id').limit(MAX_RULES_PER_EVENT).execute();
  return rows.map(ruleFromRow);
}

export async function getRule(db: Kysely<Database>, orgId: string, id: string): Promise<NotificationRule | undefined> {
  const row = await db.selectFrom('notification_rules').selectAll().where('org_id', '=', orgId).where('id', '=', id).executeTakeFirst();
  return row && ruleFromRow(row);
}

export interface DeliveryRecord {
  readonly orgId: string;
  readonly ruleId: string;
  readonly eventType: string;
  readonly eventId: string;
  readonly ok: boolean;
  readonly attempts: number;
  readonly status: number | null;
  readonly error: string | null;
  readonly startedAt: string;
}

export async function recordDelivery(db: Kysely<Database>, d: DeliveryRecord): Promise<string> {
  const id = newScanId();
  await db.insertInto('notification_deliveries').values({
    id, org_id: d.orgId, rule_id: d.ruleId, event_type: d.eventType, event_id: d.eventId, status: d.ok ? 'delivered' : 'failed',
    attempts: d.attempts, response_status: d.status, error: d.error === null ? null : d.error.slice(0, 500), created_at: d.startedAt,
    finished_at: new Date().toISOString(),
  }).execute();
  return id;
}
