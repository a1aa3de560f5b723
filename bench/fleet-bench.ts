/**
 * Fleet throughput: one assessment of a namespace field run by 1, 2 and 4 `trawl worker` processes
 * (BullMQ on a private Redis + PostgreSQL, both over unix sockets), against the embedded path — one
 * `trawl scan` process — on the same field, seed and ports. Every scanner runs inside the scanner
 * namespace, whose only route leads into the field, so no probe can leave the machine.
 *
 *   node dist/bench/fleet-bench.js [--field own|netlab] [--cidr 198.19.16.0/22] [--seed 3]
 *        [--alive 0.25] [--firewalled 0.3] [--ports 22,80,...] [--workers 1,2,4] [--unit-size 4096 (the product default)]
 *        [--concurrency 8] [--json]
 *
 * Times are wall clock from process start (workers spawned / `trawl scan` started) to the store saying
 * the scan is done, so worker start-up is included, as it is for the embedded scan.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { DEFAULT_UNIT_SIZE, enqueueAssessment } from '../src/fleet/assessment.js';
import { netnsLabDown, netnsLabUp, netnsNames, netnsPrivilegeProblem } from '../src/lab/netns-lab.js';
import { FIELD_PORTS } from '../src/lab/netns-plan.js';
import { openBullmqQueue } from '../src/queue/bullmq/bullmq-queue.js';
import { openPostgresStore } from '../src/store/postgres/postgres-store.js';
import { openSqliteStore } from '../src/store/sqlite/sqlite-store.js';
import type { Store } from '../src/store/store.js';
import { fleetCli, fleetProblem, PgDatabase, PrivateRedis } from '../test/fleet/fleet-harness.js';

interface Row {
  mode: string;
  workers: number;
  seconds: number;
  units: number;
  probes: number;
  unitsPerSecond: number;
  probesPerSecond: number;
  openFound: number;
  recall: number;
  precision: number;
}

function say(line: string): void {
  process.stderr.write(`${line}\n`);
}

function inNs(ns: string, argv: string[], env: NodeJS.ProcessEnv): ReturnType<typeof spawn> {
  return spawn('ip', ['netns', 'exec', ns, ...argv], { stdio: ['ignore', 'ignore', 'pipe'], env });
}

async function openKeys(store: Store, scanId: string): Promise<Set<string>> {
  const keys = new Set<string>();
  for await (const o of store.listPortObservations(scanId, { state: 'open' })) keys.add(`${o.ip}:${o.port}`);
  return keys;
}

function score(got: Set<string>, want: Set<string>): { recall: number; precision: number } {
  let tp = 0;
  for (const k of got) if (want.has(k)) tp++;
  return { recall: tp / Math.max(1, want.size), precision: tp / Math.max(1, got.size) };
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      field: { type: 'string', default: 'own' },
      cidr: { type: 'string', default: '198.19.16.0/22' },
      seed: { type: 'string', default: '3' },
      alive: { type: 'string', default: '0.25' },
      firewalled: { type: 'string', default: '0.3' },
      ports: { type: 'string' },
      workers: { type: 'string', default: '1,2,4' },
      'unit-size': { type: 'string', default: String(DEFAULT_UNIT_SIZE) },
      concurrency: { type: 'string', default: '8' },
      json: { type: 'boolean', default: false },
    },
  });
  const problem = netnsPrivilegeProblem() ?? fleetProblem();
  if (problem) {
    say(`fleet-bench: cannot run: ${problem}`);
    return 2;
  }
  const work = mkdtempSync(join(tmpdir(), 'trawl-fleet-bench-'));
  const instance = 'fleetbench';
  let ns: string;
  let cidr: string;
  let open: Record<string, readonly number[]>;
  let ownLab = false;
  if (values.field === 'netlab') {
    const dir = process.env['NETLAB_STATE'] ?? '/run/netlab';
    const truthFile = join(dir, 'truth.json');
    if (!existsSync(truthFile)) throw new Error(`--field netlab: ${truthFile} not found (is netlab up?)`);
    const t = JSON.parse(readFileSync(truthFile, 'utf8')) as { cidr: string; open: Record<string, number[]> };
    ns = 'nl-scan';
    cidr = t.cidr;
    open = t.open;
  } else {
    const t = await netnsLabUp({ instance, cidr: values.cidr, seed: Number(values.seed), alive: Number(values.alive), firewalled: Number(values.firewalled), stateDir: join(work, 'state') });
    ownLab = true;
    ns = netnsNames(instance).scan;
    cidr = t.cidr;
    open = t.open;
  }
  const ports = values.ports ? values.ports.split(',').map(Number) : [...FIELD_PORTS];
  const want = new Set(Object.entries(open).flatMap(([ip, ps]) => ps.filter((p) => ports.includes(p)).map((p) => `${ip}:${p}`)));
  // The egress guard pinned to the field: a bug that aimed elsewhere would be refused.
  const env = { ...process.env, TRAWL_EGRESS_ALLOW: cidr };
  const redis = new PrivateRedis(work);
  const pgdb = new PgDatabase(`trawl_fleet_bench_${process.pid}_${randomBytes(3).toString('hex')}`);
  const rows: Row[] = [];
  try {
    await redis.start();
    await pgdb.create();
    const store = await openPostgresStore(pgdb.socketUrl);
    await store.migrate();
    say(`fleet-bench: field ${cidr} in ${ns}, ${ports.length} ports, ${want.size} open pairs`);

    // Embedded: one `trawl scan` process.
    {
      const db = join(work, 'embedded.db');
      const started = performance.now();
      const child = inNs(ns, [process.execPath, fleetCli, 'scan', cidr, '-p', ports.join(','), '--seed', values.seed, '--db', db, '-q'], env);
      let stderr = '';
      child.stderr?.on('data', (d: Buffer) => { stderr += d.toString(); });
      const code = await new Promise<number | null>((r) => child.on('exit', r));
      const seconds = (performance.now() - started) / 1000;
      if (code !== 0) throw new Error(`embedded scan failed: ${stderr}`);
      const s = await openSqliteStore(db);
      const scan = await s.findScan('latest');
      const got = await openKeys(s, scan!.id);
      const units = (await s.listWorkUnits(scan!.id, 'discover')).length;
      const probes = Number(scan!.counters.probesPlanned);
      await s.close();
      rows.push({ mode: 'embedded (trawl scan)', workers: 1, seconds, units, probes, unitsPerSecond: units / seconds, probesPerSecond: probes / seconds, openFound: got.size, ...score(got, want) });
      say(`fleet-bench: embedded ${seconds.toFixed(2)} s`);
    }

    for (const n of values.workers.split(',').map(Number)) {
      const prefix = `bench-${n}-${randomBytes(3).toString('hex')}`;
      const queue = await openBullmqQueue({ url: redis.url, prefix, stalledCheckMs: 1000 });
      const { scan, units } = await enqueueAssessment({ store, queue, request: { targets: [cidr], ports, seed: BigInt(values.seed), unitSize: Number(values['unit-size']) } });
      const started = performance.now();
      const workers = Array.from({ length: n }, (_, i) => inNs(ns, [process.execPath, fleetCli, 'worker', '--queue', redis.url, '--prefix', prefix, '--db', pgdb.socketUrl, '--concurrency', values.concurrency, '--id', `bench-${n}-${i}`, '-q'], env));
      const deadline = Date.now() + 600_000;
      while ((await store.getScan(scan.id))?.status !== 'done') {
        if (Date.now() > deadline) throw new Error(`fleet run with ${n} workers not done in 10 minutes`);
        await sleep(50);
      }
      const seconds = (performance.now() - started) / 1000;
      for (const w of workers) w.kill('SIGTERM');
      await Promise.all(workers.map((w) => new Promise((r) => (w.exitCode !== null ? r(null) : w.on('exit', r)))));
      await queue.close();
      const got = await openKeys(store, scan.id);
      const probes = Number(scan.counters.probesPlanned);
      rows.push({ mode: 'fleet (BullMQ + PostgreSQL)', workers: n, seconds, units, probes, unitsPerSecond: units / seconds, probesPerSecond: probes / seconds, openFound: got.size, ...score(got, want) });
      say(`fleet-bench: ${n} worker(s) ${seconds.toFixed(2)} s`);
    }
    await store.close();
  } finally {
    await redis.stop().catch(() => {});
    await pgdb.drop().catch(() => {});
    if (ownLab) await netnsLabDown({ instance, stateDir: join(work, 'state') });
    rmSync(work, { recursive: true, force: true });
  }

  const embedded = rows[0]!;
  if (values.json) {
    process.stdout.write(`${JSON.stringify({ field: cidr, ports: ports.length, openPairs: want.size, rows }, null, 2)}\n`);
  } else {
    const lines = [`field ${cidr}; ${ports.length} ports; ${want.size} open pairs; one machine (2 cores)`, ''];
    lines.push('mode                          workers   seconds   units   units/s    probes/s   recall  precision  vs embedded');
    for (const r of rows) {
      lines.push(`${r.mode.padEnd(30)}${String(r.workers).padStart(7)}${r.seconds.toFixed(2).padStart(10)}${String(r.units).padStart(8)}${r.unitsPerSecond.toFixed(1).padStart(10)}${Math.round(r.probesPerSecond).toString().padStart(12)}${r.recall.toFixed(3).padStart(9)}${r.precision.toFixed(3).padStart(11)}${`${(r.seconds / embedded.seconds).toFixed(2)}×`.padStart(13)}`);
    }
    process.stdout.write(`${lines.join('\n')}\n`);
  }
  return 0;
}

main().then((code) => { process.exitCode = code; }, (e: unknown) => { say(`fleet-bench: ${e instanceof Error ? e.stack ?? e.message : String(e)}`); process.exitCode = 1; });
