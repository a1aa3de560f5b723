import type { FastifyPluginAsync } from 'fastify';
import { TrawlError, isTrawlError } from '../../errors/trawl-error.js';
import { checkCron } from '../../schedule/cron-schedule.js';
import { createSchedule, type ScheduleView } from '../../schedule/schedule-queries.js';
import { parsePorts } from '../../scope/port-parser.js';
import { parseExclude, parseTarget } from '../../scope/target-parser.js';
import type { ApiContext } from '../api-context.js';
import { principalOf } from '../auth/auth-plugin.js';
import { roleAtLeast } from '../auth/roles.js';
import { notFound } from '../http/problem-plugin.js';
import { errorResponses, idParam, pageOf, pageParams, pageQuery, problemResponse, tagSchema, zoneSchema, type PageQuery } from '../http/schemas.js';
import {
  assessmentSorts, createAssessment, deleteAssessment, getAssessment, listAssessments, updateAssessment,
  type AssessmentInput, type AssessmentOptions,
} from '../queries/assessment-queries.js';
import { getOrg } from '../queries/org-queries.js';
import { assertWithinScope, literalTargets, parseOrgScope } from '../queries/org-scope.js';
import { statusOf } from './assessment-status.js';
import { launchAssessment } from '../runner/launch-assessment.js';
import { assessmentStatusSchema, assessmentViewSchema, assessmentOptionsSchema, scheduleViewSchema } from './view-schemas.js';
import { registerAssessmentEvents } from './assessment-events-route.js';

const MAX_TARGETS = 1000;
const targetList = { type: 'array', maxItems: MAX_TARGETS, items: { type: 'string', minLength: 1, maxLength: 254 } } as const;

const assessmentBodyProps = {
  name: { type: 'string', minLength: 1, maxLength: 200 },
  targets: { ...targetList, minItems: 1 },
  excludes: targetList,
  ports: { type: 'string', minLength: 1, maxLength: 4096, description: 'nmap syntax: 22,80,443,8000-8100' },
  options: assessmentOptionsSchema,
  zone: { anyOf: [zoneSchema, { type: 'null' }] },
  tags: { type: 'array', maxItems: 50, items: tagSchema },
} as const;

/**
 * The options of a PATCH without the schema's defaults: Ajv fills defaults in (useDefaults), which on
 * a patch would silently reset every option the client left out — `{ rate: 200 }` turning host
 * discovery back to auto. Unset here means unchanged.
 */
const optionsPatchSchema = {
  ...assessmentOptionsSchema,
  properties: Object.fromEntries(Object.entries(assessmentOptionsSchema.properties).map(([k, v]) => {
    const { default: _default, ...rest } = v as Record<string, unknown>;
    return [k, rest];
  })),
};
const assessmentPatchProps = { ...assessmentBodyProps, options: optionsPatchSchema };

interface CreateBody {
  name: string;
  targets: string[];
  excludes?: string[];
  ports: string;
  options?: Partial<AssessmentOptions>;
  zone?: string | null;
  tags?: string[];
  schedule?: { cron: string; timezone?: string; enabled?: boolean };
}

/** A parse error of one list entry, re-thrown naming the request field (`body.targets[3]`). */
function withField<T>(field: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (isTrawlError(e)) throw new TrawlError(e.code, e.message, { ...e.detail, field }, { cause: e });
    throw e;
  }
}

/**
 * Checks what can be checked before a run: every target and exclusion parses, the ports parse, and
 * literal targets lie inside the org's scope. Host names are checked at run time, once resolved.
 */
async function checkAssessmentInput(ctx: ApiContext, orgId: string, input: Partial<AssessmentInput>): Promise<void> {
  if (input.targets !== undefined) {
    input.targets.forEach((t, i) => withField(`body.targets[${i}]`, () => parseTarget(t, `body.targets[${i}]`)));
    const { set } = literalTargets(input.targets, 'body.targets');
    const org = await getOrg(ctx.db, orgId);
    if (!org) throw notFound('organisation', orgId);
    assertWithinScope(set, parseOrgScope(org.scope, 'org.scope'), 'body.targets');
  }
  input.excludes?.forEach((x, i) => withField(`body.excludes[${i}]`, () => parseExclude(x, `body.excludes[${i}]`)));
  if (input.ports !== undefined) withField('body.ports', () => parsePorts(input.ports!));
}

function optionsOf(o: Partial<AssessmentOptions> | undefined, base?: AssessmentOptions): AssessmentOptions {
  const identify = o?.identify ?? base?.identify;
  const checks = o?.checks ?? base?.checks;
  // Checks read what identification found: asking for checks without it is a mistake worth naming.
  if (identify === false && checks !== undefined && checks !== 'none') {
    throw new TrawlError('TRAWL_E_VALIDATION', `body.options.checks "${checks}" needs service identification: set options.identify to true, or options.checks to "none"`, { field: 'body.options.checks', value: checks });
  }
  return {
    applyBlocklist: o?.applyBlocklist ?? base?.applyBlocklist ?? true,
    discovery: o?.discovery ?? base?.discovery ?? 'auto',
    ...((o?.retries ?? base?.retries) !== undefined ? { retries: (o?.retries ?? base?.retries)! } : {}),
    ...((o?.rate ?? base?.rate) !== undefined ? { rate: (o?.rate ?? base?.rate)! } : {}),
    ...(identify !== undefined ? { identify } : {}),
    ...(checks !== undefined ? { checks } : {}),
  };
}

export const assessmentRoutes: FastifyPluginAsync<ApiContext> = async (app, ctx) => {
  const tags = ['assessments'];

  app.get<{ Querystring: PageQuery & { state?: 'idle' | 'running'; zone?: string; tag?: string } }>('/assessments', {
    schema: {
      tags, summary: 'List assessments',
      querystring: pageQuery(Object.keys(assessmentSorts), { state: { type: 'string', enum: ['idle', 'running'] }, zone: zoneSchema, tag: tagSchema }),
      response: { 200: pageOf(assessmentViewSchema), ...errorResponses },
    },
  }, async (request) => {
    const { state, zone, tag } = request.query;
    return listAssessments(ctx.db, principalOf(request).orgId, {
      ...(state !== undefined ? { state } : {}), ...(zone !== undefined ? { zone } : {}), ...(tag !== undefined ? { tag } : {}),
    }, pageParams(request.query, assessmentSorts, 'desc'));
  });

  app.post<{ Body: CreateBody }>('/assessments', {
    config: { minRole: 'analyst', audit: 'assessment.create' },
    schema: {
      tags, summary: 'Create an assessment (optionally with a recurring schedule, which needs role admin)',
      body: {
        type: 'object',
        properties: {
          ...assessmentBodyProps,
          schedule: {
            type: 'object',
            properties: { cron: { type: 'string', minLength: 1, maxLength: 120 }, timezone: { type: 'string', minLength: 1, maxLength: 64, default: 'UTC' }, enabled: { type: 'boolean', default: true } },
            required: ['cron'],
            additionalProperties: false,
          },
        },
        required: ['name', 'targets', 'ports'],
        additionalProperties: false,
      },
      response: { 201: { type: 'object', properties: { ...assessmentViewSchema.properties, schedule: { anyOf: [scheduleViewSchema, { type: 'null' }] } } }, ...errorResponses },
    },
  }, async (request, reply) => {
    const p = principalOf(request);
    const b = request.body;
    const input: AssessmentInput = {
      name: b.name, targets: b.targets, excludes: b.excludes ?? [], ports: b.ports, options: optionsOf(b.options), zone: b.zone ?? null, tags: b.tags ?? [],
    };
    if (b.schedule !== undefined) {
      if (!roleAtLeast(p.role, 'admin')) throw new TrawlError('TRAWL_E_FORBIDDEN', `creating a schedule needs role admin; this key has role ${p.role}`, { need: 'admin', have: p.role, field: 'body.schedule' });
      checkCron(b.schedule.cron, b.schedule.timezone ?? 'UTC', 'body.schedule.cron');
    }
    await checkAssessmentInput(ctx, p.orgId, input);
    const a = await createAssessment(ctx.db, p.orgId, input, p.actor);
    let schedule: ScheduleView | null = null;
    if (b.schedule !== undefined) {
      schedule = await createSchedule(ctx.db, p.orgId, { assessmentId: a.id, cron: b.schedule.cron, timezone: b.schedule.timezone ?? 'UTC', enabled: b.schedule.enabled ?? true }, ctx.now());
    }
    request.auditTarget = a.id;
    return reply.code(201).send({ ...a, schedule });
  });

  app.get<{ Params: { id: string } }>('/assessments/:id', {
    schema: { tags, summary: 'An assessment with its live run counters and last scan', params: idParam, response: { 200: assessmentStatusSchema, ...errorResponses } },
  }, async (request) => {
    const p = principalOf(request);
    const a = await getAssessment(ctx.db, p.orgId, request.params.id);
    if (!a) throw notFound('assessment', request.params.id);
    return statusOf(ctx, p.orgId, a);
  });

  app.patch<{ Params: { id: string }; Body: Partial<Omit<CreateBody, 'schedule'>> }>('/assessments/:id', {
    config: { minRole: 'analyst', audit: 'assessment.update' },
    schema: {
      tags, summary: 'Change an assessment (applies from its next run)',
      params: idParam,
      body: { type: 'object', properties: assessmentPatchProps, additionalProperties: false, minProperties: 1 },
      response: { 200: assessmentViewSchema, ...errorResponses },
    },
  }, async (request) => {
    const p = principalOf(request);
    const current = await getAssessment(ctx.db, p.orgId, request.params.id);
    if (!current) throw notFound('assessment', request.params.id);
    const b = request.body;
    const patch: Partial<AssessmentInput> = {
      ...(b.name !== undefined ? { name: b.name } : {}),
      ...(b.targets !== undefined ? { targets: b.targets } : {}),
      ...(b.excludes !== undefined ? { excludes: b.excludes } : {}),
      ...(b.ports !== undefined ? { ports: b.ports } : {}),
      ...(b.options !== undefined ? { options: optionsOf(b.options, current.options) } : {}),
      ...(b.zone !== undefined ? { zone: b.zone } : {}),
      ...(b.tags !== undefined ? { tags: b.tags } : {}),
    };
    await checkAssessmentInput(ctx, p.orgId, patch);
    const a = await updateAssessment(ctx.db, p.orgId, request.params.id, patch);
    if (!a) throw notFound('assessment', request.params.id);
    return a;
  });

  app.delete<{ Params: { id: string } }>('/assessments/:id', {
    config: { minRole: 'analyst', audit: 'assessment.delete' },
    schema: { tags, summary: 'Delete an idle assessment (its scans stay)', params: idParam, response: { 204: { type: 'null' }, ...errorResponses } },
  }, async (request, reply) => {
    const p = principalOf(request);
    const a = await getAssessment(ctx.db, p.orgId, request.params.id);
    if (!a) throw notFound('assessment', request.params.id);
    if (!(await deleteAssessment(ctx.db, p.orgId, a.id))) throw new TrawlError('TRAWL_E_CONFLICT', `assessment ${a.id} is running; cancel it first`, { id: a.id });
    return reply.code(204).send();
  });

  app.post<{ Params: { id: string } }>('/assessments/:id/run', {
    config: { minRole: 'analyst', audit: 'assessment.run' },
    schema: {
      tags, summary: 'Start a run now',
      description: 'Refused with TRAWL_E_OUT_OF_SCOPE (403) naming the first address outside the org\'s declared scope, after host names resolve.',
      params: idParam,
      response: { 202: { type: 'object', properties: { assessmentId: { type: 'string' }, scanId: { type: 'string' }, status: { type: 'string' } } }, 409: problemResponse('Conflicts with the current state (already running, not running)'), ...errorResponses },
    },
  }, async (request, reply) => {
    const p = principalOf(request);
    const { scanId } = await launchAssessment(ctx, p.orgId, request.params.id, 'manual');
    return reply.code(202).send({ assessmentId: request.params.id, scanId, status: 'running' });
  });

  app.post<{ Params: { id: string } }>('/assessments/:id/cancel', {
    config: { minRole: 'analyst', audit: 'assessment.cancel' },
    schema: {
      tags, summary: 'Stop the running scan (it ends as cancelled, results so far are kept)',
      params: idParam,
      response: { 202: { type: 'object', properties: { assessmentId: { type: 'string' }, scanId: { type: 'string' }, cancelled: { type: 'boolean' } } }, 409: problemResponse('Conflicts with the current state (already running, not running)'), ...errorResponses },
    },
  }, async (request, reply) => {
    const p = principalOf(request);
    const a = await getAssessment(ctx.db, p.orgId, request.params.id);
    if (!a) throw notFound('assessment', request.params.id);
    const live = ctx.runner.live(a.id);
    if (!ctx.runner.cancel(a.id)) throw new TrawlError('TRAWL_E_CONFLICT', `assessment ${a.id} is not running`, { id: a.id });
    return reply.code(202).send({ assessmentId: a.id, scanId: live?.scanId ?? a.lastScanId ?? '', cancelled: true });
  });

  registerAssessmentEvents(app, ctx);
};
