/**
 * Entry of the background process `trawl lab up` starts: runs the loopback lab until SIGTERM and
 * publishes its ground truth in the state file. Usage: loopback-lab-main.js --subnet S --seed N --state FILE
 */
import { parseArgs } from 'node:util';
import { startLoopbackLab } from './loopback-lab.js';
import { readJsonFile, removeFile, writeJsonAtomic } from './lab-state.js';
import type { LoopbackLabState } from './loopback-lab-daemon.js';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { subnet: { type: 'string' }, seed: { type: 'string' }, state: { type: 'string' }, log: { type: 'string' } },
    strict: true,
  });
  const stateFile = values.state;
  if (stateFile === undefined) throw new Error('--state is required');
  const lab = await startLoopbackLab({ subnet: values.subnet, seed: values.seed === undefined ? undefined : Number(values.seed) });
  const state: LoopbackLabState = {
    pid: process.pid,
    ready: true,
    cidr: lab.cidr,
    seed: lab.seed,
    startedAt: new Date().toISOString(),
    services: lab.services,
    closed: lab.closed,
    log: values.log ?? '',
  };
  writeJsonAtomic(stateFile, state);
  console.log(`${state.startedAt} loopback lab up on ${lab.cidr}: ${lab.services.length} services (pid ${process.pid})`);

  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    console.log(`${new Date().toISOString()} ${signal}: stopping`);
    // A force-exit timer: stop() is prompt, but a stuck close must not outlive `lab down`'s grace.
    setTimeout(() => process.exit(0), 2_000).unref();
    void lab.stop().finally(() => {
      const current = readJsonFile(stateFile) as { pid?: unknown } | undefined;
      if (current?.pid === process.pid) removeFile(stateFile);
      process.exit(0);
    });
  };
  for (const sig of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.on(sig, () => stop(sig));
}

main().catch((e: unknown) => {
  const err = e as { code?: string; message?: string };
  console.error(`loopback lab failed: ${err.code ?? 'ERROR'}: ${err.message ?? String(e)}`);
  process.exit(69);
});
