import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Kysely } from 'kysely';
import { buildApi } from '../../src/api/build-api.js';
import type { JobsDatabase } from '../../src/queue/sqlite/jobs-schema.js';
import { openSqliteDatabase } from '../../src/store/sqlite/sqlite-store.js';
import type { StoreDatabase } from '../../src/store/store-database.js';
import { collect, parseJsonl, type RunResult } from '../scan/cli-harness.js';

/** The `trawl` command of this build (bin/trawl.js would load dist/). */
const cli = join(dirname(fileURLToPath(import.meta.url)), 'build-cli.js');
const TOKEN = /^\s*(trawl_[0-9a-hjkmnp-tv-z]{12}_[A-Za-z0-9_-]{43})$/m;

function demo(dir: string, onStderr?: (text: string, kill: (signal: NodeJS.Signals) => void) => void): Promise<RunResult> {
  const child = spawn(process.execPath, [cli, 'demo', '--db', join(dir, 'demo.db'), '--output-json', join(dir, 'demo.jsonl')], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  if (onStderr) {
    let text = '';
    child.stderr.on('data', (d: Buffer) => {
      text += d.toString();
      onStderr(text, (s) => child.kill(s));
    });
  }
  return collect(child);
}

async function withStore<T>(dir: string, fn: (d: StoreDatabase) => Promise<T>): Promise<T> {
  const d = await openSqliteDatabase(join(dir, 'demo.db'));
  try {
    return await fn(d);
  } finally {
    await d.close();
  }
}

describe('trawl demo: the platform assesses the loopback lab into an embedded store', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'trawl-demo-'));
  });
  after(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  let firstToken = '';
  let firstScan = '';

  it('runs an assessment of org "demo" through the API: services, real findings, a working API key, the JSON lines', async () => {
    const r = await demo(dir);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /\[done\] discover \d+\/\d+ probes, 11 open · identify 11\/11 ports · check \d+\/\d+ hosts/, r.stderr);
    const token = TOKEN.exec(r.stdout)?.[1];
    assert.ok(token, `no API key in:\n${r.stdout}`);
    firstToken = token;
    assert.match(r.stdout, /npx trawl serve --db \S+demo\.db/);
    assert.match(r.stdout, /http:\/\/127\.0\.0\.1:8080\/ui\//);
    assert.match(r.stdout, /Services found \(11\):/);
    assert.match(r.stdout, /critical:\n\s+redis-no-auth\s+127\.77\.\d+\.\d+:6379/);
    assert.match(r.stdout, /tls-self-signed-cert\s+127\.77\.\d+\.\d+:8443/);
    assert.match(r.stdout, /11 of the lab's 11 services found/);

    await withStore(dir, async ({ db, store }) => {
      const org = await db.selectFrom('orgs').selectAll().where('name', '=', 'demo').executeTakeFirstOrThrow();
      const runs = await db.selectFrom('org_scans').selectAll().where('org_id', '=', org.id).execute();
      assert.equal(runs.length, 1);
      const run = runs[0]!;
      firstScan = run.scan_id;
      assert.equal(run.status, 'done');
      assert.notEqual(run.assessment_id, null);
      assert.equal((await store.getScan(run.scan_id))?.status, 'done');
      // The lab's CIDR is the org's declared scope, and the assessment targets it.
      const scope = JSON.parse(org.scope_json) as string[];
      const assessment = await db.selectFrom('assessments').selectAll().where('id', '=', run.assessment_id!).executeTakeFirstOrThrow();
      assert.deepEqual(JSON.parse(assessment.targets_json), [scope[0]]);
      assert.equal(assessment.state, 'idle');

      // The inventory: identified services and findings of real checks against the lab's daemons.
      const services = await db.selectFrom('services').selectAll().where('org_id', '=', org.id).execute();
      assert.equal(services.length, 11);
      assert.ok(services.every((s) => s.service_name !== null), JSON.stringify(services.map((s) => [s.address, s.port, s.service_name])));
      const redis = services.find((s) => s.port === 6379);
      assert.equal(redis?.service_name, 'redis');
      const findings = await db.selectFrom('findings').selectAll().where('org_id', '=', org.id).where('status', '=', 'open').execute();
      const noAuth = findings.find((f) => f.check_id === 'redis-no-auth');
      assert.ok(noAuth, JSON.stringify(findings.map((f) => f.check_id)));
      assert.equal(noAuth.address, redis?.address);
      assert.equal(noAuth.port, 6379);
      // The Redis with requirepass is not reported as open to anyone.
      assert.ok(!findings.some((f) => f.check_id === 'redis-no-auth' && f.port === 6380));
      assert.ok(findings.some((f) => f.check_id === 'tls-self-signed-cert' && f.port === 8443));
      // The change events printed are the run's in the store: a first run opens every port it found.
      const changes = await db.selectFrom('changes').select('kind').where('scan_id', '=', run.scan_id).execute();
      assert.equal(changes.filter((c) => c.kind === 'port_opened').length, 11);
      assert.match(r.stdout, new RegExp(`Change events: ${changes.length} from this run \\([^)]*11 port_opened\\), ${changes.length} in all\\.`));

      // The printed key is an admin key of org "demo" that the API accepts.
      const app = buildApi({ db, store, rateLimit: false });
      try {
        const assets = await app.inject({ method: 'GET', url: '/assets?limit=500', headers: { authorization: `Bearer ${token}` } });
        assert.equal(assets.statusCode, 200, assets.body);
        const items = (JSON.parse(assets.body) as { items: { address: string }[] }).items;
        assert.deepEqual(new Set(items.map((a) => a.address)), new Set(services.map((s) => s.address)));
        const me = JSON.parse((await app.inject({ method: 'GET', url: '/me', headers: { authorization: `Bearer ${token}` } })).body) as { orgId: string; role: string };
        assert.deepEqual([me.orgId, me.role], [org.id, 'admin']);
        const wrong = await app.inject({ method: 'GET', url: '/assets', headers: { authorization: `Bearer ${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}` } });
        assert.equal(wrong.statusCode, 401);
      } finally {
        await app.close();
      }
    });

    // --output-json: the open ports of the run with their services, as `trawl results -oJ` writes them.
    const rows = parseJsonl(readFileSync(join(dir, 'demo.jsonl'), 'utf8')).filter((o) => o['type'] === 'port');
    assert.equal(rows.length, 11);
    assert.ok(rows.every((o) => typeof (o['service'] as { name?: unknown } | undefined)?.name === 'string'));
  });

  it('trawl results --scan latest reads the run back', async () => {
    const child = spawn(process.execPath, [cli, 'results', '--db', join(dir, 'demo.db'), '--scan', 'latest'], { stdio: ['ignore', 'pipe', 'pipe'] });
    const r = await collect(child);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /6379\/tcp\s+open\s+redis/);
    assert.match(r.stdout, /\[critical\] redis-no-auth/);
  });

  it('Ctrl-C mid-run cancels the run and exits 130; after a kill -9 mid-run too, the next demo runs again on the same store', async () => {
    const midRun = (signal: NodeJS.Signals) => {
      let sent = false;
      return {
        get sent() { return sent; },
        watch: (text: string, kill: (s: NodeJS.Signals) => void): void => {
          if (!sent && /\[(discover|identify|check)\]/.test(text)) {
            sent = true;
            kill(signal);
          }
        },
      };
    };
    const int = midRun('SIGINT');
    const interrupted = await demo(dir, int.watch);
    assert.ok(int.sent, interrupted.stderr);
    assert.equal(interrupted.code, 130, interrupted.stderr);
    assert.match(interrupted.stderr, /TRAWL_E_INTERRUPTED/);
    assert.ok(!/trawl_[0-9a-z]{12}_/.test(interrupted.stdout), 'no key printed for a run that did not finish');

    // Killed outright: the run stays `running` in the store with nobody to finish it.
    const kill = midRun('SIGKILL');
    const killed = await demo(dir, kill.watch);
    assert.ok(kill.sent, killed.stderr);
    assert.equal(killed.signal, 'SIGKILL');

    const again = await demo(dir);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /run 4, scan /);
    assert.match(again.stdout, /Change events: \d+ from this run( \([^)]*\))?, \d+ in all\./);
    const token = TOKEN.exec(again.stdout)?.[1];
    assert.ok(token && token !== firstToken);

    await withStore(dir, async ({ db, store }) => {
      const org = await db.selectFrom('orgs').selectAll().where('name', '=', 'demo').executeTakeFirstOrThrow();
      assert.equal(await db.selectFrom('orgs').select('id').execute().then((r) => r.length), 1);
      const runs = await db.selectFrom('org_scans').selectAll().where('org_id', '=', org.id).orderBy('created_at').execute();
      assert.deepEqual(runs.map((r) => r.status), ['done', 'cancelled', 'interrupted', 'done']);
      assert.equal(runs[0]!.scan_id, firstScan);
      assert.equal(new Set(runs.map((r) => r.assessment_id)).size, 1, 'every run is of the one demo assessment');
      assert.equal((await store.getScan(runs[1]!.scan_id))?.status, 'interrupted');
      assert.equal((await store.getScan(runs[2]!.scan_id))?.status, 'interrupted');
      // Nothing left to run: the assessment is idle, and no job waits or is leased unless cancelled
      // (the killed process's leases stay until they expire, flagged so they never run again).
      assert.equal((await db.selectFrom('assessments').select('state').where('org_id', '=', org.id).executeTakeFirstOrThrow()).state, 'idle');
      const jobs = db as unknown as Kysely<JobsDatabase>;
      const live = await jobs.selectFrom('jobs').select(['id', 'state', 'job_group']).where('state', 'in', ['waiting', 'retrying', 'leased']).where('cancelled', '=', 0).execute();
      assert.deepEqual(live, []);
      const leftover = await jobs.selectFrom('jobs').select('job_group').where('state', 'in', ['waiting', 'retrying', 'leased']).execute();
      assert.ok(leftover.every((j) => j.job_group === runs[2]!.scan_id), JSON.stringify(leftover));
      // The first and the last run can be diffed, and both keys work.
      const app = buildApi({ db, store, rateLimit: false });
      try {
        for (const key of [firstToken, token]) {
          const diff = await app.inject({ method: 'GET', url: `/scans/${runs[0]!.scan_id}/diff/${runs[3]!.scan_id}`, headers: { authorization: `Bearer ${key}` } });
          assert.equal(diff.statusCode, 200, diff.body);
        }
      } finally {
        await app.close();
      }
    });
  });
});
