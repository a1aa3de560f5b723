import net from 'node:net';
import tls from 'node:tls';
import { readBounded, type ReadEnd } from '../bounded-read.js';
import type { IdentifyTarget } from '../service-identity.js';
import { withBudget, type HandshakeBudget } from './handshake-budget.js';
import type { HandshakeOptions, HandshakeResult } from './handshake-types.js';

/** TLS settings for a connection that speaks TLS from its first byte. */
export interface TlsDial {
  readonly alpn?: readonly string[];
  readonly minVersion?: tls.SecureVersion;
  readonly maxVersion?: tls.SecureVersion;
  readonly ciphers?: string;
}

export type DialFailure = 'refused' | 'timeout' | 'tls-failed' | 'aborted' | 'error';

export interface DialError {
  readonly failure: DialFailure;
  readonly code?: string;
  readonly message: string;
  /** Bytes the client had written when it failed: 0 means a TLS probe never left this host. */
  readonly bytesWritten: number;
}

/** SNI only for names: RFC 6066 forbids addresses, and Node warns about them. */
export function sniName(target: IdentifyTarget): string | undefined {
  const h = target.hostname;
  return h !== undefined && h !== '' && net.isIP(h) === 0 ? h : undefined;
}

/**
 * One TCP (or TLS) connection of a handshake, reading only through `readBounded`: bytes not yet
 * parsed wait in `buffer`, every read is capped by the response limit and by what the budget has
 * left, and the budget destroys the socket when its time is up.
 */
export class HandshakeConnection {
  readonly socket: net.Socket | tls.TLSSocket;
  readonly #budget: HandshakeBudget;
  #buffer: Buffer = Buffer.alloc(0);
  #ended: ReadEnd | undefined;

  private constructor(socket: net.Socket | tls.TLSSocket, budget: HandshakeBudget) {
    this.socket = socket;
    this.#budget = budget;
    // A socket error must never be unhandled; the next read reports it as 'error'.
    socket.on('error', () => {
      this.#ended ??= 'error';
    });
    socket.once('close', () => {
      this.#ended ??= 'closed';
    });
    budget.track(this);
  }

  /** Opens a connection, or says why none could be made. The egress guard runs first and may throw. */
  static async open(target: IdentifyTarget, budget: HandshakeBudget, tlsDial?: TlsDial): Promise<HandshakeConnection | DialError> {
    budget.opts.guard?.(target.ip, target.family);
    if (budget.exhausted) return { failure: 'aborted', message: 'handshake budget exhausted', bytesWritten: 0 };
    const timeoutMs = Math.min(budget.opts.connectTimeoutMs, budget.remainingMs());
    const raw = net.connect({ host: target.ip, port: target.port, family: target.family });
    raw.setNoDelay(true);
    const opened = await settle(raw, 'connect', timeoutMs, budget);
    if (opened !== undefined) {
      raw.destroy();
      return { ...opened, bytesWritten: 0 };
    }
    raw.on('error', () => undefined);
    if (tlsDial === undefined) return new HandshakeConnection(raw, budget);

    const servername = sniName(target);
    const secure = tls.connect({
      socket: raw,
      rejectUnauthorized: false,
      ...(servername !== undefined ? { servername } : {}),
      ...(tlsDial.alpn !== undefined ? { ALPNProtocols: [...tlsDial.alpn] } : {}),
      ...(tlsDial.minVersion !== undefined ? { minVersion: tlsDial.minVersion } : {}),
      ...(tlsDial.maxVersion !== undefined ? { maxVersion: tlsDial.maxVersion } : {}),
      ...(tlsDial.ciphers !== undefined ? { ciphers: tlsDial.ciphers } : {}),
    });
    // OpenSSL bounds a certificate chain itself, but a server could drip records for ever: the raw
    // byte count is watched while the handshake runs.
    const cap = Math.min(budget.bytesLeft, budget.opts.maxResponseBytes * 4);
    const watch = setInterval(() => {
      if (raw.bytesRead > cap) secure.destroy(new Error('TLS handshake exceeded the byte limit'));
    }, 20);
    const failed = await settle(secure, 'secureConnect', Math.max(1, Math.min(budget.opts.connectTimeoutMs, budget.remainingMs())), budget);
    clearInterval(watch);
    budget.spend(raw.bytesRead);
    if (failed !== undefined) {
      const bytesWritten = raw.bytesWritten;
      secure.destroy();
      raw.destroy();
      return { ...failed, failure: failed.failure === 'refused' || failed.failure === 'error' ? 'tls-failed' : failed.failure, bytesWritten };
    }
    return new HandshakeConnection(secure, budget);
  }

  get tlsSocket(): tls.TLSSocket | undefined {
    return this.socket instanceof tls.TLSSocket ? this.socket : undefined;
  }

  /** Bytes received and not yet consumed. */
  get buffer(): Buffer {
    return this.#buffer;
  }

  /** Why the stream ended, once it has: 'closed' by the peer, 'error', or 'total' when we closed it. */
  get ended(): ReadEnd | undefined {
    return this.#ended;
  }

  /**
   * Reads until `enough(buffer)` holds, the response limit or the budget's bytes are reached, the
   * peer is silent for `idleMs`, the stream ends, or the budget's time runs out.
   */
  async fill(enough: (buf: Buffer) => boolean, idleMs = this.#budget.opts.idleMs): Promise<ReadEnd> {
    if (enough(this.#buffer)) return 'until';
    if (this.#ended !== undefined) return this.#ended;
    const room = Math.min(this.#budget.opts.maxResponseBytes - this.#buffer.length, this.#budget.bytesLeft);
    if (room <= 0) return 'max-bytes';
    const totalMs = this.#budget.remainingMs();
    if (totalMs <= 0) return 'total';
    const before = this.#buffer.length;
    const r = await readBounded(this.socket, { maxBytes: before + room, idleMs: Math.max(1, Math.min(idleMs, totalMs)), totalMs, until: enough }, this.#buffer);
    this.#buffer = r.data;
    this.#budget.spend(r.data.length - before);
    if (r.end === 'closed' || r.end === 'error') this.#ended ??= r.end;
    if (r.end === 'max-bytes' && enough(this.#buffer)) return 'until';
    return r.end;
  }

  /** The peer closed or reset the connection (as opposed to our own limits ending it). */
  get peerClosed(): boolean {
    return this.#ended === 'closed' || this.#ended === 'error';
  }

  /** Removes and returns the first `n` bytes of the buffer. */
  consume(n: number): Buffer {
    const head = this.#buffer.subarray(0, n);
    this.#buffer = this.#buffer.subarray(n);
    return head;
  }

  /** Drops everything buffered (e.g. the rest of a response we do not parse). */
  discard(): void {
    this.#buffer = Buffer.alloc(0);
  }

  write(data: Buffer | string): void {
    if (this.#ended !== undefined || this.socket.destroyed) return;
    this.socket.write(data);
  }

  /** Destroys the socket. Called by the budget at its deadline too: `ended` then says 'total', not 'closed'. */
  close(): void {
    this.#budget.untrack(this);
    this.#ended ??= 'total';
    if (!this.socket.destroyed) this.socket.destroy();
  }
}

/** Waits for `event` on a connecting socket; undefined on success, else why it failed. */
function settle(socket: net.Socket, event: 'connect' | 'secureConnect', timeoutMs: number, budget: HandshakeBudget): Promise<Omit<DialError, 'bytesWritten'> | undefined> {
  return new Promise((resolve) => {
    let done = false;
    const finish = (v: Omit<DialError, 'bytesWritten'> | undefined): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.off(event, onOk);
      socket.off('error', onError);
      socket.off('close', onClose);
      budget.signal.removeEventListener('abort', onAbort);
      if (v !== undefined) socket.on('error', () => undefined);
      resolve(v);
    };
    const onOk = (): void => finish(undefined);
    const onError = (e: NodeJS.ErrnoException): void =>
      finish({ failure: e.code === 'ECONNREFUSED' ? 'refused' : 'error', ...(e.code !== undefined ? { code: e.code } : {}), message: e.message });
    const onClose = (): void => finish({ failure: 'error', code: 'ECONNRESET', message: 'connection closed during the handshake' });
    const onAbort = (): void => finish({ failure: 'aborted', message: 'handshake budget ran out' });
    const timer = setTimeout(() => finish({ failure: 'timeout', message: `no ${event} within ${Math.round(timeoutMs)} ms` }), Math.max(1, timeoutMs));
    socket.once(event, onOk);
    socket.once('error', onError);
    socket.once('close', onClose);
    if (budget.signal.aborted) onAbort();
    else budget.signal.addEventListener('abort', onAbort, { once: true });
  });
}

export function isDialError(v: HandshakeConnection | DialError): v is DialError {
  return !(v instanceof HandshakeConnection);
}

/** Reads CRLF/LF-terminated lines: true once the buffer holds a complete line. */
export function hasLine(buf: Buffer): boolean {
  return buf.includes(0x0a);
}

/** Latin-1 text of a buffer with control characters (but tab) made visible, for banners in facts. */
export function printable(buf: Buffer, max = 512): string {
  const s = buf.subarray(0, max).toString('latin1');
  return s.replace(/[\x00-\x08\x0b-\x1f\x7f-\x9f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/** Opens a connection, runs `fn` on it and closes it; undefined when no connection could be made. */
export async function withConnection<T>(
  target: IdentifyTarget,
  budget: HandshakeBudget,
  tlsDial: TlsDial | undefined,
  fn: (conn: HandshakeConnection) => Promise<T | undefined>,
): Promise<T | undefined> {
  const conn = await HandshakeConnection.open(target, budget, tlsDial);
  if (isDialError(conn)) return undefined;
  try {
    return await fn(conn);
  } finally {
    conn.close();
  }
}

/** The TLS dial for protocols that take `opts.tls` as implicit TLS. */
export function implicitTls(budget: HandshakeBudget, alpn?: readonly string[]): TlsDial | undefined {
  if (!budget.opts.tls) return undefined;
  return alpn !== undefined ? { alpn } : {};
}

/**
 * The two entry points of a handshake that runs over one connection, TLS from the first byte on the
 * budget's TLS ports: on its own budget (`handshake`) and under a cascade's (`withBudget`).
 */
export function oneConnectionHandshake<F>(over: (c: HandshakeConnection) => Promise<HandshakeResult<F> | undefined>): {
  handshake: (target: IdentifyTarget, opts: HandshakeOptions) => Promise<HandshakeResult<F> | undefined>;
  withBudget: (target: IdentifyTarget, budget: HandshakeBudget) => Promise<HandshakeResult<F> | undefined>;
} {
  const underBudget = (target: IdentifyTarget, budget: HandshakeBudget): Promise<HandshakeResult<F> | undefined> =>
    withConnection(target, budget, implicitTls(budget), over);
  return { handshake: (target, opts) => withBudget(opts, (b) => underBudget(target, b)), withBudget: underBudget };
}
