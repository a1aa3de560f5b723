import type { SeverityLevel } from '../store/schema.js';

export const notificationEventTypes = [
  'scan.finished', 'scan.failed', 'scan.cancelled', 'finding.opened', 'finding.reopened', 'finding.fixed', 'change.detected', 'test',
] as const;

export type NotificationEventType = (typeof notificationEventTypes)[number];

/** Something an org may want to hear about. Rules filter on type, severity, zone and tags. */
export interface NotificationEvent {
  /** Unique per event; receivers deduplicate retried deliveries by it. */
  readonly id: string;
  readonly type: NotificationEventType;
  readonly orgId: string;
  readonly occurredAt: string;
  /** Set on finding events; events without one pass any severity filter. */
  readonly severity?: SeverityLevel;
  readonly zone?: string | null;
  readonly tags?: readonly string[];
  /** One line for chat and e-mail subjects. */
  readonly title: string;
  readonly data: Readonly<Record<string, unknown>>;
}

export const severityRank: Readonly<Record<SeverityLevel, number>> = { unknown: 0, none: 1, low: 2, medium: 3, high: 4, critical: 5 };
