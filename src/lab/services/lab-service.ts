import type { Server, Socket } from 'node:net';
import { createServer } from 'node:net';
import { TrawlError } from '../../errors/index.js';

/** One service of a lab: the ground truth a scan of the lab is compared with. */
export interface LabService {
  readonly ip: string;
  readonly port: number;
  /** nmap-style service name: 'http', 'https', 'ssh', 'redis', 'ftp', 'smtp', 'mysql', 'postgresql'. */
  readonly name: string;
  readonly product?: string;
  readonly version?: string;
  /** The first line the server sends unprompted, without its line ending (banner-first protocols only). */
  readonly banner?: string;
  /** HTML <title> of an HTTP(S) service's front page. */
  readonly title?: string;
  /** True when the port speaks TLS from the first byte. */
  readonly tls?: boolean;
}

/** A listener that can be shut down; close() also destroys the connections still open. */
export interface RunningService {
  close(): Promise<void>;
}

/** What a service module contributes: its truth (minus the address) and how to start it. */
export interface ServiceSpec {
  readonly name: string;
  readonly product?: string;
  readonly version?: string;
  readonly banner?: string;
  readonly title?: string;
  readonly tls?: boolean;
  start(ip: string, port: number, limits?: ConnectionLimits): Promise<RunningService>;
}

export interface ConnectionLimits {
  /** A connection silent this long is destroyed, so a stalled scanner cannot pin sockets. */
  readonly idleTimeoutMs: number;
  readonly maxConnections: number;
  /** listen(2) backlog; the kernel caps it at net.core.somaxconn. Default 511. */
  readonly backlog?: number;
}

export const DEFAULT_LIMITS: ConnectionLimits = { idleTimeoutMs: 10_000, maxConnections: 1024 };

/**
 * Listens `server` on ip:port and tracks its sockets so close() is prompt. Socket errors are
 * swallowed per socket: a scanner resetting half-open connections must never crash the lab.
 */
export function serve(server: Server, ip: string, port: number, label: string, limits: ConnectionLimits = DEFAULT_LIMITS): Promise<RunningService> {
  const sockets = new Set<Socket>();
  server.maxConnections = limits.maxConnections;
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
    socket.setTimeout(limits.idleTimeoutMs, () => socket.destroy());
  });
  // Errors after listening (EMFILE on accept...) must not take the process down.
  const onLateError = (): void => undefined;
  return new Promise((resolve, reject) => {
    const onListenError = (err: NodeJS.ErrnoException): void => {
      reject(listenError(err, ip, port, label));
    };
    server.once('error', onListenError);
    server.listen({ host: ip, port, backlog: limits.backlog ?? 511, exclusive: true }, () => {
      server.off('error', onListenError);
      server.on('error', onLateError);
      resolve({
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            for (const s of sockets) s.destroy();
            sockets.clear();
          }),
      });
    });
  });
}

function listenError(err: NodeJS.ErrnoException, ip: string, port: number, label: string): TrawlError {
  const where = `${ip}:${port}`;
  const why =
    err.code === 'EADDRINUSE'
      ? `${where} is already in use (another lab on this subnet? pick another subnet)`
      : err.code === 'EADDRNOTAVAIL'
        ? `${ip} is not a local address here (Linux routes all of 127/8 to lo; other systems need an alias)`
        : err.code === 'EACCES'
          ? `binding ${where} needs privileges`
          : `${where}: ${err.message}`;
  return new TrawlError('TRAWL_E_LAB', `lab service ${label} cannot listen: ${why}`, { ip, port, service: label, cause: err.code }, { cause: err });
}

/** A raw TCP service whose protocol is implemented in `onConnection`. */
export function serveTcp(ip: string, port: number, label: string, onConnection: (socket: Socket) => void, limits?: ConnectionLimits): Promise<RunningService> {
  const server = createServer({ noDelay: true }, (socket) => {
    try {
      onConnection(socket);
    } catch {
      socket.destroy();
    }
  });
  return serve(server, ip, port, label, limits);
}

/**
 * Feeds complete lines (CR LF or LF, ending stripped) to `onLine`. A line longer than `maxLine`
 * bytes closes the connection: the lab reads untrusted input and must stay bounded.
 */
export function readLines(socket: Socket, onLine: (line: string) => void, maxLine = 4096): void {
  let pending = '';
  socket.on('data', (chunk: Buffer) => {
    pending += chunk.toString('latin1');
    let nl: number;
    while ((nl = pending.indexOf('\n')) >= 0) {
      const line = pending.slice(0, nl).replace(/\r$/, '');
      pending = pending.slice(nl + 1);
      if (socket.destroyed) return;
      onLine(line);
    }
    if (pending.length > maxLine) socket.destroy();
  });
}

/** Writes `text` unless the peer is already gone (writes after a reset only produce errors). */
export function reply(socket: Socket, text: string | Buffer): void {
  if (!socket.destroyed && socket.writable) socket.write(text);
}

/** Replies, then half-closes the way a server ends a session. */
export function replyAndClose(socket: Socket, text: string | Buffer): void {
  if (!socket.destroyed && socket.writable) socket.end(text);
}
