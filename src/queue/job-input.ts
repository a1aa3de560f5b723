import { TrawlError } from '../errors/trawl-error.js';
import type { BackoffOptions, JobInput, JsonValue, LeaseOptions, QueueFilter, RateLimit, WorkerIdentity } from './job.js';

/** Bounds every adapter enforces, so a job valid for one is valid for all (SQS caps a message at 256 KiB). */
export const LIMITS = {
  payloadBytes: 256 * 1024,
  resultBytes: 256 * 1024,
  errorChars: 8 * 1024,
  jobsPerEnqueue: 10_000,
  keyChars: 512,
  nameChars: 200,
  maxPriority: 2_097_150,
  maxAttempts: 1000,
  maxBackoffMs: 24 * 3600 * 1000,
  leaseMax: 1000,
  maxVisibilityMs: 12 * 3600 * 1000,
} as const;

export const DEFAULT_PRIORITY = 1000;
export const DEFAULT_ATTEMPTS = 3;
export const DEFAULT_BACKOFF: BackoffOptions = { type: 'exponential', delayMs: 1000, jitter: 0.2 };

const KIND = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/;
/** Zones become Redis key parts and queue names: no ':' and nothing that needs escaping. */
const ZONE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

/** A job with every default applied and every bound checked. */
export interface NormalizedJob {
  readonly kind: string;
  readonly payloadJson: string;
  readonly dedupKey: string | null;
  readonly group: string | null;
  readonly priority: number;
  readonly maxAttempts: number;
  readonly backoffMs: number;
  readonly backoffJitter: number;
  readonly rateGroup: string | null;
  readonly zone: string | null;
}

function bad(message: string, detail: Record<string, unknown> = {}): TrawlError {
  return new TrawlError('TRAWL_E_INTERNAL', message, detail);
}

function shown(value: unknown): string {
  return JSON.stringify(typeof value === 'string' ? value.slice(0, 80) : String(value).slice(0, 80));
}

function optionalName(value: unknown, what: string, max: number = LIMITS.nameChars): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string' || value.length === 0 || value.length > max || value.includes('\u0000')) {
    throw bad(`job ${what} must be a non-empty string of at most ${max} characters, got ${shown(value)}`, { what });
  }
  return value;
}

function integer(value: unknown, what: string, min: number, max: number, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw bad(`${what} must be an integer in [${min}, ${max}], got ${shown(value)}`, { what });
  }
  return value;
}

export function checkZone(zone: unknown, what = 'zone'): string {
  if (typeof zone !== 'string' || !ZONE.test(zone)) {
    throw bad(`${what} must be 1-64 letters, digits, '_', '.' or '-' (starting with a letter or digit), got ${shown(zone)}`, { zone: shown(zone) });
  }
  return zone;
}

export function jsonText(value: JsonValue | undefined, what: string, maxBytes: number): string {
  let text: string | undefined;
  try {
    text = JSON.stringify(value ?? null);
  } catch (e) {
    throw bad(`${what} is not serialisable as JSON: ${(e as Error).message}`, { what });
  }
  if (text === undefined) throw bad(`${what} is not serialisable as JSON`, { what });
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > maxBytes) throw bad(`${what} is ${bytes} bytes of JSON, more than the ${maxBytes} allowed`, { what, bytes });
  return text;
}

export function normalizeBackoff(backoff: BackoffOptions | undefined): { backoffMs: number; backoffJitter: number } {
  const b = backoff ?? DEFAULT_BACKOFF;
  if (b.type !== 'exponential') throw bad(`backoff type must be "exponential", got ${shown(b.type)}`);
  const backoffMs = integer(b.delayMs, 'backoff delayMs', 0, LIMITS.maxBackoffMs, 0);
  const jitter = b.jitter ?? 0;
  if (typeof jitter !== 'number' || !(jitter >= 0 && jitter <= 1)) throw bad(`backoff jitter must be in [0, 1], got ${shown(jitter)}`);
  return { backoffMs, backoffJitter: jitter };
}

export function normalizeJobs(jobs: readonly JobInput[]): NormalizedJob[] {
  if (!Array.isArray(jobs)) throw bad('enqueue takes an array of jobs');
  if (jobs.length > LIMITS.jobsPerEnqueue) throw bad(`enqueue takes at most ${LIMITS.jobsPerEnqueue} jobs per call, got ${jobs.length}`);
  return jobs.map((job, i) => {
    if (typeof job !== 'object' || job === null) throw bad(`job ${i} is not an object`);
    if (typeof job.kind !== 'string' || !KIND.test(job.kind)) throw bad(`job ${i}: kind must match ${KIND.source}, got ${shown(job.kind)}`);
    return {
      kind: job.kind,
      payloadJson: jsonText(job.payload, `payload of job ${i} (${job.kind})`, LIMITS.payloadBytes),
      dedupKey: optionalName(job.dedupKey, 'dedupKey', LIMITS.keyChars),
      group: optionalName(job.group, 'group'),
      priority: integer(job.priority, `priority of job ${i}`, 0, LIMITS.maxPriority, DEFAULT_PRIORITY),
      maxAttempts: integer(job.attempts, `attempts of job ${i}`, 1, LIMITS.maxAttempts, DEFAULT_ATTEMPTS),
      ...normalizeBackoff(job.backoff),
      rateGroup: optionalName(job.rateGroup, 'rateGroup'),
      zone: job.zone === undefined ? null : checkZone(job.zone, `zone of job ${i}`),
    };
  });
}

export function checkWorker(worker: WorkerIdentity): { id: string; zones: string[] } {
  const id = optionalName(worker?.id, 'worker id');
  if (id === null) throw bad('a worker needs an id');
  if (!Array.isArray(worker.zones) || worker.zones.length > 256) throw bad(`worker ${id}: zones must be an array of at most 256 zones`);
  return { id, zones: [...new Set(worker.zones.map((z) => checkZone(z, `zone of worker ${id}`)))] };
}

export function checkLease(opts: LeaseOptions): { max: number; visibilityMs: number } {
  return {
    max: integer(opts?.max, 'lease max', 1, LIMITS.leaseMax, 1),
    visibilityMs: integer(opts?.visibilityMs, 'lease visibilityMs', 1, LIMITS.maxVisibilityMs, 30_000),
  };
}

export function checkVisibility(visibilityMs: number | undefined): number | undefined {
  return visibilityMs === undefined ? undefined : integer(visibilityMs, 'heartbeat visibilityMs', 1, LIMITS.maxVisibilityMs, 0);
}

export function checkRateLimit(group: string, limit: RateLimit | null): { group: string; limit: RateLimit | null } {
  const g = optionalName(group, 'rate group');
  if (g === null) throw bad('setRateLimit needs a group');
  if (limit === null) return { group: g, limit: null };
  return {
    group: g,
    limit: { max: integer(limit?.max, `rate limit max of ${g}`, 1, 1_000_000, 1), perMs: integer(limit?.perMs, `rate limit perMs of ${g}`, 1, LIMITS.maxBackoffMs, 1) },
  };
}

export function optionalFilter(filter: QueueFilter | undefined): { group?: string; zone?: string; kind?: string } {
  const group = optionalName(filter?.group, 'filter group');
  const zone = filter?.zone === undefined ? undefined : checkZone(filter.zone, 'filter zone');
  const kind = filter?.kind;
  if (kind !== undefined && (typeof kind !== 'string' || !KIND.test(kind))) throw bad(`filter kind must match ${KIND.source}, got ${shown(kind)}`);
  return { ...(group !== null ? { group } : {}), ...(zone !== undefined ? { zone } : {}), ...(kind !== undefined ? { kind } : {}) };
}

export function checkJobRef(jobId: string, leaseToken?: string): void {
  if (typeof jobId !== 'string' || jobId.length === 0 || jobId.length > LIMITS.keyChars + 100) throw bad(`invalid job id ${shown(jobId)}`);
  if (leaseToken !== undefined && (typeof leaseToken !== 'string' || leaseToken.length === 0 || leaseToken.length > 200)) {
    throw bad(`invalid lease token for job ${jobId}`);
  }
}

export function errorText(error: string | Error): string {
  const text = error instanceof Error ? `${error.name === 'Error' ? '' : `${error.name}: `}${error.message}` : String(error);
  return text.length > LIMITS.errorChars ? `${text.slice(0, LIMITS.errorChars)}…` : text;
}

/** Same formula as BullMQ's built-in exponential strategy, so both adapters retry on the same schedule. */
export function retryDelayMs(backoffMs: number, backoffJitter: number, failedAttempt: number, random: () => number = Math.random): number {
  const full = Math.min(Math.round(2 ** Math.max(0, failedAttempt - 1) * backoffMs), LIMITS.maxBackoffMs);
  if (backoffJitter <= 0) return full;
  return Math.floor(random() * full * backoffJitter + full * (1 - backoffJitter));
}

export function leaseLost(jobId: string, why: string): TrawlError {
  return new TrawlError('TRAWL_E_LEASE_LOST', `job ${jobId}: ${why}`, { jobId });
}
