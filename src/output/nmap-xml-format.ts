import { isIPv6 } from 'node:net';
import type { PortEvidence, PortObservation } from '../model/observation.js';
import type { ScanSummaryInfo } from './result-writer.js';
import { tcpServiceName } from './service-names.js';

/**
 * nmap XML (`-oX`), valid against nmap.dtd so nmap-XML consumers (ndiff, Metasploit db_import,
 * DefectDojo, python-libnmap...) load it. The DTD enumerates `scanner` as exactly "nmap", so that
 * is what we write; Trawl identifies itself in `args`, `version` and the leading comment, as nmap does.
 */

/** What the document header needs: known when the scan starts, unlike the counters. */
export type XmlHeaderInfo = Pick<ScanSummaryInfo, 'scan' | 'startedAt' | 'args'>;

// XML 1.0 forbids most C0 controls, U+FFFE/U+FFFF and unpaired surrogates; C1 controls are legal
// but no consumer wants them. All are dropped rather than escaped (escaping cannot make them legal).
const illegalChars = /[\x00-\x08\x0B\x0C\x0E-\x1F\x7F-\x9F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** Escapes an attribute value; tab/LF/CR become character references so parsers do not normalise them away. */
export function xmlAttr(value: string | number): string {
  return String(value).replace(illegalChars, '').replace(/[&<>"'\t\n\r]/g, (ch) => {
    switch (ch) {
      case '&': return '&amp;';
      case '<': return '&lt;';
      case '>': return '&gt;';
      case '"': return '&quot;';
      case "'": return '&apos;';
      default: return `&#${ch.charCodeAt(0)};`;
    }
  });
}

/** Sorted, de-duplicated, consecutive runs as "a-b": nmap's `services` notation ("21-23,80,443"). */
export function compressPorts(ports: readonly number[]): string {
  const sorted = [...new Set(ports)].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    const start = sorted[i]!;
    let end = start;
    while (i + 1 < sorted.length && sorted[i + 1] === end + 1) end = sorted[++i]!;
    parts.push(start === end ? String(start) : `${start}-${end}`);
    i++;
  }
  return parts.join(',');
}

function epochSeconds(iso: string): number {
  const ms = Date.parse(iso);
  return Number.isFinite(ms) ? Math.floor(ms / 1000) : 0;
}

const days = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** ctime(3) layout like nmap's startstr/timestr, in UTC so the file does not depend on the host's zone. */
export function ctimeUtc(iso: string): string {
  const d = new Date(Date.parse(iso));
  if (Number.isNaN(d.getTime())) return '';
  const two = (n: number): string => String(n).padStart(2, '0');
  return `${days[d.getUTCDay()]} ${months[d.getUTCMonth()]} ${String(d.getUTCDate()).padStart(2, ' ')} ` +
    `${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())} ${d.getUTCFullYear()}`;
}

/** The command line as a shell would re-read it. */
function commandLine(args: readonly string[]): string {
  const quote = (a: string): string => (/^[A-Za-z0-9_\-.,:/=@%+]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`);
  return ['trawl', ...args.map(quote)].join(' ');
}

export function xmlProlog(header: XmlHeaderInfo, version: string): string {
  const start = epochSeconds(header.startedAt);
  const startstr = ctimeUtc(header.startedAt);
  const ports = header.scan.spec.ports;
  return '<?xml version="1.0" encoding="UTF-8"?>\n' +
    '<!DOCTYPE nmaprun>\n' +
    // Comment text cannot contain "--", so the command line (full of options) stays in `args` only.
    `<!-- Trawl ${xmlAttr(version).replace(/-{2,}/g, '-')} scan initiated ${startstr} UTC -->\n` +
    `<nmaprun scanner="nmap" args="${xmlAttr(commandLine(header.args))}" start="${start}" startstr="${xmlAttr(startstr)}" ` +
    `version="${xmlAttr(version)}" xmloutputversion="1.05">\n` +
    `<scaninfo type="connect" protocol="tcp" numservices="${new Set(ports).size}" services="${compressPorts(ports)}"/>\n` +
    '<verbose level="0"/>\n<debugging level="0"/>\n';
}

/** nmap's reason strings for a connect scan. */
const portReason: Record<PortEvidence, string> = {
  'syn-ack': 'syn-ack',
  reset: 'conn-refused',
  timeout: 'no-response',
  unreachable: 'host-unreach',
};

/** nmap's <service>: identified fields when the identify stage ran, else the port-table guess. */
function serviceXml(o: PortObservation): string {
  const s = o.service;
  if (s === undefined) {
    const name = o.proto === 'tcp' ? tcpServiceName(o.port) : undefined;
    return name === undefined ? '' : `<service name="${name}" method="table" conf="3"/>`;
  }
  // nmap's DTD knows two methods; a handshake is a probe too.
  const attrs: [string, string | number | undefined][] = [
    ['name', s.name], ['product', s.product], ['version', s.version], ['extrainfo', s.extrainfo],
    ['hostname', s.hostname], ['ostype', s.ostype], ['devicetype', s.devicetype], ['tunnel', s.tunnel],
    ['method', s.method === 'table' ? 'table' : 'probed'], ['conf', Math.max(0, Math.min(10, Math.round(s.confidence)))],
  ];
  const text = attrs.filter(([, v]) => v !== undefined && v !== '').map(([k, v]) => ` ${k}="${xmlAttr(v!)}"`).join('');
  const cpes = s.cpe.map((c) => `<cpe>${xmlAttr(c)}</cpe>`).join('');
  return cpes === '' ? `<service${text}/>` : `<service${text}>${cpes}</service>`;
}

function portXml(o: PortObservation): string {
  return `<port protocol="${o.proto}" portid="${o.port}"><state state="${xmlAttr(o.state)}" reason="${portReason[o.evidence]}" reason_ttl="0"/>` +
    serviceXml(o) + '</port>\n';
}

/**
 * Turns (ip, port)-sorted observations into one `<host>` per run of the same address. A host is
 * emitted only when its run ends, since `<status>` and `<hostnames>` precede `<ports>`.
 */
export class XmlHostGrouper {
  private ip: string | undefined;
  private ports: string[] = [];
  private hostnames: string[] = [];
  private answered: 'syn-ack' | 'conn-refused' | undefined;
  private firstTs = '';
  private lastTs = '';
  /** Hosts emitted so far. */
  hosts = 0;

  /** Adds one observation; returns the previous host's XML when this one starts a new address, else ''. */
  push(o: PortObservation): string {
    const out = o.ip === this.ip ? '' : this.flush();
    if (this.ip === undefined) {
      this.ip = o.ip;
      this.firstTs = o.ts;
      this.lastTs = o.ts;
    }
    if (o.ts < this.firstTs) this.firstTs = o.ts;
    if (o.ts > this.lastTs) this.lastTs = o.ts;
    if (o.hostname !== undefined && o.hostname !== '' && !this.hostnames.includes(o.hostname)) this.hostnames.push(o.hostname);
    if (o.evidence === 'syn-ack') this.answered = 'syn-ack';
    else if (o.evidence === 'reset' && this.answered === undefined) this.answered = 'conn-refused';
    this.ports.push(portXml(o));
    return out;
  }

  /** The pending host's XML ('' if none), leaving the grouper empty. */
  flush(): string {
    if (this.ip === undefined) return '';
    const ip = this.ip;
    // A host with no answer at all was reported because it was scanned (nmap -Pn says "user-set").
    const reason = this.answered ?? 'user-set';
    const names = this.hostnames.map((n) => `<hostname name="${xmlAttr(n)}" type="user"/>\n`).join('');
    const xml = `<host starttime="${epochSeconds(this.firstTs)}" endtime="${epochSeconds(this.lastTs)}">` +
      `<status state="up" reason="${reason}" reason_ttl="0"/>\n` +
      `<address addr="${xmlAttr(ip)}" addrtype="${isIPv6(ip) ? 'ipv6' : 'ipv4'}"/>\n` +
      `<hostnames>\n${names}</hostnames>\n` +
      `<ports>${this.ports.join('')}</ports>\n</host>\n`;
    this.ip = undefined;
    this.ports = [];
    this.hostnames = [];
    this.answered = undefined;
    this.hosts++;
    return xml;
  }
}

export function xmlEpilogue(info: ScanSummaryInfo, hostsUp: number): string {
  const timestr = ctimeUtc(info.finishedAt);
  const elapsed = info.elapsedSeconds.toFixed(2);
  const open = info.scan.counters.openFound;
  const summary = `Trawl done at ${timestr} UTC; ${hostsUp} IP address${hostsUp === 1 ? '' : 'es'} with results, ` +
    `${open} open port${open === 1n ? '' : 's'}; scanned in ${elapsed} seconds`;
  // A partial scan is still worth loading, but consumers must be able to tell it was cut short.
  const cut = info.scan.status === 'failed' || info.scan.status === 'interrupted';
  const exit = cut ? `exit="error" errormsg="scan ${info.scan.status}"` : 'exit="success"';
  return `<runstats><finished time="${epochSeconds(info.finishedAt)}" timestr="${xmlAttr(timestr)}" elapsed="${elapsed}" ` +
    `summary="${xmlAttr(summary)}" ${exit}/><hosts up="${hostsUp}" down="0" total="${hostsUp}"/>\n</runstats>\n</nmaprun>\n`;
}
