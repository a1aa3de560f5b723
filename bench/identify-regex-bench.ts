/**
 * Benchmarks the nmap service-probe interpreter against the system's nmap-service-probes:
 *   node <dist>/bench/identify-regex-bench.js [--nmap]
 * - load time, translation coverage;
 * - matching cost per response, inline vs the hang-proof worker pool;
 * - with --nmap: probeService vs `nmap -sV` on throwaway servers on 127.0.0.1 (only there).
 */
import { spawn } from 'node:child_process';
import net from 'node:net';
import tls from 'node:tls';
import { generate } from 'selfsigned';
import {
  InlineResponseMatcher,
  loadServiceProbes,
  locateNmapData,
  probeServiceDetailed,
  translationReport,
  WorkerMatchPool,
  type ProbeDatabase,
} from '../src/engines/identify/nmap/index.js';

const BANNERS = [
  'SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n',
  '220 (vsFTPd 3.0.3)\r\n',
  '220 mail.example.org ESMTP Exim 4.96 Mon, 01 Jan 2024 00:00:00 +0000\r\n',
  '+OK Dovecot (Debian) ready.\r\n',
  '* OK [CAPABILITY IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE LITERAL+ STARTTLS AUTH=PLAIN] Dovecot (Debian) ready.\r\n',
  'RFB 003.008\n',
  'J\x00\x00\x00\x0a8.0.36-0+deb12u1\x00\x08\x00\x00\x00\x3a\x2e\x7f\x36\x0f\x29\x6b\x65\x00\xff\xff\xff\x02\x00\xff\xdf\x15\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x4b\x1a\x5d\x2c\x6f\x7a\x30\x05\x1d\x67\x4d\x27\x00mysql_native_password\x00',
  'unknown garbage that matches nothing at all \x01\x02\x03',
];

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

async function matching(db: ProbeDatabase): Promise<void> {
  const nul = db.nullProbe!.index;
  const inline = new InlineResponseMatcher(db);
  const bytes = BANNERS.map((b) => Buffer.from(b, 'latin1'));
  // First pass compiles what the prefilters let through; then steady state.
  let t = performance.now();
  for (const b of bytes) await inline.match(nul, b);
  const cold = performance.now() - t;
  const times: number[] = [];
  for (let i = 0; i < 50; i++) {
    for (const b of bytes) {
      t = performance.now();
      await inline.match(nul, b);
      times.push(performance.now() - t);
    }
  }
  const st = inline.matcher.stats();
  console.log(`inline matcher, NULL probe (${db.nullProbe!.matches.length} lines): first pass ${cold.toFixed(1)} ms for ${bytes.length} banners; then median ${median(times).toFixed(3)} ms per response`);
  console.log(`  regexes compiled ${st.compiled}, executions ${st.executed} for ${times.length + bytes.length} responses (prefilters skip the rest)`);

  const pool = new WorkerMatchPool(db, { size: 1 });
  t = performance.now();
  await pool.warm();
  const warm = performance.now() - t;
  for (const b of bytes) await pool.match(nul, b);
  const ptimes: number[] = [];
  for (let i = 0; i < 50; i++) {
    for (const b of bytes) {
      t = performance.now();
      await pool.match(nul, b);
      ptimes.push(performance.now() - t);
    }
  }
  t = performance.now();
  await Promise.all(Array.from({ length: 2000 }, (_, i) => pool.match(nul, bytes[i % bytes.length]!)));
  const burst = performance.now() - t;
  console.log(`worker pool: start ${warm.toFixed(0)} ms; median ${median(ptimes).toFixed(3)} ms per response (round trip included); 2000 queued responses in ${burst.toFixed(0)} ms`);
  await pool.close();
}

interface Service {
  readonly label: string;
  readonly server: net.Server;
  port: number;
}

async function services(): Promise<Service[]> {
  const pems = await generate([{ name: 'commonName', value: 'localhost' }], { keyType: 'ec', days: 2 } as Parameters<typeof generate>[1]);
  const http = (s: net.Socket): void => {
    s.on('error', () => undefined);
    s.once('data', () => s.end('HTTP/1.1 200 OK\r\nServer: nginx/1.22.1\r\nContent-Type: text/html\r\nContent-Length: 2\r\nConnection: close\r\n\r\nhi'));
  };
  const list: Service[] = [
    { label: 'ssh banner', server: net.createServer((s) => (s.on('error', () => undefined), s.write('SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n'))), port: 0 },
    { label: 'ftp banner', server: net.createServer((s) => (s.on('error', () => undefined), s.write('220 (vsFTPd 3.0.3)\r\n'))), port: 0 },
    { label: 'http', server: net.createServer(http), port: 0 },
    { label: 'https', server: tls.createServer({ key: pems.private, cert: pems.cert }, http), port: 0 },
  ];
  for (const svc of list) {
    svc.server.on('tlsClientError', () => undefined);
    await new Promise<void>((r) => svc.server.listen(0, '127.0.0.1', r));
    svc.port = (svc.server.address() as net.AddressInfo).port;
  }
  return list;
}

async function versusNmap(db: ProbeDatabase): Promise<void> {
  const list = await services();
  const pool = new WorkerMatchPool(db, { size: 1 });
  await pool.warm();
  try {
    let total = 0;
    for (const svc of list) {
      // Twice: the first response to a probe compiles the regexes its prefilters let through.
      const first = await probeServiceDetailed({ ip: '127.0.0.1', port: svc.port, family: 4 }, db, { matcher: pool });
      const r = await probeServiceDetailed({ ip: '127.0.0.1', port: svc.port, family: 4 }, db, { matcher: pool });
      total += first.elapsedMs;
      const id = r.identity;
      console.log(
        `trawl ${svc.label.padEnd(10)} ${first.elapsedMs.toFixed(0).padStart(6)} ms cold, ${r.elapsedMs.toFixed(0).padStart(5)} ms warm  ` +
          `${id?.tunnel ? 'ssl/' : ''}${id?.name ?? '-'} ${id?.product ?? ''} ${id?.version ?? ''} (${r.probesSent} connections)`,
      );
    }
    const ports = list.map((s) => s.port).join(',');
    const t = performance.now();
    // Asynchronously: the servers live in this process and must keep answering.
    const stdout = await new Promise<string>((resolve, reject) => {
      const child = spawn('nmap', ['-sV', '-Pn', '-n', '-p', ports, '127.0.0.1']);
      let text = '';
      child.stdout.on('data', (d: Buffer) => (text += d.toString()));
      child.on('error', reject);
      child.on('close', () => resolve(text));
    });
    const nmapMs = performance.now() - t;
    for (const line of stdout.split('\n').filter((l) => /^\d+\/tcp/.test(l))) console.log(`nmap  ${line}`);
    console.log(`all ${list.length} ports: trawl ${total.toFixed(0)} ms one after the other (cold), nmap -sV ${nmapMs.toFixed(0)} ms in parallel (ratio ${(total / nmapMs).toFixed(3)})`);
  } finally {
    await pool.close();
    for (const s of list) s.server.close();
  }
}

async function main(): Promise<void> {
  const path = locateNmapData();
  if (!path) {
    console.error('nmap-service-probes not found; install nmap-common');
    process.exit(1);
  }
  const loads: number[] = [];
  let db = loadServiceProbes(path);
  for (let i = 0; i < 5; i++) {
    db = loadServiceProbes(path);
    loads.push(db.loadMs);
  }
  console.log(`load ${path}: ${db.probes.length} probes, ${db.matches.length} match lines, median ${median(loads).toFixed(1)} ms`);
  const rep = translationReport(db);
  console.log(`translation: ${rep.translated} of ${rep.total} patterns translated in ${rep.ms.toFixed(0)} ms (${rep.unsupported.length} unsupported, ${rep.invalid.length} invalid, ${rep.approximate.length} approximate); ${rep.withPrefilter} with a literal prefilter; ${rep.nestedQuantifiers} with nested quantifiers`);
  await matching(db);
  if (process.argv.includes('--nmap')) await versusNmap(db);
}

await main();
