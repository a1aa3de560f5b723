/**
 * `--top-ports N`: the N TCP ports most often found open, from nmap's nmap-services when installed
 * (so Trawl and nmap agree on a given machine), else from a built-in copy of the top 1000.
 * When N exceeds the ranked ports, the rest follow in port order, so N = 65535 means every port.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { TrawlError } from '../errors/index.js';
import { builtInTopTcpPorts } from './top-ports-table.js';

export interface TopPorts {
  /** The selected ports, ascending (like `parsePorts`). */
  readonly ports: number[];
  readonly source: 'nmap-services' | 'built-in';
}

/** nmap-services is about 1 MB; a file far bigger than that is not one. */
const MAX_SERVICES_BYTES = 16 * 1024 * 1024;

export function topPorts(n: number, opts: { datadir?: string } = {}): TopPorts {
  if (!Number.isInteger(n) || n < 1 || n > 65535) {
    throw new TrawlError('TRAWL_E_BAD_PORTS', `invalid --top-ports ${String(n)}: must be an integer in 1-65535`, { value: n });
  }
  const dir = opts.datadir ?? process.env['NMAPDIR'] ?? '/usr/share/nmap';
  const ranked = readServicesRanking(join(dir, 'nmap-services'));
  const source = ranked === undefined ? 'built-in' : 'nmap-services';
  return { ports: pick(ranked ?? builtInTopTcpPorts, n), source };
}

/** TCP ports of an nmap-services file by open-frequency, most common first (ties by port), or undefined. */
export function readServicesRanking(path: string): number[] | undefined {
  let text: string;
  try {
    const buf = readFileSync(path);
    if (buf.length > MAX_SERVICES_BYTES) return undefined;
    text = buf.toString('utf8');
  } catch {
    return undefined; // absent or unreadable: the built-in table is the documented fallback
  }
  const freq = new Map<number, number>();
  for (const line of text.split('\n')) {
    if (line.length === 0 || line.startsWith('#')) continue;
    const fields = line.split('\t');
    const m = /^([0-9]{1,5})\/tcp$/.exec(fields[1]?.trim() ?? '');
    if (m === null) continue;
    const port = Number(m[1]);
    const f = Number(fields[2]?.trim());
    if (port < 1 || port > 65535 || !Number.isFinite(f)) continue;
    freq.set(port, Math.max(f, freq.get(port) ?? -Infinity));
  }
  if (freq.size === 0) return undefined;
  return [...freq.entries()].sort((a, b) => b[1] - a[1] || a[0] - b[0]).map(([p]) => p);
}

function pick(ranked: readonly number[], n: number): number[] {
  const chosen = new Uint8Array(65536);
  let count = 0;
  for (const p of ranked) {
    if (count === n) break;
    if (chosen[p] === 0) {
      chosen[p] = 1;
      count++;
    }
  }
  for (let p = 1; p <= 65535 && count < n; p++) {
    if (chosen[p] === 0) {
      chosen[p] = 1;
      count++;
    }
  }
  const out: number[] = [];
  for (let p = 1; p <= 65535; p++) if (chosen[p] === 1) out.push(p);
  return out;
}
