import { createRequire } from 'node:module';

/** The slice of the optional `raw-socket` addon that the ICMP sweeper uses. */
export interface RawSocket {
  on(event: 'message', listener: (buffer: Buffer, source: string) => void): this;
  on(event: 'error', listener: (err: Error) => void): this;
  send(buffer: Buffer, offset: number, length: number, address: string, afterCallback: (error: Error | null, bytes: number) => void): this;
  close(): this;
}

interface RawSocketModule {
  createSocket(options: { protocol: number; addressFamily: number; bufferSize?: number }): RawSocket;
  Protocol: { ICMP: number; ICMPv6: number };
  AddressFamily: { IPv4: number; IPv6: number };
  createChecksum(...buffers: Buffer[]): number;
  writeChecksum(buffer: Buffer, offset: number, checksum: number): Buffer;
}

export type RawIcmpOpen =
  | { readonly ok: true; readonly socket: RawSocket; readonly mod: RawSocketModule }
  | { readonly ok: false; readonly reason: string };

/**
 * Opens a raw ICMP socket when the addon is installed and the process may (root or CAP_NET_RAW).
 * Never throws: host discovery falls back to TCP, and the reason is reported in the summary.
 */
export function openRawIcmp(family: 4 | 6): RawIcmpOpen {
  let mod: RawSocketModule;
  try {
    mod = createRequire(import.meta.url)('raw-socket') as RawSocketModule;
  } catch (e) {
    return { ok: false, reason: `raw-socket addon not available (${(e as Error).message.split('\n')[0]})` };
  }
  try {
    const socket = mod.createSocket({
      protocol: family === 4 ? mod.Protocol.ICMP : mod.Protocol.ICMPv6,
      addressFamily: family === 4 ? mod.AddressFamily.IPv4 : mod.AddressFamily.IPv6,
    });
    return { ok: true, socket, mod };
  } catch (e) {
    return { ok: false, reason: `no raw-socket privilege (${(e as Error).message})` };
  }
}
