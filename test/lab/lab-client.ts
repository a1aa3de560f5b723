/** Small real-socket clients the lab tests use to talk to the lab's services. */
import { connect, type Socket } from 'node:net';

export type ConnectOutcome = 'open' | 'refused' | 'timeout' | 'error';

/** Connects and classifies the outcome the way a connect scanner would. */
export function probe(ip: string, port: number, timeoutMs = 1_500): Promise<ConnectOutcome> {
  return new Promise((resolve) => {
    const s = connect({ host: ip, port });
    const t = setTimeout(() => {
      s.destroy();
      resolve('timeout');
    }, timeoutMs);
    s.once('connect', () => {
      clearTimeout(t);
      s.destroy();
      resolve('open');
    });
    s.once('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(t);
      resolve(e.code === 'ECONNREFUSED' ? 'refused' : 'error');
    });
  });
}

/**
 * A conversation: connect, optionally send, collect bytes until `done(buffer)` says enough (or the
 * server closes, or the timeout passes), then hang up.
 */
export function exchange(ip: string, port: number, send: Buffer | string | undefined, done: (b: Buffer) => boolean, timeoutMs = 3_000): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const s: Socket = connect({ host: ip, port });
    const finish = (): void => {
      clearTimeout(t);
      s.destroy();
      resolve(Buffer.concat(chunks));
    };
    const t = setTimeout(finish, timeoutMs);
    s.once('connect', () => {
      if (send !== undefined) s.write(send);
    });
    s.on('data', (c: Buffer) => {
      chunks.push(c);
      if (done(Buffer.concat(chunks))) finish();
    });
    s.once('end', finish);
    s.once('error', (e) => {
      clearTimeout(t);
      reject(e);
    });
  });
}

/** Reads up to the first CR LF (the banner of a banner-first protocol). */
export async function bannerOf(ip: string, port: number): Promise<string> {
  const b = await exchange(ip, port, undefined, (x) => x.includes('\r\n'));
  return b.toString('latin1').split('\r\n')[0] ?? '';
}

export const endsWithCrLf = (b: Buffer): boolean => b.toString('latin1').endsWith('\r\n');
