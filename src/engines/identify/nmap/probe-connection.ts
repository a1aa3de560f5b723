import net from 'node:net';
import tls from 'node:tls';
import type { IdentifyTarget } from '../service-identity.js';
import type { ResponseMatcher } from './match-pool.js';
import type { MatchHit } from './pattern-matcher.js';
import type { ProbeDatabase, ServiceProbe } from './probe-database.js';

/**
 * One probe on one fresh connection, as nmap does it: connect (plain or TLS), send the probe string
 * (nothing for the NULL probe), read and match what comes back. Reading is bounded like readBounded
 * (bounded-read.ts) — at most `maxBytes` kept, `waitMs` overall, `quietMs` of silence after data —
 * but matches incrementally: every batch of bytes is matched as it arrives, a hard match ends the
 * probe at once, and, as in nmap, a response that reaches `stopBytes` without a match ends it too.
 */

export type ProbeTunnel = 'none' | 'ssl';

export type ProbeEnd =
  | 'matched'
  | 'quiet'
  | 'total'
  | 'max-bytes'
  | 'closed'
  | 'reset'
  | 'error'
  | 'connect-timeout'
  | 'refused'
  | 'unreachable'
  | 'tls-failed'
  | 'cancelled';

export interface TlsSettings {
  /** SNI name (never an address). */
  readonly servername?: string;
  readonly minVersion?: tls.SecureVersion;
  readonly ciphers?: string;
  /** Shared across a port's TLS probes so later handshakes resume the session (as nmap does). */
  readonly sessionCache: { session?: Buffer };
}

export interface ProbeRunOptions {
  readonly target: IdentifyTarget;
  readonly db: ProbeDatabase;
  readonly probe: ServiceProbe;
  readonly tunnel: ProbeTunnel;
  readonly matcher: ResponseMatcher;
  readonly connectTimeoutMs: number;
  /** Before sending, wait this long for a spontaneous banner (0 for the NULL probe). */
  readonly bannerGraceMs: number;
  /** Read budget after the probe string is sent (after connect, for the NULL probe). */
  readonly waitMs: number;
  /** After the first byte, stop once the connection has been silent this long. */
  readonly quietMs: number;
  readonly maxBytes: number;
  /** nmap stops reading once this many bytes have not matched (4096). */
  readonly stopBytes: number;
  readonly tls?: TlsSettings;
}

export interface ProbeRunResult {
  readonly end: ProbeEnd;
  readonly hard?: MatchHit;
  readonly soft?: MatchHit;
  readonly bytes: number;
  readonly response: Buffer;
  /** Bytes arrived before the probe string was sent. */
  readonly sawBanner: boolean;
  /** Milliseconds from the connection being established to the peer closing or resetting it. */
  readonly closedAfterMs?: number;
  /** Milliseconds from sending (connecting, for NULL) to the first byte. */
  readonly firstByteMs?: number;
  /** Patterns the matcher gave up on for exceeding its time budget. */
  readonly abandoned: number;
  readonly error?: string;
}

const TLS_HANDSHAKE_ERRORS = /SSL|TLS|EPROTO|ERR_SSL|wrong version|handshake/i;

export class ProbeRun {
  readonly probe: ServiceProbe;
  readonly tunnel: ProbeTunnel;
  readonly done: Promise<ProbeRunResult>;
  result: ProbeRunResult | undefined;
  /** performance.now() of connection establishment / payload send (undefined until then). */
  connectedAt: number | undefined;
  sentAt: number | undefined;

  readonly #o: ProbeRunOptions;
  #resolve!: (r: ProbeRunResult) => void;
  #socket: net.Socket | undefined;
  readonly #chunks: Buffer[] = [];
  #bytes = 0;
  #sawBanner = false;
  #firstByteMs: number | undefined;
  #closedAfterMs: number | undefined;
  #hard: MatchHit | undefined;
  #soft: MatchHit | undefined;
  #abandoned = 0;
  #matching = false;
  #matchedBytes = 0;
  #pendingEnd: ProbeEnd | undefined;
  #error: string | undefined;
  readonly #timers = new Set<NodeJS.Timeout>();
  #quiet: NodeJS.Timeout | undefined;

  constructor(o: ProbeRunOptions) {
    this.#o = o;
    this.probe = o.probe;
    this.tunnel = o.tunnel;
    this.done = new Promise((resolve) => {
      this.#resolve = resolve;
    });
    this.#connect();
  }

  get bytes(): number {
    return this.#bytes;
  }

  get finished(): boolean {
    return this.result !== undefined;
  }

  cancel(): void {
    this.#finish('cancelled');
  }

  #timer(ms: number, fn: () => void): NodeJS.Timeout {
    const t = setTimeout(() => {
      this.#timers.delete(t);
      fn();
    }, ms);
    this.#timers.add(t);
    return t;
  }

  #connect(): void {
    const { target, tunnel } = this.#o;
    let socket: net.Socket;
    if (tunnel === 'ssl') {
      const t = this.#o.tls;
      const opts: tls.ConnectionOptions = {
        host: target.ip,
        port: target.port,
        rejectUnauthorized: false,
        minVersion: t?.minVersion ?? 'TLSv1',
        ciphers: t?.ciphers ?? 'DEFAULT:@SECLEVEL=0',
      };
      if (t?.servername && net.isIP(t.servername) === 0) opts.servername = t.servername;
      if (t?.sessionCache.session) opts.session = t.sessionCache.session;
      const ts = tls.connect(opts);
      ts.on('session', (s: Buffer) => {
        if (t) t.sessionCache.session = s;
      });
      socket = ts;
    } else {
      socket = net.connect({ host: target.ip, port: target.port, family: target.family });
    }
    this.#socket = socket;
    socket.setNoDelay(true);
    const connectTimer = this.#timer(this.#o.connectTimeoutMs, () => this.#finish('connect-timeout'));
    socket.once(tunnel === 'ssl' ? 'secureConnect' : 'connect', () => {
      clearTimeout(connectTimer);
      this.#timers.delete(connectTimer);
      this.connectedAt = performance.now();
      if (this.probe.isNull) this.#startWaiting();
      else if (this.#o.bannerGraceMs > 0 && !this.#sawBanner) this.#timer(this.#o.bannerGraceMs, () => this.#send());
      else this.#send();
    });
    socket.on('data', (chunk: Buffer) => this.#onData(chunk));
    socket.on('end', () => this.#onPeerClosed('closed'));
    socket.on('close', () => this.#onPeerClosed('closed'));
    socket.on('error', (e: NodeJS.ErrnoException) => {
      this.#error = e.message;
      if (this.connectedAt === undefined) {
        if (e.code === 'ECONNREFUSED') this.#finish('refused');
        else if (e.code === 'EHOSTUNREACH' || e.code === 'ENETUNREACH') this.#finish('unreachable');
        else if (tunnel === 'ssl' && (e.code === 'ECONNRESET' || TLS_HANDSHAKE_ERRORS.test(`${e.code ?? ''} ${e.message}`))) this.#finish('tls-failed');
        else this.#finish('error');
      } else if (e.code === 'ECONNRESET' || e.code === 'EPIPE') this.#onPeerClosed('reset');
      else this.#requestEnd('error');
    });
  }

  #send(): void {
    if (this.result || this.sentAt !== undefined) return;
    const p = this.probe;
    if (!p.noPayload && p.payload.length > 0) this.#socket?.write(p.payload);
    this.#startWaiting();
  }

  #startWaiting(): void {
    this.sentAt = performance.now();
    this.#timer(this.#o.waitMs, () => this.#requestEnd('total'));
  }

  #onData(chunk: Buffer): void {
    if (this.result || this.#pendingEnd) return;
    if (this.#firstByteMs === undefined) this.#firstByteMs = this.sentAt === undefined ? 0 : performance.now() - this.sentAt;
    if (this.sentAt === undefined && !this.probe.isNull) {
      // A spontaneous banner: no need to wait out the grace period.
      this.#sawBanner = true;
      if (this.connectedAt !== undefined) this.#send();
    }
    const room = this.#o.maxBytes - this.#bytes;
    if (room > 0) {
      const part = chunk.length > room ? chunk.subarray(0, room) : chunk;
      this.#chunks.push(part);
      this.#bytes += part.length;
    }
    if (this.#bytes >= this.#o.maxBytes) {
      this.#socket?.pause();
      this.#requestEnd('max-bytes');
      return;
    }
    if (this.#quiet) this.#quiet.refresh();
    else this.#quiet = this.#timer(this.#o.quietMs, () => this.#requestEnd('quiet'));
    this.#match();
  }

  #onPeerClosed(kind: 'closed' | 'reset'): void {
    if (this.result || this.#pendingEnd) return;
    if (this.connectedAt === undefined) {
      this.#finish(this.#o.tunnel === 'ssl' ? 'tls-failed' : 'error');
      return;
    }
    this.#closedAfterMs = performance.now() - this.connectedAt;
    this.#requestEnd(kind);
  }

  /** Ends once the bytes read so far have all been matched. */
  #requestEnd(end: ProbeEnd): void {
    if (this.result || this.#pendingEnd) return;
    this.#pendingEnd = end;
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
    this.#socket?.pause();
    if (!this.#matching) {
      if (this.#matchedBytes === this.#bytes) this.#finish(end);
      else this.#match();
    }
  }

  #match(): void {
    if (this.#matching || this.result) return;
    this.#matching = true;
    const snapshot = Buffer.concat(this.#chunks, this.#bytes);
    this.#matchedBytes = snapshot.length;
    this.#o.matcher.match(this.probe.index, snapshot).then(
      (r) => this.#onMatched(r.hit, r.abandoned.length),
      () => this.#onMatched(undefined, 0),
    );
  }

  #onMatched(hit: MatchHit | undefined, abandoned: number): void {
    this.#matching = false;
    this.#abandoned += abandoned;
    if (this.result) return;
    if (hit) {
      const m = this.#o.db.matches[hit.matchId];
      if (m && !m.soft) {
        this.#hard = hit;
        this.#finish('matched');
        return;
      }
      this.#soft ??= hit;
    }
    if (this.#matchedBytes !== this.#bytes) {
      this.#match();
      return;
    }
    if (this.#pendingEnd) this.#finish(this.#pendingEnd);
    else if (this.#bytes >= this.#o.stopBytes) this.#requestEnd('max-bytes');
  }

  #finish(end: ProbeEnd): void {
    if (this.result) return;
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
    this.#socket?.destroy();
    const r: ProbeRunResult = {
      end,
      bytes: this.#bytes,
      response: Buffer.concat(this.#chunks, this.#bytes),
      sawBanner: this.#sawBanner,
      abandoned: this.#abandoned,
      ...(this.#hard ? { hard: this.#hard } : {}),
      ...(this.#soft ? { soft: this.#soft } : {}),
      ...(this.#closedAfterMs !== undefined ? { closedAfterMs: this.#closedAfterMs } : {}),
      ...(this.#firstByteMs !== undefined ? { firstByteMs: this.#firstByteMs } : {}),
      ...(this.#error !== undefined ? { error: this.#error } : {}),
    };
    this.result = r;
    this.#resolve(r);
  }
}
