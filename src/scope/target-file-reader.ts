/**
 * Streams target expressions from an -iL style file: one or more targets per line, separated by
 * whitespace or commas; blank lines and `#` comments skipped. Files may hold millions of lines, so
 * nothing is read whole, and a line longer than MAX_LINE_BYTES (a binary or corrupted file) stops
 * the read instead of being buffered without bound.
 */
import { open } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { Transform, type TransformCallback } from 'node:stream';
import { TrawlError } from '../errors/index.js';

export interface TargetLine {
  readonly text: string;
  /** 1-based line number, for error messages. */
  readonly line: number;
}

export const MAX_LINE_BYTES = 64 * 1024;

export async function* readTargetLines(path: string): AsyncGenerator<TargetLine> {
  for await (const batch of readTargetBatches(path)) yield* batch;
}

/**
 * The same targets in arrays of up to `batchSize`: one await per batch instead of per target, which
 * roughly halves the time to take in a million-line file. Reading pauses while batches pile up.
 */
export async function* readTargetBatches(path: string, batchSize = 4096): AsyncGenerator<TargetLine[]> {
  const handle = await open(path, 'r').catch((e: unknown) => {
    throw fileError(path, e);
  });
  const input = handle.createReadStream({ autoClose: false, highWaterMark: 256 * 1024 });
  const guard = new LineLengthGuard(path, MAX_LINE_BYTES);
  const rl = createInterface({ input: guard, crlfDelay: Infinity });
  try {
    const st = await handle.stat();
    if (st.isDirectory()) throw fileError(path, Object.assign(new Error('is a directory'), { code: 'EISDIR' }));
    const queue: TargetLine[][] = [];
    let batch: TargetLine[] = [];
    let ended = false;
    let failure: unknown;
    let wake: (() => void) | undefined;
    const notify = (): void => {
      const w = wake;
      wake = undefined;
      w?.();
    };
    const fail = (e: unknown): void => {
      failure ??= e;
      notify();
    };
    let line = 0;
    rl.on('line', (raw: string) => {
      line++;
      if (SEPARATOR_OR_COMMENT.test(raw)) {
        const hash = raw.indexOf('#');
        const body = hash === -1 ? raw : raw.slice(0, hash);
        for (const text of body.split(SEPARATORS)) if (text.length > 0) batch.push({ text, line });
      } else if (raw.length > 0) {
        batch.push({ text: raw, line });
      }
      if (batch.length >= batchSize) {
        queue.push(batch);
        batch = [];
        if (queue.length >= 4) rl.pause();
        notify();
      }
    });
    rl.on('close', () => {
      if (batch.length > 0) queue.push(batch);
      batch = [];
      ended = true;
      notify();
    });
    // readline re-emits input errors on the interface: without this listener they would be uncaught.
    rl.on('error', fail);
    input.on('error', fail);
    guard.on('error', fail);
    input.pipe(guard);
    for (;;) {
      const next = queue.shift();
      if (next !== undefined) {
        if (queue.length < 2) rl.resume();
        yield next;
        continue;
      }
      if (failure !== undefined) throw failure instanceof TrawlError ? failure : fileError(path, failure);
      if (ended) return;
      await new Promise<void>((resolve) => (wake = resolve));
    }
  } finally {
    rl.close();
    input.destroy();
    guard.destroy();
    await handle.close();
  }
}

const SEPARATOR_OR_COMMENT = /[\s,#]/;
const SEPARATORS = /[\s,]+/;

function fileError(path: string, e: unknown): TrawlError {
  const err = e as NodeJS.ErrnoException;
  const reason = err.code !== undefined ? `${err.code}: ${describe(err)}` : e instanceof Error ? e.message : String(e);
  return new TrawlError('TRAWL_E_TARGET_FILE', `cannot read target file "${path}": ${reason}`, { path, reason }, { cause: e });
}

function describe(err: NodeJS.ErrnoException): string {
  // Node's message repeats the syscall and path ("ENOENT: no such file or directory, open '/x'"); keep the OS part.
  const m = /^[A-Z0-9_]+: ([^,]+)/.exec(err.message);
  return m?.[1] ?? err.message;
}

/** Passes bytes through, failing when a line grows past the limit. */
class LineLengthGuard extends Transform {
  #run = 0;
  #line = 1;
  readonly #limit: number;
  readonly #path: string;

  constructor(path: string, limit: number) {
    super();
    this.#path = path;
    this.#limit = limit;
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    let start = 0;
    for (let nl = chunk.indexOf(10, start); nl !== -1; nl = chunk.indexOf(10, start)) {
      if (this.#run + (nl - start) > this.#limit) return done(this.#tooLong());
      this.#run = 0;
      this.#line++;
      start = nl + 1;
    }
    this.#run += chunk.length - start;
    if (this.#run > this.#limit) return done(this.#tooLong());
    done(null, chunk);
  }

  #tooLong(): TrawlError {
    const msg = `cannot read target file "${this.#path}": line ${this.#line} is longer than ${this.#limit} bytes (not a target list?)`;
    return new TrawlError('TRAWL_E_TARGET_FILE', msg, { path: this.#path, line: this.#line });
  }
}
