import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';

/**
 * Limits on what a (possibly hostile) server may make us read. Every read in the identify stage goes
 * through `readBounded`, so an endless stream, a 1-byte drip or a giant banner costs at most
 * `maxBytes` of memory and `totalMs` of time.
 */
export interface ReadLimits {
  /** Stop after this many bytes (the excess is not buffered). */
  readonly maxBytes: number;
  /** Stop when no byte arrived for this long. */
  readonly idleMs: number;
  /** Stop after this long whatever happens (defeats slow drips that reset the idle timer). */
  readonly totalMs: number;
  /** Stop early once the bytes so far are enough (e.g. a full line, a complete frame). */
  readonly until?: (data: Buffer) => boolean;
}

export type ReadEnd = 'until' | 'max-bytes' | 'idle' | 'total' | 'closed' | 'error';

export interface BoundedReadResult {
  readonly data: Buffer;
  readonly end: ReadEnd;
  /** Milliseconds from the call to the first byte, when one came. */
  readonly firstByteMs?: number;
}

/**
 * Reads from a socket within limits. Data already buffered by an earlier read on the same socket is
 * not lost: callers pass `carry` to prepend it. The socket is paused afterwards, not destroyed.
 */
export function readBounded(socket: Socket | TLSSocket, limits: ReadLimits, carry?: Buffer): Promise<BoundedReadResult> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = carry && carry.length > 0 ? [carry] : [];
    let size = carry?.length ?? 0;
    const started = performance.now();
    let firstByteMs: number | undefined;
    let settled = false;

    const finish = (end: ReadEnd): void => {
      if (settled) return;
      settled = true;
      clearTimeout(idle);
      clearTimeout(total);
      socket.off('data', onData);
      socket.off('end', onEnd);
      socket.off('close', onEnd);
      socket.off('error', onError);
      socket.pause();
      const data = Buffer.concat(chunks, Math.min(size, limits.maxBytes));
      resolve(firstByteMs === undefined ? { data, end } : { data, end, firstByteMs });
    };
    const onData = (chunk: Buffer): void => {
      if (firstByteMs === undefined) firstByteMs = performance.now() - started;
      const room = limits.maxBytes - size;
      chunks.push(room < chunk.length ? chunk.subarray(0, room) : chunk);
      size += Math.min(room, chunk.length);
      if (size >= limits.maxBytes) return finish('max-bytes');
      if (limits.until?.(Buffer.concat(chunks, size))) return finish('until');
      idle.refresh();
    };
    const onEnd = (): void => finish('closed');
    const onError = (): void => finish('error');
    const idle = setTimeout(() => finish('idle'), limits.idleMs);
    const total = setTimeout(() => finish('total'), limits.totalMs);
    if (limits.until && size > 0 && limits.until(Buffer.concat(chunks, size))) return finish('until');
    socket.on('data', onData);
    socket.once('end', onEnd);
    socket.once('close', onEnd);
    socket.once('error', onError);
    socket.resume();
  });
}
