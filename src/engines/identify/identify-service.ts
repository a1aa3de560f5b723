import { identifyByHandshake } from './cascade/identify-by-handshake.js';
import { loadServiceProbes } from './nmap/probe-file-parser.js';
import { locateNmapData } from './nmap/nmap-data-locator.js';
import { probeService } from './nmap/service-prober.js';
import type { ProbeDatabase } from './nmap/probe-database.js';
import type { IdentifyTarget, ServiceIdentity } from './service-identity.js';
import { tcpServiceName } from '../../output/service-names.js';

/** How long nmap's ladder may go on once a handshake has named the service. */
const LADDER_GRACE_MS = 3000;

export interface IdentifyOptions {
  /** nmap's probe database; `null` means "not installed": handshakes only. */
  readonly db: ProbeDatabase | null;
  /** nmap --version-intensity (0-9). */
  readonly intensity?: number;
  /** Budget for one port, both methods together. */
  readonly timeoutMs?: number;
  readonly guard: (ip: string, family: 4 | 6) => void;
  readonly signal?: AbortSignal;
}

/** Loads nmap-service-probes from --datadir / $NMAPDIR / /usr/share/nmap, or says why it cannot. */
export function loadProbeDatabase(datadir?: string): { db: ProbeDatabase | null; note?: string } {
  const path = locateNmapData(datadir !== undefined ? { datadir } : {});
  if (path === undefined) {
    return { db: null, note: `nmap-service-probes not found (looked in ${datadir ?? '$NMAPDIR, /usr/share/nmap'}); install nmap-common or pass --datadir. Identifying by protocol handshakes only.` };
  }
  return { db: loadServiceProbes(path) };
}

/**
 * Says what listens on an open port. The handshake cascade (structured facts: certificates, KEXINIT,
 * SMB dialects...) and nmap's probe ladder (the widest product/version knowledge) run side by side;
 * a hard nmap match names the product as nmap -sV would, the handshake contributes its facts, and
 * whichever answered alone is used alone. With neither, the port table gives a guess (method
 * 'table', confidence 3), as nmap does.
 */
export async function identifyService(target: IdentifyTarget, opts: IdentifyOptions): Promise<ServiceIdentity> {
  const total = opts.timeoutMs ?? 12_000;
  const common = { guard: opts.guard, ...(opts.signal ? { signal: opts.signal } : {}) };
  // The probe ladder may run long on a server that never matches (e.g. Redis behind a password);
  // once the handshake has named the service, it gets a short grace to add nmap's naming.
  const ladder = new AbortController();
  const stop = (): void => ladder.abort();
  opts.signal?.addEventListener('abort', stop, { once: true });
  const probedP = opts.db
    ? probeService(target, opts.db, { guard: opts.guard, signal: ladder.signal, timeoutMs: total, ...(opts.intensity !== undefined ? { intensity: opts.intensity } : {}) }).catch(() => undefined)
    : Promise.resolve(undefined);
  const shaken = await identifyByHandshake(target, { ...common, totalMs: total }).catch(() => undefined);
  let probed: ServiceIdentity | undefined;
  if (shaken && shaken.name !== 'unknown' && shaken.name !== 'tcpwrapped') {
    let timer: NodeJS.Timeout | undefined;
    const grace = new Promise<undefined>((resolve) => { timer = setTimeout(() => { ladder.abort(); resolve(undefined); }, LADDER_GRACE_MS); });
    probed = await Promise.race([probedP, grace.then(() => probedP)]);
    clearTimeout(timer);
  } else {
    probed = await probedP;
  }
  opts.signal?.removeEventListener('abort', stop);
  const facts = shaken?.facts ?? {};
  if (probed && probed.confidence >= 10) {
    // A hard match that names no product (nmap's bare mqtt line) takes the handshake's naming.
    const named = probed.product === undefined && shaken?.name === probed.name && shaken.product !== undefined
      ? { product: shaken.product, ...(shaken.version ? { version: shaken.version } : {}), cpe: shaken.cpe.length > 0 ? shaken.cpe : probed.cpe }
      : {};
    return { ...probed, ...named, facts: { ...(probed.facts ?? {}), ...facts } };
  }
  if (shaken && shaken.name !== 'unknown' && shaken.name !== 'tcpwrapped') {
    // A softmatch may still know the product the handshake could not name (e.g. SMB, MQTT).
    if (probed && probed.name === shaken.name && shaken.product === undefined && probed.product !== undefined) {
      return { ...shaken, product: probed.product, ...(probed.version ? { version: probed.version } : {}), cpe: probed.cpe };
    }
    return shaken;
  }
  if (probed) return { ...probed, facts: { ...(probed.facts ?? {}), ...facts } };
  if (shaken) return shaken;
  return { name: tcpServiceName(target.port) ?? 'unknown', cpe: [], method: 'table', confidence: 3 };
}
