import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { STATUS_CODES } from 'node:http';
import { isTrawlError, TrawlError } from '../../errors/trawl-error.js';
import { sharedPlugin } from './shared-plugin.js';

export const PROBLEM_TYPE = 'application/problem+json';

interface AjvError {
  instancePath?: string;
  keyword?: string;
  message?: string;
  params?: Record<string, unknown>;
}

/** `/targets/0` → `.targets[0]`: the field path as a client writes it. */
function jsonPointerToPath(pointer: string): string {
  if (pointer === '') return '';
  return pointer.split('/').slice(1).map((seg) => {
    const s = seg.replace(/~1/g, '/').replace(/~0/g, '~');
    return /^[0-9]+$/.test(s) ? `[${s}]` : `.${s}`;
  }).join('');
}

/** Ajv's first error as a TRAWL_E_VALIDATION naming the field, e.g. `body.targets[0] must be string`. */
export function validationProblem(errors: readonly AjvError[], context: string | undefined): TrawlError {
  const e = errors[0] ?? {};
  const base = `${context ?? 'request'}${jsonPointerToPath(e.instancePath ?? '')}`;
  const params = e.params ?? {};
  let field = base;
  let message: string;
  if (e.keyword === 'required' && typeof params['missingProperty'] === 'string') {
    field = `${base}.${params['missingProperty']}`;
    message = `${field} is required`;
  } else if (e.keyword === 'additionalProperties' && typeof params['additionalProperty'] === 'string') {
    field = `${base}.${params['additionalProperty']}`;
    message = `${field} is not a known field`;
  } else if (e.keyword === 'enum' && Array.isArray(params['allowedValues'])) {
    message = `${field} must be one of ${(params['allowedValues'] as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
  } else {
    message = `${field} ${e.message ?? 'is invalid'}`;
  }
  return new TrawlError('TRAWL_E_VALIDATION', message, { field, errors: errors.slice(0, 10).map((x) => ({ field: `${context ?? 'request'}${jsonPointerToPath(x.instancePath ?? '')}`, keyword: x.keyword, message: x.message })) });
}

function problemOf(error: FastifyError | TrawlError | Error, request: FastifyRequest): { status: number; body: Record<string, unknown>; internal: boolean } {
  const extra = { instance: request.url.split('?')[0], requestId: request.id };
  if (isTrawlError(error) && error.code !== 'TRAWL_E_INTERNAL') {
    return { status: error.httpStatus, body: { ...error.toProblem(), ...extra }, internal: error.httpStatus >= 500 };
  }
  const fe = error as FastifyError & { validation?: AjvError[]; validationContext?: string };
  if (Array.isArray(fe.validation)) {
    const t = validationProblem(fe.validation, fe.validationContext);
    return { status: 400, body: { ...t.toProblem(), ...extra }, internal: false };
  }
  const status = typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 600 ? fe.statusCode : 500;
  if (status === 400) {
    // Malformed JSON, empty body with a JSON content type…: still a validation problem.
    const t = new TrawlError('TRAWL_E_VALIDATION', `body ${fe.message}`, { field: 'body' });
    return { status, body: { ...t.toProblem(), ...extra }, internal: false };
  }
  if (status < 500) {
    // 413, 415, 406…: Fastify's own client errors; the code says which.
    return { status, body: { type: 'about:blank', title: STATUS_CODES[status] ?? 'Client error', status, detail: fe.message, code: fe.code ?? 'HTTP_ERROR', ...extra }, internal: false };
  }
  const t = new TrawlError('TRAWL_E_INTERNAL', 'internal error; the server log has the details under this request id');
  return { status: 500, body: { ...t.toProblem(), ...extra }, internal: true };
}

export function sendProblem(reply: FastifyReply, status: number, body: Record<string, unknown>): FastifyReply {
  if (status === 401) reply.header('www-authenticate', 'Bearer realm="trawl"');
  return reply.code(status).type(PROBLEM_TYPE).send(body);
}

/** Every error leaves as RFC 9457 problem details; 5xx details stay in the log, not the response. */
export const problemPlugin = sharedPlugin('trawl-problems', async (app) => {
  app.setErrorHandler((error: FastifyError | TrawlError, request, reply) => {
    const p = problemOf(error, request);
    if (p.internal) request.log.error({ err: error }, 'request failed');
    return sendProblem(reply, p.status, p.body);
  });
  app.setNotFoundHandler((request, reply) => {
    const t = new TrawlError('TRAWL_E_NOT_FOUND', `no route ${request.method} ${request.url.split('?')[0]}`);
    return sendProblem(reply, 404, { ...t.toProblem(), instance: request.url.split('?')[0], requestId: request.id });
  });
});

export function notFound(what: string, id: string): TrawlError {
  return new TrawlError('TRAWL_E_NOT_FOUND', `no ${what} ${id}`, { id });
}
