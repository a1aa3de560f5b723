/**
 * The any-port cascade against the shared daemon lab (src/lab/daemon-lab.ts): every endpoint, in
 * both profiles, must come back with the lab's ground truth (nmap name and tunnel; product and
 * version whenever the protocol reveals them), and the facts must show what each profile changes.
 * The probes run inside the lab's namespace through handshake-probe-main.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { daemonLabProblem, startDaemonLab, type DaemonEndpoint, type DaemonLab, type DaemonProfile } from '../../../src/lab/daemon-lab.js';
import type { ProbeOutcome } from './daemon-fixtures.js';

const problem = daemonLabProblem();
const PROBE = fileURLToPath(new URL('./handshake-probe-main.js', import.meta.url));

type Json = Record<string, unknown>;

function probe(lab: DaemonLab, plan: Json[]): Promise<Record<string, ProbeOutcome>> {
  const argv = lab.execArgs([process.execPath, PROBE, JSON.stringify(plan)]);
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.once('close', (code) => {
      clearTimeout(timer);
      if (code !== 0) return reject(new Error(`probe exited ${code}: ${err.slice(-1500)}`));
      try {
        resolve(JSON.parse(out) as Record<string, ProbeOutcome>);
      } catch (e) {
        reject(new Error(`probe output unreadable: ${out.slice(0, 300)} ${err.slice(-800)}`, { cause: e }));
      }
    });
  });
}

const key = (e: DaemonEndpoint): string => `${e.daemon}@${e.ip}:${e.port}`;

for (const profile of ['weak', 'hardened'] as const satisfies readonly DaemonProfile[]) {
  describe(`cascade against the daemon lab (${profile})`, { skip: problem ?? false }, () => {
    let lab: DaemonLab;
    let results: Record<string, ProbeOutcome> = {};
    before(async () => {
      lab = await startDaemonLab({ profile, namespace: `trawl-hsdl-${profile[0]}${process.pid % 100_000}`, onStartFailure: 'skip' });
      const plan = lab.endpoints.flatMap((e) => [
        { key: key(e), kind: 'cascade', ip: e.ip, port: e.port, hostname: e.hostname },
      ]);
      results = await probe(lab, plan);
    });
    after(async () => {
      await lab?.stop();
    });

    it('names every endpoint as the lab says, with product/version when the protocol shows them', (t) => {
      const problems: string[] = [];
      for (const s of lab.skipped) {
        if (!s.reason.startsWith('not installed')) problems.push(`${s.daemon} did not start: ${s.reason.slice(0, 200)}`);
        else t.diagnostic(`skipped ${s.daemon}: ${s.reason}`);
      }
      for (const e of lab.endpoints) {
        const r = results[key(e)];
        const id = r?.result as Json | null | undefined;
        if (r === undefined || r.error !== undefined || id === null || id === undefined) {
          problems.push(`${key(e)}: ${r?.error ?? 'nothing identified'}`);
          continue;
        }
        const got = `${String(id['name'])}/${String(id['tunnel'] ?? '-')}`;
        const want = `${e.expect.name}/${e.expect.tunnel ?? '-'}`;
        if (got !== want) problems.push(`${key(e)}: ${got}, want ${want} (${JSON.stringify((id['facts'] as Json)['cascade'])})`);
        if (id['product'] !== undefined && id['product'] !== e.expect.product) problems.push(`${key(e)}: product ${String(id['product'])}, want ${e.expect.product}`);
        if (id['version'] !== undefined && e.expect.version !== undefined && id['version'] !== e.expect.version) problems.push(`${key(e)}: version ${String(id['version'])}, want ${e.expect.version}`);
      }
      assert.deepEqual(problems, []);
      // Products every one of these protocols reveals must be there.
      for (const e of lab.endpoints.filter((x) => ['openssh', 'nginx-http', 'nginx-tls', 'vsftpd', 'exim', 'memcached'].includes(x.daemon))) {
        assert.equal((results[key(e)]?.result as Json)['product'], e.expect.product, key(e));
      }
    });

    it(`facts show the ${profile} configuration`, () => {
      const facts = (daemon: string, port: number, proto: string): Json | undefined => {
        const e = lab.endpoints.find((x) => x.daemon === daemon && x.port === port);
        if (e === undefined) return undefined;
        return ((results[key(e)]?.result as Json)['facts'] as Json)[proto] as Json;
      };
      const weak = profile === 'weak';
      const redis = facts('redis', 6379, 'redis');
      if (redis) assert.equal(redis['authRequired'], !weak);
      const mqtt = facts('mosquitto', 1883, 'mqtt');
      if (mqtt) assert.equal(mqtt['anonymousAllowed'], weak);
      const smb = facts('samba', 445, 'smb');
      if (smb) {
        assert.equal((smb['smb1'] as Json)['accepted'], weak, JSON.stringify(smb['smb1']));
        assert.equal(smb['signingRequired'], !weak);
      }
      const tls = facts('nginx-tls', 443, 'tls');
      if (tls) {
        const v = tls['versions'] as Record<string, Json>;
        // weak: TLS 1.0-1.2 and an expired self-signed certificate; hardened: TLS 1.2/1.3, CA-signed.
        assert.equal(v['TLSv1']?.['accepted'], weak, JSON.stringify(v['TLSv1']));
        assert.equal(v['TLSv1.2']?.['accepted'], true);
        assert.equal(v['TLSv1.3']?.['accepted'], !weak);
        assert.equal(tls['expired'], weak);
        assert.equal(tls['selfSigned'], weak);
      }
    });
  });
}
