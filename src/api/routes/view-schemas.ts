import { nullableString } from '../http/schemas.js';

/** Response item schemas: they document the API and let Fastify serialise without JSON.stringify. */
const str = { type: 'string' } as const;
const int = { type: 'integer' } as const;
const strArray = { type: 'array', items: str } as const;

export const orgViewSchema = {
  type: 'object',
  properties: { id: str, name: str, scope: strArray, createdAt: str },
} as const;

export const apiKeyViewSchema = {
  type: 'object',
  properties: {
    id: str, name: str, role: str, userId: nullableString, createdAt: str, createdBy: nullableString, revokedAt: nullableString, lastUsedAt: nullableString,
  },
} as const;

export const userViewSchema = {
  type: 'object',
  properties: { id: str, email: str, displayName: nullableString, role: str, createdAt: str, disabledAt: nullableString },
} as const;

export const assessmentOptionsSchema = {
  type: 'object',
  properties: {
    applyBlocklist: { type: 'boolean', default: true, description: 'Cut IANA special-purpose ranges out of broad targets' },
    discovery: { type: 'string', enum: ['auto', 'on', 'off'], default: 'auto' },
    retries: { type: 'integer', minimum: 0, maximum: 5 },
    rate: { type: 'integer', minimum: 0, maximum: 1_000_000, description: 'Probes per second (0: unpaced)' },
    identify: { type: 'boolean', description: 'Identify services on open ports (default: on)' },
    checks: { type: 'string', enum: ['none', 'safe', 'all'], description: 'Built-in checks on identified services: none, safe (default; never logs in with guessed credentials) or all' },
  },
  additionalProperties: false,
} as const;

export const countersSchema = {
  type: 'object',
  properties: {
    probesPlanned: int, probesSent: int, probesAnswered: int, probesTimedOut: int, probesRetried: int,
    probesSkippedBlocklist: int, probesSkippedDown: int, discoveryProbesSent: int, openFound: int,
  },
} as const;

export const scanViewSchema = {
  type: 'object',
  properties: {
    id: str, assessmentId: nullableString, origin: str, status: { type: 'string', enum: ['running', 'done', 'failed', 'cancelled', 'interrupted'] },
    error: nullableString, createdAt: str, finishedAt: nullableString, targets: strArray, excludes: strArray, ports: int, counters: countersSchema,
  },
} as const;

export const assessmentViewSchema = {
  type: 'object',
  properties: {
    id: str, name: str, targets: strArray, excludes: strArray, ports: str, options: assessmentOptionsSchema, zone: nullableString, tags: strArray,
    state: { type: 'string', enum: ['idle', 'running'] }, lastScanId: nullableString, createdAt: str, updatedAt: str, createdBy: nullableString,
  },
} as const;

export const liveProgressSchema = {
  type: 'object',
  properties: { phase: str, done: int, planned: int, sent: int, openFound: int },
} as const;

export const assessmentStatusSchema = {
  type: 'object',
  properties: {
    ...assessmentViewSchema.properties,
    live: { anyOf: [{ type: 'object', properties: { scanId: str, startedAt: str, progress: liveProgressSchema } }, { type: 'null' }] },
    lastScan: { anyOf: [scanViewSchema, { type: 'null' }] },
  },
} as const;

export const scheduleViewSchema = {
  type: 'object',
  properties: {
    id: str, assessmentId: str, cron: str, timezone: str, enabled: { type: 'boolean' }, nextRunAt: nullableString, lastRunAt: nullableString,
    lastScanId: nullableString, createdAt: str, updatedAt: str,
  },
} as const;

export const ruleViewSchema = {
  type: 'object',
  properties: {
    id: str, name: str, channel: str, target: str, secretSet: { type: 'boolean' }, eventTypes: strArray, minSeverity: nullableString,
    zones: strArray, tags: strArray, enabled: { type: 'boolean' }, createdAt: str, updatedAt: str,
  },
} as const;

export const deliveryViewSchema = {
  type: 'object',
  properties: {
    id: str, ruleId: str, eventType: str, eventId: str, status: str, attempts: int, responseStatus: { anyOf: [int, { type: 'null' }] },
    error: nullableString, createdAt: str, finishedAt: str,
  },
} as const;

export const auditViewSchema = {
  type: 'object',
  properties: {
    id: str, orgId: str, actor: str, actorRole: str, action: str, target: nullableString, method: str, path: str, statusCode: int, requestId: str, ts: str,
    detail: { type: 'object', additionalProperties: true },
  },
} as const;

export const observationSchema = {
  type: 'object',
  properties: {
    type: str, scanId: str, ip: str, port: int, proto: str, state: str, ts: str, evidence: str, rttMs: { type: 'number' }, hostname: str, worker: str,
  },
} as const;
