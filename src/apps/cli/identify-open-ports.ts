import { identifyScan } from '../../scan/identify-scan.js';
import type { ScanOutcome } from '../../scan/scan-runner.js';
import type { Store } from '../../store/store.js';
import type { CliIo } from './commands/scan-command.js';

/** The -sV stage of `trawl scan`: identify every open port of the scan, saying how it went. */
export async function identifyOpenPorts(
  store: Store,
  outcome: ScanOutcome,
  o: { intensity: number; quiet: boolean; signal: AbortSignal; io: CliIo; datadir?: string },
): Promise<void> {
  const r = await identifyScan(store, outcome.scan.id, { guard: outcome.guard.check, signal: o.signal, intensity: o.intensity, ...(o.datadir ? { datadir: o.datadir } : {}) });
  if (o.quiet) return;
  if (r.note) o.io.stderr.write(`trawl: ${r.note}\n`);
  o.io.stderr.write(`trawl: identified ${r.identified} service(s)${r.alreadyKnown ? ` (${r.alreadyKnown} already known)` : ''} in ${(r.ms / 1000).toFixed(2)} s\n`);
}
