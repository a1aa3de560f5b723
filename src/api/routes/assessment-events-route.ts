import type { FastifyInstance } from 'fastify';
import type { ApiContext } from '../api-context.js';
import { principalOf } from '../auth/auth-plugin.js';
import { notFound } from '../http/problem-plugin.js';
import { errorResponses, idParam } from '../http/schemas.js';
import { getAssessment } from '../queries/assessment-queries.js';
import type { RunEvent } from '../runner/run-events.js';
import { statusOf } from './assessment-status.js';

/** A client that stops reading loses progress events past this much buffered output (never the final one). */
const MAX_BUFFERED = 1 << 20;

/**
 * `GET /assessments/{id}/events`: Server-Sent Events. First a `snapshot` (the status document),
 * then `run.started`, `run.progress` (live counters, a few per second) and `run.finished` for every
 * run of this assessment, and `: ping` comments to keep idle connections open. With
 * `?untilFinished=true` the stream ends after the next `run.finished`.
 */
export function registerAssessmentEvents(app: FastifyInstance, ctx: ApiContext): void {
  const open = new Set<() => void>();
  app.addHook('preClose', async () => {
    for (const end of [...open]) end();
  });

  app.get<{ Params: { id: string }; Querystring: { untilFinished?: boolean } }>('/assessments/:id/events', {
    schema: {
      tags: ['assessments'],
      summary: 'Live run progress (Server-Sent Events)',
      description: 'text/event-stream. Events: snapshot, run.started, run.progress, run.finished; data is JSON.',
      params: idParam,
      querystring: { type: 'object', properties: { untilFinished: { type: 'boolean', default: false } }, additionalProperties: false },
      produces: ['text/event-stream'],
      response: { 200: { description: 'An event stream', content: { 'text/event-stream': { schema: { type: 'string' } } } }, ...errorResponses },
    },
  }, async (request, reply) => {
    const p = principalOf(request);
    // Subscribed before the snapshot is read: an event published while it is read (a run finishing)
    // is held and sent after it, never lost between the two.
    const early: RunEvent[] = [];
    let deliver = (e: RunEvent): void => {
      early.push(e);
    };
    const unsubscribe = ctx.events.subscribe((e: RunEvent) => {
      if (e.orgId === p.orgId && e.assessmentId === request.params.id) deliver(e);
    });
    let snapshot: Record<string, unknown>;
    try {
      const a = await getAssessment(ctx.db, p.orgId, request.params.id);
      if (!a) throw notFound('assessment', request.params.id);
      snapshot = await statusOf(ctx, p.orgId, a);
    } catch (e) {
      unsubscribe();
      throw e;
    }

    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
      'x-request-id': request.id,
    });
    let seq = 0;
    let ended = false;
    const send = (event: string, data: unknown): void => {
      res.write(`id: ${++seq}\nevent: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    };
    const end = (): void => {
      if (ended) return;
      ended = true;
      clearInterval(heartbeat);
      unsubscribe();
      open.delete(end);
      res.end();
    };
    send('snapshot', snapshot);
    deliver = (e: RunEvent): void => {
      if (ended) return;
      if (e.type === 'run.progress' && res.writableLength > MAX_BUFFERED) return;
      const { orgId: _org, ...visible } = e;
      send(e.type, visible);
      if (e.type === 'run.finished' && request.query.untilFinished === true) end();
    };
    const heartbeat = setInterval(() => res.write(': ping\n\n'), ctx.sseHeartbeatMs);
    heartbeat.unref();
    open.add(end);
    res.on('close', end);
    for (const e of early.splice(0)) deliver(e);
  });
}
