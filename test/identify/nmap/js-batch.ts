import { Worker } from 'node:worker_threads';
import type { PatternSource } from '../../../src/engines/identify/nmap/pattern-matcher.js';

/**
 * Runs many (pattern, subject) executions of the translated regexes in a worker thread, in order,
 * with a per-execution time budget: an execution that hangs (catastrophic backtracking, which PCRE
 * would stop with its match limit) gets the worker terminated and is reported as 'budget'; the run
 * resumes after it. Results are pcre2test-formatted capture lines, or null for no match.
 */
export async function runJsBatch(
  patterns: readonly PatternSource[],
  items: readonly { readonly id: number; readonly subject: string }[],
  budgetMs: number,
): Promise<(string[] | null | 'budget')[]> {
  const results: (string[] | null | 'budget' | undefined)[] = new Array(items.length);
  const skip: number[] = [];
  let start = 0;
  while (start < items.length) {
    const sab = new SharedArrayBuffer(8);
    const progress = new Int32Array(sab);
    const worker = new Worker(new URL('./js-batch-worker.js', import.meta.url), { workerData: { patterns, items, start, skip, progress: sab } });
    const outcome = await new Promise<'done' | { stuck: number }>((resolve, reject) => {
      // Time is charged per tick, at most two ticks' worth, so a loaded host is not mistaken for a hang.
      const tick = Math.max(5, budgetMs / 4);
      let last = -1;
      let stuck = 0;
      let lastTick = performance.now();
      const timer = setInterval(() => {
        const count = Atomics.load(progress, 1);
        const now = performance.now();
        const dt = Math.min(now - lastTick, 2 * tick);
        lastTick = now;
        if (count !== last) {
          last = count;
          stuck = 0;
        } else if ((stuck += dt) > budgetMs) {
          clearInterval(timer);
          resolve({ stuck: Atomics.load(progress, 0) });
        }
      }, tick);
      worker.on('message', (m: 'done' | { index: number; lines: string[] | null }[]) => {
        if (m === 'done') {
          clearInterval(timer);
          resolve('done');
        } else for (const r of m) results[r.index] = r.lines;
      });
      worker.on('error', (e) => {
        clearInterval(timer);
        reject(e);
      });
    });
    await worker.terminate();
    if (outcome === 'done') break;
    results[outcome.stuck] = 'budget';
    skip.push(outcome.stuck);
    // Resume at the first item whose result was lost with the worker.
    start = results.findIndex((r, i) => r === undefined && !skip.includes(i));
    if (start === -1) break;
  }
  return results.map((r) => (r === undefined ? 'budget' : r));
}
