import type { Kysely } from 'kysely';
import { recordClosedPredicate } from '../inventory/closed-recorder.js';
import type { ScanRecord } from '../model/scan.js';
import type { Database } from '../store/schema.js';
import { orgOf } from './assessment.js';

/**
 * The `recordClosed` hook of a worker that can read the inventory (same database as the store): for
 * an assessment of an organisation, the resets worth recording are those on ports its inventory holds
 * open, exactly what the in-process runner records (src/inventory/closed-recorder.ts).
 */
export function inventoryClosedWatch(db: Kysely<Database>): (scan: ScanRecord) => Promise<((ip: string, port: number) => boolean) | undefined> {
  return async (scan) => {
    const org = orgOf(scan);
    return org === undefined ? undefined : recordClosedPredicate(db, org);
  };
}
