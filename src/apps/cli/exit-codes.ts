import { isTrawlError } from '../../errors/index.js';

/** Prints an error the way users should see it and returns the documented exit code. */
export function reportError(err: unknown, stderr: NodeJS.WritableStream = process.stderr): number {
  if (isTrawlError(err)) {
    stderr.write(`trawl: error ${err.code}: ${err.message}\n`);
    return err.exitCode;
  }
  const e = err as Error;
  stderr.write(`trawl: internal error: ${e?.stack ?? String(err)}\n`);
  return 70;
}
