import { identifyService, loadProbeDatabase } from '../engines/identify/index.js';
import { closeSharedMatchPool, sharedMatchPool } from '../engines/identify/nmap/match-pool.js';
import type { Store } from '../store/store.js';
import { runIdentifyStage, type IdentifyStageResult } from './identify-stage.js';

export interface IdentifyScanOptions {
  readonly guard: (ip: string, family: 4 | 6) => void;
  readonly signal?: AbortSignal;
  /** nmap --version-intensity, 0-9 (default 7). */
  readonly intensity?: number;
  readonly datadir?: string;
  readonly worker?: string;
}

/**
 * Identifies every open port of a scan with nmap's probe database (when installed) and the protocol
 * handshakes, recording a service fact per port. `note` says when nmap's data is missing.
 */
export async function identifyScan(store: Store, scanId: string, o: IdentifyScanOptions): Promise<IdentifyStageResult & { note?: string; ms: number }> {
  const { db, note } = loadProbeDatabase(o.datadir);
  const started = performance.now();
  // Worker threads translate the probe file's patterns once; start them before the first answer.
  if (db) void sharedMatchPool(db).warm();
  try {
    const r = await runIdentifyStage({
      store,
      scanId,
      concurrency: 128,
      perHost: 8,
      ...(o.signal ? { signal: o.signal } : {}),
      ...(o.worker ? { worker: o.worker } : {}),
      identify: (target) => identifyService(target, { db, guard: o.guard, ...(o.intensity !== undefined ? { intensity: o.intensity } : {}), ...(o.signal ? { signal: o.signal } : {}) }),
    });
    return { ...r, ...(note ? { note } : {}), ms: performance.now() - started };
  } finally {
    if (db) await closeSharedMatchPool(db);
  }
}
