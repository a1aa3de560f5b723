/**
 * Runs tcp/network blocks: connect (plain or tls://), write each input (text or hex), read `read`
 * bytes after inputs that ask for it (stored under the input's name), then a final read of
 * `read-size` bytes (or everything until close with `read-all`, capped at 1 MiB).
 * Parts: `data` = the final read (default), `raw` = everything read, `request` = everything sent.
 *
 * A read returns what arrives first, up to the size, after a short settle delay — nuclei's single
 * conn.Read() — waits at most the read timeout for its first byte, and never outlives the exchange.
 * An exchange during which the service sent nothing at all is a timeout, not a clean run.
 */
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { DslValue } from '../dsl/dsl-value.js';
import { bytesToDsl, dslBytes } from '../dsl/dsl-bytes.js';
import { TrawlError } from '../../../errors/trawl-error.js';
import { connectWire, ConnectFailure, CUT_OFF } from '../net/wire-connect.js';
import { runOperators, type PartValue } from '../operators/operator-engine.js';
import { payloadCombinations } from '../payload-generator.js';
import type { NetworkRequestSpec } from '../template-types.js';
import type { ExecContext } from './exec-context.js';
import { absorbDynamic, flowPassed, recordMatch } from './result-builder.js';

const MAX_READ = 1 << 20;
const SETTLE_MS = 60;

interface Address {
  readonly port: number;
  readonly tls: boolean;
  readonly shown: string;
}

function resolveAddress(ctx: ExecContext, template: string, lookup: ReturnType<ExecContext['lookup']>): Address | undefined {
  const tls = template.startsWith('tls://');
  const filled = ctx.fill(template.replace(/^tls:\/\//, ''), lookup, 'host');
  if (filled === undefined) return undefined;
  const m = /^(.*):(\d{1,5})$/.exec(filled);
  const host = (m ? m[1]! : filled).replace(/^\[|\]$/g, '');
  const port = m ? Number(m[2]) : ctx.target.port;
  if (host !== ctx.url.host && host !== ctx.target.ip && host !== ctx.target.host) {
    ctx.note(`host ${JSON.stringify(filled)} is not the target: skipped`);
    return undefined;
  }
  if (port < 1 || port > 65535) return undefined;
  return { port, tls, shown: `${ctx.url.host.includes(':') ? `[${ctx.url.host}]` : ctx.url.host}:${port}` };
}

type ReadEnd = 'size' | 'quiet' | 'closed' | 'timeout';

interface ReadOptions {
  readonly size: number;
  /** Read until the peer closes (or 1 s of quiet), capped at MAX_READ. */
  readonly all: boolean;
  /** Longest wait for the first byte. */
  readonly firstByteMs: number;
  /** Longest the whole read may take. */
  readonly totalMs: number;
  readonly signal: AbortSignal;
}

/**
 * Reads like nuclei's conn.Read: waits up to `firstByteMs` for the first bytes, then keeps what
 * follows until `size` bytes or SETTLE_MS of quiet (`all`: until close or 1 s of quiet). `totalMs`
 * caps the whole read, so a peer dripping a byte at a time cannot hold it open; abort ends it at
 * once. Says how it ended: a read that saw nothing before its first-byte wait ran out is a timeout.
 */
function readSome(sock: Socket | TLSSocket, o: ReadOptions): Promise<{ data: Buffer; end: ReadEnd }> {
  const cap = Math.min(o.all ? MAX_READ : o.size, MAX_READ);
  const quietMs = o.all ? 1000 : SETTLE_MS;
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let got = 0;
    let quiet: NodeJS.Timeout | undefined;
    let done = false;
    const finish = (end: ReadEnd): void => {
      if (done) return;
      done = true;
      clearTimeout(total);
      clearTimeout(first);
      clearTimeout(quiet);
      sock.off('data', onData);
      sock.off('end', onClose);
      sock.off('close', onClose);
      o.signal.removeEventListener('abort', onAbort);
      sock.pause();
      resolve({ data: Buffer.concat(chunks, got), end });
    };
    const onClose = (): void => finish('closed');
    const onAbort = (): void => finish('timeout');
    const onData = (d: Buffer): void => {
      const take = d.subarray(0, cap - got);
      chunks.push(take);
      got += take.length;
      if (got >= cap) {
        finish('size');
        // Bytes past the read size stay for the next read, as they would in the kernel buffer.
        if (take.length < d.length) sock.unshift(d.subarray(take.length));
        return;
      }
      clearTimeout(quiet);
      quiet = setTimeout(() => finish('quiet'), quietMs);
    };
    const total = setTimeout(() => finish(got > 0 ? 'quiet' : 'timeout'), Math.max(1, o.totalMs));
    const first = setTimeout(() => {
      if (got === 0) finish('timeout');
    }, Math.max(1, Math.min(o.firstByteMs, o.totalMs)));
    sock.on('data', onData);
    sock.once('end', onClose);
    sock.once('close', onClose);
    o.signal.addEventListener('abort', onAbort, { once: true });
    if (o.signal.aborted) return finish('timeout');
    // A peer that already hung up fires neither event again.
    if (sock.destroyed || sock.readableEnded) return finish('closed');
    sock.resume();
  });
}

/** Runs one tcp block; true when it succeeded as a flow step (see flowPassed). */
export async function runNetworkBlock(ctx: ExecContext, spec: NetworkRequestSpec): Promise<boolean> {
  if (spec.ports.length > 0 && !spec.ports.includes(ctx.target.port)) {
    ctx.note(`template is for port(s) ${spec.ports.join(',')}; target port ${ctx.target.port} skipped`);
    return false;
  }
  let passed = false;
  const combos: Iterable<ReadonlyMap<string, string>> = spec.payloads ? payloadCombinations(spec.payloads) : [new Map()];
  for (const combo of combos) {
    const seen = new Set<string>();
    for (const hostTemplate of spec.hosts) {
      if (ctx.stopped || ctx.signal.aborted) return passed;
      const lookup = ctx.lookup(combo);
      const addr = resolveAddress(ctx, hostTemplate, lookup);
      if (!addr || seen.has(`${addr.tls}/${addr.port}`)) continue;
      seen.add(`${addr.tls}/${addr.port}`);
      // Inputs are built before connecting, so an unresolved one costs no connection.
      const payloads: Buffer[] = [];
      let ok = true;
      for (const [i, inp] of spec.inputs.entries()) {
        const text = ctx.fill(inp.data, lookup, `input ${i + 1}`);
        if (text === undefined) {
          ok = false;
          break;
        }
        if (!inp.hex) {
          payloads.push(dslBytes(text));
          continue;
        }
        const hex = text.replace(/\s+/g, '');
        // nuclei fails the request on bad hex; Buffer.from would silently stop at the first bad digit.
        if (!/^(?:[0-9a-fA-F]{2})*$/.test(hex)) {
          ctx.note(`input ${i + 1}: ${JSON.stringify(hex.slice(0, 40))} is not hex after interpolation: skipped`);
          ok = false;
          break;
        }
        payloads.push(Buffer.from(hex, 'hex'));
      }
      if (!ok) continue;
      const x = await ctx.begin(ctx.target.ip, addr.port);
      if (!x) return passed;
      const vars = new Map<string, DslValue>();
      const parts = new Map<string, PartValue>();
      const readAll: Buffer[] = [];
      let sock: Socket | TLSSocket | undefined;
      try {
        const deadline = performance.now() + x.timeoutMs;
        sock = await connectWire({
          ip: ctx.target.ip,
          port: addr.port,
          tls: addr.tls,
          servername: ctx.target.host,
          guard: ctx.env.guard,
          timeoutMs: x.connectTimeoutMs,
          signal: x.signal,
        });
        sock.on('error', () => undefined);
        // Each read waits at most the read timeout for its first byte, and never past the exchange.
        const left = (): number => Math.max(1, deadline - performance.now());
        const read = (size: number, all: boolean): Promise<{ data: Buffer; end: ReadEnd }> => readSome(sock!, { size, all, firstByteMs: x.readTimeoutMs, totalMs: all ? left() : Math.min(x.readTimeoutMs, left()), signal: x.signal });
        let received = 0;
        for (const [i, inp] of spec.inputs.entries()) {
          if (!sock.destroyed) sock.write(payloads[i]!);
          if (inp.read > 0) {
            const r = await read(inp.read, false);
            received += r.data.length;
            readAll.push(r.data);
            if (inp.name) {
              vars.set(inp.name, bytesToDsl(r.data));
              parts.set(inp.name, { text: bytesToDsl(r.data), bytes: r.data });
            }
          }
          if (x.signal.aborted) break;
        }
        const r = await read(spec.readSize, spec.readAll);
        received += r.data.length;
        const lastEnd = r.end;
        if (x.signal.aborted) throw new TrawlError('TRAWL_E_INTERRUPTED', 'check run aborted');
        // Silence from start to finish is no answer at all: a timeout, not a clean "no match".
        if (received === 0 && lastEnd === 'timeout') {
          x.end(new ConnectFailure(`no data within ${x.readTimeoutMs} ms`, 'timeout'));
          ctx.note(`${addr.shown}: no data within ${x.readTimeoutMs} ms`);
          continue;
        }
        x.end('answered');
        const final = r.data;
        const raw = Buffer.concat(readAll.concat(final));
        const sent = Buffer.concat(payloads);
        vars.set('data', bytesToDsl(final));
        vars.set('raw', bytesToDsl(raw));
        vars.set('request', bytesToDsl(sent));
        vars.set('host', ctx.target.host);
        vars.set('matched', addr.shown);
        parts.set('data', { text: bytesToDsl(final), bytes: final });
        parts.set('body', { text: bytesToDsl(final), bytes: final });
        parts.set('all', { text: bytesToDsl(final), bytes: final });
        parts.set('raw', { text: bytesToDsl(raw), bytes: raw });
        parts.set('request', { text: bytesToDsl(sent), bytes: sent });
      } catch (e) {
        if (e instanceof ConnectFailure) {
          x.end(e);
          ctx.note(`${addr.shown}: ${e.message}`);
          continue;
        }
        throw e;
      } finally {
        sock?.destroy();
        x.end(CUT_OFF);
      }
      const lk = ctx.lookup(vars, combo);
      const op = runOperators(spec.operators, {
        lookup: lk,
        part: (name) => {
          const p = parts.get(name);
          if (p) return p;
          const v = lk(name);
          return v === undefined || v === null ? undefined : { text: typeof v === 'string' ? v : String(v) };
        },
      });
      absorbDynamic(ctx, op);
      passed ||= flowPassed(spec.operators, op);
      if (op.matched) {
        recordMatch(ctx, op, addr.shown, { request: vars.get('request') as string, response: vars.get('raw') as string, payload: combo }, spec.operators);
        if (ctx.template.stopAtFirstMatch) {
          ctx.stopped = true;
          return passed;
        }
      }
    }
  }
  return passed;
}
