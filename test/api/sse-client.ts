import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';

export interface SseEvent {
  event: string;
  data: Record<string, unknown>;
}

/**
 * Reads a Server-Sent Events stream from a real listener until it ends; resolves once the first
 * event (the snapshot) has arrived, with the list that keeps filling as events come in.
 */
export function subscribeSse(base: string, path: string, token: string): Promise<{ events: SseEvent[]; ended: Promise<void> }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${base}${path}`, { headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream' } }, (res) => {
      if (res.statusCode !== 200) {
        reject(new Error(`SSE status ${res.statusCode}`));
        return;
      }
      assert.match(String(res.headers['content-type']), /^text\/event-stream/);
      const events: SseEvent[] = [];
      let buf = '';
      let first = true;
      const ended = new Promise<void>((done) => res.on('end', done));
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buf += chunk;
        let i: number;
        while ((i = buf.indexOf('\n\n')) >= 0) {
          const block = buf.slice(0, i);
          buf = buf.slice(i + 2);
          if (block.startsWith(':')) continue;
          const event = /^event: (.*)$/m.exec(block)?.[1] ?? 'message';
          const data = /^data: (.*)$/m.exec(block)?.[1] ?? '{}';
          events.push({ event, data: JSON.parse(data) as Record<string, unknown> });
          if (first) {
            first = false;
            resolve({ events, ended });
          }
        }
      });
    });
    req.on('error', reject);
    req.end();
  });
}
