import { parentPort, workerData } from 'node:worker_threads';
import { PatternMatcher, PreparedSubject, type PatternSource } from '../../../src/engines/identify/nmap/pattern-matcher.js';
import { formatMatch } from './pcre2test-driver.js';

/**
 * Worker side of js-batch.ts: runs items in order from `start`, skipping `skip`, publishing the item
 * about to run in shared memory (so the parent can kill it if one execution hangs) and posting
 * results in batches.
 */
interface Data {
  readonly patterns: readonly PatternSource[];
  readonly items: readonly { readonly id: number; readonly subject: string }[];
  readonly start: number;
  readonly skip: readonly number[];
  readonly progress: SharedArrayBuffer;
}

const d = workerData as Data;
const progress = new Int32Array(d.progress);
const matcher = new PatternMatcher(d.patterns);
const skip = new Set(d.skip);
let batch: { index: number; lines: string[] | null }[] = [];
for (let i = d.start; i < d.items.length; i++) {
  if (skip.has(i)) continue;
  const item = d.items[i]!;
  Atomics.store(progress, 0, i);
  Atomics.add(progress, 1, 1);
  // The production path: literal prefilters, then the regex. A prefilter that wrongly rejects shows
  // up as a disagreement on a subject PCRE matches.
  const subject = new PreparedSubject(item.subject);
  const hit = matcher.mayMatch(item.id, subject) ? matcher.exec(item.id, subject) : undefined;
  batch.push({ index: i, lines: hit ? formatMatch(hit.captures) : null });
  if (batch.length >= 4000) {
    parentPort!.postMessage(batch);
    batch = [];
  }
}
parentPort!.postMessage(batch);
parentPort!.postMessage('done');
