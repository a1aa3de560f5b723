import type { Selectable } from 'kysely';
import { TrawlError } from '../errors/trawl-error.js';
import type { FindingJson } from '../checks/finding.js';
import type { ServiceIdentity } from '../engines/identify/service-identity.js';
import type { PortObservation } from '../model/observation.js';
import type { ScanCounters, ScanRecord, ScanSpec } from '../model/scan.js';
import type { WorkUnit } from '../model/work-unit.js';
import { counterColumns, type BigintText, type ObservationsTable, type ScansTable, type WorkUnitsTable } from './schema.js';

/** 2^144 (every IPv6 address times every port) has 44 digits; anything much longer is corruption. */
const MAX_DECIMAL_DIGITS = 64;
const DECIMAL = /^(0|[1-9][0-9]*)$/;

/** Canonical decimal text of a non-negative bigint: what the bigint-text columns hold. */
export function toBigintText(value: bigint, what: string): BigintText {
  if (typeof value !== 'bigint' || value < 0n) {
    throw new TrawlError('TRAWL_E_INTERNAL', `${what} must be a non-negative bigint, got ${String(value)}`, { what });
  }
  return value.toString();
}

export function fromBigintText(text: unknown, what: string): bigint {
  if (typeof text !== 'string' || text.length > MAX_DECIMAL_DIGITS || !DECIMAL.test(text)) {
    throw new TrawlError('TRAWL_E_DB', `stored ${what} is not a decimal integer: ${JSON.stringify(String(text).slice(0, 80))}`, { what });
  }
  return BigInt(text);
}

export function scanFromRow(row: Selectable<ScansTable>): ScanRecord {
  const counters = {} as ScanCounters;
  for (const [field, column] of Object.entries(counterColumns) as [keyof ScanCounters, keyof ScansTable][]) {
    counters[field] = fromBigintText(row[column], `${column} of scan ${row.id}`);
  }
  let spec: ScanSpec;
  try {
    spec = JSON.parse(row.spec_json) as ScanSpec;
  } catch (e) {
    throw new TrawlError('TRAWL_E_DB', `stored spec of scan ${row.id} is not valid JSON`, { scanId: row.id }, { cause: e });
  }
  return { id: row.id, createdAt: row.created_at, finishedAt: row.finished_at, status: row.status, spec, counters };
}

export function workUnitFromRow(row: Selectable<WorkUnitsTable>): WorkUnit {
  const where = `work unit ${row.scan_id}/${row.stage}/${row.unit_index}`;
  return {
    scanId: row.scan_id,
    stage: row.stage,
    unitIndex: Number(row.unit_index),
    start: fromBigintText(row.range_start, `range_start of ${where}`),
    end: fromBigintText(row.range_end, `range_end of ${where}`),
    checkpoint: fromBigintText(row.checkpoint, `checkpoint of ${where}`),
    state: row.state,
    attempts: Number(row.attempts),
    leaseOwner: row.lease_owner,
  };
}

export function portObservationFromRow(row: Selectable<ObservationsTable>): PortObservation {
  return {
    type: 'port',
    scanId: row.scan_id,
    ip: row.ip,
    port: Number(row.port),
    proto: row.proto,
    state: row.state,
    ts: row.ts,
    evidence: row.evidence,
    // Absent optionals stay absent (not `undefined` keys), so a row reads back deep-equal to what was written.
    ...(row.rtt_ms !== null ? { rttMs: Number(row.rtt_ms) } : {}),
    ...(row.hostname !== null ? { hostname: row.hostname } : {}),
    ...(row.worker !== null ? { worker: row.worker } : {}),
  };
}

/** The ServiceIdentity a 'service' row carries, or undefined when its JSON is unreadable. */
export function serviceFromRow(row: Pick<Selectable<ObservationsTable>, 'data_json'>): ServiceIdentity | undefined {
  if (row.data_json === null) return undefined;
  try {
    const v = JSON.parse(row.data_json) as ServiceIdentity;
    return typeof v === 'object' && v !== null && typeof v.name === 'string' ? v : undefined;
  } catch {
    return undefined;
  }
}

/** The findings a 'finding' row carries (each sighting keeps the whole finding for outputs). */
export function findingsFromRow(row: Pick<Selectable<ObservationsTable>, 'data_json'>): FindingJson[] {
  if (row.data_json === null) return [];
  try {
    const v = JSON.parse(row.data_json) as { findings?: { finding?: FindingJson }[] };
    return Array.isArray(v.findings) ? v.findings.flatMap((s) => (s && typeof s.finding === 'object' && s.finding !== null ? [s.finding] : [])) : [];
  } catch {
    return [];
  }
}
