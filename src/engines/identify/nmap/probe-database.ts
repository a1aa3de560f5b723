/**
 * In-memory form of nmap-service-probes. Built at run time from the system's copy (never bundled:
 * the file's licence does not allow redistributing it with Trawl). Patterns stay PCRE source here;
 * translation to JavaScript happens lazily where they are matched (see pattern-matcher.ts).
 */

export type ProbeProtocol = 'TCP' | 'UDP';

/** A sorted list of port ranges (probe `ports`/`sslports`, `Exclude`). */
export class PortList {
  static readonly EMPTY = new PortList([]);
  readonly ranges: readonly (readonly [number, number])[];

  constructor(ranges: readonly (readonly [number, number])[]) {
    this.ranges = [...ranges].sort((a, b) => a[0] - b[0]);
  }

  has(port: number): boolean {
    for (const [lo, hi] of this.ranges) {
      if (port < lo) return false;
      if (port <= hi) return true;
    }
    return false;
  }

  get isEmpty(): boolean {
    return this.ranges.length === 0;
  }

  toString(): string {
    return this.ranges.map(([lo, hi]) => (lo === hi ? `${lo}` : `${lo}-${hi}`)).join(',');
  }
}

export interface CpeTemplate {
  /** Text between the delimiters, e.g. `a:openbsd:openssh:$2`; the CPE is `cpe:/` + its expansion. */
  readonly template: string;
  /** Letters after the closing delimiter (nmap uses `a`). */
  readonly flags: string;
}

/** Version-info templates of a match line (p/ v/ i/ h/ o/ d/ cpe:). */
export interface VersionTemplates {
  readonly product?: string;
  readonly version?: string;
  readonly info?: string;
  readonly hostname?: string;
  readonly ostype?: string;
  readonly devicetype?: string;
  readonly cpe: readonly CpeTemplate[];
}

export interface ProbeMatch {
  /** Index in ProbeDatabase.matches. */
  readonly id: number;
  readonly probe: string;
  readonly protocol: ProbeProtocol;
  readonly service: string;
  readonly soft: boolean;
  /** PCRE source, as written between the delimiters. */
  readonly pattern: string;
  /** PCRE options letters: `i` (caseless), `s` (dotall). */
  readonly flags: string;
  readonly templates: VersionTemplates;
  /** 1-based line in the probe file. */
  readonly line: number;
}

export interface ServiceProbe {
  /** Index in ProbeDatabase.probes. */
  readonly index: number;
  readonly protocol: ProbeProtocol;
  readonly name: string;
  readonly payload: Uint8Array;
  /** `no-payload`: the probe is listed for its matches only; nothing is sent. */
  readonly noPayload: boolean;
  readonly isNull: boolean;
  readonly ports: PortList;
  readonly sslPorts: PortList;
  readonly rarity: number;
  readonly totalWaitMs: number;
  readonly tcpWrappedMs?: number;
  /** Fallback probe names as written. */
  readonly fallback: readonly string[];
  readonly matches: readonly ProbeMatch[];
  /** Services its match lines can name (nmap's detectedServices, used to narrow after a softmatch). */
  readonly services: ReadonlySet<string>;
  /**
   * Match ids to try, in order, on a response to this probe: its own lines, its fallbacks', then the
   * NULL probe's (TCP only) — nmap's compileFallbacks.
   */
  readonly matchChain: readonly number[];
  readonly line: number;
}

export interface ProbeFileWarning {
  readonly line: number;
  readonly message: string;
}

export interface ProbeDatabase {
  /** Where it was read from ('<memory>' for parsed text). */
  readonly path: string;
  /** In file order, the NULL probe included. */
  readonly probes: readonly ServiceProbe[];
  readonly nullProbe?: ServiceProbe;
  readonly matches: readonly ProbeMatch[];
  readonly excluded: { readonly tcp: PortList; readonly udp: PortList };
  readonly warnings: readonly ProbeFileWarning[];
  /** Milliseconds spent reading and parsing. */
  readonly loadMs: number;
}

/** nmap's defaults (service_scan.h). */
export const DEFAULT_TOTAL_WAIT_MS = 5000;
export const DEFAULT_RARITY = 5;
export const MAX_FALLBACKS = 20;

export function isExcludedPort(db: ProbeDatabase, port: number, protocol: ProbeProtocol = 'TCP'): boolean {
  return (protocol === 'TCP' ? db.excluded.tcp : db.excluded.udp).has(port);
}

export function probeByName(db: ProbeDatabase, name: string, protocol: ProbeProtocol = 'TCP'): ServiceProbe | undefined {
  return db.probes.find((p) => p.name === name && p.protocol === protocol);
}
