import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { TrawlError } from '../../errors/trawl-error.js';
import { resolveFunctionRef } from './lambda-arn.js';
import type { ScanQueue } from './scan-queue.js';

/** CloudTrail event names (Lambda API versions included) that change a function's code. */
export const CODE_CHANGE_EVENTS: ReadonlySet<string> = new Set([
  'CreateFunction20150331',
  'CreateFunction',
  'UpdateFunctionCode20150331v2',
  'UpdateFunctionCode20150331',
  'UpdateFunctionCode',
  'UpdateFunctionConfiguration20150331v2',
]);

export type IntakeResult =
  | { readonly status: 202; readonly body: { readonly accepted: true; readonly eventName: string; readonly functionArn: string } }
  | { readonly status: 200; readonly body: { readonly ignored: true; readonly reason: string } }
  | { readonly status: 400; readonly body: { readonly error: string } };

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v.length > 0 ? v : undefined);
const bad = (error: string): IntakeResult => ({ status: 400, body: { error } });

/**
 * Decides what one event means, without side effects: an EventBridge "AWS API Call via CloudTrail"
 * event (`detail` holds the CloudTrail record) or a bare CloudTrail record. A successful
 * CreateFunction / UpdateFunctionCode yields 202 and the function's unqualified ARN (from
 * responseElements.functionArn, else requestParameters.functionName resolved with the event's region
 * and account); other events are 200-ignored; malformed ones are 400 with the reason.
 */
export function handleEvent(json: unknown): IntakeResult {
  if (!isObject(json)) return bad('event must be a JSON object');
  const envelope = isObject(json['detail']) ? json : undefined;
  const detail = envelope !== undefined ? (json['detail'] as Record<string, unknown>) : json;
  if (envelope !== undefined && envelope['source'] !== undefined && envelope['source'] !== 'aws.lambda') {
    return { status: 200, body: { ignored: true, reason: `source ${JSON.stringify(envelope['source'])} is not aws.lambda` } };
  }
  const eventName = str(detail['eventName']);
  if (eventName === undefined) return bad('event has no detail.eventName');
  if (eventName.length > 128) return bad('detail.eventName is too long');
  const eventSource = detail['eventSource'];
  if (eventSource !== undefined && eventSource !== 'lambda.amazonaws.com') {
    return { status: 200, body: { ignored: true, reason: `eventSource ${JSON.stringify(eventSource)} is not lambda.amazonaws.com` } };
  }
  if (!CODE_CHANGE_EVENTS.has(eventName)) return { status: 200, body: { ignored: true, reason: `${eventName} does not change function code` } };
  const errorCode = str(detail['errorCode']);
  if (errorCode !== undefined) return { status: 200, body: { ignored: true, reason: `${eventName} failed (${errorCode}): nothing changed` } };

  const request = isObject(detail['requestParameters']) ? detail['requestParameters'] : undefined;
  const response = isObject(detail['responseElements']) ? detail['responseElements'] : undefined;
  const ref = str(response?.['functionArn']) ?? str(request?.['functionName']);
  if (ref === undefined) return bad(`${eventName} event names no function (responseElements.functionArn or requestParameters.functionName)`);
  const identity = isObject(detail['userIdentity']) ? detail['userIdentity'] : undefined;
  const region = str(detail['awsRegion']) ?? str(envelope?.['region']);
  const accountId = str(detail['recipientAccountId']) ?? str(envelope?.['account']) ?? str(identity?.['accountId']);
  try {
    const fn = resolveFunctionRef(ref, { ...(region !== undefined ? { region } : {}), ...(accountId !== undefined ? { accountId } : {}) });
    return { status: 202, body: { accepted: true, eventName, functionArn: fn.arn } };
  } catch (e) {
    return bad(e instanceof TrawlError ? e.message : String(e));
  }
}

export interface IntakeServerOptions {
  /** Largest body accepted (default 256 KiB; a CloudTrail event is a few KiB). */
  readonly maxBodyBytes?: number;
  /** Path events are posted to (default /events). */
  readonly path?: string;
}

/**
 * A thin node:http front for `handleEvent`: POST JSON to the path, 202 enqueues the function. The
 * server is not started; the caller listens (on loopback in tests).
 */
export function createIntakeServer(queue: ScanQueue, opts: IntakeServerOptions = {}): Server {
  const max = opts.maxBodyBytes ?? 256 * 1024;
  const path = opts.path ?? '/events';
  return createServer((req, res) => {
    void serve(req, res, queue, max, path);
  });
}

async function serve(req: IncomingMessage, res: ServerResponse, queue: ScanQueue, max: number, path: string): Promise<void> {
  const reply = (status: number, body: unknown): void => {
    const text = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  };
  if ((req.url ?? '').split('?')[0] !== path) return reply(404, { error: `POST events to ${path}` });
  if (req.method !== 'POST') {
    res.setHeader('allow', 'POST');
    return reply(405, { error: 'method not allowed' });
  }
  const type = req.headers['content-type'] ?? '';
  if (!/^application\/(json|[\w.+-]+\+json)\b/i.test(type)) return reply(415, { error: 'content-type must be application/json' });
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of req) {
      size += (chunk as Buffer).length;
      if (size > max) {
        reply(413, { error: `body larger than ${max} bytes` });
        req.destroy();
        return;
      }
      chunks.push(chunk as Buffer);
    }
  } catch {
    return;
  }
  let json: unknown;
  try {
    json = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch (e) {
    return reply(400, { error: `body is not JSON: ${(e as Error).message}` });
  }
  const result = handleEvent(json);
  if (result.status === 202) {
    try {
      await queue.enqueue(result.body.functionArn);
    } catch (e) {
      return reply(503, { error: `cannot enqueue ${result.body.functionArn}: ${(e as Error).message}` });
    }
  }
  reply(result.status, result.body);
}
