import { openRawIcmp, type RawSocket } from './raw-icmp-socket.js';

/** An address to ping: `id` is the caller's host index, echoed back in the payload. */
export interface PingTarget {
  readonly id: number;
  readonly ip: string;
  readonly family: 4 | 6;
}

export interface IcmpSweepOptions {
  /** Echo requests per host before giving up (1 + retries for silence). */
  readonly attempts: number;
  /** Max echo requests per second. */
  readonly rate: number;
  /** Wait after the last request of a pass when no reply was seen yet (no RTT to go by). */
  readonly waitMs: number;
  /** Floor of the wait once replies give an RTT: 4× the slowest reply, but at least this. */
  readonly minWaitMs: number;
  readonly guard: (ip: string, family: 4 | 6) => void;
  readonly signal?: AbortSignal;
}

export type IcmpSweepResult =
  | { readonly available: false; readonly reason: string }
  | { readonly available: true; readonly alive: Set<number>; readonly sent: number; readonly maxRttMs: number };

const MAGIC = 0x5452574c; // 'TRWL'

function echoRequest(family: 4 | 6, ident: number, seq: number, id: number, checksum: (b: Buffer) => number): Buffer {
  const b = Buffer.alloc(16);
  b[0] = family === 4 ? 8 : 128;
  b.writeUInt16BE(ident, 4);
  b.writeUInt16BE(seq & 0xffff, 6);
  b.writeUInt32BE(MAGIC, 8);
  b.writeUInt32BE(id >>> 0, 12);
  if (family === 4) b.writeUInt16BE(checksum(b), 2); // the kernel fills ICMPv6 checksums itself
  return b;
}

/**
 * ICMP echo host discovery over a raw socket — what nmap does first as root. Replies are matched
 * by identifier, our payload magic, the echoed host id *and* the source address, so stray or
 * spoofed echoes cannot mark a host alive.
 */
export async function icmpSweep(targets: readonly PingTarget[], opts: IcmpSweepOptions): Promise<IcmpSweepResult> {
  const families = new Set(targets.map((t) => t.family));
  const sockets = new Map<4 | 6, RawSocket>();
  let checksum: ((b: Buffer) => number) | undefined;
  for (const f of families) {
    const r = openRawIcmp(f);
    if (!r.ok) {
      for (const s of sockets.values()) s.close();
      return { available: false, reason: r.reason };
    }
    sockets.set(f, r.socket);
    checksum = (b) => r.mod.createChecksum(b);
  }
  const alive = new Set<number>();
  if (targets.length === 0 || !checksum) return { available: true, alive, sent: 0, maxRttMs: 0 };
  const ident = (process.pid ^ 0x5a5a) & 0xffff;
  const sentAt = new Float64Array(targets.length);
  const byId = new Map<number, PingTarget>();
  targets.forEach((t) => byId.set(t.id, t));
  const slotOf = new Map<number, number>();
  targets.forEach((t, i) => slotOf.set(t.id, i));
  let maxRtt = 0;
  let sent = 0;

  const onMessage = (family: 4 | 6) => (buf: Buffer, source: string): void => {
    // IPv4 raw sockets deliver the IP header; IPv6 ones do not.
    const off = family === 4 ? (buf[0]! & 0x0f) * 4 : 0;
    if (buf.length < off + 16) return;
    const type = buf[off]!;
    if ((family === 4 && type !== 0) || (family === 6 && type !== 129)) return;
    if (buf.readUInt16BE(off + 4) !== ident || buf.readUInt32BE(off + 8) !== MAGIC) return;
    const id = buf.readUInt32BE(off + 12);
    const t = byId.get(id);
    if (!t || t.ip !== source || alive.has(id)) return;
    alive.add(id);
    const slot = slotOf.get(id);
    if (slot !== undefined && sentAt[slot]! > 0) maxRtt = Math.max(maxRtt, performance.now() - sentAt[slot]!);
  };
  const errors: Error[] = [];
  for (const [f, s] of sockets) {
    s.on('message', onMessage(f));
    s.on('error', (e) => errors.push(e));
  }

  const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
  try {
    for (let attempt = 0; attempt < opts.attempts; attempt++) {
      const pending = targets.filter((t) => !alive.has(t.id));
      if (pending.length === 0) break;
      const batch = Math.max(1, Math.floor(opts.rate / 100)); // one batch every 10 ms
      for (let i = 0; i < pending.length && !opts.signal?.aborted; i += batch) {
        const slice = pending.slice(i, i + batch);
        await Promise.all(slice.map((t) => new Promise<void>((resolve) => {
          opts.guard(t.ip, t.family);
          const b = echoRequest(t.family, ident, attempt, t.id, checksum!);
          sent++;
          // Time from the moment the kernel took the packet, so queueing in this process does not
          // inflate the RTT that later sizes every timeout.
          sockets.get(t.family)!.send(b, 0, b.length, t.ip, () => {
            sentAt[slotOf.get(t.id)!] = performance.now();
            resolve();
          });
        })));
        if (i + batch < pending.length) await sleep(10);
      }
      if (opts.signal?.aborted) break;
      // Late replies to this pass still count during the next one, so only the last wait must be
      // generous to stragglers; an RTT-based wait keeps a fast network fast.
      await sleep(Math.min(2000, alive.size > 0 ? Math.max(opts.minWaitMs, 4 * maxRtt) : opts.waitMs));
    }
  } finally {
    for (const s of sockets.values()) s.close();
  }
  if (errors.length > 0 && alive.size === 0) return { available: false, reason: `raw socket error: ${errors[0]!.message}` };
  return { available: true, alive, sent, maxRttMs: maxRtt };
}
