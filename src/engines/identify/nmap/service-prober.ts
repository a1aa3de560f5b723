import net from 'node:net';
import type tls from 'node:tls';
import { TrawlError } from '../../../errors/index.js';
import type { IdentifyTarget, ServiceIdentity } from '../service-identity.js';
import { sharedMatchPool, type ResponseMatcher } from './match-pool.js';
import { MAX_SUBJECT_BYTES, type MatchHit } from './pattern-matcher.js';
import { ProbeRun, type ProbeEnd, type ProbeRunResult, type ProbeTunnel, type TlsSettings } from './probe-connection.js';
import { isExcludedPort, type ProbeDatabase, type ProbeMatch, type ServiceProbe } from './probe-database.js';
import { applyVersionTemplates } from './version-template.js';

/**
 * nmap's version-detection algorithm (service_scan.cc), made fast without changing its answers:
 *
 * Order and rules are nmap's: the NULL probe first, then the probes whose `ports` (`sslports` over
 * TLS) list the port, then the others with rarity ≤ intensity, all in file order; a response is
 * matched against the probe's lines, its fallbacks' and the NULL probe's; the first hard match ends
 * the scan; a softmatch narrows later probes to those that can name that service (except at
 * intensity 9); an `ssl` match restarts the ladder through TLS; a NULL probe closed without data
 * within `tcpwrappedms` is `tcpwrapped`.
 *
 * Speed comes from running the ladder speculatively but committing results in nmap's order:
 * - the NULL probe and the next probe start together, each on its own connection; once the NULL
 *   probe has been silent for `nullSilenceMs`, up to `parallelProbes` probes run at once;
 * - every response is matched as bytes arrive, and a hard match ends that probe immediately;
 * - a probe's hard match is only taken when every earlier probe has finished without one — or has
 *   stayed silent while the later one answered (the NULL probe: for `nullSilenceMs`, and only if the
 *   answering connection saw no spontaneous banner and did not match a NULL-probe line, i.e. the
 *   service talks only when spoken to; other probes: for twice the answer's latency). That is what
 *   lets an HTTP port be identified in ~0.3 s instead of nmap's 5 s NULL-probe wait.
 * - the NULL probe waits `nullProbeWaitMs` (2 s, nmap 6 s); after data, probes end on `quietMs`.
 */

export interface NmapTlsOptions {
  /** Probe through TLS after an `ssl` match (default true). */
  readonly enabled?: boolean;
  readonly minVersion?: tls.SecureVersion;
  readonly ciphers?: string;
}

export interface NmapProbeOptions {
  /** 0-9 (nmap --version-intensity), default 7. */
  readonly intensity?: number;
  /** Budget for the whole port; when it runs out the best answer so far (a softmatch) is returned. */
  readonly timeoutMs?: number;
  /** Aborting rejects with TRAWL_E_INTERRUPTED and closes every connection. */
  readonly signal?: AbortSignal;
  /** TLS probing; `false` disables it. Certificates are never verified (identification only). */
  readonly tls?: boolean | NmapTlsOptions;
  /** How long the NULL probe waits for a banner (default 2000; nmap: the file's 6000). */
  readonly nullProbeWaitMs?: number;
  /** NULL-probe silence after which later probes run in parallel and may win (default 300). */
  readonly nullSilenceMs?: number;
  /** Probe connections in flight besides the NULL probe's (default 6). */
  readonly parallelProbes?: number;
  /** Caps every probe's totalwaitms (default: the file's values). */
  readonly maxProbeWaitMs?: number;
  /** After data, a probe ends when its connection is silent this long (default 800). */
  readonly quietMs?: number;
  readonly connectTimeoutMs?: number;
  /** Bytes kept per response (default and maximum 64 KiB); nmap matches only the first ~4 KiB. */
  readonly maxResponseBytes?: number;
  /** Defaults to a worker pool shared per database (hang-proof matching). */
  readonly matcher?: ResponseMatcher;
  /** Called before connecting; throws to refuse the address (the scan's egress guard). */
  readonly guard?: (ip: string, family: 4 | 6) => void;
  /** Probe ports the file's Exclude directive lists (nmap --allports). */
  readonly allPorts?: boolean;
  /** Called for each probe whose result was taken into account, in ladder order. */
  readonly onProbe?: (e: ProbeTraceEvent) => void;
}

export interface ProbeTraceEvent {
  readonly probe: string;
  readonly tunnel: ProbeTunnel;
  readonly end: ProbeEnd | 'skipped-silent';
  readonly bytes: number;
  readonly match?: { readonly service: string; readonly soft: boolean; readonly line: number };
}

export type ProbeStatus = 'hard' | 'soft' | 'tcpwrapped' | 'nomatch' | 'closed' | 'timeout' | 'excluded' | 'unsupported';

export interface ServiceProbeReport {
  readonly identity?: ServiceIdentity;
  readonly status: ProbeStatus;
  /** Connections opened (probes sent, NULL probes included). */
  readonly probesSent: number;
  readonly elapsedMs: number;
  /** The probe and line that produced the identity. */
  readonly matchedProbe?: string;
  readonly matchedLine?: number;
  /** Patterns abandoned by the matcher's time budget while probing this port. */
  readonly abandonedPatterns: number;
  /** Responses taken into account, in ladder order (first 256 bytes each, for fingerprints). */
  readonly responses: readonly { readonly probe: string; readonly tunnel: ProbeTunnel; readonly end: string; readonly bytes: number; readonly head: Buffer }[];
}

type LadderOutcome =
  | { readonly kind: 'hard' | 'soft'; readonly probe: ServiceProbe; readonly hit: MatchHit }
  | { readonly kind: 'tcpwrapped' | 'nomatch' | 'closed' | 'timeout' };

interface Settings {
  readonly intensity: number;
  readonly nullWaitMs: number;
  readonly nullSilenceMs: number;
  readonly parallel: number;
  readonly maxProbeWaitMs: number;
  readonly quietMs: number;
  readonly connectTimeoutMs: number;
  readonly maxBytes: number;
  readonly deadline: number;
}

interface Entry {
  readonly probe: ServiceProbe;
  run?: ProbeRun;
  skipped?: boolean;
}

const STOP_BYTES = 4096;
const TICK_MS = 25;

class PortProbe {
  readonly #target: IdentifyTarget;
  readonly #db: ProbeDatabase;
  readonly #matcher: ResponseMatcher;
  readonly #s: Settings;
  readonly #tls: TlsSettings | undefined;
  readonly #signal: AbortSignal | undefined;
  readonly #onProbe: ((e: ProbeTraceEvent) => void) | undefined;
  readonly #all: ProbeRun[] = [];
  readonly responses: { probe: string; tunnel: ProbeTunnel; end: string; bytes: number; head: Buffer }[] = [];
  #soft: { probe: ServiceProbe; hit: MatchHit } | undefined;
  /** Resolves the ladder's current wait: a probe finished. */
  #wake: (() => void) | undefined;

  constructor(target: IdentifyTarget, db: ProbeDatabase, matcher: ResponseMatcher, s: Settings, tlsSettings: TlsSettings | undefined, opts: NmapProbeOptions) {
    this.#target = target;
    this.#db = db;
    this.#matcher = matcher;
    this.#s = s;
    this.#tls = tlsSettings;
    this.#signal = opts.signal;
    this.#onProbe = opts.onProbe;
  }

  get probesSent(): number {
    return this.#all.length;
  }

  get abandoned(): number {
    return this.#all.reduce((n, r) => n + (r.result?.abandoned ?? 0), 0);
  }

  get soft(): { probe: ServiceProbe; hit: MatchHit } | undefined {
    return this.#soft;
  }

  cancelAll(): void {
    for (const r of this.#all) r.cancel();
  }

  #allowed(p: ServiceProbe): boolean {
    const soft = this.#soft;
    if (!soft || p.isNull || this.#s.intensity >= 9) return true;
    return p.services.has(this.#db.matches[soft.hit.matchId]!.service);
  }

  #launch(e: Entry, tunnel: ProbeTunnel): void {
    const p = e.probe;
    const fileWait = p.isNull ? Math.min(p.totalWaitMs, this.#s.nullWaitMs) : p.totalWaitMs;
    const run = new ProbeRun({
      target: this.#target,
      db: this.#db,
      probe: p,
      tunnel,
      matcher: this.#matcher,
      connectTimeoutMs: this.#s.connectTimeoutMs,
      bannerGraceMs: p.isNull ? 0 : 30,
      waitMs: Math.min(fileWait, this.#s.maxProbeWaitMs),
      quietMs: this.#s.quietMs,
      maxBytes: this.#s.maxBytes,
      stopBytes: STOP_BYTES,
      ...(tunnel === 'ssl' && this.#tls ? { tls: this.#tls } : {}),
    });
    e.run = run;
    this.#all.push(run);
    void run.done.then(() => this.#wake?.());
  }

  /** Candidate probes after the NULL probe, in nmap's order (softmatch filtering happens later). */
  #candidates(tunnel: ProbeTunnel): ServiceProbe[] {
    const port = this.#target.port;
    const probable = (p: ServiceProbe): boolean => (tunnel === 'ssl' ? p.sslPorts : p.ports).has(port);
    const tcp = this.#db.probes.filter((p) => p.protocol === 'TCP' && !p.isNull);
    return [...tcp.filter(probable), ...tcp.filter((p) => !probable(p) && p.rarity <= this.#s.intensity)];
  }

  /** May the unfinished entry k be treated as "no match" because a later probe already answered? */
  #canSkip(entries: Entry[], k: number, now: number): boolean {
    const e = entries[k]!;
    const run = e.run!;
    if (run.bytes > 0) return false;
    for (let j = k + 1; j < entries.length; j++) {
      const later = entries[j]!;
      const r = later.run?.result;
      if (later.skipped || !r?.hard || !this.#allowed(later.probe)) continue;
      if (e.probe.isNull) {
        if (run.connectedAt === undefined || now - run.connectedAt < this.#s.nullSilenceMs) return false;
        if (r.sawBanner) return false;
        const m = this.#db.matches[r.hard.matchId]!;
        return !(this.#db.nullProbe && m.probe === this.#db.nullProbe.name && m.protocol === 'TCP');
      }
      if (run.sentAt === undefined) return false;
      return now - run.sentAt >= Math.max(this.#s.nullSilenceMs, 2 * (r.firstByteMs ?? 0));
    }
    return false;
  }

  #record(e: Entry, r: ProbeRunResult | undefined, tunnel: ProbeTunnel): void {
    const hit = r?.hard ?? r?.soft;
    const m: ProbeMatch | undefined = hit ? this.#db.matches[hit.matchId] : undefined;
    if (r) this.responses.push({ probe: e.probe.name, tunnel, end: r.end, bytes: r.bytes, head: r.response.subarray(0, 256) });
    this.#onProbe?.({
      probe: e.probe.name,
      tunnel,
      end: r ? r.end : 'skipped-silent',
      bytes: r?.bytes ?? 0,
      ...(m ? { match: { service: m.service, soft: m.soft, line: m.line } } : {}),
    });
  }

  async ladder(tunnel: ProbeTunnel): Promise<LadderOutcome> {
    this.#soft = undefined;
    const entries: Entry[] = [];
    const nullProbe = this.#db.nullProbe;
    if (nullProbe) entries.push({ probe: nullProbe });
    for (const p of this.#candidates(tunnel)) entries.push({ probe: p });
    const ladderRuns: ProbeRun[] = [];
    const started = performance.now();
    let k = 0;
    try {
      for (;;) {
        if (this.#signal?.aborted) throw interrupted(this.#target);
        const now = performance.now();
        if (now >= this.#s.deadline) return { kind: 'timeout' };
        // Commit in order.
        while (k < entries.length) {
          const e = entries[k]!;
          if (e.skipped) {
            k++;
            continue;
          }
          if (!this.#allowed(e.probe)) {
            e.run?.cancel();
            e.skipped = true;
            k++;
            continue;
          }
          if (!e.run) break;
          const r = e.run.result;
          if (!r) {
            if (!this.#canSkip(entries, k, now)) break;
            e.run.cancel();
            this.#record(e, undefined, tunnel);
            k++;
            continue;
          }
          this.#record(e, r, tunnel);
          // As nmap: a refused or unreachable port, or a connect that times out, ends the scan.
          if (r.end === 'refused' || r.end === 'unreachable') return { kind: 'closed' };
          if (r.end === 'connect-timeout') return { kind: 'timeout' };
          if (r.hard) return { kind: 'hard', probe: e.probe, hit: r.hard };
          if (e.probe.isNull && r.bytes === 0 && (r.end === 'closed' || r.end === 'reset') && (e.probe.tcpWrappedMs === undefined || (r.closedAfterMs ?? Infinity) < e.probe.tcpWrappedMs)) {
            return { kind: 'tcpwrapped' };
          }
          if (r.soft && !this.#soft) this.#soft = { probe: e.probe, hit: r.soft };
          k++;
        }
        // Launch: the NULL probe and one more at a time; the full window once the NULL probe is silent.
        // Never beyond a probe that already hard-matched: it wins unless an earlier one does.
        const head = nullProbe ? entries[0] : undefined;
        const nullRun = head?.run;
        const wide = !head || head.skipped || nullRun?.finished || (nullRun?.connectedAt !== undefined && nullRun.bytes === 0 && now - nullRun.connectedAt >= this.#s.nullSilenceMs);
        const window = wide ? this.#s.parallel : 1;
        let active = 0;
        let uncommitted = 0;
        let matchedAhead = false;
        for (let i = k; i < entries.length; i++) {
          const run = entries[i]!.run;
          if (!run || entries[i]!.probe.isNull) continue;
          uncommitted++;
          if (!run.finished) active++;
          else if (run.result?.hard) matchedAhead = true;
        }
        for (let i = k; i < entries.length && !matchedAhead; i++) {
          const e = entries[i]!;
          if (e.run || e.skipped) continue;
          if (!this.#allowed(e.probe)) {
            e.skipped = true;
            continue;
          }
          if (!e.probe.isNull && (active >= window || uncommitted >= (wide ? 2 * window : 3))) break;
          this.#launch(e, tunnel);
          ladderRuns.push(e.run!);
          if (!e.probe.isNull) {
            active++;
            uncommitted++;
          }
        }
        if (k >= entries.length) return this.#soft ? { kind: 'soft', ...this.#soft } : { kind: 'nomatch' };
        await this.#nextEvent(performance.now() - started);
      }
    } finally {
      for (const r of ladderRuns) r.cancel();
    }
  }

  /**
   * Waits for a probe to finish, the abort signal, or a tick: some decisions are time-based (the
   * NULL probe's silence, a silent probe overtaken by a later answer), so the ladder re-checks every
   * 25 ms during its first second and every 100 ms after that.
   */
  #nextEvent(sinceMs: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const signal = this.#signal;
    return new Promise<void>((resolve) => {
      this.#wake = resolve;
      const tick = sinceMs < 1000 ? TICK_MS : 4 * TICK_MS;
      timer = setTimeout(resolve, Math.max(1, Math.min(tick, this.#s.deadline - performance.now())));
      signal?.addEventListener('abort', this.#wakeOnAbort, { once: true });
    }).finally(() => {
      this.#wake = undefined;
      clearTimeout(timer);
      signal?.removeEventListener('abort', this.#wakeOnAbort);
    });
  }

  readonly #wakeOnAbort = (): void => this.#wake?.();
}

function interrupted(t: IdentifyTarget): TrawlError {
  return new TrawlError('TRAWL_E_INTERRUPTED', `service probing of ${t.ip}:${t.port} was aborted`, { ip: t.ip, port: t.port });
}

function identityFrom(db: ProbeDatabase, probe: ServiceProbe, hit: MatchHit, soft: boolean, tunnel: ProbeTunnel): ServiceIdentity {
  const m = db.matches[hit.matchId]!;
  const f = applyVersionTemplates(m.templates, hit.captures);
  let name = m.service;
  let ssl = tunnel === 'ssl';
  if (name.startsWith('ssl/')) {
    name = name.slice(4);
    ssl = true;
  }
  return {
    name,
    ...(f.product ? { product: f.product } : {}),
    ...(f.version ? { version: f.version } : {}),
    ...(f.info ? { extrainfo: f.info } : {}),
    ...(f.hostname ? { hostname: f.hostname } : {}),
    ...(f.ostype ? { ostype: f.ostype } : {}),
    ...(f.devicetype ? { devicetype: f.devicetype } : {}),
    ...(ssl ? { tunnel: 'ssl' as const } : {}),
    cpe: f.cpe,
    method: 'probed',
    confidence: soft ? 8 : 10,
    facts: { nmap: { probe: probe.name, line: m.line, soft, service: m.service } },
  };
}

function positive(v: number | undefined, fallback: number, what: string): number {
  if (v === undefined) return fallback;
  if (!Number.isFinite(v) || v <= 0) throw new TrawlError('TRAWL_E_BAD_OPTION', `${what} must be a positive number of milliseconds (got ${v})`, { value: v });
  return v;
}

/** Like probeService, with the details: status, probes sent, responses, timing. */
export async function probeServiceDetailed(target: IdentifyTarget, db: ProbeDatabase, opts: NmapProbeOptions = {}): Promise<ServiceProbeReport> {
  const started = performance.now();
  const intensity = opts.intensity ?? 7;
  if (!Number.isInteger(intensity) || intensity < 0 || intensity > 9) {
    throw new TrawlError('TRAWL_E_BAD_OPTION', `version intensity must be an integer from 0 to 9 (got ${intensity})`, { value: intensity });
  }
  if (net.isIP(target.ip) === 0 || !Number.isInteger(target.port) || target.port < 1 || target.port > 65535) {
    throw new TrawlError('TRAWL_E_BAD_TARGET', `cannot probe ${target.ip}:${target.port}: not an address and port`, { ip: target.ip, port: target.port });
  }
  if (opts.signal?.aborted) throw interrupted(target);
  const base = { probesSent: 0, abandonedPatterns: 0, responses: [] };
  if (!opts.allPorts && isExcludedPort(db, target.port, 'TCP')) return { ...base, status: 'excluded', elapsedMs: 0 };
  if (!db.probes.some((p) => p.protocol === 'TCP')) return { ...base, status: 'unsupported', elapsedMs: 0 };
  opts.guard?.(target.ip, target.family);
  const tlsOpts = typeof opts.tls === 'object' ? opts.tls : { enabled: opts.tls !== false };
  const s: Settings = {
    intensity,
    nullWaitMs: positive(opts.nullProbeWaitMs, 2000, 'nullProbeWaitMs'),
    nullSilenceMs: positive(opts.nullSilenceMs, 300, 'nullSilenceMs'),
    parallel: Math.max(1, Math.floor(opts.parallelProbes ?? 6)),
    maxProbeWaitMs: positive(opts.maxProbeWaitMs, Infinity, 'maxProbeWaitMs'),
    quietMs: positive(opts.quietMs, 800, 'quietMs'),
    connectTimeoutMs: positive(opts.connectTimeoutMs, 3000, 'connectTimeoutMs'),
    maxBytes: Math.min(MAX_SUBJECT_BYTES, Math.max(1, Math.floor(opts.maxResponseBytes ?? MAX_SUBJECT_BYTES))),
    deadline: started + positive(opts.timeoutMs, Infinity, 'timeoutMs'),
  };
  const tlsSettings: TlsSettings | undefined =
    tlsOpts.enabled === false
      ? undefined
      : {
          ...(target.hostname ? { servername: target.hostname } : {}),
          ...(tlsOpts.minVersion ? { minVersion: tlsOpts.minVersion } : {}),
          ...(tlsOpts.ciphers ? { ciphers: tlsOpts.ciphers } : {}),
          sessionCache: {},
        };
  const matcher = opts.matcher ?? sharedMatchPool(db);
  const pp = new PortProbe(target, db, matcher, s, tlsSettings, opts);

  const report = (status: ProbeStatus, identity?: ServiceIdentity, probe?: ServiceProbe, hit?: MatchHit): ServiceProbeReport => ({
    status,
    probesSent: pp.probesSent,
    elapsedMs: performance.now() - started,
    abandonedPatterns: pp.abandoned,
    responses: pp.responses,
    ...(identity ? { identity } : {}),
    ...(probe ? { matchedProbe: probe.name } : {}),
    ...(hit ? { matchedLine: db.matches[hit.matchId]!.line } : {}),
  });

  try {
    const plain = await pp.ladder('none');
    const finish = (o: LadderOutcome, tunnel: ProbeTunnel): ServiceProbeReport => {
      switch (o.kind) {
        case 'hard':
        case 'soft':
          return report(o.kind, identityFrom(db, o.probe, o.hit, o.kind === 'soft', tunnel), o.probe, o.hit);
        case 'tcpwrapped':
          return report('tcpwrapped', { name: 'tcpwrapped', cpe: [], method: 'probed', confidence: 8, ...(tunnel === 'ssl' ? { tunnel: 'ssl' as const } : {}) });
        case 'timeout': {
          const soft = pp.soft;
          return soft ? report('timeout', identityFrom(db, soft.probe, soft.hit, true, tunnel), soft.probe, soft.hit) : report('timeout');
        }
        default:
          return report(o.kind);
      }
    };
    if ((plain.kind === 'hard' || plain.kind === 'soft') && db.matches[plain.hit.matchId]!.service === 'ssl' && tlsSettings) {
      // nmap's scanThroughTunnel: start over through TLS, with the sslports lists.
      const inner = await pp.ladder('ssl');
      if (inner.kind === 'hard' || inner.kind === 'soft' || inner.kind === 'tcpwrapped') return finish(inner, 'ssl');
      const r = finish(plain, 'none');
      return r.identity ? { ...r, identity: { ...r.identity, facts: { ...r.identity.facts, tlsLadder: inner.kind } } } : r;
    }
    return finish(plain, 'none');
  } finally {
    pp.cancelAll();
  }
}

/**
 * Identifies the service on `target` with nmap's probe database: a ServiceIdentity (method
 * 'probed', confidence 10 for a hard match, 8 for a softmatch or tcpwrapped), or undefined when
 * nothing matched, the port is excluded or closed. See probeServiceDetailed for the why.
 */
export async function probeService(target: IdentifyTarget, db: ProbeDatabase, opts: NmapProbeOptions = {}): Promise<ServiceIdentity | undefined> {
  return (await probeServiceDetailed(target, db, opts)).identity;
}
