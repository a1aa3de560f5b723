import { randomBytes } from 'node:crypto';
import { access, constants, open, realpath, rename, stat, unlink, type FileHandle } from 'node:fs/promises';
import { unlinkSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { tmpdir } from 'node:os';
import type { Writable } from 'node:stream';
import { TrawlError } from '../errors/index.js';

/**
 * Where encoded result bytes go. Writes are buffered; nothing is visible at the destination until
 * `commit()` for files (temp + fsync + rename), so a failed or killed scan never leaves a
 * half-written results file. `discard()` drops everything not yet committed.
 */
export interface OutputSink {
  /** The path written, or `-` for stdout: for messages. */
  readonly label: string;
  write(chunk: string | Buffer): Promise<void>;
  commit(): Promise<void>;
  discard(): Promise<void>;
}

/** Small writes are coalesced: one syscall per ~64 KiB instead of one per row. */
const flushBytes = 64 * 1024;

/** Temp files still on disk; removed synchronously if the process exits without finishing them. */
const liveTemps = new Set<string>();
let exitHookInstalled = false;

function trackTemp(path: string): void {
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once('exit', () => {
      for (const p of liveTemps) {
        try { unlinkSync(p); } catch { /* already gone */ }
      }
    });
  }
  liveTemps.add(path);
}

function errnoReason(err: unknown): string {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  switch (code) {
    case 'ENOENT': return 'directory does not exist';
    case 'ENOTDIR': return 'a parent path is not a directory';
    case 'EISDIR': return 'is a directory';
    case 'EACCES': case 'EPERM': return 'permission denied';
    case 'EROFS': return 'read-only file system';
    case 'ENOSPC': return 'no space left on device';
    case 'EDQUOT': return 'disk quota exceeded';
    case 'EPIPE': return 'reader closed the pipe';
    default: return err instanceof Error ? err.message : String(err);
  }
}

export function outputError(label: string, reason: string, cause?: unknown): TrawlError {
  const where = label === '-' ? 'stdout' : label;
  return new TrawlError('TRAWL_E_OUTPUT', `cannot write results to ${where}: ${reason}`, { path: label, reason }, cause === undefined ? undefined : { cause });
}

function errnoCode(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException | undefined)?.code;
}

/** Buffers chunks and hands them to `sinkWrite` in large pieces. */
abstract class BufferedSink implements OutputSink {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  protected closed = false;

  constructor(readonly label: string) {}

  protected abstract writeOut(data: Buffer): Promise<void>;

  async write(chunk: string | Buffer): Promise<void> {
    if (this.closed) throw new TrawlError('TRAWL_E_INTERNAL', `write to ${this.label} after it was finished or aborted`);
    const buf = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
    this.pending.push(buf);
    this.pendingBytes += buf.length;
    if (this.pendingBytes >= flushBytes) await this.flush();
  }

  protected async flush(): Promise<void> {
    if (this.pendingBytes === 0) return;
    const data = this.pending.length === 1 ? this.pending[0]! : Buffer.concat(this.pending, this.pendingBytes);
    this.pending = [];
    this.pendingBytes = 0;
    try {
      await this.writeOut(data);
    } catch (err) {
      throw err instanceof TrawlError ? err : outputError(this.label, errnoReason(err), err);
    }
  }

  abstract commit(): Promise<void>;
  abstract discard(): Promise<void>;
}

async function writeFully(handle: FileHandle, data: Buffer): Promise<void> {
  let off = 0;
  while (off < data.length) {
    const { bytesWritten } = await handle.write(data, off, data.length - off);
    off += bytesWritten;
  }
}

/** Regular-file destination: temp file beside it, fsync, rename over it on commit. */
class AtomicFileSink extends BufferedSink {
  constructor(label: string, private readonly handle: FileHandle, private readonly tempPath: string, private readonly finalPath: string) {
    super(label);
  }

  protected writeOut(data: Buffer): Promise<void> {
    return writeFully(this.handle, data);
  }

  async commit(): Promise<void> {
    if (this.closed) return;
    try {
      await this.flush();
      await this.handle.sync();
      this.closed = true;
      await this.handle.close();
      await rename(this.tempPath, this.finalPath);
      liveTemps.delete(this.tempPath);
    } catch (err) {
      await this.discard();
      throw err instanceof TrawlError ? err : outputError(this.label, errnoReason(err), err);
    }
    await syncDirectory(dirname(this.finalPath));
  }

  async discard(): Promise<void> {
    if (!this.closed) {
      this.closed = true;
      await this.handle.close().catch(() => undefined);
    }
    if (liveTemps.delete(this.tempPath)) await unlink(this.tempPath).catch(() => undefined);
  }
}

/** Makes the rename itself durable; some filesystems refuse fsync on directories, which is fine. */
async function syncDirectory(dir: string): Promise<void> {
  let h: FileHandle | undefined;
  try {
    h = await open(dir, 'r');
    await h.sync();
  } catch {
    /* best effort */
  } finally {
    await h?.close().catch(() => undefined);
  }
}

/**
 * Existing non-regular destination (/dev/null, a FIFO, /dev/stdout): written in place. Renaming over
 * a device node would replace it, and there is no half-written file to protect anyway.
 */
class DirectFileSink extends BufferedSink {
  constructor(label: string, private readonly handle: FileHandle) {
    super(label);
  }

  protected writeOut(data: Buffer): Promise<void> {
    return writeFully(this.handle, data);
  }

  async commit(): Promise<void> {
    if (this.closed) return;
    try {
      await this.flush();
    } finally {
      this.closed = true;
      await this.handle.close().catch(() => undefined);
    }
  }

  async discard(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.handle.close().catch(() => undefined);
  }
}

/** A stream such as process.stdout: waits for each chunk to be taken, so a slow reader slows us instead of memory growing. */
class StreamSink extends BufferedSink {
  private failure: TrawlError | undefined;
  private rejectPending: ((err: TrawlError) => void) | undefined;
  private readonly onError = (err: unknown): void => {
    this.failure ??= outputError(this.label, errnoReason(err), err);
    this.rejectPending?.(this.failure);
  };

  constructor(label: string, private readonly stream: Writable) {
    super(label);
    stream.on('error', this.onError);
  }

  protected async writeOut(data: Buffer): Promise<void> {
    if (this.failure) throw this.failure;
    try {
      // The callback fires once the chunk is handed to the OS; an 'error' (EPIPE) may come instead.
      await new Promise<void>((res, rej) => {
        this.rejectPending = rej;
        this.stream.write(data, (err) => (err ? rej(outputError(this.label, errnoReason(err), err)) : res()));
      });
    } finally {
      this.rejectPending = undefined;
    }
  }

  async commit(): Promise<void> {
    if (this.closed) return;
    try {
      await this.flush();
      if (this.failure) throw this.failure;
    } finally {
      this.closed = true;
      this.stream.off('error', this.onError);
    }
  }

  async discard(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.stream.off('error', this.onError);
  }
}

/**
 * Opens the destination now, so an unwritable path fails before any scanning starts.
 * `-` is stdout; `stream` overrides which stream that is (tests).
 */
export async function openSink(destination: string, stream: Writable = process.stdout): Promise<OutputSink> {
  if (destination === '-') return new StreamSink('-', stream);
  if (destination.length === 0 || destination.includes('\0')) throw outputError(destination, 'empty or invalid path');

  const requested = resolve(destination);
  let target = requested;
  let existingMode: number | undefined;
  try {
    const st = await stat(requested);
    if (st.isDirectory()) throw outputError(destination, 'is a directory');
    if (!st.isFile()) {
      const handle = await open(requested, 'w').catch((err: unknown) => { throw outputError(destination, errnoReason(err), err); });
      return new DirectFileSink(destination, handle);
    }
    // Respect a read-only results file: replacing it by rename would silently bypass its mode.
    await access(requested, constants.W_OK).catch((err: unknown) => { throw outputError(destination, errnoReason(err), err); });
    // A symlink keeps pointing at the new results: write beside (and rename over) what it points to.
    target = await realpath(requested);
    existingMode = st.mode & 0o7777;
  } catch (err) {
    if (err instanceof TrawlError) throw err;
    // ENOENT: a new file, checked below; ENOTDIR and the rest are final.
    if (errnoCode(err) !== 'ENOENT') throw outputError(destination, errnoReason(err), err);
  }

  const dir = dirname(target);
  try {
    const d = await stat(dir);
    if (!d.isDirectory()) throw outputError(destination, `${dir} is not a directory`);
  } catch (err) {
    if (err instanceof TrawlError) throw err;
    throw outputError(destination, errnoCode(err) === 'ENOENT' ? `directory ${dir} does not exist` : errnoReason(err), err);
  }

  const tempPath = join(dir, `.${basename(target)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  let handle: FileHandle;
  try {
    handle = await open(tempPath, 'wx', 0o666);
  } catch (err) {
    throw outputError(destination, errnoCode(err) === 'EACCES' ? `permission denied in directory ${dir}` : errnoReason(err), err);
  }
  trackTemp(tempPath);
  if (existingMode !== undefined) await handle.chmod(existingMode).catch(() => undefined);
  return new AtomicFileSink(destination, handle, tempPath, target);
}

/**
 * A scratch file for output that must be reordered (nmap XML written before its header is known).
 * It lives beside the destination when there is one, so it shares its filesystem and quota.
 */
export class SpoolFile extends BufferedSink {
  private constructor(private readonly handle: FileHandle, readonly path: string, label: string) {
    super(label);
  }

  static async create(nearDestination: string): Promise<SpoolFile> {
    const dir = nearDestination === '-' ? tmpdir() : dirname(resolve(nearDestination));
    const path = join(dir, `.trawl-spool.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
    let handle: FileHandle;
    try {
      handle = await open(path, 'wx+', 0o600);
    } catch (err) {
      throw outputError(nearDestination, `cannot create scratch file in ${dir}: ${errnoReason(err)}`, err);
    }
    trackTemp(path);
    return new SpoolFile(handle, path, nearDestination);
  }

  protected writeOut(data: Buffer): Promise<void> {
    return writeFully(this.handle, data);
  }

  /** Copies the spool, from its start, into the sink in 64 KiB pieces. */
  async copyInto(sink: OutputSink): Promise<void> {
    await this.flush();
    let pos = 0;
    for (;;) {
      const buf = Buffer.allocUnsafe(flushBytes);
      const { bytesRead } = await this.handle.read(buf, 0, buf.length, pos);
      if (bytesRead === 0) return;
      pos += bytesRead;
      await sink.write(buf.subarray(0, bytesRead));
    }
  }

  commit(): Promise<void> {
    return this.discard();
  }

  /** Removes the scratch file; the spool is never a result in itself. */
  async discard(): Promise<void> {
    this.closed = true;
    await this.handle.close().catch(() => undefined);
    if (liveTemps.delete(this.path)) await unlink(this.path).catch(() => undefined);
  }
}
