/**
 * `trawl scan --templates`: the compiled CLI runs nuclei templates in the check stage against real
 * local services on their own loopback addresses — a web app with known weaknesses over HTTP and
 * over HTTPS (self-signed), the loopback lab's FTP service (banner first, never closes: the service
 * that once hung the engine), and a port that accepts and never answers — and the findings land in
 * the JSON lines output and the store, with unsupported templates reported.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { createServer as createNetServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { ftpService } from '../../src/lab/services/ftp-service.js';
import type { RunningService } from '../../src/lab/services/lab-service.js';
import { CORPUS, selfSignedPems } from '../checks/nuclei/nuclei-lab.js';
import { parseJsonl, type RunResult } from '../scan/cli-harness.js';

/** This build's CLI (bin/trawl.js would load dist/, not the build under test). */
const cli = join(dirname(fileURLToPath(import.meta.url)), 'build-cli.js');

function trawl(args: readonly string[]): Promise<RunResult> {
  const child = spawn(process.execPath, [cli, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })));
}

const WEB = '127.88.43.10';
const FTP = '127.88.43.21';
const SECURE = '127.88.43.30';
const MUTE = '127.88.43.40';

/** A web app with the weaknesses the copied corpus templates look for. */
function weakApp(req: IncomingMessage, res: ServerResponse): void {
  res.setHeader('Server', 'nginx/1.18.0');
  const send = (status: number, type: string, body: string): void => {
    res.writeHead(status, { 'Content-Type': type });
    res.end(body);
  };
  if (req.url === '/.git/config') return send(200, 'text/plain', '[core]\n\trepositoryformatversion = 0\n\tbare = false\n');
  if (req.url === '/.env') return send(200, 'text/plain', 'APP_NAME=Weak\nAPP_KEY=base64:c2VjcmV0\nDB_PASSWORD=hunter2-db\n');
  if (req.url === '/') return send(200, 'text/html', '<html><head><title>Weak</title></head><body>hello</body></html>');
  send(404, 'text/html', '<html><body>not found</body></html>');
}

const VSFTPD_BANNER = `id: vsftpd-banner

info:
  name: vsftpd Banner Version
  author: trawl-test
  severity: info
  description: The FTP greeting names vsftpd and its version.
  remediation: Hide the version in the banner (ftpd_banner).
  classification:
    cwe-id: CWE-200
  tags: network,ftp,vsftpd

tcp:
  - host:
      - "{{Hostname}}"
    read-size: 1024
    matchers:
      - type: word
        words:
          - "vsFTPd"
    extractors:
      - type: regex
        group: 1
        regex:
          - 'vsFTPd ([0-9.]+)'
`;

const COPIED = [
  'http/exposures/git-config.yaml',
  'http/exposures/dotenv.yaml',
  'http/technologies/nginx-version.yaml',
  'http/misconfiguration/missing-security-headers.yaml',
  'http/default-logins/admin-clusterbomb.yaml',
  'http/misc/raw-put-check.yaml',
  'ssl/self-signed-ssl.yaml',
  'ssl/deprecated-tls.yaml',
  'network/redis-unauth.yaml',
  'network/redis-port-only.yaml',
  'unsupported/code-protocol.yaml',
  'unsupported/javascript-ssh.yaml',
  'unsupported/oob-ssrf-header.yaml',
  'unsupported/dns-cname.yaml',
  'invalid/broken-yaml.yaml',
  // Payload files, relative to the loaded root.
  'helpers/wordlists/users.txt',
  'helpers/wordlists/passwords.txt',
];

async function listen(server: Server, ip: string): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, ip, () => resolve());
  });
  return (server.address() as AddressInfo).port;
}

async function freePort(ip: string): Promise<number> {
  const s = createNetServer();
  const port = await listen(s, ip);
  await new Promise((r) => s.close(r));
  return port;
}

describe('trawl scan --templates', () => {
  let dir: string;
  const servers: Server[] = [];
  const sockets = new Set<Socket>();
  let ftp: RunningService;
  const ports = { web: 0, ftp: 0, secure: 0, mute: 0 };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'trawl-tpl-'));
    for (const rel of COPIED) {
      mkdirSync(join(dir, 'picked', dirname(rel)), { recursive: true });
      copyFileSync(join(CORPUS, rel), join(dir, 'picked', rel));
    }
    mkdirSync(join(dir, 'extra', 'ftp'), { recursive: true });
    writeFileSync(join(dir, 'extra', 'ftp', 'vsftpd-banner.yaml'), VSFTPD_BANNER);
    mkdirSync(join(dir, 'empty'));
    writeFileSync(join(dir, 'empty', 'README.md'), 'no templates here\n');

    const pems = await selfSignedPems('weak.test');
    const web = createHttpServer(weakApp);
    const secure = createHttpsServer({ key: pems.key, cert: pems.cert }, weakApp);
    const mute = createNetServer((s) => {
      s.on('error', () => undefined);
      s.resume();
    });
    for (const s of [web, secure, mute]) {
      s.on('connection', (c: Socket) => {
        sockets.add(c);
        c.on('close', () => sockets.delete(c));
      });
      servers.push(s);
    }
    ports.web = await listen(web, WEB);
    ports.secure = await listen(secure, SECURE);
    ports.mute = await listen(mute, MUTE);
    ports.ftp = await freePort(FTP);
    ftp = await ftpService().start(FTP, ports.ftp);
  });

  after(async () => {
    for (const s of sockets) s.destroy();
    await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
    await ftp?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('finds template weaknesses over HTTP, HTTPS, TLS and a banner; reports what it cannot run; records clean runs', { timeout: 240_000 }, async () => {
    const out = join(dir, 'scan.jsonl');
    const db = join(dir, 'scan.db');
    const portList = [ports.web, ports.ftp, ports.secure, ports.mute].join(',');
    const r = await trawl([
      'scan', `${WEB},${FTP},${SECURE},${MUTE}`, '-p', portList, '--no-ping',
      '--templates', join(dir, 'picked'), '--templates', join(dir, 'extra'), '--template-timeout', '3000',
      '-oJ', out, '--db', db,
    ]);
    assert.equal(r.code, 0, r.stderr);
    // The load summary: counts, then reasons by count.
    assert.match(r.stderr, /templates: 16 file\(s\) in 2 dir\(s\): 9 will run, 4 unsupported, 1 invalid, 2 intrusive not run/);
    assert.match(r.stderr, /unsupported: .*interactsh/);
    assert.match(r.stderr, /templates: \d+ template run\(s\)/);

    const rows = parseJsonl(readFileSync(out, 'utf8'));
    const findings = rows.filter((o) => o['type'] === 'finding');
    const at = (ip: string, port: number): string[] => findings.filter((f) => (f['target'] as { ip: string; port: number }).ip === ip && (f['target'] as { port: number }).port === port).map((f) => String(f['check_id'])).sort();

    const webIds = at(WEB, ports.web);
    for (const id of ['nuclei:git-config', 'nuclei:laravel-env', 'nuclei:nginx-version']) assert.ok(webIds.includes(id), `${id} on the HTTP app: ${webIds.join(' ')}`);
    assert.ok(webIds.some((id) => id.startsWith('nuclei:http-missing-security-headers:')), webIds.join(' '));
    const secureIds = at(SECURE, ports.secure);
    for (const id of ['nuclei:git-config', 'nuclei:self-signed-ssl']) assert.ok(secureIds.includes(id), `${id} on the HTTPS app: ${secureIds.join(' ')}`);
    assert.deepEqual(at(FTP, ports.ftp), ['nuclei:vsftpd-banner']);
    assert.deepEqual(at(MUTE, ports.mute), []);

    // The finding model: title, severity, references, CVSS, remediation and evidence from the template.
    const git = findings.find((f) => f['check_id'] === 'nuclei:git-config' && (f['target'] as { ip: string }).ip === SECURE)!;
    assert.equal(git['title'], 'Git Configuration - Detect');
    assert.equal(git['severity'], 'medium');
    assert.equal(git['confidence'], 'firm');
    assert.equal(git['intrusive'], false);
    assert.deepEqual((git['references'] as { cwe: string[] }).cwe, ['CWE-200']);
    assert.equal((git['cvss'] as { score: number }).score, 5.3);
    assert.match(String(git['remediation']), /Block access to \/\.git\//);
    const ev = git['evidence'] as Record<string, unknown>;
    assert.equal(ev['matched_at'], `https://${SECURE}:${ports.secure}/.git/config`);
    assert.match(String(ev['response']), /\[core\]/);
    const env = findings.find((f) => f['check_id'] === 'nuclei:laravel-env')!;
    assert.deepEqual((env['evidence'] as { extracted: string[] }).extracted, ['hunter2-db']);
    const banner = findings.find((f) => f['check_id'] === 'nuclei:vsftpd-banner')!;
    assert.deepEqual((banner['evidence'] as { extracted: string[] }).extracted, ['3.0.3']);
    assert.equal(banner['remediation'], 'Hide the version in the banner (ftpd_banner).');

    // Unsupported, invalid and intrusive templates are lines of their own, never silently dropped.
    const unsupported = rows.filter((o) => o['type'] === 'template-unsupported');
    assert.deepEqual(unsupported.filter((o) => o['status'] === 'unsupported').map((o) => o['id']).sort(), ['code-local-check', 'dns-cname-takeover', 'oob-host-header-ssrf', 'ssh-password-auth-js'].sort());
    assert.ok(unsupported.some((o) => o['status'] === 'invalid' && o['path'] === 'invalid/broken-yaml.yaml'));
    assert.ok(unsupported.every((o) => typeof o['reason'] === 'string' && String(o['reason']).length > 0));
    const skipped = rows.filter((o) => o['type'] === 'template-skipped');
    assert.equal(skipped.length, 2);
    assert.ok(skipped.every((o) => /^intrusive/.test(String(o['reason']))));

    // The store holds the same findings, and the templates that ran clean are recorded as checks that
    // ran — exactly where they could run completely, never on the port that never answered.
    const sql = new Database(db, { readonly: true });
    try {
      const facts = new Map(
        (sql.prepare("SELECT ip, port, data_json FROM observations WHERE type = 'finding'").all() as Array<{ ip: string; port: number; data_json: string }>).map((x) => [`${x.ip}:${x.port}`, JSON.parse(x.data_json) as { checks: string[]; findings: Array<{ checkId: string }> }]),
      );
      const ftpFact = facts.get(`${FTP}:${ports.ftp}`);
      assert.ok(ftpFact, 'the FTP port has a finding observation');
      assert.deepEqual(ftpFact.findings.map((f) => f.checkId), ['nuclei:vsftpd-banner']);
      // redis-unauth-info ran against the FTP banner service and matched nothing: a clean run.
      assert.ok(ftpFact.checks.includes('nuclei:redis-unauth-info'), ftpFact.checks.join(' '));
      assert.ok(!ftpFact.checks.includes('nuclei:git-config'), 'http templates do not run on FTP');
      const webFact = facts.get(`${WEB}:${ports.web}`)!;
      assert.ok(webFact.findings.some((f) => f.checkId === 'nuclei:git-config'));
      assert.ok(webFact.checks.includes('nuclei:redis-unauth-info'));
      const muteFact = facts.get(`${MUTE}:${ports.mute}`);
      assert.ok(!muteFact || !muteFact.checks.some((c) => c.startsWith('nuclei:')), `silence is not a clean run: ${JSON.stringify(muteFact)}`);
    } finally {
      sql.close();
    }
    const back = await trawl(['results', '--db', db, '-oJ', '-']);
    assert.equal(back.code, 0, back.stderr);
    const stored = parseJsonl(back.stdout).filter((o) => o['type'] === 'finding').map((f) => String(f['check_id']));
    for (const id of ['nuclei:git-config', 'nuclei:self-signed-ssl', 'nuclei:vsftpd-banner']) assert.ok(stored.includes(id), `${id} read back from the store`);
  });

  it('--intrusive-templates opts in; --template-tags / --exclude-tags select', { timeout: 240_000 }, async () => {
    const out = join(dir, 'tags.jsonl');
    const r = await trawl([
      'scan', WEB, '-p', String(ports.web), '--no-ping', '--templates', `${join(dir, 'picked')},${join(dir, 'extra')}`,
      '--template-tags', 'exposure,default-login', '--exclude-tags', 'laravel', '--intrusive-templates', '-oJ', out,
    ]);
    assert.equal(r.code, 0, r.stderr);
    const rows = parseJsonl(readFileSync(out, 'utf8'));
    const ids = new Set(rows.filter((o) => o['type'] === 'finding').map((f) => String(f['check_id'])));
    assert.ok(ids.has('nuclei:git-config'), [...ids].join(' '));
    assert.ok(!ids.has('nuclei:laravel-env'), 'excluded by tag');
    assert.ok(!ids.has('nuclei:nginx-version'), 'not selected by tag');
    assert.equal(rows.filter((o) => o['type'] === 'template-skipped').length, 0, 'intrusive ones were opted in');
    assert.match(r.stderr, /0 intrusive not run/);
  });

  it('lifecycle: a clean complete run marks the finding fixed; a run that timed out does not', { timeout: 240_000 }, async () => {
    const ip = '127.88.43.50';
    let mode: 'weak' | 'fixed' | 'hang' = 'weak';
    const app = createHttpServer((req, res) => {
      if (req.url === '/.git/config' && mode === 'hang') return; // accepted, never answered
      if (req.url === '/.git/config' && mode === 'fixed') {
        res.writeHead(404, { 'Content-Type': 'text/html' });
        return res.end('<html><body>not found</body></html>');
      }
      weakApp(req, res);
    });
    app.on('connection', (c: Socket) => {
      sockets.add(c);
      c.on('close', () => sockets.delete(c));
    });
    servers.push(app);
    const port = await listen(app, ip);
    mkdirSync(join(dir, 'lifecycle'));
    copyFileSync(join(CORPUS, 'http/exposures/git-config.yaml'), join(dir, 'lifecycle', 'git-config.yaml'));
    const db = join(dir, 'lifecycle.db');
    const scan = async (): Promise<string> => {
      const out = join(dir, `lifecycle-${mode}.jsonl`);
      const r = await trawl(['scan', ip, '-p', String(port), '--no-ping', '--templates', join(dir, 'lifecycle'), '--template-timeout', '1500', '--db', db, '-oJ', out, '-q']);
      assert.equal(r.code, 0, r.stderr);
      const rows = parseJsonl(readFileSync(out, 'utf8'));
      assert.equal(rows.some((o) => o['check_id'] === 'nuclei:git-config'), mode === 'weak', `${mode}: ${JSON.stringify(rows)}`);
      return String(rows[0]!['scan_id']);
    };
    const diff = async (a: string, b: string): Promise<Record<string, unknown>[]> => {
      const r = await trawl(['diff', a, b, '--db', db, '-oJ', '-']);
      assert.equal(r.code, 0, r.stderr);
      return parseJsonl(r.stdout).filter((e) => e['checkId'] === 'nuclei:git-config');
    };
    const weak = await scan();
    mode = 'hang';
    const hung = await scan();
    mode = 'fixed';
    const fixed = await scan();
    // The template could not look (the request timed out): nothing is called fixed.
    assert.deepEqual(await diff(weak, hung), []);
    // It looked and found nothing: fixed, because the template ran clean.
    const events = await diff(weak, fixed);
    assert.equal(events.length, 1, JSON.stringify(events));
    assert.equal(events[0]!['kind'], 'finding_fixed');
    assert.equal(events[0]!['evidence'], 'check-ran-clean');
  });

  it('bad template directories are coded errors before anything is scanned', async () => {
    const missing = await trawl(['scan', WEB, '-p', String(ports.web), '--templates', join(dir, 'no-such-dir'), '-q']);
    assert.equal(missing.code, 66, missing.stderr);
    assert.match(missing.stderr, /TRAWL_E_TARGET_FILE/);
    assert.match(missing.stderr, /no-such-dir/);
    const empty = await trawl(['scan', WEB, '-p', String(ports.web), '--templates', join(dir, 'empty'), '-q']);
    assert.equal(empty.code, 64, empty.stderr);
    assert.match(empty.stderr, /TRAWL_E_BAD_OPTION.*no nuclei templates/s);
    const stray = await trawl(['scan', WEB, '-p', String(ports.web), '--template-tags', 'cve', '-q']);
    assert.equal(stray.code, 64, stray.stderr);
    assert.match(stray.stderr, /--template-tags need --templates/);
    // trawl serve loads its templates before it opens a store or listens.
    // (Its exit status is not asserted: main() returns io.exitCode, which serve never sets.)
    const serve = await trawl(['serve', '--db', join(dir, 'serve.db'), '--listen', '127.0.0.1:0', '--templates', join(dir, 'no-such-dir')]);
    assert.match(serve.stderr, /TRAWL_E_TARGET_FILE: template directory .*no-such-dir/);
    assert.doesNotMatch(serve.stderr, /listening on/);
  });
});
