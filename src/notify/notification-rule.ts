import type { NotificationChannel, SeverityLevel } from '../store/schema.js';
import { severityRank, type NotificationEvent, type NotificationEventType } from './notification-event.js';

export interface NotificationRule {
  readonly id: string;
  readonly orgId: string;
  readonly name: string;
  readonly channel: NotificationChannel;
  /** URL for webhook and slack; comma-separated addresses for email. */
  readonly target: string;
  readonly secret: string | null;
  /** Empty: every event type. */
  readonly eventTypes: readonly NotificationEventType[];
  readonly minSeverity: SeverityLevel | null;
  /** Empty: any zone. */
  readonly zones: readonly string[];
  /** Empty: any tags; otherwise the event must carry at least one of them. */
  readonly tags: readonly string[];
  readonly enabled: boolean;
}

/** Whether a rule wants an event (its org is checked by the caller, which loads only that org's rules). */
export function ruleMatches(rule: NotificationRule, event: NotificationEvent): boolean {
  if (!rule.enabled || rule.orgId !== event.orgId) return false;
  if (event.type === 'test') return true;
  if (rule.eventTypes.length > 0 && !rule.eventTypes.includes(event.type)) return false;
  if (rule.minSeverity !== null && event.severity !== undefined && severityRank[event.severity] < severityRank[rule.minSeverity]) return false;
  if (rule.zones.length > 0 && (event.zone === undefined || event.zone === null || !rule.zones.includes(event.zone))) return false;
  if (rule.tags.length > 0 && !(event.tags ?? []).some((t) => rule.tags.includes(t))) return false;
  return true;
}
