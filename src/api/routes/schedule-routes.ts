import type { FastifyPluginAsync } from 'fastify';
import { checkCron } from '../../schedule/cron-schedule.js';
import { createSchedule, deleteSchedule, getSchedule, updateSchedule } from '../../schedule/schedule-queries.js';
import type { ApiContext } from '../api-context.js';
import { principalOf } from '../auth/auth-plugin.js';
import { notFound } from '../http/problem-plugin.js';
import { errorResponses, idParam, idPattern, pageOf, pageParams, pageQuery, type PageQuery } from '../http/schemas.js';
import { getAssessment } from '../queries/assessment-queries.js';
import { createdSorts, listSchedules } from '../queries/list-queries.js';
import { scheduleViewSchema } from './view-schemas.js';
import { TrawlError } from '../../errors/trawl-error.js';

/** Recurring runs of assessments (cron syntax, IANA time zones). Reading: any role; changing: admin. */
export const scheduleRoutes: FastifyPluginAsync<ApiContext> = async (app, ctx) => {
  const tags = ['schedules'];
  const cronProps = {
    cron: { type: 'string', minLength: 1, maxLength: 120, description: 'e.g. "0 3 * * *" (5 or 6 fields, or @daily…)' },
    timezone: { type: 'string', minLength: 1, maxLength: 64 },
    enabled: { type: 'boolean' },
  } as const;

  app.get<{ Querystring: PageQuery & { assessmentId?: string; enabled?: boolean } }>('/schedules', {
    schema: {
      tags, summary: 'List schedules',
      querystring: pageQuery(Object.keys(createdSorts), { assessmentId: { type: 'string', pattern: idPattern }, enabled: { type: 'boolean' } }),
      response: { 200: pageOf(scheduleViewSchema), ...errorResponses },
    },
  }, async (request) => {
    const { assessmentId, enabled } = request.query;
    return listSchedules(ctx.db, principalOf(request).orgId, { ...(assessmentId !== undefined ? { assessmentId } : {}), ...(enabled !== undefined ? { enabled } : {}) }, pageParams(request.query, createdSorts, 'desc'));
  });

  app.post<{ Body: { assessmentId: string; cron: string; timezone?: string; enabled?: boolean } }>('/schedules', {
    config: { minRole: 'admin', audit: 'schedule.create' },
    schema: {
      tags, summary: 'Schedule an assessment',
      body: { type: 'object', properties: { assessmentId: { type: 'string', pattern: idPattern }, ...cronProps }, required: ['assessmentId', 'cron'], additionalProperties: false },
      response: { 201: scheduleViewSchema, ...errorResponses },
    },
  }, async (request, reply) => {
    const p = principalOf(request);
    const b = request.body;
    const timezone = b.timezone ?? 'UTC';
    checkCron(b.cron, timezone);
    if (!(await getAssessment(ctx.db, p.orgId, b.assessmentId))) {
      throw new TrawlError('TRAWL_E_NOT_FOUND', `body.assessmentId: no assessment ${b.assessmentId}`, { field: 'body.assessmentId', id: b.assessmentId });
    }
    const s = await createSchedule(ctx.db, p.orgId, { assessmentId: b.assessmentId, cron: b.cron, timezone, enabled: b.enabled ?? true }, ctx.now());
    request.auditTarget = s.id;
    return reply.code(201).send(s);
  });

  app.get<{ Params: { id: string } }>('/schedules/:id', {
    schema: { tags, summary: 'One schedule with its next run', params: idParam, response: { 200: scheduleViewSchema, ...errorResponses } },
  }, async (request) => {
    const s = await getSchedule(ctx.db, principalOf(request).orgId, request.params.id);
    if (!s) throw notFound('schedule', request.params.id);
    return s;
  });

  app.patch<{ Params: { id: string }; Body: { cron?: string; timezone?: string; enabled?: boolean } }>('/schedules/:id', {
    config: { minRole: 'admin', audit: 'schedule.update' },
    schema: {
      tags, summary: 'Change a schedule (the next run is recomputed)',
      params: idParam,
      body: { type: 'object', properties: cronProps, additionalProperties: false, minProperties: 1 },
      response: { 200: scheduleViewSchema, ...errorResponses },
    },
  }, async (request) => {
    const p = principalOf(request);
    const current = await getSchedule(ctx.db, p.orgId, request.params.id);
    if (!current) throw notFound('schedule', request.params.id);
    if (request.body.cron !== undefined || request.body.timezone !== undefined) checkCron(request.body.cron ?? current.cron, request.body.timezone ?? current.timezone);
    const s = await updateSchedule(ctx.db, p.orgId, request.params.id, request.body, ctx.now());
    if (!s) throw notFound('schedule', request.params.id);
    return s;
  });

  app.delete<{ Params: { id: string } }>('/schedules/:id', {
    config: { minRole: 'admin', audit: 'schedule.delete' },
    schema: { tags, summary: 'Delete a schedule', params: idParam, response: { 204: { type: 'null' }, ...errorResponses } },
  }, async (request, reply) => {
    if (!(await deleteSchedule(ctx.db, principalOf(request).orgId, request.params.id))) throw notFound('schedule', request.params.id);
    return reply.code(204).send();
  });
};
