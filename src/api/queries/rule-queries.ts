import { randomBytes } from 'node:crypto';
import type { Kysely, Selectable } from 'kysely';
import { TrawlError } from '../../errors/trawl-error.js';
import type { NotificationEventType } from '../../notify/notification-event.js';
import type { Database, NotificationChannel, NotificationRulesTable, SeverityLevel } from '../../store/schema.js';
import { newId, nowIso } from '../ids.js';
import { getRuleView, type RuleView } from './list-queries.js';

export interface RuleInput {
  readonly name: string;
  readonly channel: NotificationChannel;
  readonly target: string;
  readonly secret?: string;
  readonly eventTypes: readonly NotificationEventType[];
  readonly minSeverity: SeverityLevel | null;
  readonly zones: readonly string[];
  readonly tags: readonly string[];
  readonly enabled: boolean;
}

const EMAIL = /^[^\s@,;<>"]{1,64}@[A-Za-z0-9.-]{1,253}$/;
const MAX_RECIPIENTS = 20;

/** A webhook/Slack target is an http(s) URL; an e-mail target is a comma-separated address list. */
export function checkRuleTarget(channel: NotificationChannel, target: string): void {
  if (channel === 'email') {
    const list = target.split(',').map((s) => s.trim()).filter(Boolean);
    if (list.length === 0 || list.length > MAX_RECIPIENTS) throw new TrawlError('TRAWL_E_VALIDATION', `body.target must list 1 to ${MAX_RECIPIENTS} e-mail addresses`, { field: 'body.target' });
    const bad = list.find((a) => !EMAIL.test(a));
    if (bad !== undefined) throw new TrawlError('TRAWL_E_VALIDATION', `body.target: "${bad.slice(0, 100)}" is not an e-mail address`, { field: 'body.target', value: bad.slice(0, 100) });
    return;
  }
  let url: URL;
  try {
    url = new URL(target);
  } catch {
    throw new TrawlError('TRAWL_E_VALIDATION', 'body.target is not a URL', { field: 'body.target' });
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new TrawlError('TRAWL_E_VALIDATION', `body.target must be an http(s) URL, not ${url.protocol}`, { field: 'body.target' });
  if (url.username !== '' || url.password !== '') throw new TrawlError('TRAWL_E_VALIDATION', 'body.target must not carry credentials in the URL', { field: 'body.target' });
}

/** Creates a rule; a webhook rule without a secret gets a generated one, returned here only. */
export async function createRule(db: Kysely<Database>, orgId: string, input: RuleInput): Promise<{ rule: RuleView; secret: string | null }> {
  checkRuleTarget(input.channel, input.target);
  const secret = input.channel === 'webhook' ? (input.secret ?? randomBytes(32).toString('base64url')) : (input.secret ?? null);
  const now = nowIso();
  const row: Selectable<NotificationRulesTable> = {
    id: newId(), org_id: orgId, name: input.name, channel: input.channel, target: input.target, secret,
    event_types_json: JSON.stringify(input.eventTypes), min_severity: input.minSeverity, zones_json: JSON.stringify(input.zones),
    tags_json: JSON.stringify(input.tags), enabled: input.enabled ? 1 : 0, created_at: now, updated_at: now,
  };
  await db.insertInto('notification_rules').values(row).execute();
  const rule = await getRuleView(db, orgId, row.id);
  return { rule: rule!, secret: input.secret === undefined ? secret : null };
}

export async function updateRule(db: Kysely<Database>, orgId: string, id: string, patch: Partial<RuleInput>): Promise<RuleView | undefined> {
  const current = await db.selectFrom('notification_rules').selectAll().where('org_id', '=', orgId).where('id', '=', id).executeTakeFirst();
  if (!current) return undefined;
  const channel = patch.channel ?? current.channel;
  if (patch.target !== undefined || patch.channel !== undefined) checkRuleTarget(channel, patch.target ?? current.target);
  const set: Partial<Selectable<NotificationRulesTable>> = { updated_at: nowIso() };
  if (patch.name !== undefined) set.name = patch.name;
  if (patch.channel !== undefined) set.channel = patch.channel;
  if (patch.target !== undefined) set.target = patch.target;
  if (patch.secret !== undefined) set.secret = patch.secret;
  if (patch.eventTypes !== undefined) set.event_types_json = JSON.stringify(patch.eventTypes);
  if (patch.minSeverity !== undefined) set.min_severity = patch.minSeverity;
  if (patch.zones !== undefined) set.zones_json = JSON.stringify(patch.zones);
  if (patch.tags !== undefined) set.tags_json = JSON.stringify(patch.tags);
  if (patch.enabled !== undefined) set.enabled = patch.enabled ? 1 : 0;
  await db.updateTable('notification_rules').set(set).where('org_id', '=', orgId).where('id', '=', id).execute();
  return getRuleView(db, orgId, id);
}

export async function deleteRule(db: Kysely<Database>, orgId: string, id: string): Promise<boolean> {
  const r = await db.deleteFrom('notification_rules').where('org_id', '=', orgId).where('id', '=', id).executeTakeFirst();
  return r.numDeletedRows > 0n;
}
