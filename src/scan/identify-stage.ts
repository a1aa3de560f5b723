import type { IdentifyTarget, ServiceIdentity } from '../engines/identify/service-identity.js';
import type { PortObservation, ServiceObservation } from '../model/observation.js';
import type { Store } from '../store/store.js';

export interface IdentifyStageOptions {
  readonly store: Store;
  readonly scanId: string;
  readonly identify: (target: IdentifyTarget) => Promise<ServiceIdentity>;
  /** Ports identified at once; each uses a few connections. */
  readonly concurrency: number;
  /** Ports of one host identified at once, so one host is not flooded. */
  readonly perHost: number;
  readonly signal?: AbortSignal;
  readonly worker?: string;
  readonly onProgress?: (done: number, total: number) => void;
  readonly now?: () => Date;
}

export interface IdentifyStageResult {
  readonly identified: number;
  /** Open ports that already had a service fact (a resumed scan). */
  readonly alreadyKnown: number;
}

/**
 * The identify stage: every open port of a scan that has no service fact yet gets one. Each result
 * is recorded as it arrives (idempotently), so an interrupted stage resumes where it stopped.
 */
export async function runIdentifyStage(opts: IdentifyStageOptions): Promise<IdentifyStageResult> {
  const pending: PortObservation[] = [];
  let alreadyKnown = 0;
  for await (const o of opts.store.listPortObservations(opts.scanId, { state: 'open' })) {
    if (o.service) alreadyKnown++;
    else pending.push(o);
  }
  const now = opts.now ?? (() => new Date());
  const perHost = new Map<string, number>();
  let next = 0;
  let done = 0;
  let identified = 0;
  const total = pending.length;
  opts.onProgress?.(0, total);

  // Picks the next port whose host is under its cap; ports are sorted by host, so skip ahead.
  const take = (): PortObservation | undefined => {
    for (let i = next; i < pending.length; i++) {
      const o = pending[i]!;
      if ((perHost.get(o.ip) ?? 0) < opts.perHost) {
        pending[i] = pending[next]!;
        pending[next] = o;
        next++;
        return o;
      }
    }
    return undefined;
  };

  await new Promise<void>((resolve, reject) => {
    let inFlight = 0;
    let failed = false;
    const pump = (): void => {
      if (failed) return;
      while (inFlight < opts.concurrency && !opts.signal?.aborted) {
        const o = take();
        if (!o) break;
        inFlight++;
        perHost.set(o.ip, (perHost.get(o.ip) ?? 0) + 1);
        const target: IdentifyTarget = { ip: o.ip, port: o.port, family: o.ip.includes(':') ? 6 : 4, ...(o.hostname ? { hostname: o.hostname } : {}) };
        opts.identify(target)
          .then(async (service) => {
            const fact: ServiceObservation = {
              type: 'service', scanId: opts.scanId, ip: o.ip, port: o.port, proto: o.proto, ts: now().toISOString(), service,
              ...(o.hostname ? { hostname: o.hostname } : {}), ...(opts.worker ? { worker: opts.worker } : {}),
            };
            await opts.store.recordObservations(opts.scanId, [fact]);
            identified++;
          })
          .then(() => {
            inFlight--;
            perHost.set(o.ip, (perHost.get(o.ip) ?? 1) - 1);
            opts.onProgress?.(++done, total);
            if (inFlight === 0 && (next >= pending.length || opts.signal?.aborted)) resolve();
            else pump();
          }, (e: unknown) => {
            failed = true;
            reject(e);
          });
      }
      if (inFlight === 0) resolve();
    };
    pump();
  });
  return { identified, alreadyKnown };
}
