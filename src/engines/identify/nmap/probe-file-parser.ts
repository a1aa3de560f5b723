import { readFileSync, statSync } from 'node:fs';
import { TrawlError } from '../../../errors/index.js';
import { cstringUnescape } from './cstring-escape.js';
import {
  DEFAULT_RARITY,
  DEFAULT_TOTAL_WAIT_MS,
  MAX_FALLBACKS,
  PortList,
  type CpeTemplate,
  type ProbeDatabase,
  type ProbeFileWarning,
  type ProbeMatch,
  type ProbeProtocol,
  type ServiceProbe,
  type VersionTemplates,
} from './probe-database.js';

/**
 * Parser for nmap-service-probes. It follows nmap's own parser (service_scan.cc) directive by
 * directive, with one difference: where nmap aborts on a malformed line, this skips the line (or the
 * probe section, for a bad `Probe` line) and records a warning with the line number, so one bad line
 * in an edited or newer file costs one match, not service detection altogether.
 *
 * Bounded for untrusted files: size, line length and the number of warnings kept are capped.
 */

export const MAX_PROBE_FILE_BYTES = 32 * 1024 * 1024;
const MAX_LINE_LENGTH = 64 * 1024;
const MAX_WARNINGS = 1000;

const MIN_WAIT_MS = 100;
const MAX_WAIT_MS = 300_000;

class LineError extends Error {}

interface ProbeBuilder {
  readonly protocol: ProbeProtocol;
  readonly name: string;
  readonly payload: Uint8Array;
  readonly noPayload: boolean;
  readonly line: number;
  ports: PortList;
  sslPorts: PortList;
  rarity: number;
  totalWaitMs: number;
  tcpWrappedMs?: number;
  fallback: string[];
  readonly matches: ProbeMatch[];
}

function shown(text: string): string {
  return text.length > 100 ? `${text.slice(0, 97)}...` : text;
}

/** `21-25,53,80` (nmap's setPortVector). */
export function parseProbePorts(spec: string): PortList {
  const ranges: [number, number][] = [];
  const text = spec.trim();
  if (text === '') throw new LineError('empty port list');
  for (const raw of text.split(',')) {
    const m = /^\s*(\d{1,5})\s*(?:-\s*(\d{1,5}))?\s*$/.exec(raw);
    if (!m) throw new LineError(`bad port list entry "${shown(raw)}" (expected e.g. 21-25,53,80)`);
    const lo = Number(m[1]);
    const hi = m[2] === undefined ? lo : Number(m[2]);
    if (lo > 65535 || hi > 65535) throw new LineError(`port ${Math.max(lo, hi)} out of range 0-65535`);
    if (hi < lo) throw new LineError(`reversed port range ${lo}-${hi}`);
    ranges.push([lo, hi]);
  }
  return new PortList(ranges);
}

/** `Exclude T:9100-9107,U:30000-40000`; ports without a prefix apply to both protocols. */
function parseExclude(spec: string): { tcp: PortList; udp: PortList } {
  const tcp: [number, number][] = [];
  const udp: [number, number][] = [];
  let target: 'both' | 'T' | 'U' | 'S' = 'both';
  for (let raw of spec.split(',')) {
    raw = raw.trim();
    const prefix = /^([TUS]):/.exec(raw);
    if (prefix) {
      target = prefix[1] as 'T' | 'U' | 'S';
      raw = raw.slice(2);
    }
    const ports = parseProbePorts(raw);
    if (target === 'both' || target === 'T') tcp.push(...(ports.ranges as [number, number][]));
    if (target === 'both' || target === 'U') udp.push(...(ports.ranges as [number, number][]));
  }
  return { tcp: new PortList(tcp), udp: new PortList(udp) };
}

function parseWait(value: string, what: string): number {
  const m = /^\s*(\d+)/.exec(value);
  const n = m ? Number(m[1]) : NaN;
  if (!(n >= MIN_WAIT_MS && n <= MAX_WAIT_MS)) throw new LineError(`bad ${what} value "${shown(value.trim())}": must be between ${MIN_WAIT_MS} and ${MAX_WAIT_MS} milliseconds`);
  return n;
}

/** `Probe TCP GetRequest q|GET / HTTP/1.0\r\n\r\n| [no-payload]` (after "Probe "). */
function parseProbeLine(rest: string, line: number): ProbeBuilder {
  const m = /^(TCP|UDP) (\S+) /.exec(rest);
  if (!m) {
    if (!/^(TCP|UDP) /.test(rest)) throw new LineError('invalid protocol (expected TCP or UDP)');
    throw new LineError('nothing after probe name');
  }
  const name = m[2]!;
  if (!/^[A-Za-z0-9]/.test(name)) throw new LineError(`bad probe name "${shown(name)}"`);
  let pos = m[0].length;
  if (rest[pos] !== 'q') throw new LineError('probe string must begin with "q"');
  const delim = rest[pos + 1];
  if (delim === undefined) throw new LineError('no delimiter after "q"');
  const end = rest.indexOf(delim, pos + 2);
  if (end === -1) throw new LineError('no ending delimiter for probe string');
  const un = cstringUnescape(rest.slice(pos + 2, end));
  if (!un.ok) throw new LineError(`bad probe string escaping: ${un.reason}`);
  pos = end + 1;
  const tail = rest.slice(pos).trim();
  let noPayload = false;
  if (tail === 'no-payload') noPayload = true;
  else if (tail !== '') throw new LineError(`unexpected text after probe string: "${shown(tail)}"`);
  return {
    protocol: m[1] as ProbeProtocol,
    name,
    payload: un.bytes,
    noPayload,
    line,
    ports: PortList.EMPTY,
    sslPorts: PortList.EMPTY,
    rarity: DEFAULT_RARITY,
    totalWaitMs: DEFAULT_TOTAL_WAIT_MS,
    fallback: [],
    matches: [],
  };
}

const TEMPLATE_FIELDS: Record<string, keyof Omit<VersionTemplates, 'cpe'>> = {
  p: 'product',
  v: 'version',
  i: 'info',
  h: 'hostname',
  o: 'ostype',
  d: 'devicetype',
};

/** `match ssh m|^SSH-...|s p/OpenSSH/ v/$2/ cpe:/a:openbsd:openssh:$2/a` (the whole line). */
export function parseMatchLine(text: string, line: number, probe: { name: string; protocol: ProbeProtocol }, id: number): ProbeMatch {
  const soft = text.startsWith('softmatch ');
  let pos = soft ? 10 : 6;
  const nameEnd = text.indexOf(' ', pos);
  if (nameEnd === -1 || nameEnd === pos) throw new LineError('could not find service name');
  const service = text.slice(pos, nameEnd);
  pos = nameEnd;
  while (text[pos] === ' ' || text[pos] === '\t') pos++;
  if (text[pos] !== 'm') throw new LineError('match string must begin with "m"');
  const delim = text[pos + 1];
  if (delim === undefined) throw new LineError('no delimiter after "m"');
  const end = text.indexOf(delim, pos + 2);
  if (end === -1) throw new LineError('could not find end delimiter for regex');
  const pattern = text.slice(pos + 2, end);
  pos = end + 1;
  let flags = '';
  while (pos < text.length && !/\s/.test(text[pos]!)) {
    const f = text[pos]!;
    if (f !== 'i' && f !== 's') throw new LineError(`illegal regexp option "${f}"`);
    if (!flags.includes(f)) flags += f;
    pos++;
  }
  const fields: { -readonly [K in keyof Omit<VersionTemplates, 'cpe'>]?: string } = {};
  const cpe: CpeTemplate[] = [];
  for (;;) {
    while (pos < text.length && /\s/.test(text[pos]!)) pos++;
    if (pos >= text.length) break;
    let kind: string;
    if (text.startsWith('cpe:', pos)) {
      kind = 'cpe';
      pos += 4;
    } else {
      kind = text[pos]!;
      pos++;
    }
    const d = text[pos];
    if (d === undefined || /\s/.test(d)) throw new LineError(`template "${kind}" has no delimiter`);
    const close = text.indexOf(d, pos + 1);
    if (close === -1) throw new LineError(`unterminated "${kind}${d}" template`);
    const value = text.slice(pos + 1, close);
    pos = close + 1;
    if (kind === 'cpe') {
      let cpeFlags = '';
      while (pos < text.length && /[A-Za-z]/.test(text[pos]!)) {
        if (text[pos] !== 'a') throw new LineError(`unknown cpe flag "${text[pos]}"`);
        cpeFlags += text[pos];
        pos++;
      }
      cpe.push({ template: value, flags: cpeFlags });
      continue;
    }
    const field = TEMPLATE_FIELDS[kind];
    if (!field) throw new LineError(`unknown template specifier "${kind}"`);
    // As nmap: an empty template clears the field; a repeated one replaces the earlier.
    if (value === '') delete fields[field];
    else fields[field] = value;
  }
  return { id, probe: probe.name, protocol: probe.protocol, service, soft, pattern, flags, templates: { ...fields, cpe }, line };
}

/** Parses the text of an nmap-service-probes file (Latin-1 decoded: one char per byte). */
export function parseServiceProbes(text: string, path = '<memory>'): ProbeDatabase {
  const started = performance.now();
  const warnings: ProbeFileWarning[] = [];
  let dropped = 0;
  const warn = (line: number, message: string): void => {
    if (warnings.length < MAX_WARNINGS) warnings.push({ line, message });
    else dropped++;
  };
  const builders: ProbeBuilder[] = [];
  const matches: ProbeMatch[] = [];
  let excluded: { tcp: PortList; udp: PortList } | undefined;
  let current: ProbeBuilder | undefined;
  let skippingFrom: number | undefined;

  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1;
    let raw = lines[i]!;
    if (raw.endsWith('\r')) raw = raw.slice(0, -1);
    if (raw.trim() === '' || raw.startsWith('#')) continue;
    if (raw.length > MAX_LINE_LENGTH) {
      warn(lineNo, `line longer than ${MAX_LINE_LENGTH} characters skipped`);
      continue;
    }
    const sp = raw.indexOf(' ');
    const directive = sp === -1 ? raw : raw.slice(0, sp);
    const rest = sp === -1 ? '' : raw.slice(sp + 1);
    try {
      if (directive === 'Probe') {
        skippingFrom = undefined;
        current = undefined;
        try {
          current = parseProbeLine(rest, lineNo);
        } catch (e) {
          skippingFrom = lineNo;
          throw e;
        }
        if (builders.some((b) => b.name === current!.name && b.protocol === current!.protocol)) {
          warn(lineNo, `duplicate probe ${current.protocol} ${current.name}; fallbacks naming it use the first`);
        }
        builders.push(current);
        continue;
      }
      if (directive === 'Exclude') {
        if (excluded) throw new LineError('only one Exclude directive is allowed; this one is ignored');
        if (builders.length > 0) warn(lineNo, 'the Exclude directive should precede all probes (applied anyway)');
        excluded = parseExclude(rest);
        continue;
      }
      if (skippingFrom !== undefined) {
        warn(lineNo, `skipped: belongs to the malformed Probe on line ${skippingFrom}`);
        continue;
      }
      if (!current) throw new LineError(`"${shown(directive)}" directive before any Probe line`);
      switch (directive) {
        case 'match':
        case 'softmatch':
          if (sp === -1) throw new LineError('empty match line');
          {
            const m = parseMatchLine(raw, lineNo, current, matches.length);
            matches.push(m);
            current.matches.push(m);
          }
          break;
        case 'ports':
          current.ports = parseProbePorts(rest);
          break;
        case 'sslports':
          current.sslPorts = parseProbePorts(rest);
          break;
        case 'rarity': {
          const n = /^\s*\d+\s*$/.test(rest) ? Number(rest) : NaN;
          if (!(n >= 1 && n <= 9)) throw new LineError(`rarity must be between 1 and 9 (got "${shown(rest.trim())}")`);
          current.rarity = n;
          break;
        }
        case 'fallback': {
          const names = rest.split(/[,\s]+/).filter(Boolean);
          if (names.length === 0) throw new LineError('empty fallback list');
          current.fallback = names;
          break;
        }
        case 'totalwaitms':
          current.totalWaitMs = parseWait(rest, 'totalwaitms');
          break;
        case 'tcpwrappedms':
          current.tcpWrappedMs = parseWait(rest, 'tcpwrappedms');
          break;
        default:
          throw new LineError(`unknown directive "${shown(directive)}"`);
      }
    } catch (e) {
      if (!(e instanceof LineError)) throw e;
      warn(lineNo, e.message);
    }
  }
  if (dropped > 0) warnings.push({ line: 0, message: `${dropped} further warnings not shown` });
  return assemble(builders, matches, excluded, warnings, path, started);
}

function assemble(
  builders: ProbeBuilder[],
  matches: ProbeMatch[],
  excluded: { tcp: PortList; udp: PortList } | undefined,
  warnings: ProbeFileWarning[],
  path: string,
  started: number,
): ProbeDatabase {
  let nullIndex: number | undefined;
  builders.forEach((b, i) => {
    if (b.protocol !== 'TCP' || b.payload.length > 0 || b.noPayload) return;
    if (nullIndex === undefined) nullIndex = i;
    else warnings.push({ line: b.line, message: `second NULL (empty) probe "${b.name}"; only the first one (line ${builders[nullIndex]!.line}) acts as the NULL probe` });
  });
  // Same protocol first; nmap's own file has TCP probes falling back to UDP-only names (DNS*).
  const find = (name: string, protocol: ProbeProtocol): number => {
    const same = builders.findIndex((b) => b.name === name && b.protocol === protocol);
    return same !== -1 ? same : builders.findIndex((b) => b.name === name);
  };
  const probes: ServiceProbe[] = builders.map((b, index) => {
    const isNull = index === nullIndex;
    const chain: number[] = [index];
    for (const name of b.fallback) {
      const j = find(name, b.protocol);
      if (j === -1) warnings.push({ line: b.line, message: `probe ${b.name}: unknown fallback "${name}" ignored` });
      else if (chain.length >= MAX_FALLBACKS - 1) warnings.push({ line: b.line, message: `probe ${b.name}: more than ${MAX_FALLBACKS - 2} fallbacks; "${name}" ignored` });
      else if (!chain.includes(j)) chain.push(j);
    }
    if (b.protocol === 'TCP' && nullIndex !== undefined && !chain.includes(nullIndex)) chain.push(nullIndex);
    const matchChain = chain.flatMap((j) => builders[j]!.matches.map((m) => m.id));
    const probe: ServiceProbe = {
      index,
      protocol: b.protocol,
      name: b.name,
      payload: b.payload,
      noPayload: b.noPayload,
      isNull,
      ports: b.ports,
      sslPorts: b.sslPorts,
      rarity: b.rarity,
      totalWaitMs: b.totalWaitMs,
      ...(b.tcpWrappedMs !== undefined ? { tcpWrappedMs: b.tcpWrappedMs } : {}),
      fallback: b.fallback,
      matches: b.matches,
      services: new Set(b.matches.map((m) => m.service)),
      matchChain,
      line: b.line,
    };
    return probe;
  });
  const nullProbe = nullIndex === undefined ? undefined : probes[nullIndex];
  return {
    path,
    probes,
    ...(nullProbe ? { nullProbe } : {}),
    matches,
    excluded: excluded ?? { tcp: PortList.EMPTY, udp: PortList.EMPTY },
    warnings,
    loadMs: performance.now() - started,
  };
}

/**
 * Reads and parses a probe file. Throws TrawlError TRAWL_E_NMAP_DATA when it cannot be read; a file
 * that reads but parses badly yields a database with warnings instead.
 */
export function loadServiceProbes(path: string): ProbeDatabase {
  const started = performance.now();
  let text: string;
  try {
    const size = statSync(path).size;
    if (size > MAX_PROBE_FILE_BYTES) {
      throw new TrawlError('TRAWL_E_NMAP_DATA', `${path} is ${size} bytes, more than the ${MAX_PROBE_FILE_BYTES} an nmap-service-probes file can plausibly be`, { path, size });
    }
    text = readFileSync(path, 'latin1');
  } catch (e) {
    if (e instanceof TrawlError) throw e;
    const msg = e instanceof Error ? e.message : String(e);
    throw new TrawlError('TRAWL_E_NMAP_DATA', `cannot read nmap service probes ${path}: ${msg}`, { path }, { cause: e });
  }
  const db = parseServiceProbes(text, path);
  return { ...db, loadMs: performance.now() - started };
}
