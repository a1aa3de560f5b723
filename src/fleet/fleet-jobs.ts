import { TrawlError } from '../errors/trawl-error.js';
import type { WorkUnit } from '../model/work-unit.js';
import type { JobInput, JsonValue } from '../queue/job.js';
import { workUnitKey } from '../queue/reconcile.js';

/**
 * The jobs of a fleet assessment. A job carries only what finds its work in the store (a unit is a
 * few integers: the scan id and the unit index; the range and checkpoint are read from the store when
 * the job runs), so a redelivered or reconciled job always resumes from the latest checkpoint.
 */
export const DISCOVER_KIND = 'discover-unit';
export const IDENTIFY_KIND = 'identify-host';
export const CHECK_KIND = 'check-host';

export interface DiscoverPayload {
  readonly scanId: string;
  readonly unit: number;
}

export interface IdentifyPayload {
  readonly scanId: string;
  readonly ip: string;
  /** Open ports of the host still without a service fact when the job was made. */
  readonly ports: readonly number[];
  /** The host's check unit, when the assessment runs checks: its check job follows this one. */
  readonly checkUnit?: number;
}

export interface CheckPayload {
  readonly scanId: string;
  /** The host's `check` work unit (one per host with open ports, in address order). */
  readonly unit: number;
  readonly ip: string;
}

/** How an assessment's jobs are queued: its zone and how many leases a unit gets before it is dead. */
export interface JobPolicy {
  readonly zone?: string;
  readonly attempts: number;
}

/** The dedup key of an identify job: one per host and scan (identify jobs are made once discovery is complete). */
export function identifyKey(scanId: string, ip: string): string {
  return `${scanId}/identify/${ip}`;
}

/** The dedup key of a check job: one per host and scan. */
export function checkKey(scanId: string, ip: string): string {
  return `${scanId}/check/${ip}`;
}

export function discoverJob(unit: Pick<WorkUnit, 'scanId' | 'stage' | 'unitIndex'>, policy: JobPolicy): JobInput {
  const payload: DiscoverPayload = { scanId: unit.scanId, unit: unit.unitIndex };
  return {
    kind: DISCOVER_KIND,
    payload: payload as unknown as JsonValue,
    dedupKey: workUnitKey(unit),
    group: unit.scanId,
    attempts: policy.attempts,
    backoff: { type: 'exponential', delayMs: 500, jitter: 0.2 },
    ...(policy.zone !== undefined ? { zone: policy.zone } : {}),
  };
}

export function identifyJob(payload: IdentifyPayload, policy: JobPolicy): JobInput {
  return {
    kind: IDENTIFY_KIND,
    payload: { scanId: payload.scanId, ip: payload.ip, ports: [...payload.ports], ...(payload.checkUnit !== undefined ? { checkUnit: payload.checkUnit } : {}) },
    dedupKey: identifyKey(payload.scanId, payload.ip),
    group: payload.scanId,
    attempts: policy.attempts,
    // Discovery comes first: identify jobs of a scan queue behind any discover work still waiting.
    priority: 2000,
    backoff: { type: 'exponential', delayMs: 500, jitter: 0.2 },
    ...(policy.zone !== undefined ? { zone: policy.zone } : {}),
  };
}

export function checkJob(payload: CheckPayload, policy: JobPolicy): JobInput {
  return {
    kind: CHECK_KIND,
    payload: { scanId: payload.scanId, unit: payload.unit, ip: payload.ip },
    dedupKey: checkKey(payload.scanId, payload.ip),
    group: payload.scanId,
    attempts: policy.attempts,
    // Behind identify work: a host's checks read what identify said about its ports.
    priority: 3000,
    backoff: { type: 'exponential', delayMs: 500, jitter: 0.2 },
    ...(policy.zone !== undefined ? { zone: policy.zone } : {}),
  };
}

const MAX_PORTS = 65536;

function bad(kind: string, why: string): TrawlError {
  return new TrawlError('TRAWL_E_INTERNAL', `malformed ${kind} job payload: ${why}`, { kind });
}

/** Payloads come from the queue, i.e. from outside this process: check their shape before use. */
export function parseDiscoverPayload(p: JsonValue): DiscoverPayload {
  if (typeof p !== 'object' || p === null || Array.isArray(p)) throw bad(DISCOVER_KIND, 'not an object');
  const { scanId, unit } = p as Record<string, JsonValue>;
  if (typeof scanId !== 'string' || scanId.length === 0 || scanId.length > 200) throw bad(DISCOVER_KIND, 'scanId');
  if (typeof unit !== 'number' || !Number.isInteger(unit) || unit < 0) throw bad(DISCOVER_KIND, 'unit');
  return { scanId, unit };
}

export function parseIdentifyPayload(p: JsonValue): IdentifyPayload {
  if (typeof p !== 'object' || p === null || Array.isArray(p)) throw bad(IDENTIFY_KIND, 'not an object');
  const { scanId, ip, ports, checkUnit } = p as Record<string, JsonValue>;
  if (typeof scanId !== 'string' || scanId.length === 0 || scanId.length > 200) throw bad(IDENTIFY_KIND, 'scanId');
  if (typeof ip !== 'string' || ip.length === 0 || ip.length > 64) throw bad(IDENTIFY_KIND, 'ip');
  if (!Array.isArray(ports) || ports.length > MAX_PORTS || !ports.every((x) => typeof x === 'number' && Number.isInteger(x) && x >= 1 && x <= 65535)) {
    throw bad(IDENTIFY_KIND, 'ports');
  }
  if (checkUnit !== undefined && (typeof checkUnit !== 'number' || !Number.isInteger(checkUnit) || checkUnit < 0)) throw bad(IDENTIFY_KIND, 'checkUnit');
  return { scanId, ip, ports: ports as number[], ...(checkUnit !== undefined ? { checkUnit } : {}) };
}

export function parseCheckPayload(p: JsonValue): CheckPayload {
  if (typeof p !== 'object' || p === null || Array.isArray(p)) throw bad(CHECK_KIND, 'not an object');
  const { scanId, unit, ip } = p as Record<string, JsonValue>;
  if (typeof scanId !== 'string' || scanId.length === 0 || scanId.length > 200) throw bad(CHECK_KIND, 'scanId');
  if (typeof unit !== 'number' || !Number.isInteger(unit) || unit < 0) throw bad(CHECK_KIND, 'unit');
  if (typeof ip !== 'string' || ip.length === 0 || ip.length > 64) throw bad(CHECK_KIND, 'ip');
  return { scanId, unit, ip };
}
