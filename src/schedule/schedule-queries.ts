import type { Kysely, Selectable } from 'kysely';
import { newScanId } from '../scan/scan-id.js';
import type { Database, SchedulesTable } from '../store/schema.js';
import { nextRunAfter } from './cron-schedule.js';

export interface ScheduleView {
  readonly id: string;
  readonly assessmentId: string;
  readonly cron: string;
  readonly timezone: string;
  readonly enabled: boolean;
  readonly nextRunAt: string | null;
  readonly lastRunAt: string | null;
  readonly lastScanId: string | null;
  readonly createdAt: string;
  readonly updatedAt: string;
}

export function scheduleView(r: Selectable<SchedulesTable>): ScheduleView {
  return {
    id: r.id, assessmentId: r.assessment_id, cron: r.cron, timezone: r.timezone, enabled: Number(r.enabled) === 1, nextRunAt: r.next_run_at,
    lastRunAt: r.last_run_at, lastScanId: r.last_scan_id, createdAt: r.created_at, updatedAt: r.updated_at,
  };
}

/** The caller has checked the cron expression (checkCron) and that the assessment is the org's. */
export async function createSchedule(
  db: Kysely<Database>, orgId: string, input: { assessmentId: string; cron: string; timezone: string; enabled: boolean }, now: Date,
): Promise<ScheduleView> {
  const at = now.toISOString();
  const row: Selectable<SchedulesTable> = {
    id: newScanId(now.getTime()), org_id: orgId, assessment_id: input.assessmentId, cron: input.cron, timezone: input.timezone,
    enabled: input.enabled ? 1 : 0, next_run_at: input.enabled ? nextRunAfter(input.cron, input.timezone, now)?.toISOString() ?? null : null,
    last_run_at: null, last_scan_id: null, created_at: at, updated_at: at,
  };
  await db.insertInto('schedules').values(row).execute();
  return scheduleView(row);
}

export async function getSchedule(db: Kysely<Database>, orgId: string, id: string): Promise<ScheduleView | undefined> {
  const row = await db.selectFrom('schedules').selectAll().where('org_id', '=', orgId).where('id', '=', id).executeTakeFirst();
  return row && scheduleView(row);
}

/** Changing the expression, zone or enabling recomputes the next run from `now`. */
export async function updateSchedule(
  db: Kysely<Database>, orgId: string, id: string, patch: { cron?: string; timezone?: string; enabled?: boolean }, now: Date,
): Promise<ScheduleView | undefined> {
  const current = await db.selectFrom('schedules').selectAll().where('org_id', '=', orgId).where('id', '=', id).executeTakeFirst();
  if (!current) return undefined;
  const cron = patch.cron ?? current.cron;
  const timezone = patch.timezone ?? current.timezone;
  const enabled = patch.enabled ?? Number(current.enabled) === 1;
  await db.updateTable('schedules').set({
    cron, timezone, enabled: enabled ? 1 : 0, updated_at: now.toISOString(),
    next_run_at: enabled ? nextRunAfter(cron, timezone, now)?.toISOString() ?? null : null,
  }).where('org_id', '=', orgId).where('id', '=', id).execute();
  return getSchedule(db, orgId, id);
}

export async function deleteSchedule(db: Kysely<Database>, orgId: string, id: string): Promise<boolean> {
  const r = await db.deleteFrom('schedules').where('org_id', '=', orgId).where('id', '=', id).executeTakeFirst();
  return r.numDeletedRows > 0n;
}

/** Enabled schedules whose next run is due, oldest first; at most `limit` per tick. */
export async function dueSchedules(db: Kysely<Database>, now: Date, limit: number): Promise<Selectable<SchedulesTable>[]> {
  return db.selectFrom('schedules').selectAll().where('enabled', '=', 1).where('next_run_at', '<=', now.toISOString())
    .orderBy('next_run_at').orderBy('id').limit(limit).execute();
}

/**
 * Moves a due schedule to its next run, only if nobody else did: the UPDATE matches the next_run_at
 * that was read, so two servers polling one database fire a schedule once.
 */
export async function advanceSchedule(db: Kysely<Database>, row: Selectable<SchedulesTable>, now: Date): Promise<boolean> {
  const next = nextRunAfter(row.cron, row.timezone, now);
  const r = await db.updateTable('schedules')
    .set({ next_run_at: next?.toISOString() ?? null, last_run_at: now.toISOString(), updated_at: now.toISOString() })
    .where('id', '=', row.id).where('next_run_at', '=', row.next_run_at)
    .executeTakeFirst();
  return r.numUpdatedRows === 1n;
}

export async function recordScheduledScan(db: Kysely<Database>, id: string, scanId: string): Promise<void> {
  await db.updateTable('schedules').set({ last_scan_id: scanId }).where('id', '=', id).execute();
}
