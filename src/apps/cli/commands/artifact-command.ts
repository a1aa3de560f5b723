import type { Command } from 'commander';
import { createWriteStream } from 'node:fs';
import { TrawlError } from '../../../errors/index.js';
import { openSqliteArtifactDb, type ArtifactDb } from '../../../artifact/cache/artifact-db.js';
import { DEFAULT_CACHE_TTL_MS, ScanCache, type ArtifactScanResult } from '../../../artifact/cache/scan-cache.js';
import { inventoryArtifact } from '../../../artifact/inventory.js';
import { isLambdaArn, parseFunctionArn } from '../../../artifact/lambda/lambda-arn.js';
import { scanLambda, type Inventorier } from '../../../artifact/lambda/lambda-scanner.js';
import type { ImportStats } from '../../../artifact/osv/advisory-store.js';
import { readAdvisories } from '../../../artifact/osv/osv-importer.js';
import type { Finding } from '../../../artifact/osv/osv-matcher.js';
import { parseIntOption } from '../parse-number.js';

/** Where the command writes; main.ts passes its CliIo, tests their own streams. */
export interface ArtifactIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  exitCode: number;
}

export interface ArtifactCommandDeps {
  /** The inventory step (default: src/artifact/inventory.ts). */
  readonly inventory?: Inventorier;
  readonly env?: NodeJS.ProcessEnv;
}

interface ScanOptions {
  db?: string;
  advisories?: string;
  outputJson?: string;
  region?: string[];
  endpoint?: string;
  roleArn?: string;
  externalId?: string;
  exclude?: string[];
  concurrency?: string;
  ttlDays?: string;
  maxCodeMb?: string;
}

const collect = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), value];

/**
 * `trawl artifact scan <file|dir|image.tar|arn|lambda>` and `trawl artifact import-advisories`.
 * Findings are JSON lines `{"type":"finding","check_id":"osv:<id>",...}`; each artifact and each
 * skipped or failed function also gets a line, so a partial run says what it left out.
 */
export function registerArtifactCommand(program: Command, io: ArtifactIo = { stdout: process.stdout, stderr: process.stderr, exitCode: 0 }, deps: ArtifactCommandDeps = {}): void {
  const artifact = program.command('artifact').description('find known-vulnerable packages in function packages, layers, images and directories (OSV advisories)');
  artifact
    .command('scan')
    .description('scan a file, directory, image tarball, Lambda function ARN, or "lambda" for every function of --region')
    .argument('<target>', 'path, arn:aws:lambda:REGION:ACCOUNT:function:NAME, or lambda')
    .option('--db <path>', 'store advisories and the code-hash cache in this SQLite file (default: in memory for this run)')
    .option('--advisories <path>', 'import OSV advisories first: a directory, an osv.dev all.zip, or a GitHub Advisory Database checkout')
    .option('--output-json <file>', 'JSON lines to this file instead of stdout (-oJ)')
    .option('--region <region>', 'AWS region to list or scan (repeatable; default $AWS_REGION)', collect)
    .option('--endpoint <url>', 'Lambda/STS endpoint override (LocalStack, tests)')
    .option('--role-arn <arn>', 'assume this role (cross-account) before calling Lambda')
    .option('--external-id <id>', 'external id the role demands')
    .option('--exclude <glob>', 'leave out functions whose name or ARN matches (repeatable)', collect)
    .option('--concurrency <n>', 'functions scanned at once', '4')
    .option('--ttl-days <n>', 'reuse a cached inventory of unchanged code this long', String(DEFAULT_CACHE_TTL_MS / 86_400_000))
    .option('--max-code-mb <n>', 'largest function or layer package downloaded', '300')
    .action(async (target: string, o: ScanOptions) => {
      io.exitCode = await scanCommand(target, o, io, deps);
    });
  artifact
    .command('import-advisories')
    .description('import OSV advisories (directory, all.zip, or GitHub Advisory Database checkout); incremental by `modified`')
    .argument('<path>', 'advisory source')
    .requiredOption('--db <path>', 'the SQLite store to import into')
    .action(async (path: string, o: { db: string }) => {
      const db = await openDb(o.db);
      try {
        const stats = await db.advisories.importRecords(readAdvisories(path));
        io.stdout.write(`${JSON.stringify({ type: 'import', source: path, ...stats })}\n`);
        io.exitCode = 0;
      } finally {
        await db.close();
      }
    });
}

async function openDb(path: string | undefined): Promise<ArtifactDb> {
  const db = await openSqliteArtifactDb(path ?? ':memory:');
  try {
    await db.migrate();
  } catch (e) {
    await db.close();
    throw e;
  }
  return db;
}

async function scanCommand(target: string, o: ScanOptions, io: ArtifactIo, deps: ArtifactCommandDeps): Promise<number> {
  const env = deps.env ?? process.env;
  const inventory: Inventorier = deps.inventory ?? ((path) => inventoryArtifact(path));
  const ttlDays = parseIntOption('--ttl-days', o.ttlDays ?? '30', 0, 3650);
  const concurrency = parseIntOption('--concurrency', o.concurrency ?? '4', 1, 64);
  const maxCodeMb = parseIntOption('--max-code-mb', o.maxCodeMb ?? '300', 1, 10_240);
  // A malformed ARN is refused naming it before anything is opened.
  const arn = target !== 'lambda' && isLambdaArn(target) ? parseFunctionArn(target) : undefined;
  const db = await openDb(o.db);
  let out: NodeJS.WritableStream = io.stdout;
  try {
    let imported: ImportStats | undefined;
    if (o.advisories !== undefined) {
      imported = await db.advisories.importRecords(readAdvisories(o.advisories));
      io.stderr.write(`trawl: advisories: ${imported.inserted} new, ${imported.updated} updated, ${imported.unchanged} unchanged, ${imported.rejected} rejected\n`);
    }
    const { total } = await db.advisories.countAdvisories();
    if (total === 0) io.stderr.write('trawl: warning: the advisory store is empty: nothing can match (use --advisories or import-advisories)\n');
    if (o.outputJson !== undefined && o.outputJson !== '-') out = await openOutput(o.outputJson);
    const write = (obj: Record<string, unknown>): void => {
      out.write(`${JSON.stringify(obj)}\n`);
    };
    const cache = new ScanCache(db, { ttlMs: ttlDays * 86_400_000 });
    if (target === 'lambda' || arn !== undefined) {
      const regions = o.region ?? (arn !== undefined ? [arn.region] : env['AWS_REGION'] ? [env['AWS_REGION']] : []);
      const report = await scanLambda({
        regions,
        ...(o.endpoint !== undefined ? { endpoint: o.endpoint } : {}),
        ...(o.roleArn !== undefined ? { assumeRole: { roleArn: o.roleArn, ...(o.externalId !== undefined ? { externalId: o.externalId } : {}) } } : {}),
        ...(arn !== undefined ? { functions: [target] } : {}),
        exclude: o.exclude ?? [],
        concurrency,
        maxCodeBytes: maxCodeMb * 1024 * 1024,
        inventory,
        cache,
        env,
      });
      for (const e of report.listErrors) write({ type: 'error', region: e.region, error: e.error });
      for (const f of report.functions) {
        write({ type: 'function', arn: f.arn, status: f.status, ...(f.reason !== undefined ? { reason: f.reason } : {}), ...(f.imageUri !== undefined ? { image_uri: f.imageUri } : {}), ...(f.code ? { sha256: f.code.sha256, packages: f.code.packages, cache: f.code.cache } : {}), findings: f.findings.length, partial: f.partial });
        if (f.code) for (const x of f.code.findings) write(findingLine(x, f.code, { function_arn: f.arn }));
        for (const l of f.layers) {
          if (l.result) for (const x of l.result.findings) write(findingLine(x, l.result, { function_arn: f.arn, layer_arn: l.arn }));
          else write({ type: 'error', function_arn: f.arn, layer_arn: l.arn, error: l.error });
        }
      }
      const failed = report.functions.filter((f) => f.status === 'failed').length;
      io.stderr.write(`trawl: ${report.functions.length} functions: ${report.functions.filter((f) => f.status === 'scanned').length} scanned, ${report.functions.filter((f) => f.status === 'skipped').length} skipped, ${failed} failed${report.partial ? ' (partial results)' : ''}\n`);
    } else {
      const result = await cache.scan({ kind: 'path', name: target, inventory: () => inventory(target) });
      write({ type: 'artifact', name: target, sha256: result.sha256, packages: result.packages, cache: result.cache, findings: result.findings.length, warnings: result.warnings.length });
      for (const x of result.findings) write(findingLine(x, result, {}));
      for (const w of result.warnings.slice(0, 50)) io.stderr.write(`trawl: warning: ${w}\n`);
    }
    return 0;
  } finally {
    if (out !== io.stdout) await new Promise<void>((resolve) => out.end(resolve));
    await db.close();
  }
}

function findingLine(f: Finding, artifact: ArtifactScanResult, where: Record<string, string>): Record<string, unknown> {
  return {
    type: 'finding',
    check_id: `osv:${f.advisoryId}`,
    advisory_id: f.advisoryId,
    aliases: f.aliases,
    cves: f.cves,
    severity: f.severity.level,
    ...(f.severity.score !== undefined ? { cvss_score: f.severity.score } : {}),
    ...(f.severity.vector !== undefined ? { cvss_vector: f.severity.vector } : {}),
    ...(f.summary !== undefined ? { summary: f.summary } : {}),
    ecosystem: f.ecosystem,
    package: f.package,
    version: f.installedVersion,
    fixed: f.fixedVersions,
    purl: f.purl,
    source: f.source,
    ...(f.dev === true ? { dev: true } : {}),
    artifact: artifact.name,
    artifact_kind: artifact.kind,
    sha256: artifact.sha256,
    ...where,
  };
}

async function openOutput(path: string): Promise<NodeJS.WritableStream> {
  const s = createWriteStream(path, { flags: 'w' });
  await new Promise<void>((resolve, reject) => {
    s.once('open', () => resolve());
    s.once('error', (e) => reject(new TrawlError('TRAWL_E_OUTPUT', `cannot write ${JSON.stringify(path)}: ${e.message}`, { path }, { cause: e })));
  });
  return s;
}
