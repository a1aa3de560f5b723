import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { pidAlive } from '../../src/lab/lab-state.js';
import { loopbackLabDown, loopbackLabStatus, loopbackLabUp, loopbackStatePath, type LoopbackLabState } from '../../src/lab/loopback-lab-daemon.js';
import { bannerOf, probe } from './lab-client.js';

const REPO = resolve(fileURLToPath(new URL('.', import.meta.url)), '..', '..', '..');
const CLI = join(REPO, 'bin', 'trawl.js');
const CLI_BUILT = existsSync(join(REPO, 'dist', 'src', 'apps', 'cli', 'main.js'));
const SUBNET = '127.77.202.0/24';

function trawl(stateDir: string, ...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env: { ...process.env, TRAWL_LAB_STATE: stateDir }, timeout: 30_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('trawl lab up / down (compiled CLI)', { skip: CLI_BUILT ? false : 'dist/src/apps/cli/main.js not built; the daemon functions are tested below' }, () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'trawl-lab-cli-'));
  });
  after(() => {
    trawl(dir, 'lab', 'down', '--loopback');
    rmSync(dir, { recursive: true, force: true });
  });

  it('lab up starts a background lab that outlives the CLI; status, truth and down agree with it', async () => {
    const up = trawl(dir, 'lab', 'up', '--cidr', SUBNET, '--seed', '5', '--json');
    assert.equal(up.code, 0, up.stderr);
    const state = JSON.parse(up.stdout) as LoopbackLabState;
    assert.equal(state.cidr, SUBNET);
    assert.ok(pidAlive(state.pid), 'the lab process runs after `lab up` returned');
    const ssh = state.services.find((s) => s.name === 'ssh' && s.port === 2222);
    assert.ok(ssh);
    assert.equal(await bannerOf(ssh.ip, ssh.port), ssh.banner);

    const again = trawl(dir, 'lab', 'up', '--cidr', SUBNET, '--seed', '5');
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /^already running: /);
    assert.match(again.stdout, new RegExp(`trawl scan ${SUBNET.replaceAll('.', '\\.')} -p [0-9,]+`));
    const other = trawl(dir, 'lab', 'up', '--cidr', '127.77.204.0/24');
    assert.equal(other.code, 69);
    assert.match(other.stderr, /TRAWL_E_LAB/);

    const status = JSON.parse(trawl(dir, 'lab', 'status', '--json').stdout) as { loopback: LoopbackLabState | null };
    assert.equal(status.loopback?.pid, state.pid);
    const truth = JSON.parse(trawl(dir, 'lab', 'truth', '--loopback').stdout) as { services: unknown[]; closed: unknown[] };
    assert.deepEqual(truth.services, state.services);
    assert.deepEqual(truth.closed, state.closed);

    const down = trawl(dir, 'lab', 'down', '--loopback');
    assert.equal(down.code, 0, down.stderr);
    assert.match(down.stdout, new RegExp(`loopback lab stopped \\(pid ${state.pid}\\)`));
    assert.equal(pidAlive(state.pid), false);
    assert.equal(await probe(ssh.ip, ssh.port), 'refused');
    assert.equal(existsSync(loopbackStatePath(dir)), false);

    const twice = trawl(dir, 'lab', 'down', '--loopback');
    assert.equal(twice.code, 0);
    assert.match(twice.stdout, /loopback lab: not running/);
    const none = trawl(dir, 'lab', 'truth', '--loopback');
    assert.equal(none.code, 69);
  });

  it('rejects bad input with the catalogue codes', () => {
    const outside = trawl(dir, 'lab', 'up', '--cidr', '10.9.8.0/24');
    assert.equal(outside.code, 64);
    assert.match(outside.stderr, /TRAWL_E_BAD_OPTION.*10\.9\.8\.0\/24/);
    const seed = trawl(dir, 'lab', 'up', '--cidr', SUBNET, '--seed', 'x1');
    assert.equal(seed.code, 64);
    assert.match(seed.stderr, /TRAWL_E_BAD_SEED/);
    assert.equal(loopbackLabStatus(dir), undefined, 'nothing was started');
  });
});

describe('loopback lab daemon functions', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'trawl-lab-fn-'));
  });
  after(async () => {
    await loopbackLabDown({ stateDir: dir });
    rmSync(dir, { recursive: true, force: true });
  });

  it('a stale state file (dead pid) is cleared, not trusted', async () => {
    writeFileSync(loopbackStatePath(dir), JSON.stringify({ pid: 2 ** 22 + 12345, ready: true, cidr: SUBNET, seed: 1, services: [], closed: [] }));
    assert.equal(loopbackLabStatus(dir), undefined);
    assert.equal(existsSync(loopbackStatePath(dir)), false);
    assert.deepEqual(await loopbackLabDown({ stateDir: dir }), { stopped: false });
  });

  it('up, then down with SIGTERM; a lab that cannot bind reports why', async () => {
    const { state, alreadyRunning } = await loopbackLabUp({ subnet: '127.77.205.0/24', seed: 2, stateDir: dir });
    assert.equal(alreadyRunning, false);
    const svc = state.services[0];
    assert.ok(svc);
    assert.equal(await probe(svc.ip, svc.port), 'open');
    // Same subnet from another state folder: the child fails to bind and its log explains it.
    const other = mkdtempSync(join(tmpdir(), 'trawl-lab-fn2-'));
    try {
      await assert.rejects(loopbackLabUp({ subnet: '127.77.205.0/24', seed: 2, stateDir: other }), (e: Error & { code?: string }) => e.code === 'TRAWL_E_LAB' && /already in use/.test(e.message));
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
    const down = await loopbackLabDown({ stateDir: dir });
    assert.deepEqual(down, { stopped: true, pid: state.pid });
    assert.equal(await probe(svc.ip, svc.port), 'refused');
  });
});
