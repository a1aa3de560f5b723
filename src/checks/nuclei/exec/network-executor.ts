/**
 * Runs tcp/network blocks: connect (plain or tls://), write each input (text or hex), read `read`
 * bytes after inputs that ask for it (stored under the input's name), then a final read of
 * `read-size` bytes (or everything until close with `read-all`, capped at 1 MiB).
 * Parts: `data` = the final read (default), `raw` = everything read, `request` = everything sent.
 *
 * A read returns what arrives first, up to the size, after a short settle delay — nuclei's single
 * conn.Read() — and never waits past the run's timeout.
 */
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { bytesToDslString, dslStringToWire, type DslValue } from '../dsl/dsl-value.js';
import { connectWire, ConnectFailure } from '../net/wire-connect.js';
import { runOperators, type PartValue } from '../operators/operator-engine.js';
import { payloadCombinations } from '../payload-generator.js';
import type { NetworkRequestSpec } from '../template-types.js';
import type { ExecContext } from './exec-context.js';
import { absorbDynamic, recordMatch } from './result-builder.js';

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

/**
 * Reads like nuclei's conn.Read: waits up to `waitMs` for the first bytes, then keeps what follows
 * until `size` bytes or SETTLE_MS of quiet. With `all`, reads until the peer closes (or 1 s of
 * quiet), capped at MAX_READ.
 */
function readSome(sock: Socket | TLSSocket, size: number, waitMs: number, all: boolean): Promise<Buffer> {
  const cap = Math.min(all ? MAX_READ : size, MAX_READ);
  const quietMs = all ? 1000 : SETTLE_MS;
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let got = 0;
    let quiet: NodeJS.Timeout | undefined;
    const finish = (): void => {
      clearTimeout(total);
      clearTimeout(quiet);
      sock.off('data', onData);
      sock.off('end', finish);
      sock.off('close', finish);
      sock.pause();
      resolve(Buffer.concat(chunks, got));
    };
    const onData = (d: Buffer): void => {
      const take = d.subarray(0, cap - got);
      chunks.push(take);
      got += take.length;
      if (got >= cap) {
        finish();
        // Bytes past the read size stay for the next read, as they would in the kernel buffer.
        if (take.length < d.length) sock.unshift(d.subarray(take.length));
        return;
      }
      clearTimeout(quiet);
      quiet = setTimeout(finish, quietMs);
    };
    const total = setTimeout(finish, waitMs);
    sock.on('data', onData);
    sock.once('end', finish);
    sock.once('close', finish);
    sock.resume();
  });
}

export async function runNetworkBlock(ctx: ExecContext, spec: NetworkRequestSpec): Promise<void> {
  if (spec.ports.length > 0 && !spec.ports.includes(ctx.target.port)) {
    ctx.note(`template is for port(s) ${spec.ports.join(',')}; target port ${ctx.target.port} skipped`);
    return;
  }
  const combos: Iterable<ReadonlyMap<string, string>> = spec.payloads ? payloadCombinations(spec.payloads) : [new Map()];
  for (const combo of combos) {
    const seen = new Set<string>();
    for (const hostTemplate of spec.hosts) {
      if (ctx.stopped || ctx.env.signal?.aborted) return;
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
        payloads.push(inp.hex ? Buffer.from(text.replace(/\s+/g, ''), 'hex') : dslStringToWire(text));
      }
      if (!ok || !ctx.spend()) continue;
      const release = await ctx.env.pacer.acquire(ctx.target.ip, ctx.env.signal);
      const vars = new Map<string, DslValue>();
      const parts = new Map<string, PartValue>();
      const readAll: Buffer[] = [];
      let sock: Socket | TLSSocket | undefined;
      try {
        const deadline = performance.now() + ctx.env.timeoutMs;
        sock = await connectWire({
          ip: ctx.target.ip,
          port: addr.port,
          tls: addr.tls,
          servername: ctx.target.host,
          guard: ctx.env.guard,
          timeoutMs: ctx.env.timeoutMs,
          ...(ctx.env.signal ? { signal: ctx.env.signal } : {}),
        });
        sock.on('error', () => undefined);
        const left = (): number => Math.max(1, deadline - performance.now());
        for (const [i, inp] of spec.inputs.entries()) {
          sock.write(payloads[i]!);
          if (inp.read > 0) {
            const got = await readSome(sock, inp.read, left(), false);
            readAll.push(got);
            if (inp.name) {
              vars.set(inp.name, bytesToDslString(got));
              parts.set(inp.name, { text: bytesToDslString(got), bytes: got });
            }
          }
        }
        const final = await readSome(sock, spec.readSize, left(), spec.readAll);
        readAll.push(final);
        const raw = Buffer.concat(readAll);
        const sent = Buffer.concat(payloads);
        vars.set('data', bytesToDslString(final));
        vars.set('raw', bytesToDslString(raw));
        vars.set('request', bytesToDslString(sent));
        vars.set('host', ctx.target.host);
        vars.set('matched', addr.shown);
        parts.set('data', { text: bytesToDslString(final), bytes: final });
        parts.set('body', { text: bytesToDslString(final), bytes: final });
        parts.set('all', { text: bytesToDslString(final), bytes: final });
        parts.set('raw', { text: bytesToDslString(raw), bytes: raw });
        parts.set('request', { text: bytesToDslString(sent), bytes: sent });
      } catch (e) {
        if (e instanceof ConnectFailure) {
          ctx.note(`${addr.shown}: ${e.message}`);
          continue;
        }
        throw e;
      } finally {
        sock?.destroy();
        release();
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
      if (op.matched) {
        recordMatch(ctx, op, addr.shown, { request: vars.get('request') as string, response: vars.get('raw') as string, payload: combo }, spec.operators.condition);
        if (ctx.template.stopAtFirstMatch) {
          ctx.stopped = true;
          return;
        }
      }
    }
  }
}
