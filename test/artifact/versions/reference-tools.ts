import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/**
 * The ecosystems' own comparators, run in one batch per call so hundreds of pairs cost one process
 * (dpkg: one shell loop). Each returns undefined when its tool is not installed, with the reason.
 */
export type Pair = readonly [string, string];
export type ToolResult = { ok: true; results: number[] } | { ok: false; reason: string };

function run(cmd: string, args: string[], input: string): { stdout: string; error?: string } {
  const r = spawnSync(cmd, args, { input, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, timeout: 60_000 });
  if (r.error) return { stdout: '', error: `${cmd}: ${r.error.message}` };
  if (r.status !== 0) return { stdout: r.stdout, error: `${cmd} exited ${r.status}: ${r.stderr.slice(0, 500)}` };
  return { stdout: r.stdout };
}

function lines(stdout: string, n: number, tool: string): ToolResult {
  const out = stdout.trim().split('\n').filter((l) => l.length > 0).map(Number);
  if (out.length !== n || out.some((x) => ![-1, 0, 1].includes(x))) return { ok: false, reason: `${tool} gave ${out.length} answers for ${n} pairs` };
  return { ok: true, results: out };
}

/** `dpkg --compare-versions a lt b` / `eq`, looped in one shell. */
export function dpkgCompare(pairs: readonly Pair[]): ToolResult {
  if (!existsSync('/usr/bin/dpkg')) return { ok: false, reason: 'dpkg is not installed' };
  const script = 'while IFS=" " read -r a b; do if dpkg --compare-versions "$a" lt "$b"; then echo -1; elif dpkg --compare-versions "$a" eq "$b"; then echo 0; else echo 1; fi; done';
  const r = run('/bin/sh', ['-c', script], pairs.map(([a, b]) => `${a} ${b}\n`).join(''));
  return r.error ? { ok: false, reason: r.error } : lines(r.stdout, pairs.length, 'dpkg');
}

const PYTHONS = ['/usr/bin/python3', 'python3'];

/** packaging.version.Version comparisons (Debian's python3-packaging, or whatever python3 has). */
export function packagingCompare(pairs: readonly Pair[]): ToolResult & { tool?: string } {
  const code = [
    'import sys, json',
    'from packaging.version import Version',
    'import packaging',
    'pairs = json.load(sys.stdin)',
    'out = []',
    'for a, b in pairs:',
    '    x, y = Version(a), Version(b)',
    '    out.append(str(-1 if x < y else (0 if x == y else 1)))',
    'print("\\n".join(out))',
  ].join('\n');
  let last = 'python3 with the packaging module is not installed (apt-get install python3-packaging)';
  for (const py of PYTHONS) {
    const probe = spawnSync(py, ['-c', 'import packaging; print(packaging.__version__)'], { encoding: 'utf8' });
    if (probe.status !== 0) continue;
    const r = run(py, ['-c', code], JSON.stringify(pairs));
    if (r.error) {
      last = r.error;
      continue;
    }
    return { ...lines(r.stdout, pairs.length, 'packaging'), tool: `${py} packaging ${probe.stdout.trim()}` };
  }
  return { ok: false, reason: last };
}

/** Gem::Version#<=> through the system ruby. */
export function gemCompare(pairs: readonly Pair[]): ToolResult {
  const code = 'require "json"; JSON.parse($stdin.read).each { |a, b| puts(Gem::Version.new(a) <=> Gem::Version.new(b)) }';
  const probe = spawnSync('ruby', ['-e', 'puts Gem::VERSION'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) return { ok: false, reason: 'ruby is not installed (apt-get install ruby)' };
  const r = run('ruby', ['-e', code], JSON.stringify(pairs));
  return r.error ? { ok: false, reason: r.error } : lines(r.stdout, pairs.length, 'ruby');
}

const MAVEN_JARS = ['/usr/share/java/maven-artifact-3.x.jar', '/usr/share/maven/lib/maven-artifact-3.x.jar'];

/**
 * ComparableVersion's own main(), which compares each argument with the next: pairs are passed as
 * a1 b1 a2 b2 … and every other comparison line is read.
 */
export function mavenCompare(pairs: readonly Pair[]): ToolResult {
  const jar = MAVEN_JARS.find((j) => existsSync(j));
  if (jar === undefined) return { ok: false, reason: 'maven-artifact jar not found (apt-get install libmaven3-core-java default-jre-headless)' };
  const java = spawnSync('java', ['-version'], { encoding: 'utf8' });
  if (java.error || java.status !== 0) return { ok: false, reason: 'java is not installed (apt-get install default-jre-headless)' };
  const args = pairs.flatMap(([a, b]) => [a, b]);
  const r = run('java', ['-cp', jar, 'org.apache.maven.artifact.versioning.ComparableVersion', ...args], '');
  if (r.error) return { ok: false, reason: r.error };
  const cmp = r.stdout.split('\n').filter((l) => l.startsWith('   '));
  const results: number[] = [];
  for (let i = 0; i < pairs.length; i++) {
    const [a, b] = pairs[i]!;
    const line = cmp[2 * i];
    const op = line === `   ${a} < ${b}` ? -1 : line === `   ${a} == ${b}` ? 0 : line === `   ${a} > ${b}` ? 1 : undefined;
    if (op === undefined) return { ok: false, reason: `unexpected ComparableVersion output for ${a} ${b}: ${JSON.stringify(line)}` };
    results.push(op);
  }
  return { ok: true, results };
}

/** `apk version -t a b` (prints <, = or >); Debian does not ship apk-tools, so this is usually absent. */
export function apkCompare(pairs: readonly Pair[]): ToolResult {
  const probe = spawnSync('apk', ['--version'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) return { ok: false, reason: 'apk (apk-tools) is not installed; Debian 12 does not package it' };
  const script = 'while IFS=" " read -r a b; do r=$(apk version -t "$a" "$b"); case "$r" in "<") echo -1;; "=") echo 0;; ">") echo 1;; *) echo x;; esac; done';
  const r = run('/bin/sh', ['-c', script], pairs.map(([a, b]) => `${a} ${b}\n`).join(''));
  return r.error ? { ok: false, reason: r.error } : lines(r.stdout, pairs.length, 'apk');
}
