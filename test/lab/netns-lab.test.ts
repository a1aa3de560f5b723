import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseIpv4Cidr, cidrHosts, formatIpv4 } from '../../src/lab/lab-ipv4.js';
import { pidAlive } from '../../src/lab/lab-state.js';
import { FIELD_PORTS, netnsExecArgs, netnsLabDown, netnsLabStatus, netnsLabUp, netnsNames, netnsPrivilegeProblem, planField, type NetnsLabTruth } from '../../src/lab/netns-lab.js';
import { nftRuleset } from '../../src/lab/netns-plan.js';

// The test's own namespaces (trawl-scan-t, trawl-net-t), so a `trawl lab up --netns` or a benchmark
// on the default ones is never disturbed.
const INSTANCE = 't';
const OPTS = { cidr: '198.19.4.0/26', seed: 11, alive: 0.5, firewalled: 0.3, instance: INSTANCE } as const;
const problem = netnsPrivilegeProblem();

interface Target {
  ip: string;
  port: number;
  ms: number;
  banner?: boolean;
}
interface Outcome extends Target {
  state: string;
  text: string;
}

/** Connects to every target from inside the scanner namespace; prints one JSON array. */
const PROBE_SCRIPT = `
const net = require('node:net');
const targets = JSON.parse(process.argv[1]);
Promise.all(targets.map((t) => new Promise((resolve) => {
  const s = net.connect({ host: t.ip, port: t.port });
  let text = '';
  let connected = false;
  const done = (state) => { clearTimeout(timer); s.destroy(); resolve({ ...t, state, text }); };
  const timer = setTimeout(() => done(connected ? 'open' : 'timeout'), t.ms);
  s.on('connect', () => { connected = true; if (!t.banner) done('open'); });
  s.on('data', (d) => { text += d.toString('latin1'); if (text.includes('\\n')) done('open'); });
  s.on('error', (e) => done(e.code === 'ECONNREFUSED' ? 'refused' : String(e.code)));
}))).then((r) => process.stdout.write(JSON.stringify(r)));
`;

function probeFromScanSide(targets: Target[]): Outcome[] {
  const argv = netnsExecArgs([process.execPath, '-e', PROBE_SCRIPT, JSON.stringify(targets)], INSTANCE);
  const r = spawnSync(argv[0] as string, argv.slice(1), { encoding: 'utf8', timeout: 20_000 });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout) as Outcome[];
}

describe('namespace lab', { skip: problem === undefined ? false : `namespace lab unavailable: ${problem}` }, () => {
  let dir: string;
  let truth: NetnsLabTruth;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'trawl-netns-test-'));
    truth = await netnsLabUp({ ...OPTS, stateDir: dir });
  });
  after(async () => {
    await netnsLabDown({ instance: INSTANCE, stateDir: dir });
    rmSync(dir, { recursive: true, force: true });
  });

  it('the truth is the seeded plan: inside the field, every live host with an open port', () => {
    assert.deepEqual(truth, planField(OPTS));
    assert.notDeepEqual(planField({ ...OPTS, seed: 12 }).alive, truth.alive);
    const hosts = new Set(cidrHosts(parseIpv4Cidr(OPTS.cidr)).map(formatIpv4));
    assert.ok(truth.alive.length > 10 && truth.alive.length < 52, `about half of 62 hosts alive, got ${truth.alive.length}`);
    for (const ip of truth.alive) {
      assert.ok(hosts.has(ip));
      const open = truth.open[ip] ?? [];
      assert.ok(open.length >= 1);
      for (const p of open) assert.ok(FIELD_PORTS.includes(p));
    }
    for (const ip of truth.firewalled) assert.ok(truth.alive.includes(ip));
    assert.ok(truth.firewalled.length > 0);
    const ruleset = nftRuleset(truth);
    assert.ok(ruleset.includes(`ip daddr != ${truth.cidr} accept`));
  });

  it('seen from trawl-scan: open pairs connect (with banners), closed ones reset, the rest is silence', () => {
    const fw = new Set(truth.firewalled);
    const alive = new Set(truth.alive);
    const resetting = truth.alive.find((ip) => !fw.has(ip));
    const firewalled = truth.firewalled[0];
    const dead = cidrHosts(parseIpv4Cidr(truth.cidr)).map(formatIpv4).find((ip) => !alive.has(ip));
    assert.ok(resetting && firewalled && dead);
    const closedPort = (ip: string): number => FIELD_PORTS.find((p) => !(truth.open[ip] ?? []).includes(p)) as number;
    const targets: Target[] = [
      ...Object.entries(truth.open).slice(0, 6).map(([ip, ports]) => ({ ip, port: ports[0] as number, ms: 2_000 })),
      { ip: resetting, port: closedPort(resetting), ms: 2_000 },
      { ip: firewalled, port: closedPort(firewalled), ms: 1_500 },
      { ip: firewalled, port: (truth.open[firewalled] ?? [])[0] as number, ms: 2_000 },
      { ip: dead, port: 80, ms: 1_500 },
      { ip: dead, port: 22, ms: 1_500 },
    ];
    const ssh = Object.entries(truth.open).find(([, ports]) => ports.includes(22));
    if (ssh) targets.push({ ip: ssh[0], port: 22, ms: 2_000, banner: true });
    const got = probeFromScanSide(targets);
    const states = got.map((o) => `${o.ip}:${o.port}=${o.state}`);
    const want = [
      ...targets.slice(0, 6).map((t) => `${t.ip}:${t.port}=open`),
      `${resetting}:${closedPort(resetting)}=refused`,
      `${firewalled}:${closedPort(firewalled)}=timeout`,
      `${firewalled}:${(truth.open[firewalled] ?? [])[0]}=open`,
      `${dead}:80=timeout`,
      `${dead}:22=timeout`,
      ...(ssh ? [`${ssh[0]}:22=open`] : []),
    ];
    assert.deepEqual(states, want);
    if (ssh) assert.match(got[got.length - 1]?.text ?? '', /^SSH-2\.0-OpenSSH_9\.2p1 Debian-2\+deb12u3\r\n/);
  });

  it('live hosts answer ICMP echo, dead ones do not (nmap -sn -PE from trawl-scan)', (t) => {
    const which = spawnSync('sh', ['-c', 'command -v nmap'], { encoding: 'utf8' });
    if (which.status !== 0) return t.skip('nmap not installed');
    const alive = new Set(truth.alive);
    const dead = cidrHosts(parseIpv4Cidr(truth.cidr)).map(formatIpv4).filter((ip) => !alive.has(ip)).slice(0, 3);
    const live = [...truth.firewalled.slice(0, 2), ...truth.alive.filter((ip) => !truth.firewalled.includes(ip)).slice(0, 2)];
    const argv = netnsExecArgs(['nmap', '-sn', '-PE', '-n', '--max-retries', '1', '-oG', '-', ...live, ...dead], INSTANCE);
    const r = spawnSync(argv[0] as string, argv.slice(1), { encoding: 'utf8', timeout: 20_000 });
    assert.equal(r.status, 0, r.stderr);
    const up = [...r.stdout.matchAll(/^Host: (\S+) \(\)\s+Status: Up/gm)].map((m) => m[1]).sort();
    assert.deepEqual(up, [...live].sort());
  });

  it('trawl-scan has one link and one route, both into the field', () => {
    const names = netnsNames(INSTANCE);
    const links = JSON.parse(spawnSync('ip', ['-n', names.scan, '-j', 'link', 'show'], { encoding: 'utf8' }).stdout) as Array<{ ifname: string }>;
    assert.deepEqual(links.map((l) => l.ifname.replace(/@.*/, '')).sort(), ['lo', 'trawl0']);
    const routes = JSON.parse(spawnSync('ip', ['-n', names.scan, '-j', 'route', 'show'], { encoding: 'utf8' }).stdout) as Array<{ dst: string; gateway?: string; dev: string }>;
    assert.deepEqual(routes.map((r) => `${r.dst} ${r.gateway ?? '-'} ${r.dev}`).sort(), ['198.18.0.0/24 - trawl0', 'default 198.18.0.1 trawl0']);
  });

  it('netnsLabUp clears the leftovers of an unclean run; netnsLabDown removes everything, idempotently', async () => {
    const before = netnsLabStatus({ instance: INSTANCE, stateDir: dir });
    assert.ok(before);
    // An unclean exit: the listener killed outright, the namespaces left behind.
    process.kill(before.listenerPid, 'SIGKILL');
    const again = await netnsLabUp({ ...OPTS, stateDir: dir });
    assert.deepEqual(again, truth);
    const now = netnsLabStatus({ instance: INSTANCE, stateDir: dir });
    assert.ok(now && now.listenerPid !== before.listenerPid);
    const open = Object.entries(truth.open)[0];
    assert.ok(open);
    assert.deepEqual(probeFromScanSide([{ ip: open[0], port: open[1][0] as number, ms: 2_000 }]).map((o) => o.state), ['open']);

    assert.deepEqual(await netnsLabDown({ instance: INSTANCE, stateDir: dir }), { removed: true });
    const list = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout;
    assert.doesNotMatch(list, /^trawl-(scan|net)-t\b/m);
    assert.equal(pidAlive(now.listenerPid), false);
    assert.equal(netnsLabStatus({ instance: INSTANCE, stateDir: dir }), undefined);
    assert.deepEqual(await netnsLabDown({ instance: INSTANCE, stateDir: dir }), { removed: false });
  });
});
