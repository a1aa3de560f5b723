/**
 * Inventory ingest benchmark: how fast finished scans fold into the inventory view (applyScan), in
 * observations per second, on the embedded SQLite store. Target: ≥ 50,000 observations/s.
 *
 *   node dist/bench/ingest-bench.js [--scans 4] [--pairs 62500] [--db path] [--rebuild] [--json]
 *
 * Each scan holds `pairs` open (address, port) pairs on the benchmark range 198.18.0.0/15, each with a
 * port row (through the Store, as the discover stage writes it) and a service row (identify's
 * ServiceIdentity, a TLS leaf on 443/8443): 4 × 62,500 × 2 = 500,000 observations by default. Between
 * scans ~2% of the ports close (half with a reset row, half silent), ~2% open, ~1% change version and
 * ~1% of certificates rotate, so every fold does real change detection. Nothing is sent anywhere: the
 * addresses only name rows. Wall time and CPU time are both reported: on a shared machine the CPU
 * time of the process is the steadier measure of the fold's own cost.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { ServiceIdentity } from '../src/engines/identify/service-identity.js';
import { applyScan, rebuildInventory } from '../src/inventory/inventory-apply.js';
import { openInventoryDatabase } from '../src/inventory/inventory-database.js';
import { recordServiceObservations, type ServiceObservationInput } from '../src/inventory/observation-writer.js';
import type { PortObservation } from '../src/model/observation.js';
import { emptyCounters, type ScanSpec } from '../src/model/scan.js';
import { ipv4ToString } from '../src/scope/ip-address.js';
import { openSqliteStore } from '../src/store/sqlite/sqlite-store.js';

function arg(name: string, dflt: number): number {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
}
function textArg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const scans = arg('--scans', 4);
const pairs = arg('--pairs', 62_500);
const json = process.argv.includes('--json');
const PORTS = [22, 80, 443, 3306, 5432, 8080, 8443, 9200];
const BASE = 0xc6120000; // 198.18.0.0, RFC 2544 benchmark range
const PORTS_PER_HOST = 4;
const hosts = Math.ceil(pairs / PORTS_PER_HOST);

let seed = 20300301;
const rand = (): number => {
  seed = (seed * 1103515245 + 12345) & 0x7fffffff;
  return seed / 0x7fffffff;
};

/** The open pairs of the current scan: ip index → ports. Mutated between scans. */
const open = new Map<number, Set<number>>();
for (let h = 0; h < hosts; h++) {
  const set = new Set<number>();
  while (set.size < PORTS_PER_HOST) set.add(PORTS[Math.floor(rand() * PORTS.length)]!);
  open.set(h, set);
}
const versions = new Map<string, number>();
const certs = new Map<string, number>();

function identity(h: number, port: number): ServiceIdentity {
  const k = `${h}/${port}`;
  const v = versions.get(k) ?? 0;
  const tls = port === 443 || port === 8443;
  const byPort: Record<number, [string, string]> = {
    22: ['ssh', 'OpenSSH'], 80: ['http', 'nginx'], 443: ['http', 'nginx'], 3306: ['mysql', 'MySQL'],
    5432: ['postgresql', 'PostgreSQL'], 8080: ['http', 'Apache httpd'], 8443: ['http', 'Jetty'], 9200: ['http', 'Elasticsearch REST API'],
  };
  const [name, product] = byPort[port] ?? ['unknown', 'x'];
  const c = certs.get(k) ?? 0;
  return {
    name, product, version: `1.${v}.${h % 7}`, cpe: [`cpe:/a:${product.toLowerCase().replace(/\W/g, '_')}:${product.toLowerCase()}:1.${v}`],
    method: 'handshake', confidence: 10,
    ...(tls
      ? { tunnel: 'ssl' as const, facts: { tls: { protocol: 'TLSv1.3', chain: [{ fingerprintSha256: (h * 131 + port * 7 + c * 1_000_003).toString(16).padStart(64, '0'), notAfter: '2031-01-01T00:00:00.000Z', subjectText: `CN=h${h}` }] } } }
      : {}),
  };
}

/**
 * CPU time of this process since `from` (user + system). better-sqlite3 runs SQLite on the calling
 * thread, so this is the fold's whole cost; on a shared machine it is steadier than wall time, which
 * also counts the time other processes hold the cores.
 */
function cpuSeconds(from: NodeJS.CpuUsage): number {
  const d = process.cpuUsage(from);
  return (d.user + d.system) / 1e6;
}

const dir = mkdtempSync(join(tmpdir(), 'trawl-ingest-bench-'));
const dbPath = textArg('--db') ?? join(dir, 'bench.db');
const spec: ScanSpec = {
  targets: [`198.18.0.0/${32 - Math.ceil(Math.log2(hosts))}`], targetFiles: [], excludes: [], excludeFiles: [],
  ports: PORTS, resolved: {}, seed: '1', shard: { index: 1, count: 1 }, options: { applyBlocklist: true, discovery: 'off' },
};

const store = await openSqliteStore(dbPath);
await store.migrate();
const db = await openInventoryDatabase(dbPath);
const results: { scan: string; observations: number; seconds: number; perSecond: number; cpuSeconds: number; events: number }[] = [];
try {
  for (let s = 0; s < scans; s++) {
    const scanId = `bench-${String(s + 1).padStart(2, '0')}`;
    const at = new Date(Date.parse('2030-03-01T00:00:00.000Z') + s * 86_400_000);
    const ts = new Date(at.getTime() - 600_000).toISOString();
    const closedNow: [number, number][] = [];
    if (s > 0) {
      // Churn: some ports close (half of them answer with a reset), some open, versions and certs move.
      for (const [h, set] of open) {
        for (const p of [...set]) {
          const r = rand();
          if (r < 0.02) {
            set.delete(p);
            if (r < 0.01) closedNow.push([h, p]);
          } else if (r < 0.03) versions.set(`${h}/${p}`, (versions.get(`${h}/${p}`) ?? 0) + 1);
          else if (r < 0.04) certs.set(`${h}/${p}`, (certs.get(`${h}/${p}`) ?? 0) + 1);
        }
        if (rand() < 0.08) set.add(PORTS[Math.floor(rand() * PORTS.length)]!);
      }
    }
    await store.createScan({ id: scanId, spec, counters: emptyCounters(), createdAt: new Date(at.getTime() - 3_600_000).toISOString() });
    await store.putWorkUnits([{ scanId, stage: 'discover', unitIndex: 0, start: 0n, end: 1n, checkpoint: 0n, state: 'pending', attempts: 0, leaseOwner: null }]);
    let portRows: PortObservation[] = [];
    let serviceRows: ServiceObservationInput[] = [];
    let count = 0;
    const flush = async (done: boolean): Promise<void> => {
      await store.commitProgress({ scanId, stage: 'discover', unitIndex: 0, checkpoint: done ? 1n : 0n, unitDone: done, observations: portRows, counters: {} });
      await recordServiceObservations(db, serviceRows);
      portRows = [];
      serviceRows = [];
    };
    for (const [h, set] of open) {
      const ip = ipv4ToString(BASE + h);
      for (const port of set) {
        portRows.push({ type: 'port', scanId, ip, port, proto: 'tcp', state: 'open', ts, evidence: 'syn-ack', rttMs: 0.2 });
        serviceRows.push({ scanId, ip, port, proto: 'tcp', ts, identity: identity(h, port) });
        count += 2;
      }
      if (portRows.length >= 20_000) await flush(false);
    }
    for (const [h, port] of closedNow) {
      portRows.push({ type: 'port', scanId, ip: ipv4ToString(BASE + h), port, proto: 'tcp', state: 'closed', ts, evidence: 'reset' });
      count++;
    }
    await flush(true);
    await store.setScanStatus(scanId, 'done', at.toISOString());

    const t0 = performance.now();
    const c0 = process.cpuUsage();
    const r = await applyScan(db, scanId);
    const cpu = cpuSeconds(c0);
    const seconds = (performance.now() - t0) / 1000;
    results.push({ scan: scanId, observations: count, seconds, perSecond: count / seconds, cpuSeconds: cpu, events: r.events.length });
    if (!json) process.stderr.write(`${scanId}: ${count.toLocaleString('en')} observations folded in ${seconds.toFixed(2)} s = ${Math.round(count / seconds).toLocaleString('en')} obs/s (CPU ${cpu.toFixed(2)} s), ${r.events.length.toLocaleString('en')} events\n`);
  }
  const total = results.reduce((a, r) => a + r.observations, 0);
  const seconds = results.reduce((a, r) => a + r.seconds, 0);
  const cpu = results.reduce((a, r) => a + r.cpuSeconds, 0);
  let rebuild: { seconds: number; perSecond: number; cpuSeconds: number } | undefined;
  if (process.argv.includes('--rebuild')) {
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    await rebuildInventory(db);
    const c = cpuSeconds(c0);
    const s = (performance.now() - t0) / 1000;
    rebuild = { seconds: s, perSecond: total / s, cpuSeconds: c };
  }
  const summary = { observations: total, seconds, perSecond: total / seconds, cpuSeconds: cpu, perCpuSecond: total / cpu, target: 50_000, scans: results, ...(rebuild ? { rebuild } : {}) };
  if (json) process.stdout.write(`${JSON.stringify(summary)}\n`);
  else {
    process.stdout.write(`ingest: ${total.toLocaleString('en')} observations in ${seconds.toFixed(2)} s = ${Math.round(total / seconds).toLocaleString('en')} obs/s (target ≥ 50,000); CPU ${cpu.toFixed(2)} s = ${Math.round(total / cpu).toLocaleString('en')} obs per CPU-second\n`);
    if (rebuild) process.stdout.write(`rebuild: ${rebuild.seconds.toFixed(2)} s = ${Math.round(rebuild.perSecond).toLocaleString('en')} obs/s; CPU ${rebuild.cpuSeconds.toFixed(2)} s = ${Math.round(total / rebuild.cpuSeconds).toLocaleString('en')} obs per CPU-second\n`);
  }
} finally {
  await db.destroy();
  await store.close();
  if (textArg('--db') === undefined) rmSync(dir, { recursive: true, force: true });
}
