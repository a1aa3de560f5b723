import { Transform, type TransformCallback } from 'node:stream';
import { TrawlError } from '../../errors/trawl-error.js';
import type { ResolvedOptions } from './artifact-file.js';

/**
 * Counts what the whole artifact has cost so far (entries, uncompressed bytes, bytes held) across
 * layers and nested archives, and throws TRAWL_E_ARTIFACT_LIMIT the moment a cap is passed: a bomb
 * is stopped by its headers before it is inflated.
 */
export class ArtifactGuard {
  entries = 0;
  totalBytes = 0;
  bufferedBytes = 0;

  constructor(readonly opts: ResolvedOptions, readonly artifact: string) {}

  limit(message: string, detail: Record<string, unknown>): TrawlError {
    return new TrawlError('TRAWL_E_ARTIFACT_LIMIT', `${this.artifact}: ${message}`, { artifact: this.artifact, ...detail });
  }

  /** An entry whose header declares `size` uncompressed bytes (and `compressed` bytes stored, for zip). */
  entry(where: string, size: number, compressed?: number): void {
    this.entries += 1;
    if (this.entries > this.opts.maxEntries) {
      throw this.limit(`more than ${this.opts.maxEntries} entries (at ${where})`, { entry: where, limit: 'maxEntries' });
    }
    this.bytes(where, size);
    if (compressed !== undefined) this.ratio(where, size, compressed);
  }

  bytes(where: string, size: number): void {
    if (!Number.isFinite(size) || size < 0) throw this.limit(`entry ${where} declares an invalid size ${size}`, { entry: where, limit: 'size' });
    if (size > this.opts.maxEntryBytes) {
      throw this.limit(`entry ${where} is ${size} bytes uncompressed, over the ${this.opts.maxEntryBytes}-byte entry cap`, { entry: where, size, limit: 'maxEntryBytes' });
    }
    this.totalBytes += size;
    if (this.totalBytes > this.opts.maxTotalBytes) {
      throw this.limit(`more than ${this.opts.maxTotalBytes} bytes uncompressed in total (at ${where})`, { entry: where, limit: 'maxTotalBytes' });
    }
  }

  ratio(where: string, uncompressed: number, compressed: number): void {
    if (uncompressed <= this.opts.ratioFloorBytes) return;
    const ratio = uncompressed / Math.max(compressed, 1);
    if (ratio > this.opts.maxCompressionRatio) {
      throw this.limit(
        `entry ${where} expands ${compressed} bytes to ${uncompressed} (ratio ${ratio.toFixed(0)}, cap ${this.opts.maxCompressionRatio}): refusing a likely decompression bomb`,
        { entry: where, ratio, limit: 'maxCompressionRatio' },
      );
    }
  }

  hold(where: string, size: number): void {
    this.bufferedBytes += size;
    if (this.bufferedBytes > this.opts.maxBufferedBytes) {
      throw this.limit(`more than ${this.opts.maxBufferedBytes} bytes of files held for parsers (at ${where})`, { entry: where, limit: 'maxBufferedBytes' });
    }
  }

  release(size: number): void {
    this.bufferedBytes = Math.max(0, this.bufferedBytes - size);
  }

  /**
   * A pass-through that watches a decompressor: `input` counts compressed bytes fed in, the transform
   * counts what comes out. Headers can lie about sizes in a tar.gz; the stream cannot.
   */
  meter(where: string, input: { bytes: number }): Transform {
    let out = 0;
    const guard = this;
    return new Transform({
      transform(chunk: Buffer, _enc, cb: TransformCallback) {
        out += chunk.length;
        if (out > guard.opts.maxTotalBytes) {
          cb(guard.limit(`${where} decompresses to more than ${guard.opts.maxTotalBytes} bytes`, { entry: where, limit: 'maxTotalBytes' }));
          return;
        }
        try {
          guard.ratio(where, out, input.bytes);
        } catch (e) {
          cb(e as Error);
          return;
        }
        cb(null, chunk);
      },
    });
  }
}

/** A pass-through counting bytes, used on the compressed side of a decompressor. */
export function counter(state: { bytes: number }): Transform {
  return new Transform({
    transform(chunk: Buffer, _enc, cb) {
      state.bytes += chunk.length;
      cb(null, chunk);
    },
  });
}
