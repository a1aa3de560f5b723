/**
 * Identification benchmark: `nmap -sV` and Trawl's identify stage against the REAL daemons of the
 * daemon lab (nginx, OpenSSH, Redis, vsftpd, Samba, memcached, Exim, Mosquitto from the machine's
 * Debian packages). Both run inside the lab's namespace, whose only interface is its own loopback,
 * so no probe can leave the machine. Prints a side-by-side table against the ground truth (the
 * installed package versions) and the wall-time ratio.
 *
 *   node dist/bench/identify-bench.js [--profile weak|hardened] [--namespace trawl-dlab-bench]
 *        [--json FILE] [--keep] [--nmap-arg=--version-intensity=7 ...]
 *
 * Needs root. Trawl's identifier is reached through a small adapter (the module
 * src/engines/identify/index.js exporting identifyService(target, opts)); while that module does not
 * exist the bench says so and reports nmap alone. See bench/README.md.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { daemonLabProblem, startDaemonLab, type DaemonEndpoint, type DaemonLab } from '../src/lab/daemon-lab.js';
import { findExecutable } from '../src/lab/daemons/host-tools.js';

/** The fields both tools are compared on. */
export interface ServiceGuess {
  readonly name: string;
  readonly product?: string;
  readonly version?: string;
  readonly tunnel?: 'ssl';
}

interface TrawlRun {
  readonly available: boolean;
  readonly reason?: string;
  /** Time spent identifying, measured inside the child (no process start-up). */
  readonly identifyMs?: number;
  readonly results: Array<{ ip: string; port: number; guess?: ServiceGuess; error?: string }>;
}

const MAX_XML_BYTES = 32 * 1024 * 1024;

// ---------------------------------------------------------------------------------------------
// Trawl runs as users run it: `trawl scan <ips> -p <ports> -sV -Pn -oJ file` inside the namespace,
// the same scope nmap gets, so both walls include port discovery and identification.

const TRAWL_BIN = fileURLToPath(new URL('../../bin/trawl.js', import.meta.url));

function toGuess(v: unknown): ServiceGuess | undefined {
  if (typeof v !== 'object' || v === null) return undefined;
  const o = v as Record<string, unknown>;
  if (typeof o['name'] !== 'string') return undefined;
  return {
    name: o['name'],
    ...(typeof o['product'] === 'string' ? { product: o['product'] } : {}),
    ...(typeof o['version'] === 'string' ? { version: o['version'] } : {}),
    ...(o['tunnel'] === 'ssl' ? { tunnel: 'ssl' as const } : {}),
  };
}

function trawlRunFromJsonl(text: string, ms: number): TrawlRun {
  const results = text.split('\n').filter((l) => l.startsWith('{')).map((l) => {
    const o = JSON.parse(l) as Record<string, unknown>;
    const guess = toGuess(o['service']);
    const ip = String(o['ip']);
    const port = Number(o['port']);
    return guess === undefined ? { ip, port } : { ip, port, guess };
  });
  return { available: true, identifyMs: ms, results };
}

// ---------------------------------------------------------------------------------------------
// Outside: the lab, nmap, the adapter child, the table.

function decodeXml(s: string): string {
  return s.replace(/&(lt|gt|amp|quot|apos|#\d+|#x[0-9a-f]+);/gi, (m, e: string) => {
    const named: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };
    if (named[e] !== undefined) return named[e];
    const code = e.startsWith('#x') || e.startsWith('#X') ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10);
    return Number.isFinite(code) && code <= 0x10ffff ? String.fromCodePoint(code) : m;
  });
}

/** nmap -oX → (ip:port) → service, for open TCP ports. Bounded: nmap's own file, but still parsed as text. */
export function parseNmapServices(xml: string): Map<string, ServiceGuess> {
  const out = new Map<string, ServiceGuess>();
  const text = xml.length > MAX_XML_BYTES ? xml.slice(0, MAX_XML_BYTES) : xml;
  for (const h of text.matchAll(/<host[\s>][\s\S]*?<\/host>/g)) {
    const body = h[0];
    const ip = /<address\s+addr="([^"]+)"\s+addrtype="ipv4"/.exec(body)?.[1];
    if (ip === undefined) continue;
    for (const p of body.matchAll(/<port\s+protocol="tcp"\s+portid="(\d+)"\s*>([\s\S]*?)<\/port>/g)) {
      const inner = p[2] ?? '';
      if (!/<state\s+state="open"/.test(inner)) continue;
      const svc = /<service\s([^>]*?)\/?>/.exec(inner)?.[1] ?? '';
      const attr = (k: string): string | undefined => {
        const m = new RegExp(`\\b${k}="([^"]*)"`).exec(svc);
        return m?.[1] === undefined ? undefined : decodeXml(m[1]);
      };
      const name = attr('name') ?? 'unknown';
      const product = attr('product');
      const version = attr('version');
      out.set(`${ip}:${p[1]}`, {
        name,
        ...(product !== undefined ? { product } : {}),
        ...(version !== undefined ? { version } : {}),
        ...(attr('tunnel') === 'ssl' ? { tunnel: 'ssl' as const } : {}),
      });
    }
  }
  return out;
}

/** Runs argv, collecting output; resolves with the wall time. */
function timed(argv: string[]): Promise<{ code: number | null; stdout: string; stderr: string; ms: number }> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout = (stdout + d).slice(-MAX_XML_BYTES)));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr = (stderr + d).slice(-20_000)));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr, ms: performance.now() - started }));
  });
}

/** Service names that mean the same thing (SMB over 139/445, mail submission). */
const SAME_NAME: ReadonlyArray<ReadonlySet<string>> = [new Set(['microsoft-ds', 'netbios-ssn', 'smb']), new Set(['smtp', 'submission'])];

function sameName(a: string, b: string): boolean {
  return a === b || SAME_NAME.some((s) => s.has(a) && s.has(b));
}

function sameProduct(a: string | undefined, b: string | undefined): boolean {
  if (a === undefined || b === undefined) return false;
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  return x === y || x.includes(y) || y.includes(x);
}

/** Versions agree when one starts with the other at a token boundary (9.2p1 vs "9.2p1 Debian 2+deb12u10"). */
function sameVersion(a: string | undefined, b: string | undefined): boolean {
  if (a === undefined || b === undefined) return false;
  const [short, long] = a.length <= b.length ? [a, b] : [b, a];
  return long === short || (long.startsWith(short) && /^[\s\-_+~]/.test(long.slice(short.length)));
}

export type Agreement = 'yes' | 'name' | 'no';

/** yes: same name, tunnel, product and version; name: same name (and tunnel) only; no: otherwise. */
export function agreement(a: ServiceGuess | undefined, b: ServiceGuess | undefined): Agreement {
  if (a === undefined || b === undefined) return 'no';
  if (!sameName(a.name, b.name) || (a.tunnel ?? '') !== (b.tunnel ?? '')) return 'no';
  const productOk = (a.product === undefined && b.product === undefined) || sameProduct(a.product, b.product);
  const versionOk = (a.version === undefined && b.version === undefined) || sameVersion(a.version, b.version);
  return productOk && versionOk ? 'yes' : 'name';
}

/** Per-field correctness against the lab's ground truth. */
function score(e: DaemonEndpoint, g: ServiceGuess | undefined): { name: boolean; product: boolean; version: boolean } {
  if (g === undefined) return { name: false, product: false, version: false };
  return {
    name: sameName(e.expect.name, g.name) && (e.expect.tunnel ?? '') === (g.tunnel ?? ''),
    product: sameProduct(e.expect.product, g.product),
    version: sameVersion(e.expect.version, g.version),
  };
}

function show(g: ServiceGuess | undefined): string {
  if (g === undefined) return '-';
  return [`${g.tunnel === 'ssl' ? 'ssl/' : ''}${g.name}`, g.product, g.version].filter((x) => x !== undefined && x !== '').join(' | ');
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.min(48, Math.max(...rows.map((r) => (r[i] ?? '').length))));
  const cut = (s: string, w: number): string => (s.length > w ? `${s.slice(0, w - 1)}…` : s.padEnd(w));
  return rows.map((r) => r.map((c, i) => cut(c, widths[i]!)).join('  ').trimEnd()).join('\n');
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      profile: { type: 'string', default: 'weak' },
      namespace: { type: 'string', default: 'trawl-dlab-bench' },
      json: { type: 'string' },
      keep: { type: 'boolean', default: false },
      'nmap-arg': { type: 'string', multiple: true, default: [] },
    },
  });

  const problem = daemonLabProblem();
  if (problem !== undefined) {
    process.stderr.write(`identify bench: ${problem}\n`);
    process.exitCode = 77;
    return;
  }
  const profile = values.profile === 'hardened' ? 'hardened' : 'weak';
  const nmap = findExecutable('nmap');
  const t0 = performance.now();
  const lab: DaemonLab = await startDaemonLab({ profile, namespace: values.namespace, onStartFailure: 'skip' });
  const labMs = performance.now() - t0;
  const work = mkdtempSync(join(tmpdir(), 'trawl-identify-bench-'));
  try {
    process.stdout.write(`daemon lab (${profile}) up in ${(labMs / 1000).toFixed(1)} s: ${lab.endpoints.length} endpoints in namespace ${lab.namespace}\n`);
    for (const s of lab.skipped) process.stdout.write(`  skipped ${s.daemon}: ${s.reason.split('\n')[0]}\n`);
    const targets = lab.endpoints.map((e) => ({ ip: e.ip, port: e.port }));
    const ips = [...new Set(targets.map((t) => t.ip))];
    const ports = [...new Set(targets.map((t) => t.port))].sort((a, b) => a - b);

    // nmap -sV: one run over every address × the union of ports (closed combinations cost an RST).
    let nmapServices = new Map<string, ServiceGuess>();
    let nmapMs: number | undefined;
    if (nmap === undefined) {
      process.stdout.write('nmap: not installed (apt-get install nmap)\n');
    } else {
      const xml = join(work, 'nmap.xml');
      const argv = lab.execArgs([nmap, '-sV', '-n', '-Pn', '-p', ports.join(','), ...values['nmap-arg'], '-oX', xml, ...ips]);
      process.stdout.write(`running: ${argv.slice(4).join(' ')}\n`);
      const r = await timed(argv);
      if (r.code !== 0) throw new Error(`nmap exited ${r.code}: ${r.stderr.trim().slice(-600)}`);
      nmapMs = r.ms;
      nmapServices = parseNmapServices(readFileSync(xml, 'utf8'));
    }

    // Trawl: the CLI, inside the namespace, over the same addresses × ports.
    const out = join(work, 'trawl.jsonl');
    const child = await timed(lab.execArgs([process.execPath, TRAWL_BIN, 'scan', ...ips, '-p', ports.join(','), '-sV', '-Pn', '-q', '-oJ', out]));
    let trawl: TrawlRun;
    try {
      if (child.code !== 0) throw new Error(child.stderr.trim().slice(-400));
      trawl = trawlRunFromJsonl(readFileSync(out, 'utf8'), child.ms);
    } catch (e) {
      trawl = { available: false, reason: `trawl scan -sV failed (exit ${child.code}): ${e instanceof Error ? e.message : String(e)}`, results: [] };
    }
    const trawlMs = trawl.available ? child.ms : undefined;
    if (!trawl.available) process.stdout.write(`trawl identify: not available yet (${trawl.reason ?? 'unknown'})\n`);
    const trawlBy = new Map(trawl.results.map((r) => [`${r.ip}:${r.port}`, r]));

    const header = ['endpoint', 'daemon', 'truth', 'nmap -sV', ...(trawl.available ? ['trawl', 'agree?'] : [])];
    const rows: string[][] = [header];
    const totals = { nmap: { name: 0, product: 0, version: 0 }, trawl: { name: 0, product: 0, version: 0 }, agree: { yes: 0, name: 0, no: 0 } };
    const report: Array<Record<string, unknown>> = [];
    for (const e of lab.endpoints) {
      const key = `${e.ip}:${e.port}`;
      const n = nmapServices.get(key);
      const t = trawlBy.get(key);
      const ns = score(e, n);
      const ts = score(e, t?.guess);
      for (const f of ['name', 'product', 'version'] as const) {
        if (ns[f]) totals.nmap[f]++;
        if (ts[f]) totals.trawl[f]++;
      }
      const agree = agreement(n, t?.guess);
      if (trawl.available) totals.agree[agree]++;
      const truth: ServiceGuess = { name: e.expect.name, ...(e.expect.product ? { product: e.expect.product } : {}), ...(e.expect.version ? { version: e.expect.version } : {}), ...(e.expect.tunnel ? { tunnel: e.expect.tunnel } : {}) };
      rows.push([key, e.daemon, show(truth), show(n), ...(trawl.available ? [t?.error !== undefined ? `error: ${t.error}` : show(t?.guess), agree] : [])]);
      report.push({ endpoint: key, daemon: e.daemon, truth, package: e.expect.package, nmap: n ?? null, trawl: t ?? null, agree: trawl.available ? agree : null });
    }
    process.stdout.write(`\n${table(rows)}\n\n`);
    const total = lab.endpoints.length;
    const frac = (x: number): string => `${x}/${total}`;
    if (nmapMs !== undefined) {
      process.stdout.write(`nmap -sV : ${(nmapMs / 1000).toFixed(2)} s wall; correct name ${frac(totals.nmap.name)}, product ${frac(totals.nmap.product)}, version ${frac(totals.nmap.version)}\n`);
    }
    if (trawlMs !== undefined) {
      process.stdout.write(`trawl    : ${(trawlMs / 1000).toFixed(2)} s wall (scan + identify, same scope as nmap); correct name ${frac(totals.trawl.name)}, product ${frac(totals.trawl.product)}, version ${frac(totals.trawl.version)}\n`);
      process.stdout.write(`agreement: ${totals.agree.yes} full, ${totals.agree.name} name only, ${totals.agree.no} none\n`);
      if (nmapMs !== undefined) process.stdout.write(`wall-time ratio trawl/nmap: ${(trawlMs / nmapMs).toFixed(3)} (trawl ${(nmapMs / trawlMs).toFixed(1)}x faster)\n`);
    }
    if (values.json !== undefined) {
      writeFileSync(values.json, `${JSON.stringify({ profile, namespace: lab.namespace, labMs, nmapMs: nmapMs ?? null, trawlMs: trawlMs ?? null, trawlAvailable: trawl.available, trawlReason: trawl.reason ?? null, totals, skipped: lab.skipped, rows: report }, null, 2)}\n`);
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
    if (values.keep) process.stdout.write(`lab left running (--keep): run commands inside with ip netns exec ${lab.namespace} …\n`);
    else await lab.stop();
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`identify bench failed: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exitCode = 1;
});
