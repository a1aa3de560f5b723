/**
 * Child process for the kill -9 test (not a test itself): commits batches to an existing store as
 * fast as it can, resuming from the stored checkpoint, and prints the number of each commit once it
 * has returned. Batch k holds the observations of indices [k*B, (k+1)*B) and moves the checkpoint to
 * (k+1)*B, so after any crash "checkpoint C" must mean "exactly the observations of [0, C)".
 *
 * Usage: node crash-writer.js <db-path> <scan-id> <batch-size> <max-commits>
 */
import { fileURLToPath } from 'node:url';
import { openSqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import type { PortObservation } from '../../src/model/observation.js';

export const crashIp = (i: number): string => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
export const crashIsOpen = (i: number): boolean => i % 5 === 0;

async function main(): Promise<void> {
  const [path, scanId, batchArg, maxArg] = process.argv.slice(2);
  if (!path || !scanId || !batchArg || !maxArg) throw new Error('usage: crash-writer <db-path> <scan-id> <batch-size> <max-commits>');
  const batch = Number(batchArg);
  const store = await openSqliteStore(path);
  await store.migrate();
  const [unit] = await store.listWorkUnits(scanId, 'discover');
  if (!unit) throw new Error(`no work unit for ${scanId}`);
  let next = Number(unit.checkpoint);
  for (let k = 0; k < Number(maxArg); k++) {
    const observations: PortObservation[] = [];
    let open = 0n;
    for (let i = next; i < next + batch; i++) {
      const isOpen = crashIsOpen(i);
      if (isOpen) open++;
      observations.push({ type: 'port', scanId, ip: crashIp(i), port: 80, proto: 'tcp', state: isOpen ? 'open' : 'closed', evidence: isOpen ? 'syn-ack' : 'reset', ts: new Date().toISOString() });
    }
    next += batch;
    await store.commitProgress({ scanId, stage: 'discover', unitIndex: 0, checkpoint: BigInt(next), unitDone: false, observations, counters: { probesSent: BigInt(batch), openFound: open } });
    process.stdout.write(`${next}\n`);
  }
  await store.close();
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  main().catch((e: unknown) => {
    process.stderr.write(`crash-writer: ${String(e)}\n`);
    process.exit(1);
  });
}
