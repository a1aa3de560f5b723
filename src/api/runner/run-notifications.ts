import type { Notifier } from '../../notify/notifier.js';
import type { NotificationEventType } from '../../notify/notification-event.js';
import { newId } from '../ids.js';
import type { RunEvents } from './run-events.js';

/** Turns the end of every run into a scan.finished / scan.failed / scan.cancelled notification. */
export function forwardRunNotifications(events: RunEvents, notifier: Notifier): () => void {
  return events.subscribe((e) => {
    if (e.type !== 'run.finished') return;
    const type: NotificationEventType = e.status === 'done' ? 'scan.finished' : e.status === 'failed' ? 'scan.failed' : 'scan.cancelled';
    notifier.enqueue({
      id: newId(), type, orgId: e.orgId, occurredAt: e.at, zone: e.zone, tags: e.tags,
      title: `Scan ${e.scanId} ${e.status}${e.status === 'done' ? `: ${e.openFound} open port${e.openFound === 1 ? '' : 's'}` : ''}`,
      data: { scanId: e.scanId, assessmentId: e.assessmentId, status: e.status, error: e.error, openFound: e.openFound },
    });
  });
}
