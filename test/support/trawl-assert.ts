import assert from 'node:assert/strict';
import { TrawlError, type TrawlErrorCode } from '../../src/errors/index.js';

/** Awaits `promise` and asserts it rejects with a TrawlError of `code` (and a message matching `message`). */
export async function rejectsWith(promise: Promise<unknown>, code: TrawlErrorCode, message?: RegExp): Promise<TrawlError> {
  let caught: unknown;
  try {
    await promise;
  } catch (e) {
    caught = e;
  }
  assert.ok(caught instanceof TrawlError, `expected a TrawlError ${code}, got ${caught === undefined ? 'no error' : String(caught)}`);
  assert.equal(caught.code, code, `wrong code; message: ${caught.message}`);
  if (message) assert.match(caught.message, message);
  return caught;
}

/** Everything an async iterable yields, in order. */
export async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}
