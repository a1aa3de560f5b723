import net from 'node:net';
import tls from 'node:tls';
import { generate } from 'selfsigned';

/** Throwaway servers on 127.0.0.1 (the only address these tests ever talk to). */
export interface LocalServer {
  readonly port: number;
  /** Everything each connection sent us, in connection order (Latin-1). */
  readonly received: string[];
  connections: number;
  close(): Promise<void>;
}

export type ConnectionHandler = (socket: net.Socket, received: { data: string }) => void;

function track(server: net.Server, handler: ConnectionHandler, secureEvent = false): Promise<LocalServer> {
  const sockets = new Set<net.Socket>();
  const received: string[] = [];
  const state: LocalServer = {
    port: 0,
    received,
    connections: 0,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
  server.on(secureEvent ? 'secureConnection' : 'connection', (socket: net.Socket) => {
    state.connections++;
    sockets.add(socket);
    const rec = { data: '' };
    received.push('');
    const index = received.length - 1;
    socket.on('data', (d: Buffer) => {
      rec.data += d.toString('latin1');
      received[index] = rec.data;
    });
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
    handler(socket, rec);
  });
  if (secureEvent) server.on('tlsClientError', () => undefined);
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      (state as { port: number }).port = (server.address() as net.AddressInfo).port;
      resolve(state);
    });
  });
}

export function startServer(handler: ConnectionHandler): Promise<LocalServer> {
  return track(net.createServer(), handler);
}

export async function startTlsServer(handler: ConnectionHandler): Promise<LocalServer> {
  const pems = await generate([{ name: 'commonName', value: 'localhost' }], { keyType: 'ec', days: 2 } as Parameters<typeof generate>[1]);
  return track(tls.createServer({ key: pems.private, cert: pems.cert }), handler, true);
}

/** Calls `reply` with each complete line the client sends. */
export function onLines(socket: net.Socket, reply: (line: string) => void): void {
  let buf = '';
  socket.on('data', (d: Buffer) => {
    buf += d.toString('latin1');
    let i: number;
    while ((i = buf.indexOf('\n')) !== -1) {
      const line = buf.slice(0, i).replace(/\r$/, '');
      buf = buf.slice(i + 1);
      reply(line);
    }
  });
}

/** A real TLS ClientHello from Node's TLS client, captured by a plain server (for synthetic probes). */
export async function captureClientHello(): Promise<Buffer> {
  let resolveHello!: (b: Buffer) => void;
  const hello = new Promise<Buffer>((r) => {
    resolveHello = r;
  });
  const srv = await startServer((s) => {
    s.once('data', (d: Buffer) => {
      resolveHello(d);
      s.destroy();
    });
  });
  const c = tls.connect({ host: '127.0.0.1', port: srv.port, rejectUnauthorized: false });
  c.on('error', () => undefined);
  const bytes = await hello;
  c.destroy();
  await srv.close();
  return bytes;
}

/** A port with nothing listening (bound, then released). */
export async function closedPort(): Promise<number> {
  const s = await startServer(() => undefined);
  await s.close();
  return s.port;
}

/** `\xHH` for every byte: safe inside a probe file's q|...| string. */
export function probeEscape(bytes: Uint8Array): string {
  return [...bytes].map((b) => `\\x${b.toString(16).padStart(2, '0')}`).join('');
}
