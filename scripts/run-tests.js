#!/usr/bin/env node
// Runs the compiled node:test suites. The egress guard is pinned to loopback and the benchmark range
// (reachable only inside namespaces the tests create), so a test that would probe anything else fails.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

function collect(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...collect(p));
    else if (name.endsWith('.test.js')) out.push(p);
  }
  return out;
}

const filter = process.argv.slice(2);
// TRAWL_DIST lets parallel builds use their own output folder (e.g. .dist-identify).
const dist = process.env.TRAWL_DIST ?? 'dist';
const files = collect(join(dist, 'test')).filter((f) => filter.length === 0 || filter.some((x) => f.includes(x))).sort();
const env = { ...process.env, TRAWL_EGRESS_ALLOW: '127.0.0.0/8,::1/128,198.18.0.0/15' };
const r = spawnSync(process.execPath, ['--test', '--test-concurrency=2', '--test-timeout=300000', ...files], { stdio: 'inherit', env });
process.exit(r.status ?? 1);
