/** Small TCP/TLS servers on 127.0.0.1 for the handshake unit and hostile-server tests. */
import net from 'node:net';
import tls from 'node:tls';
import type { IdentifyTarget } from '../../../src/engines/identify/service-identity.js';

export interface LocalServer {
  readonly port: number;
  readonly target: IdentifyTarget;
  /** Bytes every connection has received from the client, in connection order. */
  readonly received: Buffer[];
  /** Connections accepted so far. */
  connections(): number;
  /** Connections still open. */
  open(): number;
  close(): Promise<void>;
}

type Handler = (socket: net.Socket, index: number, received: () => Buffer) => void;

function track(server: net.Server, handler: Handler, received: Buffer[], sockets: Set<net.Socket>, event: 'connection' | 'secureConnection'): void {
  server.on(event, (socket: net.Socket) => {
    const index = received.length;
    received.push(Buffer.alloc(0));
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
    // Kept bounded: these servers only need the first few KiB a client sends.
    socket.on('data', (d: Buffer) => {
      const prev = received[index]!;
      if (prev.length < 64 * 1024) received[index] = Buffer.concat([prev, d]).subarray(0, 64 * 1024);
    });
    handler(socket, index, () => received[index]!);
  });
}

async function listen(server: net.Server, received: Buffer[], sockets: Set<net.Socket>, hostname?: string): Promise<LocalServer> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    target: { ip: '127.0.0.1', port, family: 4, ...(hostname !== undefined ? { hostname } : {}) },
    received,
    connections: () => received.length,
    open: () => sockets.size,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

export async function tcpServer(handler: Handler, hostname?: string): Promise<LocalServer> {
  const received: Buffer[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer();
  track(server, handler, received, sockets, 'connection');
  return listen(server, received, sockets, hostname);
}

export async function tlsServer(options: tls.TlsOptions, handler: Handler, hostname?: string): Promise<LocalServer> {
  const received: Buffer[] = [];
  const sockets = new Set<net.Socket>();
  const server = tls.createServer(options);
  server.on('tlsClientError', () => undefined);
  track(server, handler, received, sockets, 'secureConnection');
  return listen(server, received, sockets, hostname);
}

/** Calls `onLine` for each CRLF line the client sends (line-based protocols). */
export function onLines(socket: net.Socket, onLine: (line: string) => void): void {
  let buf = '';
  socket.on('data', (d: Buffer) => {
    buf += d.toString('latin1');
    let i: number;
    while ((i = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, i).replace(/\r$/, '');
      buf = buf.slice(i + 1);
      onLine(line);
    }
  });
}

/** Resolves once `n` bytes (or more) arrived, with everything so far. */
export function readAtLeast(socket: net.Socket, n: number): Promise<Buffer> {
  return new Promise((resolve) => {
    let buf = Buffer.alloc(0);
    const onData = (d: Buffer): void => {
      buf = Buffer.concat([buf, d]);
      if (buf.length >= n) {
        socket.off('data', onData);
        resolve(buf);
      }
    };
    socket.on('data', onData);
  });
}
