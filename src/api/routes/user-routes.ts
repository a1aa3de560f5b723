import type { FastifyPluginAsync } from 'fastify';
import type { ApiRole } from '../../store/schema.js';
import type { ApiContext } from '../api-context.js';
import { principalOf } from '../auth/auth-plugin.js';
import { notFound } from '../http/problem-plugin.js';
import { errorResponses, idParam, pageOf, pageParams, pageQuery, type PageQuery } from '../http/schemas.js';
import { createUser, getUser, listUsers, updateUser, userSorts } from '../queries/user-queries.js';
import { userViewSchema } from './view-schemas.js';

/** Users of the org (admin only). Keys may be bound to a user; disabling the user disables them. */
export const userRoutes: FastifyPluginAsync<ApiContext> = async (app, ctx) => {
  const tags = ['users'];
  const role = { type: 'string', enum: ['admin', 'analyst', 'viewer'] } as const;

  app.get<{ Querystring: PageQuery }>('/users', {
    config: { minRole: 'admin' },
    schema: { tags, summary: 'List users', querystring: pageQuery(Object.keys(userSorts)), response: { 200: pageOf(userViewSchema), ...errorResponses } },
  }, async (request) => listUsers(ctx.db, principalOf(request).orgId, pageParams(request.query, userSorts, 'desc')));

  app.post<{ Body: { email: string; displayName?: string; role: ApiRole } }>('/users', {
    config: { minRole: 'admin', audit: 'user.create' },
    schema: {
      tags, summary: 'Create a user',
      body: {
        type: 'object',
        properties: { email: { type: 'string', format: 'email', maxLength: 254 }, displayName: { type: 'string', maxLength: 200 }, role },
        required: ['email', 'role'],
        additionalProperties: false,
      },
      response: { 201: userViewSchema, ...errorResponses },
    },
  }, async (request, reply) => {
    const user = await createUser(ctx.db, principalOf(request).orgId, request.body);
    request.auditTarget = user.id;
    return reply.code(201).send(user);
  });

  app.get<{ Params: { id: string } }>('/users/:id', {
    config: { minRole: 'admin' },
    schema: { tags, summary: 'One user', params: idParam, response: { 200: userViewSchema, ...errorResponses } },
  }, async (request) => {
    const user = await getUser(ctx.db, principalOf(request).orgId, request.params.id);
    if (!user) throw notFound('user', request.params.id);
    return user;
  });

  app.patch<{ Params: { id: string }; Body: { role?: ApiRole; displayName?: string | null; disabled?: boolean } }>('/users/:id', {
    config: { minRole: 'admin', audit: 'user.update' },
    schema: {
      tags, summary: 'Change a user\'s role or name, or disable it',
      params: idParam,
      body: {
        type: 'object',
        properties: { role, displayName: { anyOf: [{ type: 'string', maxLength: 200 }, { type: 'null' }] }, disabled: { type: 'boolean' } },
        additionalProperties: false,
        minProperties: 1,
      },
      response: { 200: userViewSchema, ...errorResponses },
    },
  }, async (request) => {
    const user = await updateUser(ctx.db, principalOf(request).orgId, request.params.id, request.body);
    if (!user) throw notFound('user', request.params.id);
    return user;
  });
};
