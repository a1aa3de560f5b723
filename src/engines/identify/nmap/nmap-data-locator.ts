import { statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { TrawlError } from '../../../errors/index.js';

/**
 * Finds nmap-service-probes at run time, in nmap's own search order: --datadir, $NMAPDIR, ~/.nmap,
 * then the install prefixes. Trawl never ships the file (its licence does not allow it), so when it
 * is missing the identify stage reports that and falls back to its own handshakes.
 */

export const SERVICE_PROBES_FILE = 'nmap-service-probes';

export interface NmapDataOptions {
  /** `--datadir`: searched first. */
  readonly datadir?: string;
  /** Environment to read NMAPDIR from (default process.env). */
  readonly env?: NodeJS.ProcessEnv;
  /** Replaces the default system directories (~/.nmap, /usr/local/share/nmap, /usr/share/nmap). */
  readonly systemDirs?: readonly string[];
}

export function nmapDataSearchDirs(opts: NmapDataOptions = {}): string[] {
  const env = opts.env ?? process.env;
  const dirs: string[] = [];
  if (opts.datadir) dirs.push(opts.datadir);
  const nmapdir = env['NMAPDIR'];
  if (nmapdir) dirs.push(nmapdir);
  if (opts.systemDirs) dirs.push(...opts.systemDirs);
  else {
    let home: string | undefined;
    try {
      home = env['HOME'] ?? homedir();
    } catch {
      home = undefined;
    }
    if (home) dirs.push(join(home, '.nmap'));
    dirs.push('/usr/local/share/nmap', '/usr/share/nmap');
  }
  return [...new Set(dirs)];
}

/** Path of the first readable nmap-service-probes in the search order, or undefined. */
export function locateNmapData(opts: NmapDataOptions = {}): string | undefined {
  for (const dir of nmapDataSearchDirs(opts)) {
    const p = join(dir, SERVICE_PROBES_FILE);
    try {
      if (statSync(p).isFile()) return p;
    } catch {
      // not there: keep looking
    }
  }
  return undefined;
}

/** The message the caller reports when the file is missing. */
export function missingNmapDataMessage(opts: NmapDataOptions = {}): string {
  return `${SERVICE_PROBES_FILE} not found in ${nmapDataSearchDirs(opts).join(', ')}; install nmap-common or pass --datadir; falling back to handshakes`;
}

/** Like locateNmapData, but throws TRAWL_E_NMAP_DATA (with the searched directories) when missing. */
export function requireNmapData(opts: NmapDataOptions = {}): string {
  const found = locateNmapData(opts);
  if (found) return found;
  throw new TrawlError('TRAWL_E_NMAP_DATA', missingNmapDataMessage(opts), { searched: nmapDataSearchDirs(opts) });
}
