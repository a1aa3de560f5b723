import type { Kysely } from 'kysely';
import { applyScan } from '../../inventory/inventory-apply.js';
import type { ChangeEvent } from '../../inventory/inventory-types.js';
import { recordRunContext } from '../../inventory/scan-context.js';
import type { Notifier } from '../../notify/notifier.js';
import type { NotificationEvent, NotificationEventType } from '../../notify/notification-event.js';
import type { Database, SeverityLevel } from '../../store/schema.js';
import { newId } from '../ids.js';
import type { FinishedRun } from './in-process-runner.js';

/** Finding events notified one by one per scan; past this, one summary says how many more there were. */
const MAX_FINDING_EVENTS = 200;
const SEVERITIES: ReadonlySet<string> = new Set(['none', 'low', 'medium', 'high', 'critical', 'unknown']);

function severityOf(c: ChangeEvent): SeverityLevel | undefined {
  for (const side of [c.after, c.before]) {
    if (side !== null && typeof side === 'object' && !Array.isArray(side)) {
      const s = (side as Record<string, unknown>)['severity'];
      if (typeof s === 'string' && SEVERITIES.has(s)) return s as SeverityLevel;
    }
  }
  return undefined;
}

/**
 * After a run finishes: record on the scan the org, zone and tags of its assessment (so its assets
 * carry them, in this fold and in any rebuild), fold the scan into the org's inventory
 * (src/inventory), then notify its finding events one by one (finding.opened / reopened / fixed, with
 * severity) and the other changes as one change.detected summary. Interrupted and failed scans are
 * not folded.
 */
export function inventoryAfterRun(db: Kysely<Database>, notifier: Notifier): (run: FinishedRun) => Promise<void> {
  return async (run) => {
    if (run.status !== 'done') return;
    await recordRunContext(db, run.scanId, run);
    const result = await applyScan(db, run.scanId);
    if (!result.applied) return;
    const base = { orgId: run.orgId, zone: run.zone, tags: run.tags };
    const findingEvents = result.events.filter((c) => c.kind === 'finding_opened' || c.kind === 'finding_reopened' || c.kind === 'finding_fixed');
    const typeOf: Record<string, NotificationEventType> = { finding_opened: 'finding.opened', finding_reopened: 'finding.reopened', finding_fixed: 'finding.fixed' };
    for (const c of findingEvents.slice(0, MAX_FINDING_EVENTS)) {
      const severity = severityOf(c);
      const event: NotificationEvent = {
        ...base, id: newId(), type: typeOf[c.kind]!, occurredAt: c.at, ...(severity !== undefined ? { severity } : {}),
        title: `${c.kind.replace('_', ' ')}: ${c.checkId ?? 'check'} on ${c.address}${c.port ? `:${c.port}` : ''}`,
        data: { scanId: c.scanId, address: c.address, port: c.port, proto: c.proto, checkId: c.checkId, before: c.before, after: c.after, evidence: c.evidence },
      };
      notifier.enqueue(event);
    }
    const others = result.events.filter((c) => !findingEvents.includes(c));
    if (others.length > 0 || findingEvents.length > MAX_FINDING_EVENTS) {
      const counts: Record<string, number> = {};
      for (const c of result.events) counts[c.kind] = (counts[c.kind] ?? 0) + 1;
      notifier.enqueue({
        ...base, id: newId(), type: 'change.detected', occurredAt: new Date().toISOString(),
        title: `Scan ${run.scanId}: ${result.events.length} change${result.events.length === 1 ? '' : 's'}`,
        data: { scanId: run.scanId, prevScanId: result.prevScanId, counts, sample: others.slice(0, 20).map(({ orgId: _o, ...c }) => c) },
      });
    }
  };
}
