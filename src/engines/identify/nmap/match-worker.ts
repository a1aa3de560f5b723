import { parentPort, workerData } from 'node:worker_threads';
import { PatternMatcher, PreparedSubject, type MatchHit, type PatternSource } from './pattern-matcher.js';

/**
 * Worker-thread side of match-pool.ts. Before each pattern it publishes the position it is about
 * to work on into shared memory, so the parent can tell a pattern that hangs from a long request and
 * terminate this thread without waiting for it.
 */

export interface MatchWorkerData {
  readonly patterns: readonly PatternSource[];
  /** Match-id lists (one per probe), referenced by index in requests. */
  readonly chains: readonly (readonly number[])[];
  /** Int32Array view: [0] = position being worked on, [1] = patterns started (wraps). */
  readonly progress: SharedArrayBuffer;
}

export interface MatchRequest {
  readonly seq: number;
  /** A registered chain (probe index), or -1 with explicit `ids`. */
  readonly chain: number;
  readonly ids?: readonly number[];
  readonly subject: string;
  readonly from: number;
}

export interface MatchReply {
  readonly seq: number;
  readonly hit?: MatchHit;
  readonly position?: number;
  readonly error?: string;
}

const data = workerData as MatchWorkerData;
const progress = new Int32Array(data.progress);
const matcher = new PatternMatcher(data.patterns);
const port = parentPort!;

port.on('message', (req: MatchRequest) => {
  let reply: MatchReply;
  try {
    const ids = req.ids ?? data.chains[req.chain] ?? [];
    const r = matcher.matchFirst(ids, new PreparedSubject(req.subject), req.from, (position) => {
      Atomics.store(progress, 0, position);
      Atomics.add(progress, 1, 1);
    });
    reply = r.hit ? { seq: req.seq, hit: r.hit, position: r.position! } : { seq: req.seq };
  } catch (e) {
    reply = { seq: req.seq, error: e instanceof Error ? e.message : String(e) };
  }
  port.postMessage(reply);
});
