/**
 * Per (template, target) execution state: the target's built-in variables ({{BaseURL}}…), template
 * constants and variables, values extracted by internal extractors, and the bookkeeping every
 * protocol executor reports into.
 */
import { isIP } from 'node:net';
import { randomBytes } from 'node:crypto';
import { TrawlError } from '../../../errors/trawl-error.js';
import { DslUnresolvedError, type DslLookup } from '../dsl/dsl-eval.js';
import { interpolate } from '../dsl/template-expr.js';
import type { DslValue } from '../dsl/dsl-value.js';
import { HostErrors } from '../net/host-errors.js';
import type { HostPacer } from '../net/host-pacer.js';
import type { ConnectFailure, Guard } from '../net/wire-connect.js';
import type { NucleiResult, NucleiTarget } from '../nuclei-result.js';
import type { NucleiTemplate } from '../template-types.js';

export interface ExecEnv {
  readonly guard: Guard;
  /** One exchange: connect, send, complete answer. */
  readonly timeoutMs: number;
  /** TCP connect plus TLS handshake. */
  readonly connectTimeoutMs: number;
  /** Longest silence while an answer is awaited or arriving. */
  readonly readTimeoutMs: number;
  /** Network time one template may spend on one target, all its exchanges together. */
  readonly templateTimeoutMs: number;
  /** The run's signal (caller abort or a fatal error). */
  readonly signal?: AbortSignal;
  readonly pacer: HostPacer;
  readonly hostErrors: HostErrors;
  readonly maxRequests: number;
}

/** Extra time a started exchange gets past its own timers before the job is cut off regardless. */
const HARD_GRACE_MS = 1000;

/** One exchange's slot: its limits, and `end` to report how it went (frees the connection slot). */
export interface Exchange {
  readonly timeoutMs: number;
  readonly connectTimeoutMs: number;
  readonly readTimeoutMs: number;
  readonly signal: AbortSignal;
  /** 'answered', or the failure; a protocol failure the executor counts as an answer passes 'answered'. */
  end(result: 'answered' | ConnectFailure): void;
}

export interface TargetUrl {
  readonly scheme: 'http' | 'https';
  /** host[:port], port omitted when default for the scheme. */
  readonly hostPort: string;
  readonly host: string;
  readonly port: number;
  /** Path without trailing slash ('' for the root). */
  readonly path: string;
}

function bracket(host: string): string {
  return isIP(host) === 6 ? `[${host}]` : host;
}

export function targetUrl(t: NucleiTarget): TargetUrl {
  if (t.url !== undefined) {
    let u: URL;
    try {
      u = new URL(t.url);
    } catch {
      throw new TrawlError('TRAWL_E_BAD_TARGET', `target url ${JSON.stringify(t.url)} is not a URL`, { value: t.url });
    }
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new TrawlError('TRAWL_E_BAD_TARGET', `target url ${JSON.stringify(t.url)} is not http(s)`, { value: t.url });
    const scheme = u.protocol === 'https:' ? 'https' : 'http';
    const port = u.port === '' ? (scheme === 'https' ? 443 : 80) : Number(u.port);
    const host = u.hostname.replace(/^\[|\]$/g, '');
    return { scheme, host, port, hostPort: u.port === '' ? bracket(host) : `${bracket(host)}:${port}`, path: u.pathname.replace(/\/+$/, '') + (u.search ?? '') };
  }
  const scheme = t.tls ? 'https' : 'http';
  const dflt = (scheme === 'https' && t.port === 443) || (scheme === 'http' && t.port === 80);
  return { scheme, host: t.host, port: t.port, hostPort: dflt ? bracket(t.host) : `${bracket(t.host)}:${t.port}`, path: '' };
}

export class ExecContext {
  readonly template: NucleiTemplate;
  readonly target: NucleiTarget;
  readonly env: ExecEnv;
  readonly url: TargetUrl;
  readonly vars = new Map<string, DslValue>();
  /** Internal extractor values: first value of each name, as nuclei uses them. */
  readonly dynamic = new Map<string, string>();
  readonly notes: string[] = [];
  readonly results: NucleiResult[] = [];
  /** This job's signal: the run's, or this template's own hard deadline. */
  readonly signal: AbortSignal;
  requests = 0;
  stopped = false;
  /** Exchanges that got an answer / timed out / failed otherwise (refused, not the protocol). */
  answered = 0;
  timeouts = 0;
  failures = 0;
  /** Why the job ended early: the time budget, the request budget, or a service given up on. */
  cutShort: 'time' | 'requests' | 'service' | undefined;
  readonly #randstr = new Map<string, string>();
  readonly #deadline = new AbortController();
  #ioMs = 0;

  constructor(template: NucleiTemplate, target: NucleiTarget, env: ExecEnv) {
    this.template = template;
    this.target = target;
    this.env = env;
    this.signal = env.signal ? AbortSignal.any([env.signal, this.#deadline.signal]) : this.#deadline.signal;
    this.url = targetUrl(target);
    const u = this.url;
    const origin = `${u.scheme}://${u.hostPort}`;
    const base = origin + u.path;
    const file = u.path.split('/').pop() ?? '';
    const builtins: Record<string, string> = {
      BaseURL: base,
      RootURL: origin,
      Hostname: u.hostPort,
      Host: bracket(u.host),
      Port: String(u.port),
      Path: u.path,
      File: file,
      Scheme: u.scheme,
      Input: base,
      FQDN: u.host,
      ip: target.ip,
      IP: target.ip,
    };
    for (const [k, v] of Object.entries(builtins)) this.vars.set(k, v);
    for (const [k, v] of template.constants) this.vars.set(k, v);
    // Variables may refer to earlier ones and to helpers ({{rand_base(6)}}); evaluated once per target.
    for (const [k, v] of template.variables) {
      try {
        this.vars.set(k, interpolate(v, this.lookup()));
      } catch (e) {
        if (!(e instanceof TrawlError)) throw e;
        this.note(`variable ${k}: ${e.message}`);
      }
    }
  }

  note(s: string): void {
    if (this.notes.length < 50 && !this.notes.includes(s)) this.notes.push(s);
  }

  /** Variable lookup: extra (payloads, response) → extracted → template/target variables → randstr. */
  lookup(...extra: ReadonlyArray<ReadonlyMap<string, DslValue>>): DslLookup {
    return (name) => {
      for (const m of extra) {
        const v = m.get(name);
        if (v !== undefined) return v;
      }
      const d = this.dynamic.get(name);
      if (d !== undefined) return d;
      const v = this.vars.get(name);
      if (v !== undefined) return v;
      if (/^randstr(_\w+)?$/.test(name)) {
        let r = this.#randstr.get(name);
        if (r === undefined) {
          r = randomBytes(14).toString('hex').slice(0, 27);
          this.#randstr.set(name, r);
        }
        return r;
      }
      return undefined;
    };
  }

  /** Interpolates request text; undefined (with a note) when a variable is unresolved. */
  fill(text: string, lookup: DslLookup, where: string): string | undefined {
    try {
      return interpolate(text, lookup, { allowRandom: true });
    } catch (e) {
      if (e instanceof DslUnresolvedError) {
        this.note(`${where} skipped: unresolved variable "${e.variable}"`);
        return undefined;
      }
      if (e instanceof TrawlError) {
        this.note(`${where} skipped: ${e.message}`);
        return undefined;
      }
      throw e;
    }
  }

  /** Counts a request against the per-template budget; false when it is spent. */
  spend(): boolean {
    if (this.requests >= this.env.maxRequests) {
      this.note(`request budget of ${this.env.maxRequests} spent`);
      this.stopped = true;
      this.cutShort ??= 'requests';
      return false;
    }
    this.requests++;
    return true;
  }

  /** True when the hard deadline (not the run's signal) ended the job. */
  get deadlineHit(): boolean {
    return this.#deadline.signal.aborted;
  }

  #timeLeft(): number {
    return this.env.templateTimeoutMs - this.#ioMs;
  }

  #giveUp(why: 'time' | 'service', key: string): undefined {
    this.stopped = true;
    this.cutShort ??= why;
    if (why === 'time') this.note(`template time budget of ${this.env.templateTimeoutMs} ms spent`);
    else this.note(`${key.split('|').slice(0, 2).join(':')} given up after ${this.env.hostErrors.max} consecutive failed exchanges`);
    return undefined;
  }

  /**
   * Starts one exchange with `ip:port`: waits for the host's connection slot (that wait is not
   * charged to the template), then charges the request budget. Undefined — with `stopped` set —
   * when the template's time or request budget is spent or the service has been given up on.
   * Every exchange is bounded three ways: its own timers, the template's remaining time, and a hard
   * cut-off a little after both that aborts the job's signal whatever the exchange is waiting for.
   */
  async begin(ip: string, port: number): Promise<Exchange | undefined> {
    const key = HostErrors.key(ip, port, this.template.protocol);
    if (this.env.hostErrors.tripped(key)) return this.#giveUp('service', key);
    if (this.#timeLeft() <= 0) return this.#giveUp('time', key);
    const release = await this.env.pacer.acquire(ip, this.signal);
    if (this.env.hostErrors.tripped(key) || this.#timeLeft() <= 0 || !this.spend()) {
      release();
      if (this.cutShort === 'requests') return undefined;
      return this.env.hostErrors.tripped(key) ? this.#giveUp('service', key) : this.#giveUp('time', key);
    }
    const timeoutMs = Math.max(1, Math.min(this.env.timeoutMs, this.#timeLeft()));
    const started = performance.now();
    const hard = setTimeout(() => this.#deadline.abort(), timeoutMs + HARD_GRACE_MS);
    let ended = false;
    return {
      timeoutMs,
      connectTimeoutMs: Math.min(this.env.connectTimeoutMs, timeoutMs),
      readTimeoutMs: Math.min(this.env.readTimeoutMs, timeoutMs),
      signal: this.signal,
      end: (result) => {
        if (ended) return;
        ended = true;
        clearTimeout(hard);
        this.#ioMs += performance.now() - started;
        release();
        if (result === 'answered') {
          this.answered++;
          this.env.hostErrors.answered(key);
          return;
        }
        if (result.kind === 'timeout') this.timeouts++;
        else this.failures++;
        this.env.hostErrors.failed(key);
      },
    };
  }
}
