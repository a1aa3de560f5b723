/**
 * The built-in checks against the real Debian daemons of the daemon lab (src/lab/daemon-lab.ts).
 * Identification and the checks run INSIDE the lab's namespace (checks-probe-main via lab.execArgs),
 * exactly as a scan would: identifyByHandshake on every endpoint, then runChecks --checks safe.
 *
 * weak:     every check the lab can exhibit must fire, on the endpoints that carry the weakness;
 * hardened: no check may fire anywhere (the false-positive test).
 * MongoDB, Elasticsearch and Telnet are not in the lab (not packaged / not installed); their checks
 * are tested against local stand-ins in their own test files.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { daemonLabProblem, startDaemonLab, type DaemonEndpoint, type DaemonLab, type DaemonName, type DaemonProfile } from '../../src/lab/daemon-lab.js';
import type { FindingJson } from '../../src/checks/finding.js';

const problem = daemonLabProblem();
const PROBE = fileURLToPath(new URL('./checks-probe-main.js', import.meta.url));

type Json = Record<string, unknown>;

interface ProbeOutput {
  identities: (Json & { ip: string; port: number; name: string | null; facts: Json | null })[];
  findings: FindingJson[];
  runs: (Json & { check_id: string; ip: string; port: number; outcome: string })[];
  done: Json | undefined;
}

function probe(lab: DaemonLab): Promise<ProbeOutput> {
  const plan = { endpoints: lab.endpoints.map((e) => ({ ip: e.ip, port: e.port, hostname: e.hostname })), selection: 'safe' };
  const argv = lab.execArgs([process.execPath, PROBE, JSON.stringify(plan)]);
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      if (code !== 0) return reject(new Error(`checks probe exited ${code}: ${err.slice(-1500)}`));
      const r: ProbeOutput = { identities: [], findings: [], runs: [], done: undefined };
      for (const line of out.split('\n').filter((l) => l !== '')) {
        const o = JSON.parse(line) as Json;
        if (o['type'] === 'identity') r.identities.push(o as ProbeOutput['identities'][number]);
        else if (o['type'] === 'finding') r.findings.push(o as unknown as FindingJson);
        else if (o['type'] === 'check_run') r.runs.push(o as ProbeOutput['runs'][number]);
        else if (o['type'] === 'done') r.done = o;
      }
      resolve(r);
    });
  });
}

/** Where each check must fire on the weak lab: daemon and ports. */
const WEAK_EXPECTATIONS: Readonly<Record<string, readonly [DaemonName, readonly number[]]>> = {
  'tls-expired-cert': ['nginx-tls', [443, 8443]],
  'tls-self-signed-cert': ['nginx-tls', [443, 8443]],
  'tls-hostname-mismatch': ['nginx-tls', [443, 8443]],
  'tls-legacy-protocol': ['nginx-tls', [443, 8443]],
  'tls-weak-cipher': ['nginx-tls', [443, 8443]],
  'http-missing-security-headers': ['nginx-http', [80, 9000]],
  'http-directory-listing': ['nginx-http', [80, 9000]],
  'http-exposed-git': ['nginx-http', [80, 9000]],
  'http-exposed-env': ['nginx-http', [80, 9000]],
  'smb-v1-enabled': ['samba', [445, 139]],
  'smb-signing-not-required': ['samba', [445, 139]],
  'ssh-weak-algorithms': ['openssh', [22, 2222]],
  'redis-no-auth': ['redis', [6379]],
  'memcached-exposed': ['memcached', [11211]],
  'mqtt-anonymous': ['mosquitto', [1883, 9883]],
  'ftp-anonymous': ['vsftpd', [21]],
  'cleartext-auth-service': ['vsftpd', [21]],
};

function endpointOf(lab: DaemonLab, ip: string, port: number): DaemonEndpoint | undefined {
  return lab.endpoints.find((e) => e.ip === ip && e.port === port);
}

function where(lab: DaemonLab, f: { target: { ip: string; port: number } }): string {
  return `${endpointOf(lab, f.target.ip, f.target.port)?.daemon ?? f.target.ip}:${f.target.port}`;
}

for (const profile of ['weak', 'hardened'] as const satisfies readonly DaemonProfile[]) {
  describe(`built-in checks against the daemon lab (${profile})`, { skip: problem ?? false, timeout: 120_000 }, () => {
    let lab: DaemonLab;
    let r: ProbeOutput;
    before(async () => {
      lab = await startDaemonLab({ profile, namespace: `trawl-chk-${profile[0]}${process.pid % 100_000}` });
      r = await probe(lab);
    });
    after(async () => {
      await lab?.stop();
    });

    it('identifies every endpoint and runs every applicable check to completion', (t) => {
      assert.deepEqual(lab.skipped, []);
      assert.equal(r.identities.length, lab.endpoints.length);
      for (const id of r.identities) assert.ok(id.name !== null && id.name !== 'unknown', `${id.ip}:${id.port} unidentified`);
      const notOk = r.runs.filter((x) => x.outcome !== 'ok');
      assert.deepEqual(notOk, [], 'no check errored or timed out');
      assert.ok(r.done !== undefined);
      t.diagnostic(`${r.runs.length} check runs, ${r.findings.length} findings, identify ${String(r.done['identify_ms'])} ms, total ${String(r.done['total_ms'])} ms`);
    });

    if (profile === 'weak') {
      for (const [checkId, [daemon, ports]] of Object.entries(WEAK_EXPECTATIONS)) {
        it(`${checkId} fires on ${daemon} ${ports.join(', ')}`, () => {
          const got = r.findings.filter((f) => f.check_id === checkId).map((f) => where(lab, f)).sort();
          const want = ports.map((p) => `${daemon}:${p}`).sort();
          for (const w of want) assert.ok(got.includes(w), `${checkId} missing on ${w}; fired on ${JSON.stringify(got)}`);
        });
      }

      it('findings carry the exact evidence the daemons showed', () => {
        const one = (id: string, daemon: DaemonName, port: number): FindingJson => {
          const f = r.findings.find((x) => x.check_id === id && where(lab, x) === `${daemon}:${port}`);
          assert.ok(f, `${id} on ${daemon}:${port}`);
          return f;
        };
        const expired = one('tls-expired-cert', 'nginx-tls', 443).evidence['expired'] as Json[];
        assert.equal(expired[0]?.['not_after'], '2021-01-01T00:00:00.000Z', 'the lab PKI makes the weak certificate expire on 2021-01-01');
        assert.equal(one('tls-hostname-mismatch', 'nginx-tls', 443).evidence['connected_to'], 'nginx-tls.dlab.trawl.test');
        assert.deepEqual((one('tls-legacy-protocol', 'nginx-tls', 443).evidence['accepted'] as string[]).filter((v) => v !== 'SSLv3'), ['TLSv1', 'TLSv1.1']);
        // nginx with `ALL:@SECLEVEL=0` also takes anonymous ECDH suites, which the raw hellos find.
        const weakClasses = one('tls-weak-cipher', 'nginx-tls', 443).evidence['classes'] as string[];
        assert.ok(weakClasses.includes('anon') && weakClasses.includes('cbc-sha1-tls1.0'), JSON.stringify(weakClasses));
        assert.equal(one('http-exposed-git', 'nginx-http', 80).evidence['head'], 'ref: refs/heads/main');
        assert.deepEqual(one('http-exposed-env', 'nginx-http', 9000).evidence['variables'], ['APP_ENV', 'DB_PASSWORD']);
        assert.ok(!JSON.stringify(r.findings).includes('trawl-lab-not-a-secret'), 'the .env value never appears in a finding');
        assert.ok((one('ssh-weak-algorithms', 'openssh', 22).evidence['kex'] as string[]).includes('diffie-hellman-group1-sha1'));
        assert.equal(one('redis-no-auth', 'redis', 6379).evidence['reply'], '+PONG');
        assert.equal(one('ftp-anonymous', 'vsftpd', 21).evidence['user_reply'], '230 Login successful.', 'vsftpd no_anon_password: in without PASS');
        assert.equal(one('smb-v1-enabled', 'samba', 445).evidence['dialect'], 'NT LM 0.12');
      });

      it("ssh-terrapin follows what the real sshd advertises (Debian's 9.2p1 has strict KEX since deb12u2)", () => {
        const ssh = r.identities.find((i) => endpointOf(lab, i.ip, i.port)?.daemon === 'openssh' && i.port === 22);
        const facts = ssh?.facts?.['ssh'] as Json | undefined;
        assert.ok(facts !== undefined);
        const kexinit = facts['kexinit'] as { ciphersS2C: string[] };
        const pkg = lab.endpoints.find((e) => e.daemon === 'openssh')?.expect.package?.version ?? '';
        const deb = /\+deb12u(\d+)/.exec(pkg);
        // Ground truth from the package: Debian fixed Terrapin (strict KEX) in 1:9.2p1-2+deb12u2.
        if (deb !== null) assert.equal(facts['strictKex'], Number(deb[1]) >= 2, `${pkg} advertises strict KEX?`);
        const chacha = kexinit.ciphersS2C.includes('chacha20-poly1305@openssh.com');
        assert.equal(chacha, true, 'the weak sshd keeps chacha20-poly1305 (the Terrapin-prone mode) on');
        const fired = r.findings.filter((f) => f.check_id === 'ssh-terrapin').length > 0;
        assert.equal(fired, facts['strictKex'] === false, `strictKex=${String(facts['strictKex'])} (${pkg}); ssh-terrapin fired=${fired}`);
      });

      it('checks that need a service the lab lacks (MongoDB, Elasticsearch, Telnet) stay silent', () => {
        for (const id of ['mongodb-no-auth', 'elasticsearch-no-auth', 'telnet-cleartext']) {
          assert.deepEqual(r.findings.filter((f) => f.check_id === id).map((f) => where(lab, f)), [], id);
        }
      });
    } else {
      it('no check fires on any hardened daemon', () => {
        const fired = r.findings.map((f) => `${f.check_id} on ${where(lab, f)}: ${f.summary}`);
        assert.deepEqual(fired, []);
      });

      it('the checks did run on the hardened daemons (silence is not absence)', () => {
        const ran = new Set(r.runs.map((x) => x.check_id));
        for (const id of Object.keys(WEAK_EXPECTATIONS)) assert.ok(ran.has(id), `${id} never ran`);
        assert.ok(ran.has('ssh-terrapin'));
      });
    }
  });
}
