import { isTrawlError } from '../../../errors/index.js';
import { startLoopbackLab, type LoopbackLab } from '../../../lab/loopback-lab.js';

/** Subnets tried in turn: 127.77.0.0/24, then 127.77.1.0/24… */
const SUBNETS = 16;

/**
 * The loopback lab on the first free 127.77.N.0/24: the default one may be held by a `trawl lab up`
 * or another demo, whose ports then refuse to bind ("in use").
 */
export async function startDemoLab(): Promise<LoopbackLab> {
  for (let i = 0; ; i++) {
    try {
      return await startLoopbackLab({ subnet: `127.77.${i}.0/24` });
    } catch (e) {
      if (!(isTrawlError(e) && e.code === 'TRAWL_E_LAB' && /in use/.test(e.message)) || i >= SUBNETS - 1) throw e;
    }
  }
}

/** The lab's service ports and the ports it keeps closed (where a scanner must see RST), sorted. */
export function demoPorts(lab: LoopbackLab): number[] {
  return [...new Set(lab.services.map((s) => s.port).concat(lab.closed.map((c) => c.port)))].sort((a, b) => a - b);
}
